//! The cycle's bulk reads on SQLite (the facts streams, the plan context, the margins for the
//! tiers), done with rusqlite on blocking threads and handed to async code in batches.
//!
//! Why not sqlx: sqlx-sqlite runs each connection on a worker thread and hands every row
//! to the async task on its own, so a million-row stream is a million thread wake-ups.
//! `perf` of a 1M-customer cycle showed 36 % of the time in kernel wake-ups and task
//! switches, 10 % in malloc/free and under 5 % in SQLite itself; the same IN-list queries
//! ran 5–10× faster from Python's sqlite3 module. Here a statement is stepped on one thread
//! and a batch of `ROWS_PER_BATCH` rows crosses to the async side at a time.
//!
//! Connections are read-only in spirit (`query_only`), opened on the store's file beside the
//! sqlx pool (WAL: readers never block the writer), kept in a small idle list for reuse.

use crate::store::StoreError;
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, Row, params_from_iter};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Rows per batch sent from a statement's thread to the async side.
pub(crate) const ROWS_PER_BATCH: usize = 1_024;

/// Idle connections kept for reuse (a cycle uses at most four at once).
const IDLE_MAX: usize = 4;

/// Opens read connections on one SQLite file.
#[derive(Clone)]
pub(crate) struct BulkReader {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

/// A connection borrowed from the reader; back to the idle list when dropped.
pub(crate) struct Lease {
    conn: Option<Connection>,
    reader: BulkReader,
}

impl std::ops::Deref for Lease {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("a lease holds its connection until dropped")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take()
            && let Ok(mut idle) = self.reader.inner.idle.lock()
            && idle.len() < IDLE_MAX
        {
            idle.push(conn);
        }
    }
}

impl BulkReader {
    pub(crate) fn new(path: PathBuf) -> Self {
        BulkReader {
            inner: Arc::new(Inner {
                path,
                idle: Mutex::new(Vec::new()),
            }),
        }
    }

