//! Sender workers: claim a batch of due deliveries (with a lease) → render → send over each
//! worker's own connection → record the results in one batch. Nothing is sent inside a
//! database transaction, and a crash leaves claimed rows to be re-claimed when the lease ends.

mod compose;
mod retry;

pub use compose::{ComposeError, Composer, Envelope, Prepared};
pub use retry::RetryPolicy;

use crate::mailer::{Sender, Transport};
use crate::store::{ClaimedDelivery, DeliveryResult, Store, StoreError};
use chrono::{DateTime, Utc};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::Rng;
use std::num::NonZeroU32;
use std::sync::Arc;
use tokio::sync::Mutex;

/// Deliveries claimed per round trip.
const CLAIM_BATCH: u32 = 500;

#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct DispatchReport {
    pub sent: u64,
    pub retried: u64,
    pub failed: u64,
    pub suppressed: u64,
}

impl DispatchReport {
    fn add(&mut self, r: &DeliveryResult) {
        use crate::http::metrics::{EMAILS_FAILED, EMAILS_SENT};
        match r {
            DeliveryResult::Sent { .. } => {
                self.sent += 1;
                metrics::counter!(EMAILS_SENT).increment(1);
            }
            DeliveryResult::Retry { .. } => self.retried += 1,
            DeliveryResult::Failed { .. } => {
                self.failed += 1;
                metrics::counter!(EMAILS_FAILED).increment(1);
            }
            DeliveryResult::Suppressed { .. } => self.suppressed += 1,
        }
    }
}

pub struct Dispatcher {
    store: Arc<dyn Store>,
    composer: Arc<Composer>,
    senders: Vec<Arc<Mutex<Sender>>>,
    retry: RetryPolicy,
    limiter: Option<Arc<DefaultDirectRateLimiter>>,
    lease: chrono::TimeDelta,
    /// Names this process in `lease_owner`, for operators reading the outbox.
    owner: String,
    /// The previous batch's results being written while the next batch is claimed and sent
    /// (recording is fenced per claim, so the overlap is safe).
    recording: Mutex<Option<tokio::task::JoinHandle<Result<(), StoreError>>>>,
    /// `run --once --now T`: the clock of everything this dispatcher records (sent_at, retry
    /// times, the Date header), so that a replay at T reads as if it ran at T.
    replay_clock: Option<DateTime<Utc>>,
}

impl Dispatcher {
    pub fn new(
        store: Arc<dyn Store>,
        composer: Arc<Composer>,
        transport: &Transport,
        pool_size: usize,
        rate_per_second: u32,
        retry: RetryPolicy,
    ) -> Self {
        let senders = (0..pool_size.max(1))
            .map(|_| Arc::new(Mutex::new(transport.sender())))
            .collect();
        let limiter = NonZeroU32::new(rate_per_second)
            .map(|r| Arc::new(RateLimiter::direct(Quota::per_second(r))));
        Dispatcher {
            store,
            composer,
            senders,
            retry,
            limiter,
            lease: chrono::TimeDelta::minutes(5),
            owner: format!("{}:{}", hostname(), std::process::id()),
            recording: Mutex::new(None),
            replay_clock: None,
        }
    }

    /// Records everything at `at` instead of the wall clock (`run --once --now`).
    pub fn with_clock(mut self, at: DateTime<Utc>) -> Self {
        self.replay_clock = Some(at);
        self
    }

