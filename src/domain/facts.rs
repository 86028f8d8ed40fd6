use crate::domain::Level;
use chrono::{DateTime, Utc};

/// What the facts query knows about one customer. Only human events count: opens and
/// anything flagged `machine` are left out by the query (mail privacy proxies fire opens
/// without a person behind them), so they can never be evidence.
///
/// Counts and sums are already limited to their windows by the query (see each field);
/// last-seen times are not, and the assessment (`levels::assess`) compares them with `now`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerFacts {
    /// Signed up under double opt-in and not confirmed yet: no marketing email.
    pub consent_pending: bool,
    /// The topics the customer left on the preference page.
    pub left_topics: Vec<super::Topic>,
    /// Orders within `levels.proactive_order_window`.
    pub orders_in_window: u32,
    /// Sum of order margin within `strategy.margin_window`.
    pub margin_in_window: f64,
    pub last_order_at: Option<DateTime<Utc>>,
    pub last_click_at: Option<DateTime<Utc>>,
    pub last_reply_at: Option<DateTime<Utc>>,
    pub last_support_contact_at: Option<DateTime<Utc>>,
    pub last_complaint_at: Option<DateTime<Utc>>,
    pub last_complaint_resolved_at: Option<DateTime<Utc>>,
    pub last_survey_response_at: Option<DateTime<Utc>>,
    /// The first or last acceptance: partnership evidence never expires.
    pub partnership_accepted_at: Option<DateTime<Utc>>,
    /// Referrals within `levels.partnership_referral_window`.
    pub referrals_in_window: u32,
    /// The customer attribute `target_level`, when someone set it (a known key account).
    pub target_override: Option<Level>,
    /// When the customer was created (signed up): the `signup` trigger and conditions.
    pub created_at: Option<DateTime<Utc>>,
    pub first_order_at: Option<DateTime<Utc>>,
    /// Every order the customer ever placed (no window): with the first and last order's
    /// times, the purchase-rhythm model's view of them (`on = "predicted_need"`).
    pub orders: u32,
    /// Sum of the margin of every order (no window, base currency): with `orders`, the first
    /// and last order and `currency`, what the predicted value is scored from.
    pub margin: f64,
    /// The smallest currency code of the customer's orders (None without orders).
    pub currency: Option<super::Currency>,
    /// The margin predicted over the next 12 months: not read from the store but scored by
    /// the cycle with the shop's kept model when `strategy.rank_by = "predicted_value"`
    /// (0 otherwise, and for customers without orders or without a spend model).
    pub predicted_value: f64,
    /// The level before the last change (`customers.previous_level`); None until one.
    pub previous_level: Option<Level>,
    /// When the current level was reached or first assessed (`customers.level_since`).
    pub level_since: Option<DateTime<Utc>>,
    /// The latest custom event (`custom:NAME`), machine-flagged ones too: whether the
    /// planner must look up the customer's recent custom events for an `event` trigger.
    pub last_custom_event_at: Option<DateTime<Utc>>,
}

impl CustomerFacts {
    /// The customer's orders summed up, when they have any.
    pub fn order_summary(&self) -> Option<super::OrderSummary> {
        Some(super::OrderSummary {
            orders: self.orders,
            first_at: self.first_order_at?,
            last_at: self.last_order_at?,
            margin: self.margin,
            currency: self.currency?,
        })
        .filter(|s| s.orders > 0)
    }
}