    /// A connection (blocking: call from a blocking thread).
    pub(crate) fn lease(&self) -> Result<Lease, StoreError> {
        let reused = self.inner.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match reused {
            Some(c) => c,
            None => {
                // No CREATE flag: the sqlx pool created and migrated the file already.
                let c = Connection::open_with_flags(
                    &self.inner.path,
                    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                c.busy_timeout(Duration::from_secs(10))?;
                // SQLite's default small cache: the scans read each page once, and a large cache was
                // measured making the grouping scans 2–3× slower.
                c.execute_batch("PRAGMA query_only = 1; PRAGMA cache_size = -2000;")?;
                c
            }
        };
        Ok(Lease {
            conn: Some(conn),
            reader: self.clone(),
        })
    }

    /// Runs `sql` with `params` on a thread of its own, feeds its rows to `fold` and sends
    /// what the fold yields to the returned channel in batches. The first error ends the
    /// stream; a dropped receiver stops the statement.
    pub(crate) fn stream<F: RowFold>(
        &self,
        sql: String,
        params: Vec<Value>,
        mut fold: F,
    ) -> tokio::sync::mpsc::Receiver<Result<Vec<F::Item>, StoreError>> {
        self.batched(move |conn, out| {
            let mut stmt = conn.prepare(&sql)?;
            let mut rows = stmt.query(params_from_iter(params))?;
            while let Some(row) = rows.next()? {
                fold.row(row, &mut out.items)?;
                if !out.sent_when_full() {
                    return Ok(()); // nobody listens any more
                }
            }
            fold.finish(&mut out.items);
            Ok(())
        })
    }

    /// Streams `left`'s rows, each given with the row of `right` that has the same key, if
    /// any: both statements ordered by the text key in their first column, byte order (the
    /// BINARY collation), stepped side by side on one connection — a merge join, where
    /// SQLite would seek `right`'s key once per left row.
    pub(crate) fn stream_left_join<T, F>(
        &self,
        (left, left_params): (String, Vec<Value>),
        (right, right_params): (String, Vec<Value>),
        mut each: F,
    ) -> tokio::sync::mpsc::Receiver<Result<Vec<T>, StoreError>>
    where
        T: Send + 'static,
        F: FnMut(&Row<'_>, Option<&Row<'_>>) -> Result<T, StoreError> + Send + 'static,
    {
        use rusqlite::fallible_streaming_iterator::FallibleStreamingIterator;
        self.batched(move |conn, out| {
            let mut ls = conn.prepare(&left)?;
            let mut rs = conn.prepare(&right)?;
            let mut lrows = ls.query(params_from_iter(left_params))?;
            let mut rrows = rs.query(params_from_iter(right_params))?;
            rrows.advance()?;
            while let Some(l) = lrows.next()? {
                let id = text(l, 0)?;
                // Skip right rows with no left row (none, when the keys agree).
                while let Some(r) = rrows.get() {
                    if text(r, 0)? >= id {
                        break;
                    }
                    rrows.advance()?;
                }
                let matched = match rrows.get() {
                    Some(r) if text(r, 0)? == id => Some(r),
                    _ => None,
                };
                out.items.push(each(l, matched)?);
                if !out.sent_when_full() {
                    return Ok(()); // nobody listens any more
                }
            }
            Ok(())
        })
    }

    /// Runs `read` on a blocking thread with a connection; what it puts in `Batches::items`
    /// reaches the returned channel in batches of `ROWS_PER_BATCH` (the rest when it ends),
    /// and its error, if any, after them.
    fn batched<T, R>(&self, read: R) -> tokio::sync::mpsc::Receiver<Result<Vec<T>, StoreError>>
    where
        T: Send + 'static,
        R: FnOnce(&Connection, &mut Batches<T>) -> Result<(), StoreError> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let reader = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut out = Batches {
                tx,
                items: Vec::with_capacity(ROWS_PER_BATCH),
            };
            let read = reader.lease().and_then(|conn| read(&conn, &mut out));
            if !out.items.is_empty() {
                let _ = out.tx.blocking_send(Ok(std::mem::take(&mut out.items)));
            }
            if let Err(e) = read {
                let _ = out.tx.blocking_send(Err(e));
            }
        });
        rx
    }

    /// Runs `work` with a connection on a blocking thread.
    pub(crate) async fn with<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let reader = self.clone();
        tokio::task::spawn_blocking(move || {
            let conn = reader.lease()?;
            work(&conn)
        })
        .await
        .map_err(|e| StoreError::Invalid(format!("a database read thread failed: {e}")))?
    }
}

/// The items a blocking read has yet to send, and where to.
struct Batches<T> {
    tx: tokio::sync::mpsc::Sender<Result<Vec<T>, StoreError>>,
    items: Vec<T>,
}

impl<T> Batches<T> {
    /// Sends the items once they make a batch; false when nobody listens any more.
    fn sent_when_full(&mut self) -> bool {
        self.items.len() < ROWS_PER_BATCH
            || self
                .tx
                .blocking_send(Ok(std::mem::take(&mut self.items)))
                .is_ok()
    }
}

/// Turns a statement's rows into items: one per row ([`EachRow`]) or one per group of rows
/// (the cycle's per-customer folds).
pub(crate) trait RowFold: Send + 'static {
    type Item: Send + 'static;
    /// Reads one row; pushes any finished items to `out`.
    fn row(&mut self, row: &Row<'_>, out: &mut Vec<Self::Item>) -> Result<(), StoreError>;
    /// After the last row: pushes what is still open.
    fn finish(&mut self, out: &mut Vec<Self::Item>);
}

/// One item per row, made by a function.
pub(crate) struct EachRow<F>(pub F);

