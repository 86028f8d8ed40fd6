//! The story harness: events relative to `now` → facts → assessment → plan, with assertions.
//!
//! The harness turns events into `CustomerFacts` the way the store's facts query does (human
//! events only, counts and sums within their windows) and passes the orders and complaints
//! younger than the largest `max_age` of any campaign, as the store does.
//!
//! Margin tiers are fixed so that a story's spend decides its target:
//! ≥ 1,000 → high tier of 50 customers (few) → partnership;
//! ≥ 300 → medium tier of 5,000 (medium) → accountable;
//! below → low tier of 500,000 (many) → reactive.

use chrono::{DateTime, TimeDelta, Utc};
use rapport::campaigns::{Campaign, Trigger, load_all};
use rapport::config::{LevelsConfig, PlannerConfig, StrategyConfig};
use rapport::domain::Level::{self, *};
use rapport::levels::{CustomerFacts, MarginTiers, assess};
use rapport::planner::{
    ComplaintRef, Decision, OrderRef, PastDelivery, PlanInput, Suppression, plan,
};
use rapport::predict::BgNbd;
use std::path::Path;
use std::sync::OnceLock;

/// Wednesday 2026-11-25 12:00 UTC.
pub const NOW: &str = "2026-11-25T12:00:00Z";

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("story timestamps are RFC 3339")
        .with_timezone(&Utc)
}

fn days(d: f64) -> TimeDelta {
    TimeDelta::seconds((d * 86_400.0).round() as i64)
}

fn campaigns() -> &'static [Campaign] {
    static CAMPAIGNS: OnceLock<Vec<Campaign>> = OnceLock::new();
    CAMPAIGNS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/campaigns");
        load_all(&dir, &dir.with_file_name("segments"), &|_| true)
            .expect("shipped campaigns load")
            .0
    })
}

/// The shop's purchase rhythm (days) every story plans with: a customer with 5 orders over
/// 150 days, the last 28 days ago, is expected again in about 2 days (see `predicted_need`
/// stories).
pub const SHOP_RHYTHM: BgNbd = BgNbd {
    r: 2.0,
    alpha: 60.0,
    a: 0.5,
    b: 5.0,
};

fn tiers() -> MarginTiers {
    MarginTiers {
        high_cut: 1_000.0,
        medium_cut: 300.0,
        high_count: 50,
        medium_count: 5_000,
        low_count: 500_000,
    }
}

/// Something the customer did, `days` before the story's `now`.
#[derive(Clone)]
pub enum Ev {
    Order {
        id: &'static str,
        days: f64,
        margin: f64,
    },
    Click(f64),
    Reply(f64),
    Support(f64),
    Complaint {
        id: &'static str,
        days: f64,
    },
    Resolved(f64),
    Survey(f64),
    Referral(f64),
    Partnership(f64),
    /// An email open: left out by the facts query, never evidence.
    Open,
}

pub fn order(id: &'static str, days: f64) -> Ev {
    Ev::Order {
        id,
        days,
        margin: 50.0,
    }
}

pub fn order_worth(id: &'static str, days: f64, margin: f64) -> Ev {
    Ev::Order { id, days, margin }
}

pub fn complaint(id: &'static str, days: f64) -> Ev {
    Ev::Complaint { id, days }
}

#[derive(Clone)]
enum Expect {
    Pick {
        campaign: &'static str,
        occurrence: &'static str,
        send_at: Option<&'static str>,
    },
    Nothing,
}

#[derive(Clone)]
pub struct Story {
    now: &'static str,
    timezone: chrono_tz::Tz,
    events: Vec<Ev>,
    /// (campaign, occurrence, days before now it was sent; negative = queued for later,
    /// whether it failed for good)
    sent: Vec<(&'static str, &'static str, f64, bool)>,
    suppressed: Option<Suppression>,
    target_override: Option<Level>,
    /// Topics left on the preference page.
    left_topics: Vec<rapport::domain::Topic>,
    /// Signed up under double opt-in, not confirmed yet.
    awaiting_confirmation: bool,
    levels: (Level, Level),
    expect: Expect,
    /// (campaign, words its not-picked reason must contain)
    because: Vec<(&'static str, &'static str)>,
    /// Words one of the assessment's reasons must contain.
    assessed: Vec<&'static str>,
}

