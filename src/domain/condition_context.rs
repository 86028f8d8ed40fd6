//! What a campaign's or a segment's `where` expression sees about one customer: a typed,
//! documented view (docs/conditions.md), built by the planner from the facts, the plan context
//! and — for the parts that cost a lookup — [`ConditionExtras`]. `None` is CEL's `null`: a
//! customer who never ordered has no `orders.days_since_last`.

use super::Level;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// One customer as conditions see them. Every field is named in docs/conditions.md; the
/// expression language reads them as `customer.locale`, `orders.count`, …
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConditionContext {
    pub customer: CustomerView,
    pub level: LevelView,
    pub orders: OrdersView,
    pub occurrence: OccurrenceView,
    pub engagement: EngagementView,
    pub survey: SurveyView,
    pub referrals: ReferralsView,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomerView {
    pub id: String,
    /// The full tag (`fa-IR`).
    pub locale: String,
    /// Its language (`fa`): what "Persian customers" means.
    pub language: String,
    pub timezone: String,
    pub created_at: Option<DateTime<Utc>>,
    pub days_since_signup: Option<i64>,
    /// The customer's free attributes as imported (`customer.attributes.source == "friend"`).
    /// Empty unless the expression reads them (they cost a lookup).
    pub attributes: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LevelView {
    pub current: Level,
    pub target: Level,
    /// The level before the last change; `None` until the level has changed once.
    pub previous: Option<Level>,
    /// Whole days since the current level was reached (or first assessed).
    pub days_at_level: Option<i64>,
}

impl Default for LevelView {
    fn default() -> Self {
        LevelView {
            current: Level::Basic,
            target: Level::Basic,
            previous: None,
            days_at_level: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct OrdersView {
    /// Orders within `levels.proactive_order_window`.
    pub count: u32,
    /// Margin within `strategy.margin_window`.
    pub margin: f64,
    pub days_since_first: Option<i64>,
    pub days_since_last: Option<i64>,
}

/// The occurrence the campaign is due for: the order, event, email or date that triggered it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OccurrenceView {
    /// `order`, `complaint`, `event`, `signup`, `level_change`, `lapse`, `sent`, `schedule`,
    /// `eligible` (empty for segments, which have no occurrence).
    pub kind: String,
    /// The occurrence key (`order:o-1`, `event:42`, …).
    pub id: String,
    /// The triggering order's lines (empty for other kinds, or unless read).
    pub items: Vec<OrderItem>,
    /// The triggering custom event's `data` (empty for other kinds).
    pub data: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct OrderItem {
    pub sku: String,
    pub name: String,
    /// `category` of the order line when the shop sends one.
    pub category: Option<String>,
    pub qty: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct EngagementView {
    /// Days since the last human open (machine-flagged opens are not people).
    pub days_since_open: Option<i64>,
    /// Days since the last human click.
    pub days_since_click: Option<i64>,
    /// Emails that reached (or are about to reach) the customer in the last 30 days.
    pub emails_30d: u32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SurveyView {
    /// The last survey answer's score (0–10), when it had one.
    pub last_score: Option<i64>,
    pub days_since_answer: Option<i64>,
    /// `promoter` (9–10), `passive` (7–8) or `detractor` (0–6), from `last_score`.
    pub nps_group: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReferralsView {
    /// Referrals within `levels.partnership_referral_window`.
    pub count: u32,
}

/// The NPS group of a 0–10 score.
pub fn nps_group(score: i64) -> &'static str {
    match score {
        9.. => "promoter",
        7..=8 => "passive",
        _ => "detractor",
    }
}

/// What conditions may need beyond the facts stream, looked up per customer only when a
/// compiled expression reads it and the campaign is otherwise due (see
/// `conditions::Needs`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConditionExtras {
    pub attributes: Map<String, Value>,
    pub last_open_at: Option<DateTime<Utc>>,
    /// The last human survey answer: when, and its integer score if it had one.
    pub last_survey: Option<(DateTime<Utc>, Option<i64>)>,
    /// Order id → its lines, for the customer's recent orders.
    pub order_items: std::collections::HashMap<String, Vec<OrderItem>>,
}
