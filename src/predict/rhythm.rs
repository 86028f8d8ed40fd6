//! A customer's purchase rhythm in days, from the shop's fitted models: how often they order,
//! when next, how likely they still are a customer, and their expected margin over a year.

use super::{BgNbd, FitError, GammaGamma, History, Spend};
use crate::domain::{Currency, OrderHistory, OrderSummary};
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

/// The fit learns from at most this many customers (every k-th): the parameters describe the
/// shop, and 200,000 customers pin them as well as millions at a fraction of the time.
pub const FIT_SAMPLE: usize = 200_000;
/// The spend model learns from at most this many repeat buyers per currency: its likelihood
/// has no repeated histories to count once, and 20,000 pin three parameters well (a million
/// took the cycle's fit over two minutes).
const SPEND_SAMPLE: usize = 20_000;
const DAY_MS: f64 = 86_400_000.0;
pub const YEAR_DAYS: f64 = 365.0;

/// The shop's models, fitted on its order histories as of one instant.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Model {
    pub purchases: BgNbd,
    /// Margin per order, one model per currency of the customers' orders; a currency without
    /// repeat buyers to learn from has none. Every stored margin is already converted to the
    /// base currency, so the models differ only in whom they learned from, not in their unit.
    pub spend: BTreeMap<String, GammaGamma>,
}

/// One customer's rhythm, times in days.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Rhythm {
    pub orders: u32,
    /// Expected days between orders while still a customer, as of the last order.
    pub every_days: f64,
    pub last_order_days_ago: f64,
    /// The last order plus `every_days`: stable until the next order.
    pub next_expected_at: DateTime<Utc>,
    /// Negative when the expected date has passed.
    pub next_expected_in_days: f64,
    pub p_alive: f64,
    pub expected_orders_12_months: f64,
    /// Expected margin over the next 12 months (None when the currency of the customer's
    /// orders has no spend model).
    pub predicted_margin_12_months: Option<f64>,
    /// The unit of `predicted_margin_12_months`: `strategy.base_currency`, which every stored
    /// margin is converted to (not the currency the customer paid in).
    pub currency: String,
}

fn days(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    ((to - from).num_milliseconds() as f64 / DAY_MS).max(0.0)
}

/// BG/NBD's view of an order history at `now`, in days.
pub fn history(h: &OrderHistory, now: DateTime<Utc>) -> History {
    bg_history(h.orders, h.first_at, h.last_at, now)
}

fn bg_history(
    orders: u32,
    first_at: DateTime<Utc>,
    last_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> History {
    History {
        x: orders.saturating_sub(1),
        t_x: days(first_at, last_at),
        t: days(first_at, now),
    }
}

fn spend(orders: u32, margin: f64) -> Spend {
    Spend {
        n: orders,
        mean: margin / f64::from(orders.max(1)),
    }
}

/// What a campaign on `predicted_need` reads of a customer: their rhythm from the facts alone
/// (number of orders, first and last order), without their margin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Need {
    pub orders: u32,
    pub every_days: f64,
    pub last_order_at: DateTime<Utc>,
    /// The last order plus `every_days`: stable until the next order (and the next fit).
    pub next_expected_at: DateTime<Utc>,
    pub p_alive: f64,
}

impl Need {
    /// The rhythm of a customer with `orders` orders from `first_at` to `last_at`, at `now`.
    pub fn of(
        model: &BgNbd,
        orders: u32,
        first_at: DateTime<Utc>,
        last_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Need {
        let bg = bg_history(orders, first_at, last_at, now);
        let every_days = model.interval(&bg);
        Need {
            orders,
            every_days,
            last_order_at: last_at,
            next_expected_at: last_at + Duration::milliseconds((every_days * DAY_MS) as i64),
            p_alive: model.p_alive(&bg),
        }
    }

    /// Its words at `now`, as the rhythm line says them.
    pub fn line(&self, now: DateTime<Utc>) -> RhythmLine {
        RhythmLine {
            orders: self.orders,
            every_days: self.every_days.round() as i64,
            last_days_ago: days(self.last_order_at, now).round() as i64,
            next_in_days: ((self.next_expected_at - now).num_milliseconds() as f64 / DAY_MS).round()
                as i64,
            alive_percent: (self.p_alive * 100.0).round() as u32,
        }
    }
}

/// The rhythm line's numbers, rounded as it shows them: "orders about every 34 days (5
/// orders); last 31 days ago; next expected in 3 days; 92 % likely still active".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RhythmLine {
    pub orders: u32,
    pub every_days: i64,
    pub last_days_ago: i64,
    /// Negative when the expected date has passed.
    pub next_in_days: i64,
    pub alive_percent: u32,
}

