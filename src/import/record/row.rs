//! A row as read, and typed access to its fields: the same for CSV (every value a string),
//! JSONL and the HTTP API (typed JSON values).

use super::{FieldError, Problems, err, kind_of};
use crate::domain::Money;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// A row as read: field name → value (strings from CSV, typed values from JSON).
pub struct Row<'a> {
    fields: &'a Map<String, Value>,
}

impl<'a> Row<'a> {
    pub fn new(fields: &'a Map<String, Value>) -> Self {
        Row { fields }
    }

    /// A present, non-empty value (an empty CSV cell counts as absent).
    pub(super) fn get(&self, field: &str) -> Option<&'a Value> {
        match self.fields.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(v) => Some(v),
        }
    }

    pub(super) fn required(&self, field: &str) -> Result<&'a Value, FieldError> {
        self.get(field).ok_or_else(|| err(field, "is required"))
    }

    pub(super) fn text(&self, field: &str) -> Result<Option<String>, FieldError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(err(field, format!("expected text, got {}", kind_of(other)))),
        }
    }

    pub(super) fn required_text(&self, field: &str) -> Result<String, FieldError> {
        self.required(field)?;
        Ok(self.text(field)?.unwrap_or_default())
    }

    pub(super) fn number(&self, field: &str) -> Result<Option<f64>, FieldError> {
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

    pub(super) fn boolean(&self, field: &str) -> Result<Option<bool>, FieldError> {
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

    pub(super) fn timestamp(&self, field: &str) -> Result<Option<DateTime<Utc>>, FieldError> {
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
    pub(super) fn json(&self, field: &str) -> Result<Option<Value>, FieldError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => serde_json::from_str(s)
                .map(Some)
                .map_err(|e| err(field, format!("invalid JSON: {e}"))),
            Some(v) => Ok(Some(v.clone())),
        }
    }

    pub(super) fn object(&self, field: &str) -> Result<Map<String, Value>, FieldError> {
        match self.json(field)? {
            None => Ok(Map::new()),
            Some(Value::Object(m)) => Ok(m),
            Some(other) => Err(err(
                field,
                format!("expected a JSON object, got {}", kind_of(&other)),
            )),
        }
    }

    pub(super) fn reject_unknown(&self, known: &[&str], p: &mut Problems) {
        for k in self.fields.keys().filter(|k| !known.contains(&k.as_str())) {
            p.0.push(err(
                k,
                format!("unknown field (expected {})", known.join(", ")),
            ));
        }
    }

    /// A timestamp no later than `latest` (now plus `input.max_future`).
    pub(super) fn past_timestamp(
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
