//! What the two backends store differently in the same columns — timestamps (integer
//! milliseconds on SQLite, TIMESTAMPTZ on PostgreSQL), ids (text or UUID) — so that a statement that reads the
//! same on both is written once, with `$n` placeholders (sqlx binds `$n` on SQLite as
//! well), and bound through [`Dialect`].
//! The conversions are plain functions chosen at compile time: nothing per row is boxed.

use super::portable::Backend;
use super::time::to_ms;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgQueryResult;
use sqlx::sqlite::SqliteQueryResult;
use sqlx::{Encode, Postgres, Sqlite, Type};

/// How a backend binds the values it stores in its own representation.
pub(crate) trait Dialect: Backend {
    /// A timestamp as the backend's columns hold it.
    type Time: for<'t> Encode<'t, Self> + Type<Self> + Send;
    /// An id (deliveries, notifications): text on SQLite, UUID on PostgreSQL.
    type Id: for<'t> Encode<'t, Self> + Type<Self> + Send;
    /// An HTTP status code or none (INTEGER on SQLite, int4 on PostgreSQL).
    type Status: for<'t> Encode<'t, Self> + Type<Self> + Send;
    /// Text as bound: `&str` on both (named here because a generic function cannot otherwise
    /// tell that `&str` binds on `Self`).
    type Text<'a>: Encode<'a, Self> + Type<Self> + From<&'a str>;
    /// A JSON document: TEXT on SQLite, JSONB on PostgreSQL.
    type Json: for<'t> Encode<'t, Self> + Type<Self> + Send;

    fn time(t: DateTime<Utc>) -> Self::Time;
    fn json(v: &serde_json::Value) -> Self::Json;
    fn id(id: uuid::Uuid) -> Self::Id;
    /// Rows a write changed (sqlx has no trait for it).
    fn rows_affected(done: &Self::QueryResult) -> u64;
    fn status(status: Option<u16>) -> Self::Status;

    fn text(s: &str) -> Self::Text<'_> {
        s.into()
    }
}

impl Dialect for Sqlite {
    type Time = i64;
    type Id = String;
    type Status = Option<i64>;
    type Text<'a> = &'a str;
    type Json = String;

    fn time(t: DateTime<Utc>) -> i64 {
        to_ms(t)
    }

    fn json(v: &serde_json::Value) -> String {
        v.to_string()
    }

    fn id(id: uuid::Uuid) -> String {
        id.to_string()
    }

    fn status(status: Option<u16>) -> Option<i64> {
        status.map(i64::from)
    }

    fn rows_affected(done: &SqliteQueryResult) -> u64 {
        done.rows_affected()
    }
}

impl Dialect for Postgres {
    type Time = DateTime<Utc>;
    type Id = uuid::Uuid;
    type Status = Option<i32>;
    type Text<'a> = &'a str;
    type Json = sqlx::types::Json<serde_json::Value>;

    fn time(t: DateTime<Utc>) -> DateTime<Utc> {
        t
    }

    fn json(v: &serde_json::Value) -> Self::Json {
        sqlx::types::Json(v.clone())
    }

    fn id(id: uuid::Uuid) -> uuid::Uuid {
        id
    }

    fn status(status: Option<u16>) -> Option<i32> {
        status.map(i32::from)
    }

    fn rows_affected(done: &PgQueryResult) -> u64 {
        done.rows_affected()
    }
}
