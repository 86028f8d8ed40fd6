//! Customer stories: a few orders and events relative to a fixed `now`, through assessment and
//! planner with the shipped campaigns (`config/campaigns/*.toml`) and default configuration.
//! Each story asserts the current and target level and what the planner picks, with reasons.
//! The harness (`harness.rs`) says how events become facts and which tiers decide targets.

mod harness;

use harness::{Ev, NOW, at, complaint, order, order_worth, story};

/// A proactive regular: five orders worth 300 each, every ~30 days over 150 days, the last
/// `last` days ago; a survey answer and a click.
fn regular(last: f64) -> Vec<Ev> {
    let ids = ["o-1", "o-2", "o-3", "o-4", "o-5"];
    let ages = [150.0, 120.0, 90.0, 60.0, last];
    let orders = ids
        .into_iter()
        .zip(ages)
        .map(|(id, days)| order_worth(id, days, 300.0));
    orders.chain([Ev::Survey(15.0), Ev::Click(10.0)]).collect()
}
use rapport::domain::Level::*;
use rapport::planner::Suppression;

/// One `#[test]` per story, named for the behaviour it shows.
macro_rules! stories {
    ($($name:ident => $story:expr;)+) => {
        $(
            #[test]
            fn $name() {
                $story.run(stringify!($name));
            }
        )+
    };
}

// Saturday 2026-11-28 10:30 UTC: the loyalty slot (Saturdays 10:00 local) is due in UTC.
const SATURDAY: &str = "2026-11-28T10:30:00Z";