impl std::fmt::Display for RhythmLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let orders = match self.orders {
            1 => "1 order".to_string(),
            n => format!("{n} orders"),
        };
        let next = match self.next_in_days {
            0 => "next expected today".to_string(),
            n if n > 0 => format!("next expected in {n} day{}", plural(n)),
            n => format!("next was expected {} day{} ago", -n, plural(-n)),
        };
        write!(
            f,
            "orders about every {} days ({orders}); last {} days ago; {next}; {} % likely still active",
            self.every_days, self.last_days_ago, self.alive_percent
        )
    }
}

impl Model {
    pub fn fit(histories: &[OrderHistory], now: DateTime<Utc>) -> Result<Model, FitError> {
        let step = histories.len().div_ceil(FIT_SAMPLE).max(1);
        let sample: Vec<&OrderHistory> = histories.iter().step_by(step).collect();
        let purchases = BgNbd::fit(&sample.iter().map(|h| history(h, now)).collect::<Vec<_>>())?;
        let mut by_currency: BTreeMap<&str, Vec<Spend>> = BTreeMap::new();
        for h in sample.iter().filter(|h| h.orders > 1) {
            by_currency
                .entry(&h.currency)
                .or_default()
                .push(spend(h.orders, h.margin));
        }
        let spend = by_currency
            .into_iter()
            .filter_map(|(c, s)| {
                let step = s.len().div_ceil(SPEND_SAMPLE).max(1);
                let sample: Vec<Spend> = s.into_iter().step_by(step).collect();
                Some((c.to_string(), GammaGamma::fit(&sample).ok()?))
            })
            .collect();
        Ok(Model { purchases, spend })
    }

    /// `h`'s rhythm at `now`; `base` is the currency every stored margin is in (the label of
    /// the predicted margin).
    pub fn rhythm(&self, h: &OrderHistory, now: DateTime<Utc>, base: Currency) -> Rhythm {
        let bg = history(h, now);
        let every_days = self.purchases.interval(&bg);
        let next_expected_at = h.last_at + Duration::milliseconds((every_days * DAY_MS) as i64);
        let expected_orders = self.purchases.expected_purchases(&bg, YEAR_DAYS);
        Rhythm {
            orders: h.orders,
            every_days,
            last_order_days_ago: days(h.last_at, now),
            next_expected_at,
            next_expected_in_days: (next_expected_at - now).num_milliseconds() as f64 / DAY_MS,
            p_alive: self.purchases.p_alive(&bg),
            expected_orders_12_months: expected_orders,
            predicted_margin_12_months: self
                .spend
                .get(&h.currency)
                .map(|g| expected_orders * g.expected_value(&spend(h.orders, h.margin))),
            currency: base.as_str().to_string(),
        }
    }

    /// The margin predicted over the next 12 months of a customer whose orders `s` sums up,
    /// the same number as [`Model::rhythm`]'s `predicted_margin_12_months` (None when their
    /// currency has no spend model): what `strategy.rank_by = "predicted_value"` ranks by.
    pub fn predicted_margin(&self, s: &OrderSummary, now: DateTime<Utc>) -> Option<f64> {
        let g = self.spend.get(s.currency.as_str())?;
        let bg = bg_history(s.orders, s.first_at, s.last_at, now);
        Some(
            self.purchases.expected_purchases(&bg, YEAR_DAYS)
                * g.expected_value(&spend(s.orders, s.margin)),
        )
    }
}

