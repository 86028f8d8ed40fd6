//! Group commit of send results. Each worker hands the result of every email to one
//! recorder task the moment SMTP answers; the recorder writes what has gathered when
//! [`Limits::max_results`] results are waiting or the oldest has waited
//! [`Limits::max_wait`], whichever comes first. The queue in front of it is bounded, so a
//! worker waits instead of running ahead of the database: at any instant at most
//! `max_results` (being written) + `queue` (waiting) + one per worker (on the wire) emails
//! are accepted by SMTP and not yet marked sent — what a SIGKILL can make us send again.
//! Before this, results were written once per claimed batch of 500 and a kill re-sent
//! hundreds.

use crate::store::{DeliveryResult, Store, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// When a group is written, and how far workers may run ahead of the writes.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Write as soon as this many results are waiting.
    pub max_results: usize,
    /// Write once the oldest waiting result is this old, however few are waiting.
    pub max_wait: Duration,
    /// Results that may queue up while a write is in progress before workers wait.
    pub queue: usize,
    /// How long a failing write is retried before its results are given up (their rows
    /// stay leased and are sent again after the lease; README "Outbox guarantees"). Well
    /// under the 5-minute send lease, so a retried write never lands after another claim
    /// took the rows over — and the fence would ignore it if it did.
    pub retry_for: Duration,
}

impl Limits {
    /// 32 + 32 + one per connection (8 by default): at most ~72 emails to send again after a
    /// kill, under the guaranteed 100 (docs/architecture.md). At 8,000 emails/s a group of
    /// 32 gathers in 4 ms, about what one write takes, so the workers rarely wait for the
    /// database.
    pub const DEFAULT: Limits = Limits {
        max_results: 32,
        max_wait: Duration::from_millis(10),
        queue: 32,
        retry_for: Duration::from_secs(60),
    };
}

/// One claim: its fencing token and the instant it was made for (`--now` in a replay).
#[derive(Debug)]
pub struct Claim {
    pub token: String,
    pub now: DateTime<Utc>,
    /// `run --once --now T`: results are recorded at T, not the wall clock.
    pub replay: Option<DateTime<Utc>>,
}

/// A result waiting to be written, with the claim it belongs to.
pub type Recorded = (Arc<Claim>, DeliveryResult);

/// Where groups are written: the store, or a test double.
#[async_trait]
pub trait ResultSink: Send + Sync + 'static {
    async fn write(&self, group: &[Recorded]) -> Result<(), StoreError>;
}

#[async_trait]
impl ResultSink for Arc<dyn Store> {
    /// One `record_results` per claim in the group (a group spans two claims only at a
    /// batch boundary), each fenced by that claim's token.
    async fn write(&self, group: &[Recorded]) -> Result<(), StoreError> {
        let mut start = 0;
        while start < group.len() {
            let claim = &group[start].0;
            let end = group[start..]
                .iter()
                .position(|(c, _)| !Arc::ptr_eq(c, claim))
                .map_or(group.len(), |n| start + n);
            let results: Vec<DeliveryResult> =
                group[start..end].iter().map(|(_, r)| r.clone()).collect();
            let at = claim.replay.unwrap_or_else(|| Utc::now().max(claim.now));
            self.record_results(&results, &claim.token, at).await?;
            start = end;
        }
        Ok(())
    }
}

enum Message {
    Result(Recorded),
    /// Write everything handed over so far, then answer with the first failure since the
    /// last answer.
    Flush(oneshot::Sender<Option<String>>),
}

/// The handle workers and the dispatcher hold; the task ends when every handle is dropped,
/// after writing what it still holds.
#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::Sender<Message>,
    failure: Arc<Mutex<Option<String>>>,
}

impl Recorder {
    pub fn spawn(sink: impl ResultSink, limits: Limits) -> Recorder {
        let (tx, rx) = mpsc::channel(limits.queue.max(1));
        let failure = Arc::new(Mutex::new(None));
        tokio::spawn(run(rx, sink, limits, failure.clone()));
        Recorder { tx, failure }
    }