stories! {
    // ── Consent (docs/consent.md) ──────────────────────────────────────────────────────────
    a_sign_up_awaiting_confirmation_gets_the_confirmation_and_no_marketing => story()
        .events([order("o-1", 4.0)])
        .awaiting_confirmation()
        .levels(Basic, Reactive)
        .picks("confirm-subscription", "confirmation")
        .because("post-sale-follow-up", "awaiting confirmation: no marketing email before the customer clicks the confirmation link");

    a_customer_who_left_offers_on_saturday_gets_no_loyalty_offer => story()
        .at(SATURDAY)
        .events([order_worth("o-1", 30.0, 1_200.0), Ev::Survey(15.0)])
        .left(rapport::domain::Topic::Offers)
        .levels(Accountable, Partnership)
        .because("loyalty-offer", "the customer left the topic `offers` on the preference page");

    // ── The climb from basic ──────────────────────────────────────────────────────────────
    first_order_four_days_ago_gets_the_post_sale_follow_up => story()
        .events([order("o-1", 4.0)])
        .levels(Basic, Reactive)
        .picks("post-sale-follow-up", "order:o-1")
        .assessed("basic: last order 4 d ago")
        .because("satisfaction-survey", "not for level basic");

    first_order_one_day_ago_is_not_due_yet => story()
        .events([order("o-1", 1.0)])
        .levels(Basic, Reactive)
        .because("post-sale-follow-up", "not due: order o-1 is 1 d old, delay 3 d");

    an_order_four_hundred_days_ago_sends_nothing => story()
        .events([order("o-1", 400.0)])
        .levels(Basic, Reactive)
        .because("post-sale-follow-up", "no order in the last 30 d");

    an_order_past_max_age_is_too_old_for_a_follow_up => story()
        .events([order("o-1", 40.0)])
        .levels(Basic, Reactive)
        .because("post-sale-follow-up", "too old: order o-1 is 40 d old > max_age 30 d");

    a_customer_with_no_orders_is_basic_and_gets_nothing => story()
        .levels(Basic, Reactive)
        .assessed("basic: no orders yet")
        .because("post-sale-follow-up", "no order in the last 30 d")
        .because("partnership-invitation", "not for level basic");

    an_open_alone_is_not_evidence_of_a_relationship => story()
        .events([order("o-1", 5.0), Ev::Open])
        .levels(Basic, Reactive)
        .picks("post-sale-follow-up", "order:o-1");

    the_newest_due_order_wins_when_several_are_due => story()
        .events([order("o-1", 8.0), order("o-2", 5.0), order("o-3", 1.0)])
        .levels(Basic, Reactive)
        .picks("post-sale-follow-up", "order:o-2");

    an_order_older_than_one_already_followed_up_is_covered => story()
        .events([order("o-1", 8.0), order("o-2", 6.0)])
        .sent("post-sale-follow-up", "order:o-2", 3.0)
        .levels(Basic, Reactive)
        .because("post-sale-follow-up", "already sent for order:o-2");

    the_same_order_planned_twice_is_already_sent => story()
        .events([order("o-1", 4.0)])
        .sent("post-sale-follow-up", "order:o-1", 0.0)
        .levels(Basic, Reactive)
        .because("post-sale-follow-up", "already sent for order:o-1");

    a_second_order_waits_for_min_gap_after_the_first_follow_up => story()
        .events([order("o-1", 6.0), order("o-2", 4.0)])
        .sent("post-sale-follow-up", "order:o-1", 2.0)
        .levels(Basic, Reactive)
        .because("post-sale-follow-up", "min_gap: last email 2 d ago < 3 d");

    a_failed_follow_up_does_not_hold_back_the_next_order_for_min_gap => story()
        .events([order("o-1", 6.0), order("o-2", 4.0)])
        .failed("post-sale-follow-up", "order:o-1", 2.0)
        .levels(Basic, Reactive)
        .picks("post-sale-follow-up", "order:o-2");

    a_failed_follow_up_is_not_sent_again_for_the_same_order => story()
        .events([order("o-1", 4.0)])
        .failed("post-sale-follow-up", "order:o-1", 1.0)
        .levels(Basic, Reactive)
        .because("post-sale-follow-up", "already sent for order:o-1");

    an_email_queued_for_later_holds_back_the_next_one => story()
        .events([order("o-1", 6.0), order("o-2", 4.0)])
        .sent("post-sale-follow-up", "order:o-1", -0.5)
        .levels(Basic, Reactive)
        .because("post-sale-follow-up", "min_gap: an email is already queued for 2026-11-26 00:00 UTC");

    a_customer_the_business_keeps_transactional_gets_no_follow_up => story()
        .events([order("o-1", 4.0)])
        .target_level(Basic)
        .levels(Basic, Basic)
        .assessed("target basic: set by the customer attribute target_level")
        .because("post-sale-follow-up", "target reached: basic ≥ target basic");

    // ── Reactive: the survey climb ────────────────────────────────────────────────────────
    a_click_after_the_follow_up_makes_a_reactive_customer_at_a_reactive_target => story()
        .events([order("o-1", 12.0), Ev::Click(8.0)])
        .sent("post-sale-follow-up", "order:o-1", 9.0)
        .levels(Reactive, Reactive)
        .assessed("reactive: last click 8 d ago ≤ 180 d")
        .because("satisfaction-survey", "target reached: reactive ≥ target reactive")
        .because("post-sale-follow-up", "not for level reactive");

    a_click_after_the_follow_up_of_a_valuable_customer_brings_the_survey => story()
        .events([order_worth("o-1", 12.0, 400.0), Ev::Click(8.0)])
        .sent("post-sale-follow-up", "order:o-1", 9.0)
        .levels(Reactive, Accountable)
        .picks("satisfaction-survey", "order:o-1")
        .assessed("target accountable: margin 400.00 in 365 d is in the next 30 % (medium tier, 5,000 customers = medium)");

    a_reply_to_the_follow_up_counts_like_a_click => story()
        .events([order_worth("o-1", 11.0, 400.0), Ev::Reply(7.0)])
        .levels(Reactive, Accountable)
        .picks("satisfaction-survey", "order:o-1");

    a_support_contact_opens_the_two_way_channel => story()
        .events([order_worth("o-1", 5.0, 400.0), Ev::Support(2.0)])
        .levels(Reactive, Accountable)
        .because("satisfaction-survey", "not due: order o-1 is 5 d old, delay 10 d");

    the_survey_cools_down_for_ninety_days => story()
        .events([order_worth("o-1", 40.0, 200.0), order_worth("o-2", 12.0, 200.0), Ev::Click(20.0)])
        .sent("satisfaction-survey", "order:o-1", 30.0)
        .levels(Reactive, Accountable)
        .because("satisfaction-survey", "cooling down until 2027-01-24 12:00 UTC");

    a_failed_survey_does_not_start_its_cool_down => story()
        .events([order_worth("o-1", 40.0, 200.0), order_worth("o-2", 12.0, 200.0), Ev::Click(20.0)])
        .failed("satisfaction-survey", "order:o-1", 30.0)
        .levels(Reactive, Accountable)
        .picks("satisfaction-survey", "order:o-2");

    // ── Accountable ───────────────────────────────────────────────────────────────────────
    a_survey_answer_at_the_target_gets_no_climb => story()
        .events([order_worth("o-1", 30.0, 400.0), Ev::Survey(15.0)])
        .sent("satisfaction-survey", "order:o-1", 20.0)
        .levels(Accountable, Accountable)
        .assessed("accountable: survey answer 15 d ago ≤ 365 d")
        .because("loyalty-offer", "target reached: accountable ≥ target accountable")
        .because("satisfaction-survey", "already sent for order:o-1");

    a_customer_at_target_gets_the_maintenance_survey_not_a_climb => story()
        .events([order_worth("o-1", 200.0, 200.0), order_worth("o-2", 12.0, 200.0), Ev::Survey(100.0)])
        .sent("satisfaction-survey", "order:o-1", 190.0)
        .levels(Accountable, Accountable)
        .picks("satisfaction-survey", "order:o-2")
        .because("loyalty-offer", "target reached");

    a_survey_answer_of_a_big_spender_waits_for_saturdays_loyalty_offer => story()
        .events([order_worth("o-1", 30.0, 1_200.0), Ev::Survey(15.0)])
        .levels(Accountable, Partnership)
        .because("loyalty-offer", "not due: next slot Sat 2026-11-28 10:00 UTC");

    a_survey_answer_of_a_big_spender_gets_the_loyalty_offer_on_saturday => story()
        .at(SATURDAY)
        .events([order_worth("o-1", 30.0, 1_200.0), Ev::Survey(15.0)])
        .levels(Accountable, Partnership)
        .picks("loyalty-offer", "week:2026-W48")
        .assessed("not proactive: 1 order in 365 d < 3");

    // ── Proactive: a reminder before the customer asks (on = "predicted_need") ─────────────
    // Five orders over 150 days, the last 28 days ago: about every 30 days (the harness's
    // shop rhythm), next expected in 2 days, due from 3 days before.
    // The invitation to partnership waits a few days: the reminder's moment passes.
    a_regular_gets_time_to_reorder_three_days_before_their_next_order => story()
        .events(regular(28.0))
        .levels(Proactive, Partnership)
        .picks("time-to-reorder", "predicted_need:2026-10-28T12:00:00Z")
        .because("partnership-invitation", "lower priority than time-to-reorder");

    a_regular_ten_days_early_is_told_when_the_reminder_is_due => story()
        .events(regular(20.0))
        .levels(Proactive, Partnership)
        .picks("partnership-invitation", "eligible:first")
        .because("time-to-reorder", "not due: orders about every 32 days (5 orders); last 20 days ago; next expected in 12 days; 90 % likely still active; due 3 d before, in 9 days");

    a_regular_reminded_in_this_gap_is_not_reminded_again => story()
        .events(regular(28.0))
        .sent("time-to-reorder", "predicted_need:2026-10-28T12:00:00Z", 1.0)
        .levels(Proactive, Partnership)
        .because("time-to-reorder", "already sent for predicted_need:2026-10-28T12:00:00Z");

    a_one_time_buyer_gets_no_reorder_reminder => story()
        .events([order_worth("o-1", 30.0, 1_200.0), Ev::Survey(15.0)])
        .levels(Accountable, Partnership)
        .because("time-to-reorder", "1 order: a purchase rhythm needs at least 2");

    a_lapsed_regular_climbing_is_probably_gone_for_the_reminder => story()
        .events([
            order_worth("o-1", 400.0, 300.0),
            order_worth("o-2", 375.0, 300.0),
            order_worth("o-3", 350.0, 300.0),
            order_worth("o-4", 325.0, 300.0),
            order_worth("o-5", 300.0, 300.0),
            order_worth("o-6", 200.0, 1_200.0),
            Ev::Survey(15.0),
        ])
        .levels(Accountable, Partnership)
        .picks("we-miss-you", "lapse:2026-05-09")
        .because("time-to-reorder", "probably no longer a customer: orders about every");

    the_saturday_loyalty_offer_wins_over_a_reorder_reminder_due_the_same_day => story()
        .at(SATURDAY)
        .events([
            order_worth("o-1", 150.0, 300.0),
            order_worth("o-2", 120.0, 300.0),
            order_worth("o-3", 90.0, 300.0),
            order_worth("o-4", 59.0, 300.0),
            order_worth("o-5", 28.0, 300.0),
            Ev::Survey(15.0),
        ])
        .levels(Accountable, Partnership)
        .picks("loyalty-offer", "week:2026-W48")
        .because("time-to-reorder", "lower priority than loyalty-offer");

    a_resolved_complaint_is_accountable_evidence => story()
        .events([order("o-1", 60.0), Ev::Resolved(10.0)])
        .levels(Accountable, Reactive)
        .because("satisfaction-survey", "no order in the last 45 d");

    the_loyalty_offer_goes_once_a_week => story()
        .at(SATURDAY)
        .events([order_worth("o-1", 30.0, 1_200.0), Ev::Survey(15.0)])
        .sent("loyalty-offer", "week:2026-W48", 0.02)
        .levels(Accountable, Partnership)
        .because("loyalty-offer", "already sent for week:2026-W48");

    the_loyalty_offer_cools_down_for_four_weeks => story()
        .at(SATURDAY)
        .events([order_worth("o-1", 30.0, 1_200.0), Ev::Survey(15.0)])
        .sent("loyalty-offer", "week:2026-W46", 14.0)
        .levels(Accountable, Partnership)
        .because("loyalty-offer", "cooling down until 2026-12-12");

    // ── Proactive ─────────────────────────────────────────────────────────────────────────
    three_orders_and_a_recent_click_is_proactive_with_the_loyalty_offer_as_maintenance => story()
        .at(SATURDAY)
        .events([order("o-1", 200.0), order("o-2", 90.0), order("o-3", 20.0), Ev::Click(12.0)])
        .levels(Proactive, Reactive)
        .picks("loyalty-offer", "week:2026-W48")
        .assessed("proactive: 3 orders in 365 d ≥ 3, last click 12 d ago ≤ 90 d")
        .because("partnership-invitation", "target reached: proactive ≥ target reactive");

    a_proactive_big_spender_is_invited_to_partnership => story()
        .events([order_worth("o-1", 200.0, 500.0), order_worth("o-2", 90.0, 500.0), order_worth("o-3", 60.0, 500.0), Ev::Reply(30.0)])
        .levels(Proactive, Partnership)
        .picks("partnership-invitation", "eligible:first")
        .because("loyalty-offer", "maintenance only at the target: proactive < target partnership");

    the_partnership_invitation_cools_down_for_180_days => story()
        .events([order_worth("o-1", 200.0, 500.0), order_worth("o-2", 90.0, 500.0), order_worth("o-3", 60.0, 500.0), Ev::Reply(30.0)])
        .sent("partnership-invitation", "eligible:first", 100.0)
        .levels(Proactive, Partnership)
        .because("partnership-invitation", "cooling down until 2027-02-13");

    the_partnership_invitation_is_repeated_after_its_cool_down => story()
        .events([order_worth("o-1", 200.0, 500.0), order_worth("o-2", 90.0, 500.0), order_worth("o-3", 60.0, 500.0), Ev::Reply(30.0)])
        .sent("partnership-invitation", "eligible:first", 200.0)
        .levels(Proactive, Partnership)
        .picks("partnership-invitation", "eligible:2026-11-05");

    a_failed_partnership_invitation_is_tried_again_without_waiting_its_cool_down => story()
        .events([order_worth("o-1", 200.0, 500.0), order_worth("o-2", 90.0, 500.0), order_worth("o-3", 60.0, 500.0), Ev::Reply(30.0)])
        .failed("partnership-invitation", "eligible:first", 100.0)
        .levels(Proactive, Partnership)
        .picks("partnership-invitation", "eligible:2026-11-25");

    a_target_level_override_invites_a_small_spender_to_partnership => story()
        .events([order("o-1", 200.0), order("o-2", 90.0), order("o-3", 60.0), Ev::Click(5.0)])
        .target_level(Partnership)
        .levels(Proactive, Partnership)
        .picks("partnership-invitation", "eligible:first");

    three_orders_without_recent_engagement_are_not_proactive => story()
        .events([order("o-1", 200.0), order("o-2", 90.0), order("o-3", 60.0), Ev::Click(120.0)])
        .levels(Reactive, Reactive)
        .assessed("not accountable");

    // ── Partnership ───────────────────────────────────────────────────────────────────────
    a_partnership_acceptance_is_the_top_level_and_needs_no_climb => story()
        .events([order_worth("o-1", 100.0, 1_500.0), Ev::Partnership(20.0)])
        .levels(Partnership, Partnership)
        .assessed("partnership: accepted the partnership invitation 20 d ago")
        .because("partnership-invitation", "not for level partnership")
        .because("loyalty-offer", "not for level partnership");

    two_referrals_make_a_partner => story()
        .events([order("o-1", 100.0), Ev::Referral(50.0), Ev::Referral(10.0)])
        .levels(Partnership, Reactive)
        .assessed("partnership: 2 referrals in 365 d ≥ 2");

    // ── Complaints: service first ─────────────────────────────────────────────────────────
    a_complaint_gets_the_complaint_follow_up_over_everything_and_ignores_min_gap => story()
        .events([order_worth("o-1", 12.0, 400.0), Ev::Click(8.0), complaint("c-1", 0.05)])
        .sent("post-sale-follow-up", "order:o-1", 1.0)
        .levels(Reactive, Accountable)
        .picks("complaint-follow-up", "complaint:c-1")
        .because("satisfaction-survey", "min_gap: last email 1 d ago < 3 d");

    a_complaint_outranks_a_due_marketing_email => story()
        .events([order_worth("o-1", 12.0, 400.0), complaint("c-1", 0.01)])
        .levels(Reactive, Accountable)
        .picks("complaint-follow-up", "complaint:c-1")
        .because("satisfaction-survey", "lower priority than complaint-follow-up");

    a_complaint_older_than_a_week_gets_no_automatic_answer => story()
        .events([complaint("c-1", 10.0)])
        .levels(Reactive, Reactive)
        .because("complaint-follow-up", "too old: complaint c-1 is 10 d old > max_age 7 d");

    an_answered_complaint_is_not_answered_twice => story()
        .events([complaint("c-1", 1.0)])
        .sent("complaint-follow-up", "complaint:c-1", 1.0)
        .levels(Reactive, Reactive)
        .because("complaint-follow-up", "already sent for complaint:c-1");

    // ── Suppression ───────────────────────────────────────────────────────────────────────
    an_unsubscribed_address_gets_nothing => story()
        .events([order("o-1", 4.0)])
        .suppressed(Suppression::Unsubscribed)
        .levels(Basic, Reactive)
        .because("post-sale-follow-up", "unsubscribed");

    a_hard_bounced_address_gets_nothing => story()
        .events([order("o-1", 4.0)])
        .suppressed(Suppression::Bounced)
        .levels(Basic, Reactive)
        .because("post-sale-follow-up", "bounced");

    a_complained_address_gets_not_even_the_complaint_follow_up => story()
        .events([complaint("c-1", 0.1)])
        .suppressed(Suppression::Complained)
        .levels(Reactive, Reactive)
        .because("complaint-follow-up", "complained");

    // ── Time zones ────────────────────────────────────────────────────────────────────────
    quiet_hours_in_tehran_defer_the_send_to_eight_the_next_morning => story()
        .at("2026-11-25T19:00:00Z") // 22:30 in Tehran
        .tz(chrono_tz::Asia::Tehran)
        .events([order("o-1", 4.0)])
        .levels(Basic, Reactive)
        .picks("post-sale-follow-up", "order:o-1")
        .sends_at("2026-11-26T08:00:00+03:30");

    quiet_hours_in_new_york_defer_the_send_to_eight_the_same_morning => story()
        .tz(chrono_tz::America::New_York) // 12:00 UTC = 07:00 EST
        .events([order("o-1", 4.0)])
        .levels(Basic, Reactive)
        .picks("post-sale-follow-up", "order:o-1")
        .sends_at("2026-11-25T08:00:00-05:00");

    the_saturday_slot_in_new_york_moves_with_the_dst_change => story()
        .at("2026-11-07T14:30:00Z") // 09:30 EST; a week earlier 14:30 UTC was 10:30 EDT
        .tz(chrono_tz::America::New_York)
        .events([order("o-1", 200.0), order("o-2", 90.0), order("o-3", 20.0), Ev::Click(12.0)])
        .levels(Proactive, Reactive)
        .because("loyalty-offer", "not due: next slot Sat 2026-11-07 10:00 America/New_York");

    the_saturday_slot_in_new_york_fires_at_ten_local_after_the_dst_change => story()
        .at("2026-11-07T15:00:00Z") // 10:00 EST
        .tz(chrono_tz::America::New_York)
        .events([order("o-1", 200.0), order("o-2", 90.0), order("o-3", 20.0), Ev::Click(12.0)])
        .levels(Proactive, Reactive)
        .picks("loyalty-offer", "week:2026-W45");

    the_saturday_slot_in_berlin_fires_at_ten_local_after_the_dst_change => story()
        .at("2026-10-31T09:00:00Z") // 10:00 CET; clocks went back on 2026-10-25
        .tz(chrono_tz::Europe::Berlin)
        .events([order("o-1", 200.0), order("o-2", 90.0), order("o-3", 20.0), Ev::Click(12.0)])
        .levels(Proactive, Reactive)
        .picks("loyalty-offer", "week:2026-W44");

    the_saturday_slot_stays_due_for_twelve_hours_only => story()
        .at("2026-11-28T22:30:00Z")
        .events([order("o-1", 200.0), order("o-2", 90.0), order("o-3", 20.0), Ev::Click(12.0)])
        .levels(Proactive, Reactive)
        .because("loyalty-offer", "not due: next slot Sat 2026-12-05 10:00 UTC");
}