    /// Claims and sends one batch of deliveries due at `now`; returns how many were claimed.
    pub async fn run_batch(
        &self,
        now: DateTime<Utc>,
        report: &mut DispatchReport,
    ) -> Result<usize, StoreError> {
        // A token per claim: results are recorded only for rows this claim still holds.
        let claim = format!("{}/{}", self.owner, uuid::Uuid::now_v7());
        let claimed = self
            .store
            .claim_due(now, CLAIM_BATCH, self.lease, &claim)
            .await?;
        if claimed.is_empty() {
            self.flush().await?;
            return Ok(0);
        }
        let n = claimed.len();
        let prepared = self.composer.prepare(&*self.store, &claimed).await?;
        // Split the batch across the workers; each keeps its own connection.
        let workers = self.senders.len().min(n);
        let mut parts: Vec<Vec<ClaimedDelivery>> = (0..workers).map(|_| Vec::new()).collect();
        for (i, d) in claimed.into_iter().enumerate() {
            parts[i % workers].push(d);
        }
        // Stop sending well before the lease ends: past it another replica may claim the same
        // rows, and both would send them. What is left is released for the next claim.
        let deadline =
            std::time::Instant::now() + self.lease.to_std().unwrap_or_default().mul_f64(0.8);
        let mut tasks = Vec::with_capacity(workers);
        for (part, sender) in parts.into_iter().zip(self.senders.iter().cloned()) {
            let composer = self.composer.clone();
            let prepared = prepared.clone();
            let retry = self.retry.clone();
            let limiter = self.limiter.clone();
            let clock = match self.replay_clock {
                Some(at) => Clock::Fixed(at),
                None => Clock::Wall { not_before: now },
            };
            tasks.push(tokio::spawn(async move {
                let mut sender = sender.lock().await;
                let mut results = Vec::with_capacity(part.len());
                for d in part {
                    if std::time::Instant::now() > deadline {
                        results.push(DeliveryResult::Retry {
                            id: d.id,
                            next_attempt_at: clock.now(),
                            error: "not sent: the batch ran out of lease time".into(),
                        });
                        continue;
                    }
                    results.push(
                        send_one(
                            &composer,
                            &prepared,
                            &retry,
                            limiter.as_deref(),
                            &mut sender,
                            &d,
                            clock,
                        )
                        .await,
                    );
                }
                results
            }));
        }
        let mut results = Vec::with_capacity(n);
        for t in tasks {
            match t.await {
                Ok(r) => results.extend(r),
                // A panicking worker leaves its rows leased: they are re-claimed later.
                Err(e) => tracing::error!(error = %e, "Sender worker failed."),
            }
        }
        for r in &results {
            report.add(r);
        }
        self.flush().await?;
        let store = self.store.clone();
        let at = self.replay_clock.unwrap_or_else(|| Utc::now().max(now));
        *self.recording.lock().await = Some(tokio::spawn(async move {
            store.record_results(&results, &claim, at).await
        }));
        Ok(n)
    }

    /// Waits until the last batch's results are written. `drain` and `close` call it; a
    /// process that exits without it leaves that batch leased, to be re-sent after the lease.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let pending = self.recording.lock().await.take();
        match pending {
            Some(h) => match h.await {
                Ok(r) => r,
                Err(e) => Err(StoreError::Invalid(format!(
                    "recording results failed: {e}"
                ))),
            },
            None => Ok(()),
        }
    }

    /// Sends everything due at `now` (including retries that fall due meanwhile when `now`
    /// is the real clock), until the queue has nothing due.
    pub async fn drain(&self, now: DateTime<Utc>) -> Result<DispatchReport, StoreError> {
        let mut report = DispatchReport::default();
        while self.run_batch(now, &mut report).await? > 0 {}
        self.flush().await?;
        Ok(report)
    }

    /// Writes what is still pending and ends every worker's session (SMTP QUIT).
    pub async fn close(&self) {
        if let Err(e) = self.flush().await {
            tracing::error!(error = %e, "Cannot record the last batch; its rows are re-sent after the lease.");
        }
        for s in &self.senders {
            s.lock().await.close().await;
        }
    }
}

/// The time a send records: the wall clock (never before the batch's `now`), or a replay's.
#[derive(Debug, Clone, Copy)]
enum Clock {
    Wall { not_before: DateTime<Utc> },
    Fixed(DateTime<Utc>),
}

impl Clock {
    fn now(self) -> DateTime<Utc> {
        match self {
            Clock::Wall { not_before } => Utc::now().max(not_before),
            Clock::Fixed(at) => at,
        }
    }
}

async fn send_one(
    composer: &Composer,
    prepared: &compose::Prepared,
    retry: &RetryPolicy,
    limiter: Option<&DefaultDirectRateLimiter>,
    sender: &mut Sender,
    d: &ClaimedDelivery,
    clock: Clock,
) -> DeliveryResult {
    // Checked at send time: the address may have been suppressed after it was queued.
    if let Some(reason) = &d.suppression {
        return DeliveryResult::Suppressed {
            id: d.id,
            reason: reason.clone(),
        };
    }
    if !d.subscribed {
        return DeliveryResult::Suppressed {
            id: d.id,
            reason: "unsubscribed".into(),
        };
    }
    let (email, links) = match composer.compose(d, prepared, clock.now()) {
        Ok(x) => x,
        Err(e) => {
            tracing::warn!(delivery_id = %d.id, error = %e, "Cannot render; delivery failed.");
            return DeliveryResult::Failed {
                id: d.id,
                error: e.to_string(),
                suppress: None,
            };
        }
    };
    if let Some(l) = limiter {
        l.until_ready().await;
    }
    let outcome = sender.send(&email).await;
    tracing::debug!(delivery_id = %d.id, %outcome, "Send attempt finished.");
    let jitter = rand::rng().random::<f64>();
    let attempts = d.attempts.max(1) as u32;
    match retry.result(d.id, &d.email, attempts, &outcome, clock.now(), jitter) {
        DeliveryResult::Sent { id, .. } => DeliveryResult::Sent { id, links },
        other => other,
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "rapport".into())
}