    /// Hands one result over; waits while the recorder is `queue` results behind.
    pub async fn record(&self, claim: &Arc<Claim>, result: DeliveryResult) {
        // The task lives as long as any handle does, so sending cannot fail.
        let _ = self.tx.send(Message::Result((claim.clone(), result))).await;
    }

    /// Waits until every result handed over so far is written; the first write that failed
    /// for good since the last call, if any.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        if self.tx.send(Message::Flush(reply)).await.is_err() {
            return Err(StoreError::Invalid("the result recorder stopped".into()));
        }
        match answer.await {
            Ok(None) => Ok(()),
            Ok(Some(e)) => Err(StoreError::Invalid(format!(
                "recording results failed: {e}"
            ))),
            Err(_) => Err(StoreError::Invalid("the result recorder stopped".into())),
        }
    }

    /// A write that failed for good since the last call, without waiting for anything.
    pub fn take_failure(&self) -> Option<StoreError> {
        let e = self.failure.lock().ok()?.take()?;
        Some(StoreError::Invalid(format!(
            "recording results failed: {e}"
        )))
    }
}

async fn run(
    mut rx: mpsc::Receiver<Message>,
    sink: impl ResultSink,
    limits: Limits,
    failure: Arc<Mutex<Option<String>>>,
) {
    let mut group: Vec<Recorded> = Vec::with_capacity(limits.max_results);
    // When the oldest result in `group` must be written by.
    let mut due: Option<Instant> = None;
    loop {
        let message = match due {
            // `timeout_at` polls the channel before the clock, so results already queued are
            // gathered (up to `max_results`) even when the deadline has passed.
            Some(at) => match tokio::time::timeout_at(at, rx.recv()).await {
                Ok(m) => m,
                Err(_) => {
                    write(&sink, &mut group, limits.retry_for, &failure).await;
                    due = None;
                    continue;
                }
            },
            None => rx.recv().await,
        };
        match message {
            Some(Message::Result(r)) => {
                due.get_or_insert_with(|| Instant::now() + limits.max_wait);
                group.push(r);
                if group.len() >= limits.max_results {
                    write(&sink, &mut group, limits.retry_for, &failure).await;
                    due = None;
                }
            }
            Some(Message::Flush(reply)) => {
                write(&sink, &mut group, limits.retry_for, &failure).await;
                due = None;
                let _ = reply.send(failure.lock().ok().and_then(|mut f| f.take()));
            }
            None => {
                write(&sink, &mut group, limits.retry_for, &failure).await;
                return;
            }
        }
    }
}