#[test]
fn planning_the_same_customer_twice_queues_the_order_once() {
    let first = story()
        .events([order("o-1", 4.0)])
        .picks("post-sale-follow-up", "order:o-1");
    let decision = first.run("first cycle");
    let pick = decision.pick.expect("first cycle picks");
    assert_eq!(pick.send_at, at(NOW));
    // The store recorded the delivery; the next cycle an hour later sees it.
    story()
        .at("2026-11-25T13:00:00Z")
        .events([order("o-1", 4.0 + 1.0 / 24.0)])
        .sent("post-sale-follow-up", "order:o-1", 1.0 / 24.0)
        .because("post-sale-follow-up", "already sent for order:o-1")
        .run("second cycle");
}

/// Leaving `offers` stops the loyalty offer (and the other offers: abandoned cart, we miss
/// you, win-back, time to reorder) and changes no other campaign's decision but those that had only lost to
/// it.
#[test]
fn leaving_offers_stops_the_loyalty_offer_and_nothing_else() {
    let base = story()
        .at(SATURDAY)
        .events([order_worth("o-1", 30.0, 1_200.0), Ev::Survey(15.0)])
        .levels(Accountable, Partnership);
    let before = base
        .clone()
        .picks("loyalty-offer", "week:2026-W48")
        .run("before");
    let after = base.left(rapport::domain::Topic::Offers).run("after");
    assert_eq!(after.pick, None);
    let offers = [
        "abandoned-cart",
        "loyalty-offer",
        "we-miss-you",
        "win-back",
        "time-to-reorder",
    ];
    let left = "the customer left the topic `offers` on the preference page";
    for (campaign, why) in &after.not_picked {
        if offers.contains(&campaign.as_str()) {
            assert_eq!(why, left, "{campaign}");
        } else if before.not_picked[campaign] != "lower priority than loyalty-offer" {
            assert_eq!(why, &before.not_picked[campaign], "{campaign}");
        }
    }
    assert_eq!(after.not_picked.len(), before.not_picked.len() + 1);
}
