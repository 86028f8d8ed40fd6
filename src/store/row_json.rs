//! A row of any table as a JSON object, column by column, typed by what the backend says
//! the value is: what the export reads whole tables with (`SELECT *`), so that a column or
//! table added later is exported without anyone remembering to. Times come out as RFC 3339
//! on both backends: SQLite stores them as integer milliseconds in columns named `at`,
//! `…_at`, `…_since` or `…_until` (the schema's convention).

use super::Result;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Map, Value};
use sqlx::{Column, Row, TypeInfo, ValueRef};

pub(crate) trait RowJson {
    fn to_json(&self) -> Result<Map<String, Value>>;
}

fn time(t: DateTime<Utc>) -> Value {
    Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

fn is_time_column(name: &str) -> bool {
    name == "at" || name.ends_with("_at") || name.ends_with("_since") || name.ends_with("_until")
}

/// Text that holds a JSON document (attributes, items, event data, reasons) is exported as
/// that document, not as a string of it.
fn text(s: String) -> Value {
    if s.starts_with('{') || s.starts_with('[') {
        serde_json::from_str(&s).unwrap_or(Value::String(s))
    } else {
        Value::String(s)
    }
}

impl RowJson for sqlx::sqlite::SqliteRow {
    fn to_json(&self) -> Result<Map<String, Value>> {
        let mut out = Map::new();
        for (i, c) in self.columns().iter().enumerate() {
            let raw = self.try_get_raw(i)?;
            let value = if raw.is_null() {
                Value::Null
            } else {
                match raw.type_info().name() {
                    "INTEGER" => {
                        let n: i64 = self.try_get(i)?;
                        match Utc.timestamp_millis_opt(n).single() {
                            Some(t) if is_time_column(c.name()) => time(t),
                            _ => Value::from(n),
                        }
                    }
                    "REAL" => Value::from(self.try_get::<f64, _>(i)?),
                    "BLOB" => Value::String(STANDARD.encode(self.try_get::<Vec<u8>, _>(i)?)),
                    _ => text(self.try_get(i)?),
                }
            };
            out.insert(c.name().to_string(), value);
        }
        Ok(out)
    }
}

impl RowJson for sqlx::postgres::PgRow {
    fn to_json(&self) -> Result<Map<String, Value>> {
        let mut out = Map::new();
        for (i, c) in self.columns().iter().enumerate() {
            let value = if self.try_get_raw(i)?.is_null() {
                Value::Null
            } else {
                match c.type_info().name() {
                    "INT2" => Value::from(self.try_get::<i16, _>(i)?),
                    "INT4" => Value::from(self.try_get::<i32, _>(i)?),
                    "INT8" => Value::from(self.try_get::<i64, _>(i)?),
                    "FLOAT4" => Value::from(self.try_get::<f32, _>(i)?),
                    "FLOAT8" => Value::from(self.try_get::<f64, _>(i)?),
                    "BOOL" => Value::from(self.try_get::<bool, _>(i)?),
                    "TIMESTAMPTZ" => time(self.try_get(i)?),
                    "JSON" | "JSONB" => self.try_get(i)?,
                    "UUID" => Value::String(self.try_get::<uuid::Uuid, _>(i)?.to_string()),
                    "BYTEA" => Value::String(STANDARD.encode(self.try_get::<Vec<u8>, _>(i)?)),
                    "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => text(self.try_get(i)?),
                    // A type this export does not know (INET, NUMERIC, …): said, not dropped.
                    other => Value::String(format!("<{other} value: not exported>")),
                }
            };
            out.insert(c.name().to_string(), value);
        }
        Ok(out)
    }
}
