//! Reading a column the same way on every backend. The backends store some values
//! differently (SQLite: times as integer milliseconds, UUIDs and JSON as text; PostgreSQL:
//! TIMESTAMPTZ, UUID, JSONB); [`Columns`] hides that, so a row is mapped to its struct once
//! (`rows`) for both, and for the SQLite bulk reads (rusqlite) too.
//!
//! A value that does not decode is a [`StoreError::Corrupt`], never a default: the accessors
//! know only the result column's position, and [`located`] names the table, row and column.

use super::{Result, StoreError};
use crate::domain::Level;
use chrono::{DateTime, TimeZone, Utc};
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
    fn opt_uuid(&self, i: usize) -> Result<Option<uuid::Uuid>>;
    fn opt_json(&self, i: usize) -> Result<Option<Value>>;

    fn float(&self, i: usize) -> Result<f64> {
        self.opt_float(i)?.ok_or_else(|| bad_value(i, "NULL"))
    }
    fn time(&self, i: usize) -> Result<DateTime<Utc>> {
        self.opt_time(i)?.ok_or_else(|| bad_value(i, "NULL"))
    }
    fn uuid(&self, i: usize) -> Result<uuid::Uuid> {
        self.opt_uuid(i)?.ok_or_else(|| bad_value(i, "NULL"))
    }
    fn json(&self, i: usize) -> Result<Value> {
        self.opt_json(i)?.ok_or_else(|| bad_value(i, "NULL"))
    }
    /// A JSON column read as `T` (such as the reasons, a list of strings).
    fn json_as<T: serde::de::DeserializeOwned>(&self, i: usize) -> Result<T> {
        serde_json::from_value(self.json(i)?).map_err(|e| bad_value(i, e))
    }
    /// A count (NULL, as SUM of no rows gives, is 0).
    fn count(&self, i: usize) -> Result<u64> {
        Ok(self.opt_int(i)?.unwrap_or(0).max(0) as u64)
    }
    fn opt_currency(&self, i: usize) -> Result<Option<crate::domain::Currency>> {
        self.opt_text(i)?
            .map(|s| crate::domain::Currency::parse(&s).map_err(|e| bad_value(i, e)))
            .transpose()
    }
    fn level(&self, i: usize) -> Result<Level> {
        level_of(i, self.int(i)?)
    }
    fn opt_level(&self, i: usize) -> Result<Option<Level>> {
        self.opt_int(i)?.map(|rank| level_of(i, rank)).transpose()
    }
    /// The row's key for an error message: its first column, whatever its type.
    fn key(&self) -> String {
        self.opt_text(0)
            .ok()
            .flatten()
            .or_else(|| self.opt_int(0).ok().flatten().map(|n| n.to_string()))
            .or_else(|| self.opt_uuid(0).ok().flatten().map(|u| u.to_string()))
            .unwrap_or_else(|| "?".into())
    }
}

/// A value at result column `i` that does not decode; [`located`] names where it is.
pub(crate) fn bad_value(i: usize, problem: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        table: "",
        row: String::new(),
        column: format!("#{i}"),
        problem: problem.to_string(),
    }
}

fn level_of(i: usize, rank: i64) -> Result<Level> {
    Level::from_rank(rank).ok_or_else(|| bad_value(i, format!("{rank} is not a level rank")))
}

/// Runs `read` on the row `r` of a statement over `table` whose result columns are named
/// `columns`; a bad value it meets is reported with the table, the row's key and the
/// column's name.
pub(crate) fn located<R: Columns, T>(
    r: &R,
    table: &'static str,
    columns: &[&str],
    read: impl FnOnce(&R) -> Result<T>,
) -> Result<T> {
    read(r).map_err(|e| match e {
        StoreError::Corrupt {
            table: "",
            column,
            problem,
            ..
        } => StoreError::Corrupt {
            table,
            row: r.key(),
            column: column
                .strip_prefix('#')
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| columns.get(i))
                .map_or(column.clone(), |c| c.to_string()),
            problem,
        },
        e => e,
    })
}

/// Milliseconds since the epoch, as SQLite stores times.
fn from_ms(i: usize, ms: i64) -> Result<DateTime<Utc>> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| bad_value(i, format!("{ms} ms is not a time")))
}

fn parse_uuid(i: usize, s: &str) -> Result<uuid::Uuid> {
    s.parse().map_err(|e| bad_value(i, e))
}

fn parse_json(i: usize, s: &str) -> Result<Value> {
    serde_json::from_str(s).map_err(|e| bad_value(i, e))
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
        self.try_get::<Option<i64>, _>(i)?
            .map(|ms| from_ms(i, ms))
            .transpose()
    }
    fn opt_uuid(&self, i: usize) -> Result<Option<uuid::Uuid>> {
        self.try_get::<Option<&str>, _>(i)?
            .map(|s| parse_uuid(i, s))
            .transpose()
    }
    fn opt_json(&self, i: usize) -> Result<Option<Value>> {
        self.try_get::<Option<&str>, _>(i)?
            .map(|s| parse_json(i, s))
            .transpose()
    }
}

impl Columns for sqlx::postgres::PgRow {
    sqlx_columns_common!();
    fn opt_time(&self, i: usize) -> Result<Option<DateTime<Utc>>> {
        Ok(self.try_get(i)?)
    }
    fn opt_uuid(&self, i: usize) -> Result<Option<uuid::Uuid>> {
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
        self.get::<_, Option<i64>>(i)?
            .map(|ms| from_ms(i, ms))
            .transpose()
    }
    fn opt_uuid(&self, i: usize) -> Result<Option<uuid::Uuid>> {
        self.get::<_, Option<String>>(i)?
            .map(|s| parse_uuid(i, &s))
            .transpose()
    }
    fn opt_json(&self, i: usize) -> Result<Option<Value>> {
        self.get::<_, Option<String>>(i)?
            .map(|s| parse_json(i, &s))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(sql: &str) -> (rusqlite::Connection, String) {
        (
            rusqlite::Connection::open_in_memory().unwrap(),
            sql.to_string(),
        )
    }

    fn read<T>(sql: &str, f: impl FnOnce(&rusqlite::Row<'_>) -> Result<T>) -> Result<T> {
        let (conn, sql) = row(sql);
        let mut stmt = conn.prepare(&sql).unwrap();
        let mut rows = stmt.query([]).unwrap();
        let r = rows.next().unwrap().unwrap();
        located(r, "customers", &["id", "current_level", "attributes"], f)
    }

    #[test]
    fn an_unknown_level_rank_is_an_error_naming_table_row_and_column() {
        let err = read("SELECT 'c-1', 9, '{}'", |r| r.level(1)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "bad value in customers, row c-1, column current_level: 9 is not a level rank"
        );
    }

    #[test]
    fn json_that_does_not_parse_is_an_error_not_null() {
        let err = read("SELECT 'c-2', 1, '{oops'", |r| r.json(2)).unwrap_err();
        assert!(
            matches!(&err, StoreError::Corrupt { table: "customers", row, column, .. }
                if row == "c-2" && column == "attributes"),
            "{err}"
        );
    }

    #[test]
    fn good_values_read_as_they_are() {
        let (level, attrs) = read("SELECT 'c-3', 2, '{\"a\":1}'", |r| {
            Ok((r.level(1)?, r.json(2)?))
        })
        .unwrap();
        assert_eq!(level.rank(), 2);
        assert_eq!(attrs["a"], 1);
    }
}
