use super::wording::{count, money, percent, span, std_span};
use super::{Breadth, CustomerFacts, MarginTiers, Tier};
use crate::config::{Duration, LevelsConfig, RankBy, StrategyConfig};
use crate::domain::Level;
use chrono::{DateTime, TimeDelta, Utc};

/// Where a customer stands and where the strategy wants them, with the reasons a marketer
/// reads in `rapport explain` (empty when built by [`assess_levels`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub current: Level,
    pub target: Level,
    pub reasons: Vec<String>,
}

impl Assessment {
    /// A climb step is worth taking: the strategy wants more than exists today.
    pub fn wants_climb(&self) -> bool {
        self.target > self.current
    }
}

/// Current and target level with their reasons: the rule that decided each and its numbers,
/// e.g. `proactive: 4 orders in 365 d ≥ 3, last click 12 d ago ≤ 90 d`.
pub fn assess(
    facts: &CustomerFacts,
    levels: &LevelsConfig,
    strategy: &StrategyConfig,
    tiers: &MarginTiers,
    now: DateTime<Utc>,
) -> Assessment {
    evaluate(facts, levels, strategy, tiers, now, true)
}

/// The same decision as [`assess`] without building reason strings (`reasons` is an empty,
/// unallocated `Vec`): for the full cycle over a million customers, where only changed
/// customers need their reasons (call [`assess`] for those).
pub fn assess_levels(
    facts: &CustomerFacts,
    levels: &LevelsConfig,
    strategy: &StrategyConfig,
    tiers: &MarginTiers,
    now: DateTime<Utc>,
) -> Assessment {
    evaluate(facts, levels, strategy, tiers, now, false)
}

fn evaluate(
    facts: &CustomerFacts,
    levels: &LevelsConfig,
    strategy: &StrategyConfig,
    tiers: &MarginTiers,
    now: DateTime<Utc>,
    explain: bool,
) -> Assessment {
    let evidence = Evidence {
        facts,
        cfg: levels,
        now,
    };
    let current = evidence.current_level();
    let target = target_level(facts, strategy, tiers);
    let reasons = if explain {
        let mut r = Vec::with_capacity(3);
        r.push(evidence.why(current));
        if let Some(next) = current.next() {
            r.push(evidence.why_not(next));
        }
        r.push(why_target(target, facts, strategy, tiers));
        r
    } else {
        Vec::new()
    };
    Assessment {
        current,
        target,
        reasons,
    }
}

/// The evidence rules of docs/domain.md "Evidence", evaluated at `now`.
struct Evidence<'a> {
    facts: &'a CustomerFacts,
    cfg: &'a LevelsConfig,
    now: DateTime<Utc>,
}