pub fn story() -> Story {
    Story {
        now: NOW,
        timezone: chrono_tz::UTC,
        events: vec![],
        sent: vec![],
        suppressed: None,
        target_override: None,
        left_topics: vec![],
        awaiting_confirmation: false,
        levels: (Basic, Reactive),
        expect: Expect::Nothing,
        because: vec![],
        assessed: vec![],
    }
}

impl Story {
    pub fn at(mut self, now: &'static str) -> Self {
        self.now = now;
        self
    }
    pub fn tz(mut self, tz: chrono_tz::Tz) -> Self {
        self.timezone = tz;
        self
    }
    pub fn events(mut self, events: impl IntoIterator<Item = Ev>) -> Self {
        self.events.extend(events);
        self
    }
    pub fn sent(mut self, campaign: &'static str, occurrence: &'static str, days_ago: f64) -> Self {
        self.sent.push((campaign, occurrence, days_ago, false));
        self
    }
    /// A delivery the outbox marked `failed` (rejected, bounced, retries used up).
    pub fn failed(
        mut self,
        campaign: &'static str,
        occurrence: &'static str,
        days_ago: f64,
    ) -> Self {
        self.sent.push((campaign, occurrence, days_ago, true));
        self
    }
    pub fn suppressed(mut self, s: Suppression) -> Self {
        self.suppressed = Some(s);
        self
    }
    pub fn left(mut self, topic: rapport::domain::Topic) -> Self {
        self.left_topics.push(topic);
        self
    }
    pub fn awaiting_confirmation(mut self) -> Self {
        self.awaiting_confirmation = true;
        self
    }
    pub fn target_level(mut self, level: Level) -> Self {
        self.target_override = Some(level);
        self
    }
    pub fn levels(mut self, current: Level, target: Level) -> Self {
        self.levels = (current, target);
        self
    }
    pub fn picks(mut self, campaign: &'static str, occurrence: &'static str) -> Self {
        self.expect = Expect::Pick {
            campaign,
            occurrence,
            send_at: None,
        };
        self
    }
    pub fn sends_at(mut self, when: &'static str) -> Self {
        if let Expect::Pick { send_at, .. } = &mut self.expect {
            *send_at = Some(when);
        }
        self
    }
    pub fn because(mut self, campaign: &'static str, words: &'static str) -> Self {
        self.because.push((campaign, words));
        self
    }
    pub fn assessed(mut self, words: &'static str) -> Self {
        self.assessed.push(words);
        self
    }

    /// What the store's facts query would aggregate from these events.
    pub fn facts(&self, now: DateTime<Utc>) -> CustomerFacts {
        let levels = LevelsConfig::default();
        let strategy = StrategyConfig::default();
        let when = |d: f64| now - days(d);
        let latest = |slot: &mut Option<DateTime<Utc>>, d: f64| {
            *slot = (*slot).max(Some(when(d)));
        };
        let mut f = CustomerFacts {
            target_override: self.target_override,
            left_topics: self.left_topics.clone(),
            consent_pending: self.awaiting_confirmation,
            ..Default::default()
        };
        for ev in &self.events {
            match *ev {
                Ev::Order {
                    days: d, margin, ..
                } => {
                    if days(d) <= levels.proactive_order_window.chrono() {
                        f.orders_in_window += 1;
                    }
                    if days(d) <= strategy.margin_window.chrono() {
                        f.margin_in_window += margin;
                    }
                    latest(&mut f.last_order_at, d);
                    f.orders += 1;
                    let first = when(d);
                    f.first_order_at = Some(f.first_order_at.map_or(first, |t| t.min(first)));
                }
                Ev::Click(d) => latest(&mut f.last_click_at, d),
                Ev::Reply(d) => latest(&mut f.last_reply_at, d),
                Ev::Support(d) => latest(&mut f.last_support_contact_at, d),
                Ev::Complaint { days: d, .. } => latest(&mut f.last_complaint_at, d),
                Ev::Resolved(d) => latest(&mut f.last_complaint_resolved_at, d),
                Ev::Survey(d) => latest(&mut f.last_survey_response_at, d),
                Ev::Partnership(d) => latest(&mut f.partnership_accepted_at, d),
                Ev::Referral(d) => {
                    if days(d) <= levels.partnership_referral_window.chrono() {
                        f.referrals_in_window += 1;
                    }
                }
                Ev::Open => {}
            }
        }
        f
    }