/// The plain sentence `predict` and `explain` show.
pub fn sentence(r: &Rhythm, best_hour: Option<u8>) -> String {
    let mut s = RhythmLine {
        orders: r.orders,
        every_days: r.every_days.round() as i64,
        last_days_ago: r.last_order_days_ago.round() as i64,
        next_in_days: r.next_expected_in_days.round() as i64,
        alive_percent: (r.p_alive * 100.0).round() as u32,
    }
    .to_string();
    if let Some(m) = r.predicted_margin_12_months {
        s.push_str(&format!(
            "; predicted margin over the next 12 months {m:.2} {}",
            r.currency
        ));
    }
    if let Some(h) = best_hour {
        s.push_str(&format!("; best hour {h:02}:00"));
    }
    s
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap() + Duration::days(day)
    }

    fn customer(orders: u32, first: i64, last: i64) -> OrderHistory {
        OrderHistory {
            customer_id: format!("c{orders}-{first}-{last}"),
            orders,
            first_at: at(first),
            last_at: at(last),
            margin: 10.0 * f64::from(orders),
            currency: "EUR".into(),
        }
    }

    #[test]
    fn the_sentence_reads_like_the_issue() {
        let r = Rhythm {
            orders: 5,
            every_days: 34.2,
            last_order_days_ago: 31.0,
            next_expected_at: at(3),
            next_expected_in_days: 3.2,
            p_alive: 0.92,
            expected_orders_12_months: 9.0,
            predicted_margin_12_months: Some(120.0),
            currency: "EUR".into(),
        };
        assert_eq!(
            sentence(&r, Some(19)),
            "orders about every 34 days (5 orders); last 31 days ago; next expected in 3 days; \
             92 % likely still active; predicted margin over the next 12 months 120.00 EUR; best hour 19:00"
        );
    }

    #[test]
    fn the_next_order_date_stays_put_until_the_next_order() {
        let shop: Vec<OrderHistory> = (0..300)
            .map(|i| customer(1 + i % 7, -(i as i64 % 200) - 100, -(i as i64 % 50)))
            .collect();
        let model = Model::fit(&shop, at(0)).unwrap();
        let c = customer(6, -150, -20);
        let eur = Currency::parse("EUR").unwrap();
        let today = model.rhythm(&c, at(0), eur);
        let later = model.rhythm(&c, at(10), eur);
        assert_eq!(today.next_expected_at, later.next_expected_at);
        let need = Need::of(&model.purchases, c.orders, c.first_at, c.last_at, at(0));
        assert_eq!(need.next_expected_at, today.next_expected_at);
        assert_eq!(need.p_alive, today.p_alive);
        assert!(later.p_alive <= today.p_alive);
        assert!(today.predicted_margin_12_months.is_some());
        let summary = OrderSummary {
            orders: c.orders,
            first_at: c.first_at,
            last_at: c.last_at,
            margin: c.margin,
            currency: Currency::parse("EUR").unwrap(),
        };
        assert_eq!(
            model.predicted_margin(&summary, at(0)),
            today.predicted_margin_12_months
        );
    }

    #[test]
    fn the_predicted_margin_is_labelled_with_the_base_currency_not_the_customers() {
        let shop: Vec<OrderHistory> = (0..300)
            .map(|i| OrderHistory {
                currency: "IRR".into(),
                ..customer(1 + i % 7, -(i as i64 % 200) - 100, -(i as i64 % 50))
            })
            .collect();
        let model = Model::fit(&shop, at(0)).unwrap();
        let r = model.rhythm(&shop[5], at(0), Currency::parse("EUR").unwrap());
        assert_eq!(r.currency, "EUR");
        assert!(
            sentence(&r, None).ends_with(" EUR"),
            "{}",
            sentence(&r, None)
        );
    }
}
