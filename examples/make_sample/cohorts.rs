//! The cohorts of the sample: who the 225 customers are and what they did, each cohort at
//! one level of the default rules and with one situation the planner should handle.
//! Counts: basic 78, reactive 61, accountable 46, proactive 24, partnership 16.
//!
//! The first 200 customers (up to `partnership_referrals`) are the original sample; the
//! cohorts after them show the triggers, conditions and segments of issue 19. New cohorts go
//! at the END, so that the customers before them and their random draws stay identical, and
//! they bring high, medium and low margins in the tiers' shares so that no earlier
//! customer's margin tier (and so target) moves (`Sample::check_tiers`).

use crate::sample::Sample;
use chrono::Duration;
use rand::Rng;
use serde_json::json;

pub struct Cohort {
    pub name: &'static str,
    pub level: &'static str,
    pub count: usize,
    /// What the planner should make of them at the anchor (examples/README.md).
    pub scenario: &'static str,
    pub build: fn(&mut Sample, usize, usize),
}

fn r(s: &mut Sample, range: std::ops::Range<i64>) -> i64 {
    s.rng.random_range(range)
}

/// `n` orders at distinct days within `range` days ago.
fn orders_within(s: &mut Sample, c: usize, n: usize, range: std::ops::Range<i64>) {
    let mut days: Vec<i64> = Vec::new();
    while days.len() < n {
        let d = r(s, range.clone());
        if !days.iter().any(|x| (x - d).abs() < 5) {
            days.push(d);
        }
    }
    for d in days {
        s.order_days_ago(c, d);
    }
}

