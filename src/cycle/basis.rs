//! What every decision of one cycle is made with: the configuration, the campaigns, the
//! margin tiers and the instant, and the time windows that follow from them.

use crate::campaigns::{Campaign, Trigger, Unless};
use crate::config::Config;
use crate::levels::MarginTiers;
use crate::store::{FactsWindows, Scope};
use chrono::{DateTime, TimeDelta, Utc};

pub struct Basis<'a> {
    pub cfg: &'a Config,
    pub tiers: &'a MarginTiers,
    pub campaigns: &'a [Campaign],
    /// The instant the cycle decides for.
    pub now: DateTime<Utc>,
    /// Orders before this trigger no campaign: the largest order `max_age` back.
    pub orders_since: DateTime<Utc>,
    /// Complaints before this trigger no campaign: the largest complaint `max_age` back.
    pub complaints_since: DateTime<Utc>,
    /// Custom events before this neither trigger nor cancel any campaign.
    pub custom_since: DateTime<Utc>,
    /// The domain Message-IDs are generated under.
    pub message_domain: String,
    /// The campaigns followed by a follow-up: whoever got one may be due for the follow-up.
    pub followed: Vec<&'a str>,
    /// The shop's purchase-rhythm model, when a campaign is on `predicted_need` or customers
    /// are ranked by predicted value (set by the cycle from `valuation::model`; None
    /// otherwise).
    pub model: Option<crate::predict::Model>,
}

impl<'a> Basis<'a> {
    pub fn new(
        cfg: &'a Config,
        tiers: &'a MarginTiers,
        campaigns: &'a [Campaign],
        now: DateTime<Utc>,
    ) -> Self {
        let (orders_back, complaints_back, custom_back) = lookback(campaigns);
        Basis {
            cfg,
            tiers,
            campaigns,
            now,
            orders_since: now - orders_back,
            complaints_since: now - complaints_back,
            custom_since: now - custom_back,
            message_domain: message_id_domain(cfg),
            followed: crate::planner::follows(campaigns),
            model: None,
        }
    }

    /// The model's purchase rhythm, what `predicted_need` reads.
    pub fn purchases(&self) -> Option<&crate::predict::BgNbd> {
        self.model.as_ref().map(|m| &m.purchases)
    }

    /// The facts query of a cycle over `scope`, bringing what the planner needs with it.
    pub fn facts_windows(&self, scope: &Scope) -> FactsWindows {
        FactsWindows {
            recent_orders_since: Some(self.orders_since),
            recent_complaints_since: Some(self.complaints_since),
            // A full cycle plans for a third of all customers: their deliveries come with
            // the facts in one ordered scan.
            deliveries: matches!(scope, Scope::All),
            ..windows(self.cfg, self.now)
        }
    }
}

/// The windows of the facts query, as absolute instants before `now`.
pub fn windows(cfg: &Config, now: DateTime<Utc>) -> FactsWindows {
    FactsWindows {
        orders_since: now - cfg.levels.proactive_order_window.chrono(),
        margin_since: now - cfg.strategy.margin_window.chrono(),
        referrals_since: now - cfg.levels.partnership_referral_window.chrono(),
        recent_orders_since: None,
        recent_complaints_since: None,
        deliveries: false,
    }
}

/// How far back the planner needs orders, complaints and custom events: the largest
/// `max_age` of the campaigns they trigger (custom events: or cancel, through `unless`).
fn lookback(campaigns: &[Campaign]) -> (TimeDelta, TimeDelta, TimeDelta) {
    let mut orders = TimeDelta::zero();
    let mut complaints = TimeDelta::zero();
    let mut custom = TimeDelta::zero();
    for c in campaigns {
        let max_age = match &c.trigger {
            Trigger::Order(t) => {
                orders = orders.max(t.max_age.chrono());
                t.max_age
            }
            Trigger::Complaint(t) => {
                complaints = complaints.max(t.max_age.chrono());
                t.max_age
            }
            Trigger::Event { timing, .. } => {
                custom = custom.max(timing.max_age.chrono());
                timing.max_age
            }
            Trigger::Signup(t)
            | Trigger::LevelChange { timing: t, .. }
            | Trigger::Sent { timing: t, .. } => t.max_age,
            _ => continue,
        };
        if c.unless
            .iter()
            .any(|u| matches!(u, Unless::Event(k) if k.custom_name().is_some()))
        {
            custom = custom.max(max_age.chrono());
        }
    }
    (orders, complaints, custom)
}

/// The domain Message-IDs are generated under: the sending domain of `mail.from`.
pub fn message_id_domain(cfg: &Config) -> String {
    cfg.mail
        .from
        .rsplit('@')
        .next()
        .map(|d| d.trim_end_matches('>').trim().to_string())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "rapport.invalid".into())
}
