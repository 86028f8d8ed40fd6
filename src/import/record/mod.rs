//! Typed import records and the field-by-field parsing that produces them. The same
//! parsing serves CSV (every value a string), JSONL and the HTTP API (typed JSON values),
//! so a bad row reads the same everywhere: `field: problem`.

mod customer;
mod event;
mod order;
mod row;

pub use customer::CUSTOMER_FIELDS;
pub use event::EVENT_FIELDS;
pub use order::ORDER_FIELDS;
pub use row::Row;

use crate::domain::{Currency, Locale, Timezone};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// Defaults applied to fields a row leaves out.
#[derive(Debug, Clone)]
pub struct RecordDefaults {
    pub locale: Locale,
    pub timezone: Timezone,
    pub margin_ratio: f64,
    pub now: DateTime<Utc>,
    /// Margins are stored in this currency so that customers can be ranked by them.
    pub base_currency: Currency,
    pub rates: std::collections::BTreeMap<String, f64>,
    /// `[input]`: accepted locales, size bounds, how far in the future a time may be.
    pub input: crate::config::InputConfig,
}

impl RecordDefaults {
    pub fn from_config(cfg: &crate::config::Config, now: DateTime<Utc>) -> Self {
        RecordDefaults {
            locale: cfg.defaults.locale.clone(),
            timezone: cfg.defaults.timezone,
            margin_ratio: cfg.strategy.default_margin_ratio,
            now,
            base_currency: cfg.strategy.base_currency,
            rates: cfg.strategy.currency_rates.clone(),
            input: cfg.input.clone(),
        }
    }

    /// The latest time a record may carry: `now` plus `input.max_future`.
    fn latest(&self) -> DateTime<Utc> {
        self.now
            .checked_add_signed(self.input.max_future.chrono())
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// `amount` of `currency` in the base currency.
    fn to_base(&self, amount: f64, currency: Currency) -> Result<f64, String> {
        if currency == self.base_currency {
            return Ok(amount);
        }
        match self.rates.get(currency.as_str()) {
            Some(rate) if rate.is_finite() && *rate > 0.0 => Ok(amount * rate),
            _ => Err(format!(
                "no exchange rate for {currency}: add {currency} = <value of 1 {currency} in {}> under [strategy.currency_rates]",
                self.base_currency
            )),
        }
    }
}

/// One problem with one field of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub problem: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

/// Every problem of one row, in field order: a row is reported whole, not one fix at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowErrors(pub Vec<FieldError>);

impl RowErrors {
    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }
}

impl std::fmt::Display for RowErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RowErrors {}

/// Collects the problems of a row while its fields are parsed.
#[derive(Default)]
struct Problems(Vec<FieldError>);

impl Problems {
    /// The value, or `None` with its problem noted.
    fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }

    fn note(&mut self, r: Result<(), FieldError>) {
        if let Err(e) = r {
            self.0.push(e);
        }
    }

    /// `value` when no problem was noted.
    fn finish<T>(self, value: Option<T>) -> Result<T, RowErrors> {
        match value {
            Some(v) if self.0.is_empty() => Ok(v),
            _ if self.0.is_empty() => Err(RowErrors(vec![err("row", "is not valid")])),
            _ => Err(RowErrors(self.0)),
        }
    }
}

/// `too long (N > M)`, the same wording on import and over the API.
fn too_long(field: &str, n: usize, max: usize) -> FieldError {
    err(field, format!("too long ({n} > {max})"))
}

/// A JSON value's size as stored (bytes of its compact text).
fn check_json_size(field: &str, v: &Value, max: usize) -> Result<(), FieldError> {
    let n = v.to_string().len();
    if n > max {
        Err(too_long(field, n, max))
    } else {
        Ok(())
    }
}

/// Neither negative (a refund is not an order: see README "Import") nor beyond the money
/// range checked by [`Money::check_amount`].
fn non_negative(field: &str, v: Option<f64>) -> Result<Option<f64>, FieldError> {
    match v {
        Some(x) if x < 0.0 => Err(err(
            field,
            format!(
                "{x} is negative: record a refund as an event of kind `custom:refund` with data.order_id and data.amount, not as an order"
            ),
        )),
        other => Ok(other),
    }
}

fn err(field: &str, problem: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_string(),
        problem: problem.into(),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parsed<T, E: std::fmt::Display>(field: &str, r: Result<T, E>) -> Result<T, FieldError> {
    r.map_err(|e| err(field, e.to_string()))
}

#[cfg(test)]
pub(super) mod test_support {
    use super::RecordDefaults;
    use crate::domain::{Currency, Locale, Timezone};
    use serde_json::{Map, Value};

    pub fn defaults() -> RecordDefaults {
        RecordDefaults {
            locale: Locale::parse("en").unwrap(),
            timezone: Timezone::parse("UTC").unwrap(),
            margin_ratio: 0.3,
            now: "2026-11-25T12:00:00Z".parse().unwrap(),
            base_currency: Currency::parse("EUR").unwrap(),
            rates: [("USD".to_string(), 0.9)].into_iter().collect(),
            input: Default::default(),
        }
    }

    pub fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    pub fn fields_of(e: super::RowErrors) -> Vec<String> {
        e.0.into_iter().map(|e| e.field).collect()
    }
}
