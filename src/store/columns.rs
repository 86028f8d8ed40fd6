//! Reading a column the same way on every backend. The backends store some values
//! differently (SQLite: times as integer milliseconds, UUIDs and JSON as text; PostgreSQL:
//! TIMESTAMPTZ, UUID, JSONB); [`Columns`] hides that, so a row is mapped to its struct once
//! (`rows`) for both, and for the SQLite bulk reads (rusqlite) too.

use super::time::from_ms;
use super::{Result, StoreError};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Row;

/// Typed access to a result row's columns by position.
pub(crate) trait Columns {
    fn text(&self, i: usize) -> Result<String>;
    fn opt_text(&self, i: usize) -> Result<Option<String>>;
    fn int(&self, i: usize) -> Result<i64>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>>;
    fn int32(&self, i: usize) -> Result<i32>;
    fn opt_float(&self, i: usize) -> Result<Option<f64>>;
    fn flag(&self, i: usize) -> Result<bool>;
    fn opt_time(&self, i: usize) -> Result<Option<DateTime<Utc>>>;
    fn uuid(&self, i: usize) -> Result<uuid::Uuid>;
    fn opt_json(&self, i: usize) -> Result<Option<Value>>;

    fn float(&self, i: usize) -> Result<f64> {
        self.opt_float(i)?.ok_or_else(|| null(i))
    }
    fn time(&self, i: usize) -> Result<DateTime<Utc>> {
        self.opt_time(i)?.ok_or_else(|| null(i))
    }
    /// A JSON column; a value that does not parse reads as JSON null.
    fn json(&self, i: usize) -> Result<Value> {
        Ok(self.opt_json(i)?.unwrap_or_default())
    }
    /// A count (NULL, as SUM of no rows gives, is 0).
    fn count(&self, i: usize) -> Result<u64> {
        Ok(self.opt_int(i)?.unwrap_or(0).max(0) as u64)
    }
}

fn null(i: usize) -> StoreError {
    StoreError::Invalid(format!("unexpected NULL in result column {i}"))
}

fn bad_uuid(i: usize, e: uuid::Error) -> StoreError {
    StoreError::Invalid(format!("result column {i} is not a UUID: {e}"))
}

/// The accessors whose SQL type is the same on both sqlx backends.
macro_rules! sqlx_columns_common {
    () => {
        fn text(&self, i: usize) -> Result<String> {
            Ok(self.try_get(i)?)
        }
        fn opt_text(&self, i: usize) -> Result<Option<String>> {
            Ok(self.try_get(i)?)
        }
        fn int(&self, i: usize) -> Result<i64> {
            Ok(self.try_get(i)?)
        }
        fn opt_int(&self, i: usize) -> Result<Option<i64>> {
            Ok(self.try_get(i)?)
        }
        fn int32(&self, i: usize) -> Result<i32> {
            Ok(self.try_get(i)?)
        }
        fn opt_float(&self, i: usize) -> Result<Option<f64>> {
            Ok(self.try_get(i)?)
        }
        fn flag(&self, i: usize) -> Result<bool> {
            Ok(self.try_get(i)?)
        }
    };
}

impl Columns for sqlx::sqlite::SqliteRow {
    sqlx_columns_common!();
    fn opt_time(&self, i: usize) -> Result<Option<DateTime<Utc>>> {
        Ok(self.try_get::<Option<i64>, _>(i)?.map(from_ms))
    }
    fn uuid(&self, i: usize) -> Result<uuid::Uuid> {
        self.try_get::<&str, _>(i)?
            .parse()
            .map_err(|e| bad_uuid(i, e))
    }
    fn opt_json(&self, i: usize) -> Result<Option<Value>> {
        Ok(self
            .try_get::<Option<&str>, _>(i)?
            .map(|s| serde_json::from_str(s).unwrap_or_default()))
    }
}

impl Columns for sqlx::postgres::PgRow {
    sqlx_columns_common!();
    fn opt_time(&self, i: usize) -> Result<Option<DateTime<Utc>>> {
        Ok(self.try_get(i)?)
    }
    fn uuid(&self, i: usize) -> Result<uuid::Uuid> {
        Ok(self.try_get(i)?)
    }
    fn opt_json(&self, i: usize) -> Result<Option<Value>> {
        Ok(self.try_get(i)?)
    }
}

/// The SQLite bulk reads (`sqlite::bulk`) step statements with rusqlite.
impl Columns for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> Result<String> {
        Ok(self.get(i)?)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        Ok(self.get(i)?)
    }
    fn int(&self, i: usize) -> Result<i64> {
        Ok(self.get(i)?)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.get(i)?)
    }
    fn int32(&self, i: usize) -> Result<i32> {
        Ok(self.get(i)?)
    }
    fn opt_float(&self, i: usize) -> Result<Option<f64>> {
        Ok(self.get(i)?)
    }
    fn flag(&self, i: usize) -> Result<bool> {
        Ok(self.get(i)?)
    }
    fn opt_time(&self, i: usize) -> Result<Option<DateTime<Utc>>> {
        Ok(self.get::<_, Option<i64>>(i)?.map(from_ms))
    }
    fn uuid(&self, i: usize) -> Result<uuid::Uuid> {
        self.get::<_, String>(i)?
            .parse()
            .map_err(|e| bad_uuid(i, e))
    }
    fn opt_json(&self, i: usize) -> Result<Option<Value>> {
        Ok(self
            .get::<_, Option<String>>(i)?
            .map(|s| serde_json::from_str(&s).unwrap_or_default()))
    }
}
