//! Moves the write-ahead log into the database file in the background.
//!
//! SQLite's default checkpoints on the commit that takes the log past 1,000 pages, inside
//! that commit: the writer waits while the pages are copied and the file is synced. On the
//! 1M-customer benchmark an incremental cycle's commit (6,500 level changes) took 0.75 s of
//! which the checkpoint was nearly all; without it the commit took 19 ms and the checkpoint,
//! run on its own, 0.22 s (docs/performance.md). So the store's connections never
//! checkpoint (`wal_autocheckpoint = 0`), and this thread does, passively, every second: it
//! never blocks a reader or a writer, and copies only what no reader still needs.
//!
//! The thread owns a connection of its own and ends when the store (every clone of it) is
//! dropped. When the last connection to the file closes, SQLite checkpoints the rest.

use rusqlite::{Connection, OpenFlags};
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Duration;

/// How often the log is checkpointed.
const EVERY: Duration = Duration::from_secs(1);

/// Dropping the last clone of the store drops this, which ends the thread.
pub(crate) struct Checkpointer {
    _stop: Sender<()>,
}

impl Checkpointer {
    pub(crate) fn start(path: PathBuf) -> Checkpointer {
        let (stop, stopped) = mpsc::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                let Some(conn) = open(&path) else { return };
                // Nothing is ever sent: a disconnect (the store dropped) ends the loop.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        tracing::warn!(error = %e, "SQLite checkpoint failed; retrying in a second.");
                    }
                }
            });
        if let Err(e) = spawned {
            // Without the thread the log still shrinks when the last connection closes.
            tracing::warn!(error = %e, "Could not start the SQLite checkpoint thread.");
        }
        Checkpointer { _stop: stop }
    }
}

fn open(path: &PathBuf) -> Option<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .and_then(|c| {
        c.busy_timeout(Duration::from_secs(10))?;
        c.execute_batch("PRAGMA wal_autocheckpoint = 0;")?;
        Ok(c)
    });
    match conn {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(error = %e, path = %path.display(), "Could not open the database for checkpoints.");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(path: &std::path::Path) -> u64 {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }

    #[test]
    fn the_log_is_copied_into_the_database_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; \
                 CREATE TABLE t (n INTEGER NOT NULL, pad TEXT NOT NULL); \
                 WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 5000) \
                 INSERT INTO t SELECT n, printf('%.500c', 'x') FROM s;",
            )
            .unwrap();
        // ~2.5 MB written, all of it still in the log while the writer stays open.
        let before = size(&path);
        assert!(before < 1_000_000, "{before}");
        let _checkpointer = Checkpointer::start(path.clone());
        let deadline = std::time::Instant::now() + EVERY * 10;
        while size(&path) < 2_000_000 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(
            size(&path) >= 2_000_000,
            "{} after the checkpoints",
            size(&path)
        );
    }
}