type Seen = (&'static str, TimeDelta);

/// A kind of evidence and where the facts keep its latest time.
type Signal = (&'static str, fn(&CustomerFacts) -> Option<DateTime<Utc>>);

/// What shows a two-way relationship for proactive.
const ENGAGEMENT: &[Signal] = &[
    ("click", |f| f.last_click_at),
    ("reply", |f| f.last_reply_at),
];

/// What shows the customer holds the shop to account.
const ACCOUNTABILITY: &[Signal] = &[
    ("survey answer", |f| f.last_survey_response_at),
    ("complaint resolved", |f| f.last_complaint_resolved_at),
];

/// What shows the customer reacts to the shop at all.
const REACTION: &[Signal] = &[
    ("click", |f| f.last_click_at),
    ("reply", |f| f.last_reply_at),
    ("support contact", |f| f.last_support_contact_at),
    ("complaint", |f| f.last_complaint_at),
];

impl Evidence<'_> {
    /// The highest level whose evidence is present.
    fn current_level(&self) -> Level {
        if self.partnership() {
            Level::Partnership
        } else if self.proactive_orders() && self.engagement().is_some() {
            Level::Proactive
        } else if self.accountable().is_some() {
            Level::Accountable
        } else if self.reactive().is_some() {
            Level::Reactive
        } else {
            Level::Basic
        }
    }

    fn partnership(&self) -> bool {
        self.facts.partnership_accepted_at.is_some()
            || self.facts.referrals_in_window >= self.cfg.partnership_min_referrals
    }

    fn proactive_orders(&self) -> bool {
        self.facts.orders_in_window >= self.cfg.proactive_min_orders
    }

    /// The latest click or reply within the engagement window.
    fn engagement(&self) -> Option<Seen> {
        self.latest_within(ENGAGEMENT, self.cfg.proactive_engagement_window)
    }

    fn accountable(&self) -> Option<Seen> {
        self.latest_within(ACCOUNTABILITY, self.cfg.accountable_window)
    }

    fn reactive(&self) -> Option<Seen> {
        self.latest_within(REACTION, self.cfg.reactive_window)
    }

    /// The most recent of `signals` if it lies within `window` of now. A timestamp slightly in
    /// the future (clock skew between systems) counts as just now.
    fn latest_within(&self, signals: &[Signal], window: Duration) -> Option<Seen> {
        let (what, at) = signals
            .iter()
            .filter_map(|(what, at)| at(self.facts).map(|at| (*what, at)))
            .max_by_key(|(_, at)| *at)?;
        let age = (self.now - at).max(TimeDelta::zero());
        (age <= window.chrono()).then_some((what, age))
    }

    fn why(&self, level: Level) -> String {
        let f = self.facts;
        let c = self.cfg;
        match level {
            Level::Partnership => match f.partnership_accepted_at {
                Some(at) => format!(
                    "partnership: accepted the partnership invitation {} ago",
                    span(self.now - at)
                ),
                None => format!(
                    "partnership: {} referrals in {} ≥ {}",
                    f.referrals_in_window,
                    std_span(c.partnership_referral_window.std()),
                    c.partnership_min_referrals
                ),
            },
            Level::Proactive => {
                let (what, age) = self.engagement().unwrap_or(("click", TimeDelta::zero()));
                format!(
                    "proactive: {} in {} ≥ {}, last {what} {} ago ≤ {}",
                    orders(f.orders_in_window),
                    std_span(c.proactive_order_window.std()),
                    c.proactive_min_orders,
                    span(age),
                    std_span(c.proactive_engagement_window.std()),
                )
            }
            Level::Accountable => {
                let (what, age) = self
                    .accountable()
                    .unwrap_or(("survey answer", TimeDelta::zero()));
                format!(
                    "accountable: {what} {} ago ≤ {}",
                    span(age),
                    std_span(c.accountable_window.std())
                )
            }
            Level::Reactive => {
                let (what, age) = self.reactive().unwrap_or(("click", TimeDelta::zero()));
                format!(
                    "reactive: last {what} {} ago ≤ {}",
                    span(age),
                    std_span(c.reactive_window.std())
                )
            }
            Level::Basic => {
                let bought = match f.last_order_at {
                    Some(at) => format!("last order {} ago", span(self.now - at)),
                    None => "no orders yet".to_string(),
                };
                format!(
                    "basic: {bought}, no click, reply, support contact or complaint in {}",
                    std_span(c.reactive_window.std())
                )
            }
        }
    }

    /// Why the customer is not yet at `level` (the next step up): what the climb needs.
    fn why_not(&self, level: Level) -> String {
        let f = self.facts;
        let c = self.cfg;
        match level {
            Level::Partnership => format!(
                "not partnership: no accepted invitation, {} in {} < {}",
                plural(f.referrals_in_window, "referral"),
                std_span(c.partnership_referral_window.std()),
                c.partnership_min_referrals
            ),
            Level::Proactive if !self.proactive_orders() => format!(
                "not proactive: {} in {} < {}",
                orders(f.orders_in_window),
                std_span(c.proactive_order_window.std()),
                c.proactive_min_orders
            ),
            Level::Proactive => format!(
                "not proactive: {} but no click or reply in {}",
                orders(f.orders_in_window),
                std_span(c.proactive_engagement_window.std())
            ),
            Level::Accountable => format!(
                "not accountable: no survey answer or resolved complaint in {}",
                std_span(c.accountable_window.std())
            ),
            Level::Reactive | Level::Basic => format!(
                "not {level}: no click, reply, support contact or complaint in {}",
                std_span(c.reactive_window.std())
            ),
        }
    }
}

fn target_level(facts: &CustomerFacts, strategy: &StrategyConfig, tiers: &MarginTiers) -> Level {
    if let Some(level) = facts.target_override {
        return level;
    }
    let tier = tiers.tier(ranked_value(facts, strategy));
    Breadth::of(tiers.count(tier), strategy).target(tier, &strategy.matrix)
}

/// What the tiers rank the customer by (`strategy.rank_by`).
fn ranked_value(facts: &CustomerFacts, strategy: &StrategyConfig) -> f64 {
    match strategy.rank_by {
        RankBy::Margin => facts.margin_in_window,
        RankBy::PredictedValue => facts.predicted_value,
    }
}

fn why_target(
    target: Level,
    facts: &CustomerFacts,
    strategy: &StrategyConfig,
    tiers: &MarginTiers,
) -> String {
    if facts.target_override.is_some() {
        return format!("target {target}: set by the customer attribute target_level");
    }
    let tier = tiers.tier(ranked_value(facts, strategy));
    let n = tiers.count(tier);
    let rank = match tier {
        Tier::High => format!("is in the top {}", percent(strategy.high_share)),
        Tier::Medium => format!("is in the next {}", percent(strategy.medium_share)),
        Tier::Low => format!(
            "is below the top {}",
            percent(strategy.high_share + strategy.medium_share)
        ),
    };
    let breadth = Breadth::of(n, strategy);
    match strategy.rank_by {
        RankBy::Margin => format!(
            "target {target}: margin {} in {} {rank} ({tier} tier, {} customers = {breadth})",
            money(facts.margin_in_window),
            std_span(strategy.margin_window.std()),
            count(n),
        ),
        RankBy::PredictedValue => format!(
            "target {target}: predicted margin {} over the next 12 months {rank} ({tier} tier, \
             {} customers = {breadth}; ranked by predicted value, not by margin {} in {})",
            money(facts.predicted_value),
            count(n),
            money(facts.margin_in_window),
            std_span(strategy.margin_window.std()),
        ),
    }
}

fn orders(n: u32) -> String {
    plural(n, "order")
}

fn plural(n: u32, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