pub static COHORTS: &[Cohort] = &[
    // ---- basic: 70 -------------------------------------------------------------------
    Cohort {
        name: "basic_order_4_days_ago",
        level: "basic",
        count: 12,
        scenario: "post-sale-follow-up due (order 3+ days old)",
        build: |s, c, k| {
            s.order_days_ago(c, 4);
            if k % 3 == 0 {
                let d = r(s, 200..330);
                s.order_days_ago(c, d);
            }
        },
    },
    Cohort {
        name: "basic_unreachable",
        level: "basic",
        count: 5,
        scenario: "order 4 days ago but never mailed: unsubscribed ×2, hard bounce, spam complaint; the 5th only soft-bounced and is mailable",
        build: |s, c, k| {
            s.order_days_ago(c, 4);
            match k {
                0 | 1 => {
                    s.customers[c].subscribed = false;
                    let at = s.day(c, 20 + 10 * k as i64);
                    s.event(c, "unsubscribe", at, json!({"source": "list-unsubscribe"}));
                }
                2 => {
                    let at = s.day(c, 30);
                    s.event(c, "bounce", at, json!({"type": "hard", "code": "5.1.1"}));
                }
                3 => {
                    let at = s.day(c, 12);
                    s.event(c, "spam_complaint", at, json!({"provider": "sendgrid"}));
                }
                _ => {
                    let at = s.day(c, 6);
                    s.event(c, "bounce", at, json!({"type": "soft", "code": "4.2.2"}));
                }
            }
        },
    },
    Cohort {
        name: "basic_order_yesterday",
        level: "basic",
        count: 8,
        scenario: "post-sale-follow-up not yet due (order 1 day old; due in 2 days)",
        build: |s, c, _| {
            s.order_days_ago(c, 1);
        },
    },
    Cohort {
        name: "basic_no_orders",
        level: "basic",
        count: 14,
        scenario: "signed up, never ordered: nothing due (some opened mails this week: opens are not evidence)",
        build: |s, c, k| {
            if k < 3 {
                let at = s.day(c, 2 + k as i64);
                s.event(
                    c,
                    "email_open",
                    at,
                    json!({"campaign": "weekly-newsletter"}),
                );
            }
        },
    },
    Cohort {
        name: "basic_lapsed",
        level: "basic",
        count: 10,
        scenario: "only orders 400+ days old: nothing due",
        build: |s, c, k| {
            let d = r(s, 400..700);
            s.order_days_ago(c, d);
            if k % 2 == 1 {
                let d = r(s, 720..900);
                s.order_days_ago(c, d);
            }
        },
    },
    Cohort {
        name: "basic_expired_evidence",
        level: "basic",
        count: 10,
        scenario: "clicked 200+ days ago (outside 180), two answered a survey 380+ days ago (outside 365): evidence expired",
        build: |s, c, k| {
            let d = r(s, 60..300);
            s.order_days_ago(c, d);
            let d = r(s, 200..340);
            s.click(c, d);
            if k < 2 {
                let d = r(s, 380..450);
                s.survey(c, d, 8);
                let d = r(s, 460..500);
                s.order_days_ago(c, d);
            }
        },
    },
    Cohort {
        name: "basic_order_too_old_for_follow_up",
        level: "basic",
        count: 11,
        scenario: "order 35–60 days ago: past the follow-up's 30-day maximum age, nothing due",
        build: |s, c, _| {
            let d = r(s, 35..60);
            s.order_days_ago(c, d);
        },
    },
    // ---- reactive: 50 ----------------------------------------------------------------
    Cohort {
        name: "reactive_survey_due",
        level: "reactive",
        count: 14,
        scenario: "order 11–20 days ago and engaged since: satisfaction-survey due (climb)",
        build: |s, c, k| {
            let od = r(s, 11..21);
            s.order_days_ago(c, od);
            let d = od - r(s, 3..6);
            if k % 2 == 0 {
                s.click(c, d)
            } else {
                s.reply(c, d)
            }
            if k % 4 == 0 {
                let d = r(s, 150..300);
                s.order_days_ago(c, d);
            }
        },
    },
    Cohort {
        name: "reactive_recent_order",
        level: "reactive",
        count: 8,
        scenario: "order 3–8 days ago, replied: survey not yet due (10 days after the order)",
        build: |s, c, k| {
            let od = r(s, 3..9);
            s.order_days_ago(c, od);
            let d = r(s, 1..od);
            if k % 2 == 0 {
                s.reply(c, d)
            } else {
                s.click(c, d)
            }
        },
    },
    Cohort {
        name: "reactive_support_contact",
        level: "reactive",
        count: 12,
        scenario: "contacted support 20–170 days ago; last order 30–300 days ago: nothing due",
        build: |s, c, k| {
            let od = r(s, 30..300);
            s.order_days_ago(c, od);
            if k % 3 == 0 {
                let d = r(s, 320..360);
                s.order_days_ago(c, d);
            }
            let d = r(s, 20..170);
            let at = s.day(c, d);
            let channel = ["phone", "chat", "email"][k % 3];
            let topic = [
                "delivery time",
                "gift wrapping",
                "care instructions",
                "invoice",
            ][k % 4];
            s.event(
                c,
                "support_contact",
                at,
                json!({"channel": channel, "topic": topic}),
            );
        },
    },
    Cohort {
        name: "reactive_complaint_new",
        level: "reactive",
        count: 6,
        scenario: "complained in the last 2 days: complaint-follow-up due at once",
        build: |s, c, k| {
            let od = r(s, 5..25);
            let o = s.order_days_ago(c, od);
            let at = if k < 2 {
                let h = r(s, 1..6);
                s.hours_ago(h)
            } else {
                let d = r(s, 1..3);
                s.day(c, d)
            };
            s.complaint(c, o, at);
        },
    },
    Cohort {
        name: "reactive_two_orders",
        level: "reactive",
        count: 10,
        scenario: "2 orders in 365 days and a recent click: one order short of proactive; two have 1 referral (2 make a partner)",
        build: |s, c, k| {
            let d = r(s, 30..120);
            s.order_days_ago(c, d);
            let d = r(s, 150..330);
            s.order_days_ago(c, d);
            let d = r(s, 10..80);
            s.click(c, d);
            if k < 2 {
                let at = {
                    let d = r(s, 30..200);
                    s.day(c, d)
                };
                s.event(c, "referral", at, json!({"code": format!("FRIEND-{c:04}")}));
            }
        },
    },
    // ---- accountable: 40 -------------------------------------------------------------
    Cohort {
        name: "accountable_survey",
        level: "accountable",
        count: 15,
        scenario: "answered a survey within 365 days: nothing due except the Saturday loyalty-offer window",
        build: |s, c, k| {
            let od = r(s, 20..330);
            s.order_days_ago(c, od);
            let d = r(s, od / 2..od - 2);
            let score = [10, 9, 9, 8, 7, 10, 6][k % 7];
            s.survey(c, d, score);
            if k % 3 == 0 {
                let d = r(s, 100..170);
                s.click(c, d);
            }
        },
    },
    Cohort {
        name: "accountable_complaint_resolved",
        level: "accountable",
        count: 8,
        scenario: "complaint 30–250 days ago, resolved: accountable by complaint_resolved",
        build: |s, c, _| {
            let od = r(s, 40..250);
            let o = s.order_days_ago(c, od);
            let cd = od - r(s, 3..10);
            let at = s.day(c, cd);
            s.complaint(c, o, at);
            let rd = (cd - r(s, 1..5)).max(1);
            let at = s.day(c, rd);
            let resolution = ["replacement sent", "refunded", "voucher"][c % 3];
            s.event(
                c,
                "complaint_resolved",
                at,
                json!({"resolution": resolution}),
            );
        },
    },
    Cohort {
        name: "accountable_near_proactive",
        level: "accountable",
        count: 8,
        scenario: "3–4 orders in 365 days and a survey, but last click 100–170 days ago (proactive needs one in 90)",
        build: |s, c, k| {
            orders_within(s, c, 3 + k % 2, 20..350);
            let d = r(s, 30..300);
            s.survey(c, d, 9);
            let d = r(s, 100..170);
            s.click(c, d);
        },
    },
    Cohort {
        name: "accountable_survey_again",
        level: "accountable",
        count: 6,
        scenario: "last survey 100+ days ago and a new order 11–20 days ago: maintenance satisfaction-survey due",
        build: |s, c, _| {
            let d0 = r(s, 150..330);
            s.order_days_ago(c, d0);
            let d = r(s, 100..d0 - 5);
            s.survey(c, d, 8);
            let d = r(s, 11..21);
            s.order_days_ago(c, d);
        },
    },
    Cohort {
        name: "accountable_complaint_new",
        level: "accountable",
        count: 2,
        scenario: "answered a survey 60 days ago, complained yesterday: complaint-follow-up due",
        build: |s, c, k| {
            let od = r(s, 70..200);
            let o = s.order_days_ago(c, od);
            s.survey(c, 60, 9);
            let at = if k == 0 { s.hours_ago(3) } else { s.day(c, 1) };
            s.complaint(c, o, at);
        },
    },
    Cohort {
        name: "accountable_key_account",
        level: "accountable",
        count: 1,
        scenario: "attributes.target_level = partnership (a key account): target overrides the matrix",
        build: |s, c, _| {
            s.customers[c]
                .attributes
                .insert("target_level".into(), json!("partnership"));
            s.customers[c]
                .attributes
                .insert("account".into(), json!("café owner"));
            let at = s.day(c, 140);
            s.order(c, at, true);
            let at = s.day(c, 75);
            s.order(c, at, true);
            s.survey(c, 50, 10);
        },
    },
    // ---- proactive: 24 ---------------------------------------------------------------
    Cohort {
        name: "proactive_regular",
        level: "proactive",
        count: 15,
        scenario: "3–6 orders in 365 days, clicked or replied in the last 60 days: partnership-invitation (climb) or loyalty-offer",
        build: |s, c, k| {
            orders_within(s, c, 3 + k % 4, 5..350);
            let d = r(s, 5..60);
            if k % 2 == 0 {
                s.click(c, d)
            } else {
                s.reply(c, d)
            }
            if k % 3 == 0 {
                let d = r(s, 30..300);
                s.survey(c, d, 10);
            }
        },
    },
    Cohort {
        name: "proactive_one_referral",
        level: "proactive",
        count: 4,
        scenario: "proactive with 1 referral in 365 days and 1 older: not yet a partner",
        build: |s, c, _| {
            orders_within(s, c, 3, 20..340);
            let d = r(s, 10..40);
            s.click(c, d);
            for range in [30..300, 450..600] {
                let d = r(s, range);
                let at = s.day(c, d);
                s.event(
                    c,
                    "referral",
                    at,
                    json!({"code": format!("FRIEND-{c:04}-{d}")}),
                );
            }
        },
    },
    Cohort {
        name: "proactive_key_account",
        level: "proactive",
        count: 1,
        scenario: "attributes.target_level = partnership: partnership-invitation due",
        build: |s, c, _| {
            s.customers[c]
                .attributes
                .insert("target_level".into(), json!("partnership"));
            s.customers[c]
                .attributes
                .insert("account".into(), json!("restaurant"));
            for d in [300, 210, 120, 45, 15] {
                let at = s.day(c, d);
                s.order(c, at, true);
            }
            s.reply(c, 7);
        },
    },
    Cohort {
        name: "proactive_complaint_new",
        level: "proactive",
        count: 1,
        scenario: "a loyal customer who complained 1 day ago: complaint-follow-up first",
        build: |s, c, _| {
            orders_within(s, c, 4, 10..300);
            let o = s.order_days_ago(c, 8);
            s.click(c, 20);
            let at = s.day(c, 1);
            s.complaint(c, o, at);
        },
    },
    Cohort {
        name: "proactive_big_spender",
        level: "proactive",
        count: 3,
        scenario: "8–14 orders in 365 days, frequent clicks: high margin tier",
        build: |s, c, _| {
            let n = r(s, 8..15) as usize;
            orders_within(s, c, n, 3..350);
            for range in [3..30, 30..80, 120..170] {
                let d = r(s, range);
                s.click(c, d);
            }
        },
    },
    // ---- partnership: 16 -------------------------------------------------------------
    Cohort {
        name: "partnership_accepted",
        level: "partnership",
        count: 8,
        scenario: "accepted the partnership invitation (ever, some 365+ days ago): maintenance only",
        build: |s, c, k| {
            orders_within(s, c, 3 + k % 5, 10..700);
            let d = r(s, 30..500);
            let at = s.day(c, d);
            s.event(
                c,
                "partnership_accepted",
                at,
                json!({"programme": "advisory-panel"}),
            );
            let d = r(s, 5..80);
            s.click(c, d);
        },
    },
    Cohort {
        name: "partnership_referrals",
        level: "partnership",
        count: 8,
        scenario: "2–4 referrals in 365 days: partnership by referrals",
        build: |s, c, k| {
            orders_within(s, c, 2 + k % 4, 10..360);
            for i in 0..2 + k % 3 {
                let d = r(s, 10..330);
                let at = s.day(c, d);
                s.event(
                    c,
                    "referral",
                    at,
                    json!({"code": format!("FRIEND-{c:04}-{i}")}),
                );
            }
            if k % 2 == 0 {
                let d = r(s, 5..60);
                s.reply(c, d);
            }
        },
    },
    // ---- issue 19: sign-ups, carts, order items, follow-ups, level drops, lapses: 25 ----
    Cohort {
        name: "basic_new_signup",
        level: "basic",
        count: 6,
        scenario: "signed up 2–12 days ago, never ordered: welcome due; the last one signed up 20 minutes ago (welcome due 1 hour after signing up)",
        build: |s, c, k| {
            let at = match k {
                0..5 => s.day(c, [2, 4, 6, 9, 12][k]),
                _ => s.anchor - Duration::minutes(20),
            };
            s.signed_up = Some(at);
        },
    },
    Cohort {
        name: "basic_cart_then_ordered",
        level: "basic",
        count: 2,
        scenario: "left a cart 9–10 hours ago and ordered it 2 hours later: no abandoned-cart (unless order) and no welcome (unless order); post-sale-follow-up due in 3 days",
        build: |s, c, k| {
            let skus: &[(&str, u32)] = [
                &[("TEA-GLASS-6", 1), ("TEA-LAH-250", 2)][..],
                &[("PRESS-FR-1L", 1)][..],
            ][k % 2];
            let cart = s.hours_ago(9);
            s.cart_abandoned(c, cart, skus);
            s.order_of(c, cart + Duration::hours(2), skus, 0.35);
        },
    },
    Cohort {
        name: "reactive_cart_abandoned",
        level: "reactive",
        count: 4,
        scenario: "one small order 50–100 days ago and a click since; left a cart 5–8 hours ago and has not ordered: abandoned-cart due (4 hours after)",
        build: |s, c, k| {
            let d = r(s, 50..100);
            let at = s.day(c, d);
            s.order_of(c, at, &[("MUG-CER-350", 2)], 0.35);
            let d = r(s, 5..30);
            s.click(c, d);
            let skus: &[(&str, u32)] = [
                &[("TEAPOT-CI-08", 1), ("TEA-GLASS-6", 1)][..],
                &[("GRIND-HAND", 1), ("PRESS-FR-1L", 1)][..],
                &[("SAFFRON-4G6", 2)][..],
                &[("KETTLE-GOOSE", 1), ("MUG-CER-SET4", 1)][..],
            ][k % 4];
            let h = r(s, 5..8);
            let at = s.hours_ago(h);
            s.cart_abandoned(c, at, skus);
        },
    },
    Cohort {
        name: "reactive_grinder_or_samovar",
        level: "reactive",
        count: 4,
        scenario: "order 9 days ago with a coffee grinder or a samovar, replied since: the Persian ones (2nd, 4th) get care-guide; the English ones nothing (its where is Persian-only); satisfaction-survey not yet due (10 days)",
        build: |s, c, k| {
            // The alternation of add_customer makes the 2nd and 4th Persian.
            assert_eq!(
                s.customers[c].locale,
                ["en", "fa"][k % 2],
                "{}",
                s.customers[c].id
            );
            // The second one's margin is in the medium tier (target proactive), the others low.
            let (skus, ratio): (&[(&str, u32)], f64) = [
                (&[("GRIND-BURR", 1), ("TEA-LAH-250", 1)][..], 0.30),
                (&[("SAMOVAR-3L", 1), ("TEA-GLASS-6", 1)][..], 0.40),
                (&[("SAMOVAR-3L", 1)][..], 0.30),
                (&[("GRIND-HAND", 1), ("SAFFRON-4G6", 1)][..], 0.30),
            ][k % 4];
            let at = s.day(c, 9);
            s.order_of(c, at, skus, ratio);
            let d = r(s, 2..6);
            s.reply(c, d);
        },
    },
    Cohort {
        name: "reactive_survey_unanswered",
        level: "reactive",
        count: 3,
        scenario: "order 17 days ago (medium margin: target above reactive), replied since: satisfaction-survey due; in the replay it is sent on 2026-11-19 and survey-reminder is due at the anchor",
        build: |s, c, _| {
            let at = s.day(c, 17);
            s.order_of(
                c,
                at,
                &[("TEAPOT-CI-08", 1), ("KETTLE-GOOSE", 1), ("SAFFRON-18G", 1)],
                0.35,
            );
            s.reply(c, 14);
        },
    },
    Cohort {
        name: "accountable_level_drop",
        level: "accountable",
        count: 3,
        scenario: "3 orders in 365 days and a survey, last click 93 days ago: accountable now, proactive until the click passed 90 days (about 2026-11-22); win-back due in the replay, which records the drop",
        build: |s, c, _| {
            for (d, sku) in [
                (60, "TEAPOT-CI-08"),
                (150, "KETTLE-GOOSE"),
                (260, "MUG-CER-SET4"),
            ] {
                let at = s.day(c, d);
                s.order_of(c, at, &[(sku, 1)], 0.40);
            }
            s.survey(c, 200, 8);
            s.click(c, 93);
        },
    },
    Cohort {
        name: "accountable_lapsed_valued",
        level: "accountable",
        count: 3,
        scenario: "3 large orders 130–330 days ago (top margin tier), a survey since, no order for 130+ days: we-miss-you due (lapse + segment valued)",
        build: |s, c, _| {
            let baskets: [&[(&str, u32)]; 3] = [
                &[("GRIND-BURR", 1), ("KETTLE-GOOSE", 1)],
                &[("SAFFRON-18G", 1), ("TEAPOT-CI-08", 1)],
                &[("SAMOVAR-3L", 1), ("TEA-GLASS-6", 1)],
            ];
            let days = [r(s, 280..330), r(s, 200..250), r(s, 130..170)];
            for (d, skus) in days.into_iter().zip(baskets) {
                let at = s.day(c, d);
                s.order_of(c, at, skus, 0.40);
            }
            s.survey(c, days[2] - 5, 9);
        },
    },
];
