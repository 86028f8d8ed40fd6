use chrono::{DateTime, Utc};

/// A customer's orders summed up: what the purchase-rhythm model learns from and scores
/// (`predict`).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderHistory {
    pub customer_id: String,
    pub orders: u32,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    /// Sum of the orders' margins, in `currency`.
    pub margin: f64,
    /// The currency of the customer's orders (the smallest code if they used several).
    pub currency: String,
}

/// A customer's orders summed up as the cycle's facts stream sums them (every order, no
/// window; margins in the base currency): what ranking by predicted value scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrderSummary {
    pub orders: u32,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    pub margin: f64,
    /// The smallest currency code of the orders (the spend model's key, as in
    /// [`OrderHistory::currency`]).
    pub currency: super::Currency,
}