impl<T, F> RowFold for EachRow<F>
where
    T: Send + 'static,
    F: Fn(&Row<'_>) -> Result<T, StoreError> + Send + 'static,
{
    type Item = T;
    fn row(&mut self, row: &Row<'_>, out: &mut Vec<T>) -> Result<(), StoreError> {
        out.push((self.0)(row)?);
        Ok(())
    }
    fn finish(&mut self, _: &mut Vec<T>) {}
}

/// A text column borrowed from the row (no allocation).
pub(crate) fn text<'r>(row: &'r Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    row.get_ref(i)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// The rows of a batched channel, one at a time, as a stream.
pub(crate) fn unbatch<T: Send + 'static>(
    rx: tokio::sync::mpsc::Receiver<Result<Vec<T>, StoreError>>,
) -> impl futures::Stream<Item = Result<T, StoreError>> + Unpin {
    use futures::StreamExt;
    Box::pin(
        futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|batch| (batch, rx))
        })
        .flat_map(|batch| {
            let items: Vec<Result<T, StoreError>> = match batch {
                Ok(rows) => rows.into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e)],
            };
            futures::stream::iter(items)
        }),
    )
}

/// `?, ?, …` for an IN list of `n` values.
pub(crate) fn placeholders(n: usize) -> String {
    let mut s = String::with_capacity(n * 3);
    for i in 0..n {
        if i > 0 {
            s.push_str(", ");
        }
        s.push('?');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;

    fn reader_with_rows(n: i64) -> (tempfile::TempDir, BulkReader) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let c = Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE t (n INTEGER NOT NULL)")
            .unwrap();
        let mut ins = c.prepare("INSERT INTO t VALUES (?)").unwrap();
        for i in 0..n {
            ins.execute([i]).unwrap();
        }
        (dir, BulkReader::new(path))
    }

    #[tokio::test]
    async fn a_left_join_in_step_gives_each_left_row_its_match_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.db");
        let c = Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE l (id TEXT PRIMARY KEY);
             CREATE TABLE r (id TEXT PRIMARY KEY, v INTEGER NOT NULL);
             INSERT INTO l VALUES ('a'), ('b'), ('c'), ('e'), ('f');
             INSERT INTO r VALUES ('a', 1), ('aa', 9), ('c', 3), ('d', 9), ('f', 6), ('g', 9);",
        )
        .unwrap();
        let reader = BulkReader::new(path);
        let rows: Vec<(String, Option<i64>)> = unbatch(reader.stream_left_join(
            ("SELECT id FROM l ORDER BY id".into(), vec![]),
            ("SELECT id, v FROM r ORDER BY id".into(), vec![]),
            |l, r| Ok((l.get(0)?, r.map(|r| r.get(1)).transpose()?)),
        ))
        .try_collect()
        .await
        .unwrap();
        let want = [
            ("a", Some(1)),
            ("b", None),
            ("c", Some(3)),
            ("e", None),
            ("f", Some(6)),
        ];
        let want: Vec<(String, Option<i64>)> =
            want.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        assert_eq!(rows, want);
    }

    #[tokio::test]
    async fn every_row_arrives_once_in_order_across_batches() {
        let n = ROWS_PER_BATCH as i64 * 2 + 7;
        let (_dir, reader) = reader_with_rows(n);
        let rows: Vec<i64> = unbatch(reader.stream(
            "SELECT n FROM t WHERE n >= ? ORDER BY n".into(),
            vec![Value::Integer(0)],
            EachRow(|r: &Row<'_>| Ok(r.get::<_, i64>(0)?)),
        ))
        .try_collect()
        .await
        .unwrap();
        assert_eq!(rows, (0..n).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_bad_statement_is_an_error_not_an_empty_stream() {
        let (_dir, reader) = reader_with_rows(3);
        let got: Result<Vec<i64>, _> = unbatch(reader.stream(
            "SELECT missing FROM t".into(),
            vec![],
            EachRow(|r: &Row<'_>| Ok(r.get::<_, i64>(0)?)),
        ))
        .try_collect()
        .await;
        assert!(got.is_err());
    }

    #[tokio::test]
    async fn bulk_connections_cannot_write() {
        let (_dir, reader) = reader_with_rows(1);
        let err = reader
            .with(|c| Ok(c.execute("DELETE FROM t", [])?))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("readonly") || err.to_string().contains("read"));
    }

    #[test]
    fn placeholders_match_the_count() {
        assert_eq!(placeholders(0), "");
        assert_eq!(placeholders(3), "?, ?, ?");
    }
}
