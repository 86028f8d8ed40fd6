//! SQLite keeps timestamps as integer milliseconds (compact, and compared as integers by
//! the facts query); PostgreSQL as TIMESTAMPTZ. These convert at the SQLite edge.

use chrono::{DateTime, TimeZone, Utc};

pub fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

#[allow(dead_code)] // used by the cycle queries that read timestamps back
pub fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}
