//! Typed import records and the field-by-field parsing that produces them. The same
//! parsing serves CSV (every value a string), JSONL and the HTTP API (typed JSON values),
//! so a bad row reads the same everywhere: `field: problem`.

use crate::domain::{
    Currency, CustomerId, CustomerRecord, EmailAddress, EventKind, EventRecord, Level, Locale,
    Money, OrderRecord, Timezone,
};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

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

/// A row as read: field name → value (strings from CSV, typed values from JSON).
pub struct Row<'a> {
    fields: &'a Map<String, Value>,
}

impl<'a> Row<'a> {
    pub fn new(fields: &'a Map<String, Value>) -> Self {
        Row { fields }
    }

    /// A present, non-empty value (an empty CSV cell counts as absent).
    fn get(&self, field: &str) -> Option<&'a Value> {
        match self.fields.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(v) => Some(v),
        }
    }

    fn required(&self, field: &str) -> Result<&'a Value, FieldError> {
        self.get(field).ok_or_else(|| err(field, "is required"))
    }

    fn text(&self, field: &str) -> Result<Option<String>, FieldError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(err(field, format!("expected text, got {}", kind_of(other)))),
        }
    }

    fn required_text(&self, field: &str) -> Result<String, FieldError> {
        self.required(field)?;
        Ok(self.text(field)?.unwrap_or_default())
    }

    fn number(&self, field: &str) -> Result<Option<f64>, FieldError> {
        let v = match self.get(field) {
            None => return Ok(None),
            Some(Value::Number(n)) => n
                .as_f64()
                .ok_or_else(|| err(field, "number out of range"))?,
            Some(Value::String(s)) => {
                Money::parse_amount(s).map_err(|e| err(field, e.to_string()))?
            }
            Some(other) => {
                return Err(err(
                    field,
                    format!("expected a number, got {}", kind_of(other)),
                ));
            }
        };
        Money::check_amount(v)
            .map(Some)
            .map_err(|e| err(field, e.to_string()))
    }

    fn boolean(&self, field: &str) -> Result<Option<bool>, FieldError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(Some(true)),
                "false" | "0" | "no" => Ok(Some(false)),
                _ => Err(err(field, format!("`{s}` is not true or false"))),
            },
            Some(other) => Err(err(
                field,
                format!("expected true or false, got {}", kind_of(other)),
            )),
        }
    }

    fn timestamp(&self, field: &str) -> Result<Option<DateTime<Utc>>, FieldError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => DateTime::parse_from_rfc3339(s.trim())
                .map(|t| Some(t.with_timezone(&Utc)))
                .map_err(|_| {
                    err(
                        field,
                        format!("`{s}` is not an RFC 3339 timestamp like 2026-11-25T14:30:00Z"),
                    )
                }),
            Some(other) => Err(err(
                field,
                format!("expected an RFC 3339 timestamp, got {}", kind_of(other)),
            )),
        }
    }

    /// A JSON value of the given shape, given as JSON (JSONL/API) or as JSON text (CSV).
    fn json(&self, field: &str) -> Result<Option<Value>, FieldError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => serde_json::from_str(s)
                .map(Some)
                .map_err(|e| err(field, format!("invalid JSON: {e}"))),
            Some(v) => Ok(Some(v.clone())),
        }
    }

    fn object(&self, field: &str) -> Result<Map<String, Value>, FieldError> {
        match self.json(field)? {
            None => Ok(Map::new()),
            Some(Value::Object(m)) => Ok(m),
            Some(other) => Err(err(
                field,
                format!("expected a JSON object, got {}", kind_of(&other)),
            )),
        }
    }

    fn reject_unknown(&self, known: &[&str], p: &mut Problems) {
        for k in self.fields.keys().filter(|k| !known.contains(&k.as_str())) {
            p.0.push(err(
                k,
                format!("unknown field (expected {})", known.join(", ")),
            ));
        }
    }

    /// A timestamp no later than `latest` (now plus `input.max_future`).
    fn past_timestamp(
        &self,
        field: &str,
        latest: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, FieldError> {
        match self.timestamp(field)? {
            Some(t) if t > latest => Err(err(
                field,
                format!(
                    "{} is in the future (later than {}; see input.max_future)",
                    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    latest.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            )),
            t => Ok(t),
        }
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

pub const CUSTOMER_FIELDS: &[&str] = &[
    "id",
    "email",
    "name",
    "locale",
    "timezone",
    "subscribed",
    "created_at",
    "attributes",
];
pub const ORDER_FIELDS: &[&str] = &[
    "id",
    "customer_id",
    "occurred_at",
    "amount",
    "currency",
    "margin",
    "items",
];
pub const EVENT_FIELDS: &[&str] = &["id", "customer_id", "kind", "occurred_at", "data"];

fn parsed<T, E: std::fmt::Display>(field: &str, r: Result<T, E>) -> Result<T, FieldError> {
    r.map_err(|e| err(field, e.to_string()))
}

impl CustomerRecord {
    pub fn parse(row: &Row, d: &RecordDefaults) -> Result<Self, RowErrors> {
        let mut p = Problems::default();
        row.reject_unknown(CUSTOMER_FIELDS, &mut p);
        let id = p.take(
            row.required_text("id")
                .and_then(|s| parsed("id", CustomerId::parse(&s))),
        );
        let email = p.take(
            row.required_text("email")
                .and_then(|s| parsed("email", EmailAddress::parse(&s))),
        );
        let name = p.take(row.text("name").and_then(|n| {
            let name: String = n
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_control())
                .collect();
            let chars = name.chars().count();
            if chars > d.input.max_name_chars {
                Err(too_long("name", chars, d.input.max_name_chars))
            } else {
                Ok(name)
            }
        }));
        let locale = p.take(row.text("locale").and_then(|l| match l {
            None => Ok(d.locale.clone()),
            Some(s) => {
                let l = parsed("locale", Locale::parse(&s))?;
                if d.input.accepts_locale(&l) {
                    Ok(l)
                } else {
                    Err(err(
                        "locale",
                        format!(
                            "`{s}` is not a configured locale (expected one of {}; add it to input.locales with its templates)",
                            d.input.locale_list()
                        ),
                    ))
                }
            }
        }));
        let timezone = p.take(row.text("timezone").and_then(|t| match t {
            Some(s) => parsed("timezone", Timezone::parse(&s)),
            None => Ok(d.timezone),
        }));
        let attributes = p.take(row.object("attributes").and_then(|a| {
            check_json_size(
                "attributes",
                &Value::Object(a.clone()),
                d.input.max_attributes_bytes,
            )?;
            Ok(a)
        }));
        let target_override = attributes.as_ref().and_then(|a| {
            p.take(match a.get("target_level") {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => {
                    parsed("attributes.target_level", s.parse::<Level>()).map(Some)
                }
                Some(_) => Err(err("attributes.target_level", "expected a level name")),
            })
        });
        let subscribed = p.take(row.boolean("subscribed"));
        let created_at = p.take(row.past_timestamp("created_at", d.latest()));
        let record = (|| {
            Some(CustomerRecord {
                id: id?,
                email: email?,
                name: name?,
                locale: locale?,
                timezone: timezone?,
                subscribed: subscribed?.unwrap_or(true),
                created_at: created_at?.unwrap_or(d.now),
                attributes: attributes?,
                target_override: target_override?,
            })
        })();
        p.finish(record)
    }
}

impl OrderRecord {
    pub fn parse(row: &Row, d: &RecordDefaults) -> Result<Self, RowErrors> {
        let mut p = Problems::default();
        row.reject_unknown(ORDER_FIELDS, &mut p);
        let id = p.take(row.required_text("id").and_then(|id| {
            if id.chars().any(char::is_control) || id.len() > 200 {
                Err(err(
                    "id",
                    "must be at most 200 characters without control characters",
                ))
            } else {
                Ok(id)
            }
        }));
        let customer_id = p.take(
            row.required_text("customer_id")
                .and_then(|s| parsed("customer_id", CustomerId::parse(&s))),
        );
        let occurred_at = p.take(
            row.required("occurred_at")
                .and_then(|_| row.past_timestamp("occurred_at", d.latest())),
        );
        let amount = p.take(
            row.required("amount")
                .and_then(|_| non_negative("amount", row.number("amount")?)),
        );
        let currency = p.take(
            row.required_text("currency")
                .and_then(|s| parsed("currency", Currency::parse(&s))),
        );
        let margin = p.take(non_negative("margin", row.number("margin").unwrap_or(None)));
        p.note(row.number("margin").map(drop));
        let items = p.take(row.json("items").and_then(|i| {
            let items = i.unwrap_or_else(|| Value::Array(vec![]));
            check_json_size("items", &items, d.input.max_items_bytes)?;
            check_items(&items)?;
            Ok(items)
        }));
        // Stored in the base currency: the strategy ranks customers by it.
        let margin = match (amount.flatten(), currency, margin) {
            (Some(amount), Some(currency), Some(margin)) => p.take(
                d.to_base(margin.unwrap_or(amount * d.margin_ratio), currency)
                    .map_err(|e| err("currency", e)),
            ),
            _ => None,
        };
        let record = (|| {
            Some(OrderRecord {
                id: id?,
                customer_id: customer_id?,
                occurred_at: occurred_at?.unwrap_or(d.now),
                amount: amount??,
                currency: currency?,
                margin: margin?,
                items: items?,
            })
        })();
        p.finish(record)
    }
}

impl OrderRecord {
    /// The order's lines as (sku, name), one per distinct sku.
    pub fn lines(&self) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = Vec::new();
        for item in self.items.as_array().into_iter().flatten() {
            if let (Some(sku), Some(name)) = (
                item.get("sku").and_then(Value::as_str),
                item.get("name").and_then(Value::as_str),
            ) && !out.iter().any(|(s, _)| *s == sku)
            {
                out.push((sku, name));
            }
        }
        out
    }
}

/// `items` is a JSON array of `{sku, name, qty, price}`; templates rely on that shape.
fn check_items(items: &Value) -> Result<(), FieldError> {
    let Value::Array(list) = items else {
        return Err(err(
            "items",
            format!("expected a JSON array, got {}", kind_of(items)),
        ));
    };
    for (i, item) in list.iter().enumerate() {
        let Value::Object(o) = item else {
            return Err(err("items", format!("item {i} is not an object")));
        };
        for key in ["sku", "name"] {
            if !matches!(o.get(key), Some(Value::String(s)) if !s.is_empty()) {
                return Err(err("items", format!("item {i} has no `{key}` text")));
            }
        }
        for key in ["qty", "price"] {
            if !matches!(o.get(key), Some(Value::Number(_)) | None) {
                return Err(err("items", format!("item {i}: `{key}` must be a number")));
            }
        }
    }
    Ok(())
}

impl EventRecord {
    pub fn parse(row: &Row, d: &RecordDefaults) -> Result<Self, RowErrors> {
        let mut p = Problems::default();
        row.reject_unknown(EVENT_FIELDS, &mut p);
        let id = p.take(row.text("id").and_then(|id| match id {
            Some(id) if id.chars().any(char::is_control) || id.len() > 200 => Err(err(
                "id",
                "must be at most 200 characters without control characters",
            )),
            id => Ok(id),
        }));
        let customer_id = p.take(
            row.required_text("customer_id")
                .and_then(|s| parsed("customer_id", CustomerId::parse(&s))),
        );
        let kind = p.take(
            row.required_text("kind")
                .and_then(|s| parsed("kind", EventKind::parse(&s))),
        );
        let occurred_at = p.take(
            row.required("occurred_at")
                .and_then(|_| row.past_timestamp("occurred_at", d.latest())),
        );
        let data = p.take(row.object("data").and_then(|data| {
            check_json_size("data", &Value::Object(data.clone()), d.input.max_data_bytes)?;
            Ok(data)
        }));
        if let (Some(kind), Some(data)) = (&kind, &data) {
            p.note(check_event_data(kind, data));
        }
        let record = (|| {
            Some(EventRecord {
                id: id?,
                customer_id: customer_id?,
                kind: kind?,
                occurred_at: occurred_at?.unwrap_or(d.now),
                data: data?,
                machine: false,
                delivery_id: None,
            })
        })();
        p.finish(record)
    }
}

fn check_event_data(kind: &EventKind, data: &Map<String, Value>) -> Result<(), FieldError> {
    match kind {
        EventKind::SurveyResponse => match data.get("score").and_then(Value::as_i64) {
            Some(0..=10) => Ok(()),
            _ => Err(err(
                "data.score",
                "a survey_response needs a score from 0 to 10",
            )),
        },
        EventKind::Bounce => match data.get("type") {
            None => Ok(()),
            Some(Value::String(t)) if t == "hard" || t == "soft" => Ok(()),
            Some(_) => Err(err("data.type", "a bounce type is `hard` or `soft`")),
        },
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defaults() -> RecordDefaults {
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

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn event(kind: EventKind, machine: bool) -> EventRecord {
        EventRecord {
            id: None,
            customer_id: CustomerId::parse("c1").unwrap(),
            kind,
            occurred_at: "2026-11-20T10:00:00Z".parse().unwrap(),
            data: Map::new(),
            machine,
            delivery_id: None,
        }
    }

    #[test]
    fn only_evidence_and_suppressions_move_the_assessment() {
        assert!(!event(EventKind::EmailOpen, false).moves_assessment());
        assert!(!event(EventKind::Delivered, false).moves_assessment());
        assert!(event(EventKind::EmailClick, false).moves_assessment());
        assert!(
            !event(EventKind::EmailClick, true).moves_assessment(),
            "a scanner's click is no evidence"
        );
        assert!(event(EventKind::SurveyResponse, false).moves_assessment());
        assert!(event(EventKind::Unsubscribe, false).moves_assessment());
        assert!(event(EventKind::SpamComplaint, true).moves_assessment());
    }

    #[test]
    fn csv_strings_and_json_values_parse_alike() {
        let csv = obj(
            json!({"id":"o1","customer_id":"c1","occurred_at":"2026-11-20T10:00:00Z","amount":"100","currency":"eur","items":"[{\"sku\":\"A\",\"name\":\"Mug\",\"qty\":1,\"price\":100}]"}),
        );
        let jsn = obj(
            json!({"id":"o1","customer_id":"c1","occurred_at":"2026-11-20T10:00:00Z","amount":100,"currency":"EUR","items":[{"sku":"A","name":"Mug","qty":1,"price":100}]}),
        );
        let a = OrderRecord::parse(&Row::new(&csv), &defaults()).unwrap();
        let b = OrderRecord::parse(&Row::new(&jsn), &defaults()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.margin, 30.0, "default margin = amount × ratio");
    }

    #[test]
    fn margins_are_stored_in_the_base_currency_and_unknown_currencies_are_bad_rows() {
        let usd = obj(
            json!({"id":"o1","customer_id":"c1","occurred_at":"2026-11-20T10:00:00Z","amount":100,"currency":"USD","margin":10}),
        );
        let o = OrderRecord::parse(&Row::new(&usd), &defaults()).unwrap();
        assert_eq!((o.amount, o.margin), (100.0, 9.0));
        let irr = obj(
            json!({"id":"o1","customer_id":"c1","occurred_at":"2026-11-20T10:00:00Z","amount":100,"currency":"IRR"}),
        );
        let e = OrderRecord::parse(&Row::new(&irr), &defaults()).unwrap_err();
        assert_eq!(e.0[0].field, "currency");
        assert!(e.0[0].problem.contains("[strategy.currency_rates]"), "{e}");
    }

    #[test]
    fn bad_fields_are_named() {
        let cases = [
            (json!({"id":"c1","email":"nope"}), "email"),
            (
                json!({"id":"c1","email":"a@b.co","created_at":"yesterday"}),
                "created_at",
            ),
            (
                json!({"id":"c1","email":"a@b.co","attributes":"{broken"}),
                "attributes",
            ),
            (
                json!({"id":"c1","email":"a@b.co","timezone":"Mars/Base"}),
                "timezone",
            ),
            (
                json!({"id":"c1","email":"a@b.co","subscribed":"maybe"}),
                "subscribed",
            ),
            (json!({"id":"c1","email":"a@b.co","colour":"red"}), "colour"),
            (json!({"email":"a@b.co"}), "id"),
        ];
        for (row, field) in cases {
            let e = CustomerRecord::parse(&Row::new(&obj(row.clone())), &defaults()).unwrap_err();
            assert_eq!(e.0[0].field, field, "{row}: {e}");
        }
    }

    #[test]
    fn survey_answers_need_a_score_in_range() {
        let row = obj(
            json!({"customer_id":"c1","kind":"survey_response","occurred_at":"2026-11-20T10:00:00Z","data":{"score":11}}),
        );
        assert_eq!(
            EventRecord::parse(&Row::new(&row), &defaults())
                .unwrap_err()
                .0[0]
                .field,
            "data.score"
        );
    }

    #[test]
    fn events_without_id_share_a_dedupe_key_when_identical() {
        let row = obj(
            json!({"customer_id":"c1","kind":"email_click","occurred_at":"2026-11-20T10:00:00Z","data":{"b":1,"a":2}}),
        );
        let a = EventRecord::parse(&Row::new(&row), &defaults()).unwrap();
        let b = EventRecord::parse(&Row::new(&row), &defaults()).unwrap();
        assert_eq!(a.dedupe_key(), b.dedupe_key());
        let mut c = a.clone();
        c.occurred_at += chrono::TimeDelta::seconds(1);
        assert_ne!(a.dedupe_key(), c.dedupe_key());
    }

    #[test]
    fn target_level_attribute_becomes_an_override() {
        let row =
            obj(json!({"id":"c1","email":"a@b.co","attributes":{"target_level":"partnership"}}));
        let c = CustomerRecord::parse(&Row::new(&row), &defaults()).unwrap();
        assert_eq!(c.target_override, Some(Level::Partnership));
    }

    fn fields_of(e: RowErrors) -> Vec<String> {
        e.0.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn every_problem_of_a_row_is_reported_not_only_the_first() {
        let row = obj(
            json!({"id":"c1","email":"nope","timezone":"Mars/Base","subscribed":"maybe","colour":"red"}),
        );
        let e = CustomerRecord::parse(&Row::new(&row), &defaults()).unwrap_err();
        assert_eq!(
            fields_of(e),
            vec!["colour", "email", "timezone", "subscribed"]
        );
    }

    #[test]
    fn negative_amounts_and_margins_are_refused_with_how_to_record_a_refund() {
        let row = obj(
            json!({"id":"o1","customer_id":"c1","occurred_at":"2026-11-20T10:00:00Z","amount":-1e15,"currency":"EUR","margin":-3}),
        );
        let e = OrderRecord::parse(&Row::new(&row), &defaults()).unwrap_err();
        assert!(e.to_string().contains("custom:refund"), "{e}");
        assert_eq!(fields_of(e), vec!["amount", "margin"]);
    }

    #[test]
    fn times_beyond_the_configured_future_skew_are_refused() {
        // defaults(): now = 2026-11-25T12:00:00Z, input.max_future = 1 h.
        for (at, ok) in [
            ("2026-11-25T12:59:00Z", true),
            ("2026-11-25T13:01:00Z", false),
            ("9999-12-31T00:00:00Z", false),
        ] {
            let row = obj(json!({"customer_id":"c1","kind":"email_click","occurred_at": at}));
            let r = EventRecord::parse(&Row::new(&row), &defaults());
            assert_eq!(r.is_ok(), ok, "{at}: {r:?}");
            let row = obj(
                json!({"id":"o1","customer_id":"c1","occurred_at": at,"amount":1,"currency":"EUR"}),
            );
            assert_eq!(
                OrderRecord::parse(&Row::new(&row), &defaults()).is_ok(),
                ok,
                "{at}"
            );
        }
        let mut lenient = defaults();
        lenient.input.max_future = crate::config::Duration::from_days(365 * 10);
        let row = obj(
            json!({"customer_id":"c1","kind":"email_click","occurred_at":"2030-01-01T00:00:00Z"}),
        );
        assert!(EventRecord::parse(&Row::new(&row), &lenient).is_ok());
    }

    #[test]
    fn an_unknown_locale_is_refused_with_the_configured_ones_listed() {
        let row = obj(json!({"id":"c1","email":"a@b.co","locale":"xx"}));
        let e = CustomerRecord::parse(&Row::new(&row), &defaults()).unwrap_err();
        assert_eq!(e.0[0].field, "locale");
        assert!(e.0[0].problem.contains("en, fa"), "{e}");
        let row = obj(json!({"id":"c1","email":"a@b.co","locale":"en-GB"}));
        assert!(CustomerRecord::parse(&Row::new(&row), &defaults()).is_ok());
    }

    #[test]
    fn oversized_fields_are_refused_with_their_size_and_the_limit() {
        let row = obj(json!({"id":"c1","email":"a@b.co","name": "x".repeat(201)}));
        let e = CustomerRecord::parse(&Row::new(&row), &defaults()).unwrap_err();
        assert_eq!(e.to_string(), "name: too long (201 > 200)");
        let big = json!({"blob": "y".repeat(20_000)});
        let row = obj(json!({"id":"c1","email":"a@b.co","attributes": big}));
        let e = CustomerRecord::parse(&Row::new(&row), &defaults()).unwrap_err();
        assert!(
            e.to_string().starts_with("attributes: too long (200"),
            "{e}"
        );
        let row = obj(
            json!({"customer_id":"c1","kind":"reply","occurred_at":"2026-11-20T10:00:00Z","data": big}),
        );
        let e = EventRecord::parse(&Row::new(&row), &defaults()).unwrap_err();
        assert!(e.to_string().starts_with("data: too long ("), "{e}");
    }
}