/// Writes and empties `group`, retrying a failed write with backoff for `retry_for`
/// (workers wait meanwhile: the queue is full). A write that keeps failing is logged and
/// kept in `failure` for the dispatcher to report.
async fn write(
    sink: &impl ResultSink,
    group: &mut Vec<Recorded>,
    retry_for: Duration,
    failure: &Mutex<Option<String>>,
) {
    if group.is_empty() {
        return;
    }
    let started = Instant::now();
    let mut pause = Duration::from_millis(50);
    loop {
        match sink.write(group).await {
            Ok(()) => break,
            Err(e) if started.elapsed() + pause < retry_for => {
                tracing::warn!(error = %e, results = group.len(), "Cannot record send results; retrying.");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
            Err(e) => {
                tracing::error!(
                    error = %e,
                    results = group.len(),
                    "Cannot record send results; their deliveries stay leased and are sent again after the lease."
                );
                if let Ok(mut f) = failure.lock() {
                    f.get_or_insert_with(|| e.to_string());
                }
                break;
            }
        }
    }
    group.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Remembers each group's size; fails the first `fail` writes.
    #[derive(Clone, Default)]
    struct Groups {
        sizes: Arc<Mutex<Vec<usize>>>,
        fail: Arc<AtomicUsize>,
    }

    #[async_trait]
    impl ResultSink for Groups {
        async fn write(&self, group: &[Recorded]) -> Result<(), StoreError> {
            if self
                .fail
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err(StoreError::Invalid("database is locked".into()));
            }
            self.sizes.lock().unwrap().push(group.len());
            Ok(())
        }
    }

    impl Groups {
        fn sizes(&self) -> Vec<usize> {
            self.sizes.lock().unwrap().clone()
        }
    }

    fn claim() -> Arc<Claim> {
        Arc::new(Claim {
            token: "t".into(),
            now: Utc::now(),
            replay: None,
        })
    }

    fn sent() -> DeliveryResult {
        DeliveryResult::Sent {
            id: uuid::Uuid::now_v7(),
            links: Vec::new(),
            transport: None,
        }
    }

    const LIMITS: Limits = Limits {
        max_results: 4,
        max_wait: Duration::from_millis(50),
        queue: 2,
        retry_for: Duration::from_secs(5),
    };

    #[tokio::test]
    async fn a_group_is_written_as_soon_as_max_results_have_gathered() {
        let sink = Groups::default();
        let r = Recorder::spawn(
            sink.clone(),
            Limits {
                max_wait: Duration::from_secs(3600),
                ..LIMITS
            },
        );
        let c = claim();
        for _ in 0..9 {
            r.record(&c, sent()).await;
        }
        // Let the recorder take what is queued, without the clock moving.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            sink.sizes(),
            vec![4, 4],
            "one result still waits for company"
        );
        r.flush().await.unwrap();
        assert_eq!(sink.sizes(), vec![4, 4, 1]);
    }

    #[tokio::test]
    async fn a_lone_result_is_written_within_max_wait() {
        let sink = Groups::default();
        let r = Recorder::spawn(sink.clone(), LIMITS);
        let t = Instant::now();
        r.record(&claim(), sent()).await;
        while sink.sizes().is_empty() {
            assert!(t.elapsed() < Duration::from_secs(2), "never written");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert!(t.elapsed() >= LIMITS.max_wait, "not before max_wait");
        assert_eq!(sink.sizes(), vec![1]);
    }

    #[tokio::test]
    async fn workers_wait_while_the_recorder_is_a_queue_behind() {
        /// A write that never finishes: the database hangs.
        struct Stuck;
        #[async_trait]
        impl ResultSink for Stuck {
            async fn write(&self, _: &[Recorded]) -> Result<(), StoreError> {
                std::future::pending().await
            }
        }
        let r = Recorder::spawn(Stuck, LIMITS);
        let c = claim();
        let handed = Arc::new(AtomicUsize::new(0));
        let worker = {
            let (r, c, handed) = (r.clone(), c.clone(), handed.clone());
            tokio::spawn(async move {
                for _ in 0..100 {
                    r.record(&c, sent()).await;
                    handed.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        // 4 in the stuck write, 2 queued; the worker waits to hand over the 7th.
        assert_eq!(handed.load(Ordering::SeqCst), 6);
        worker.abort();
    }

    #[tokio::test]
    async fn a_failed_write_is_retried_and_nothing_is_lost() {
        let sink = Groups::default();
        sink.fail.store(3, Ordering::SeqCst);
        let r = Recorder::spawn(sink.clone(), LIMITS);
        let c = claim();
        for _ in 0..3 {
            r.record(&c, sent()).await;
        }
        r.flush().await.expect("written after retries");
        assert_eq!(sink.sizes(), vec![3]);
    }

    #[tokio::test]
    async fn a_write_that_keeps_failing_is_reported_by_the_next_flush() {
        let sink = Groups::default();
        sink.fail.store(usize::MAX, Ordering::SeqCst);
        let r = Recorder::spawn(
            sink.clone(),
            Limits {
                retry_for: Duration::from_millis(300),
                ..LIMITS
            },
        );
        r.record(&claim(), sent()).await;
        let e = r.flush().await.expect_err("reported");
        assert!(e.to_string().contains("database is locked"), "{e}");
        assert!(r.flush().await.is_ok(), "reported once");
    }
}