    pub fn run(&self, name: &str) -> Decision {
        let now = at(self.now);
        let facts = self.facts(now);
        let assessment = assess(
            &facts,
            &LevelsConfig::default(),
            &StrategyConfig::default(),
            &tiers(),
            now,
        );
        let horizon = largest_max_age();
        let orders: Vec<OrderRef> = self
            .events
            .iter()
            .filter_map(|e| match *e {
                Ev::Order { id, days: d, .. } if days(d) <= horizon => Some(OrderRef {
                    id: id.to_string(),
                    occurred_at: now - days(d),
                }),
                _ => None,
            })
            .collect();
        let complaints: Vec<ComplaintRef> = self
            .events
            .iter()
            .filter_map(|e| match *e {
                Ev::Complaint { id, days: d } if days(d) <= horizon => Some(ComplaintRef {
                    event_id: id.to_string(),
                    occurred_at: now - days(d),
                }),
                _ => None,
            })
            .collect();
        let deliveries: Vec<PastDelivery> = self
            .sent
            .iter()
            .map(|(campaign, occurrence, d, failed)| PastDelivery {
                campaign: campaign.to_string(),
                occurrence: occurrence.to_string(),
                at: now - days(*d),
                service: *campaign == "complaint-follow-up",
                failed: *failed,
                sent: !*failed && *d >= 0.0,
            })
            .collect();
        let input = PlanInput {
            customer_id: "story",
            locale: "en",
            facts: &facts,
            assessment: &assessment,
            timezone: self.timezone,
            suppressed: self.suppressed,
            recent_orders: &orders,
            recent_complaints: &complaints,
            deliveries: &deliveries,
            recent_events: &[],
            extras: None,
            purchases: Some(&SHOP_RHYTHM),
        };
        let decision = plan(&input, campaigns(), &PlannerConfig::default(), now);
        let shown = format!("story `{name}`:\n  {assessment:?}\n  {decision:#?}");

        assert_eq!(
            (assessment.current, assessment.target),
            self.levels,
            "current and target level; {shown}"
        );
        for words in &self.assessed {
            assert!(
                assessment.reasons.iter().any(|r| r.contains(words)),
                "assessment reasons should say `{words}`; {shown}"
            );
        }
        match &self.expect {
            Expect::Nothing => assert_eq!(decision.pick, None, "expected no pick; {shown}"),
            Expect::Pick {
                campaign,
                occurrence,
                send_at,
            } => {
                let pick = decision
                    .pick
                    .as_ref()
                    .unwrap_or_else(|| panic!("expected {campaign}; {shown}"));
                assert_eq!(
                    (pick.campaign.as_str(), pick.occurrence.as_str()),
                    (*campaign, *occurrence),
                    "{shown}"
                );
                assert_eq!(pick.send_at, send_at.map_or(now, at), "send_at; {shown}");
            }
        }
        let picked = usize::from(decision.pick.is_some());
        assert_eq!(
            decision.not_picked.len() + picked,
            campaigns().len(),
            "every campaign is accounted for; {shown}"
        );
        for (campaign, words) in &self.because {
            let reason = decision
                .not_picked
                .get(*campaign)
                .map(String::as_str)
                .unwrap_or("(picked)");
            assert!(
                reason.contains(words),
                "{campaign} should be held back because `{words}`, got `{reason}`; {shown}"
            );
        }
        decision
    }
}

fn largest_max_age() -> TimeDelta {
    campaigns()
        .iter()
        .filter_map(|c| match &c.trigger {
            Trigger::Order(t) | Trigger::Complaint(t) => Some(t.max_age.chrono()),
            _ => None,
        })
        .max()
        .unwrap_or_default()
}
