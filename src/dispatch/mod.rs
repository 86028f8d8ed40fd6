//! Sender workers: claim a batch of due deliveries (with a lease) → render → send over each
//! worker's own connection → hand each result to the recorder, which writes them in small
//! groups within milliseconds (group commit, `recorder`). Nothing is sent inside a database
//! transaction, and a crash leaves claimed rows to be re-claimed when the lease ends; what a
//! crash sends twice is only what SMTP had accepted and the recorder had not yet written.

mod compose;
mod recorder;
mod retry;
mod send_rate;
mod unless;

pub use compose::{ComposeError, Composer, Envelope, Prepared};
pub use recorder::Limits as RecordLimits;
pub use retry::RetryPolicy;
pub use send_rate::{Aimd, SendRate};
pub use unless::UnlessRules;

use crate::mailer::{Sender, Transport};
use crate::store::{ClaimedDelivery, DeliveryResult, Store, StoreError};
use chrono::{DateTime, Utc};
use rand::Rng;
use recorder::{Claim, Recorder};
use std::sync::{Arc, OnceLock};
use tokio::sync::Mutex;

/// Deliveries claimed per round trip. A claim's size no longer bounds what a crash re-sends
/// (each result is written within milliseconds of SMTP's answer); rows claimed and not yet
/// sent when a process dies are only delayed until their lease ends.
const CLAIM_BATCH: u32 = 500;

#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct DispatchReport {
    pub sent: u64,
    pub retried: u64,
    /// Put back without spending an attempt: the server asked us to slow down.
    pub throttled: u64,
    pub failed: u64,
    pub suppressed: u64,
    /// Cancelled just before sending: an `unless` came true after the email was queued.
    pub cancelled: u64,
}

impl DispatchReport {
    fn add(&mut self, r: &DeliveryResult) {
        use crate::metric_names::{EMAILS_FAILED, EMAILS_SENT};
        match r {
            DeliveryResult::Sent { .. } => {
                self.sent += 1;
                metrics::counter!(EMAILS_SENT).increment(1);
            }
            DeliveryResult::Retry { .. } => self.retried += 1,
            DeliveryResult::Throttled { .. } => self.throttled += 1,
            DeliveryResult::Failed { .. } => {
                self.failed += 1;
                metrics::counter!(EMAILS_FAILED).increment(1);
            }
            DeliveryResult::Suppressed { .. } => self.suppressed += 1,
            DeliveryResult::Cancelled { .. } => self.cancelled += 1,
        }
    }

    fn merge(&mut self, o: &DispatchReport) {
        self.sent += o.sent;
        self.retried += o.retried;
        self.throttled += o.throttled;
        self.failed += o.failed;
        self.suppressed += o.suppressed;
        self.cancelled += o.cancelled;
    }
}

pub struct Dispatcher {
    store: Arc<dyn Store>,
    composer: Arc<Composer>,
    senders: Vec<Arc<Mutex<Sender>>>,
    retry: RetryPolicy,
    rate: Arc<SendRate>,
    lease: chrono::TimeDelta,
    /// Names this process in `lease_owner`, for operators reading the outbox.
    owner: String,
    /// Writes results in small groups as they come (started on first use, inside the
    /// runtime). Recording is fenced per claim, so writes overlapping the next claim are safe.
    recorder: OnceLock<Recorder>,
    record_limits: recorder::Limits,
    /// `run --once --now T`: the clock of everything this dispatcher records (sent_at, retry
    /// times, the Date header), so that a replay at T reads as if it ran at T.
    replay_clock: Option<DateTime<Utc>>,
    /// The campaigns' `unless`, checked again right before sending.
    unless: UnlessRules,
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
        let rate = Arc::new(SendRate::new("default", rate_per_second));
        Dispatcher {
            store,
            composer,
            senders,
            retry,
            rate,
            lease: chrono::TimeDelta::minutes(5),
            owner: format!("{}:{}", hostname(), std::process::id()),
            recorder: OnceLock::new(),
            record_limits: recorder::Limits::DEFAULT,
            replay_clock: None,
            unless: UnlessRules::default(),
        }
    }

    /// The rate the transport may send at now (`None` = unlimited): lowered when its server
    /// throttles, raised back while replies are clean.
    pub fn send_rate(&self) -> Option<f64> {
        self.rate.current()
    }

    /// Checks the campaigns' `unless` again just before sending (see [`UnlessRules`]).
    pub fn with_unless(mut self, rules: UnlessRules) -> Self {
        self.unless = rules;
        self
    }

    /// Records everything at `at` instead of the wall clock (`run --once --now`).
    pub fn with_clock(mut self, at: DateTime<Utc>) -> Self {
        self.replay_clock = Some(at);
        self
    }

    /// Other group-commit limits than [`RecordLimits::DEFAULT`] (before the first batch).
    pub fn with_record_limits(mut self, limits: RecordLimits) -> Self {
        self.record_limits = limits;
        self
    }

    fn recorder(&self) -> &Recorder {
        self.recorder
            .get_or_init(|| Recorder::spawn(self.store.clone(), self.record_limits))
    }

    /// Claims and sends one batch of deliveries due at `now`; returns how many were claimed.
    /// Each result is handed to the recorder as it comes; [`Dispatcher::flush`] waits until
    /// they are written.
    pub async fn run_batch(
        &self,
        now: DateTime<Utc>,
        report: &mut DispatchReport,
    ) -> Result<usize, StoreError> {
        let recorder = self.recorder().clone();
        if let Some(e) = recorder.take_failure() {
            return Err(e);
        }
        // A token per claim: results are recorded only for rows this claim still holds.
        let claim = Arc::new(Claim {
            token: format!("{}/{}", self.owner, uuid::Uuid::now_v7()),
            now,
            replay: self.replay_clock,
        });
        let claimed = self
            .store
            .claim_due(crate::store::Claim {
                now,
                limit: CLAIM_BATCH,
                lease: self.lease,
                owner: &claim.token,
            })
            .await?;
        if claimed.is_empty() {
            self.flush().await?;
            return Ok(0);
        }
        let n = claimed.len();
        let (claimed, cancelled) = self.unless.cancel_pointless(&*self.store, claimed).await?;
        for result in cancelled {
            report.add(&result);
            recorder.record(&claim, result).await;
        }
        if claimed.is_empty() {
            return Ok(n);
        }
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
            let rate = self.rate.clone();
            let clock = match self.replay_clock {
                Some(at) => Clock::Fixed(at),
                None => Clock::Wall { not_before: now },
            };
            let recorder = recorder.clone();
            let claim = claim.clone();
            tasks.push(tokio::spawn(async move {
                let mut sender = sender.lock().await;
                let mut report = DispatchReport::default();
                for d in part {
                    let result = if std::time::Instant::now() > deadline {
                        DeliveryResult::Retry {
                            id: d.id,
                            next_attempt_at: clock.now(),
                            error: "not sent: the batch ran out of lease time".into(),
                        }
                    } else {
                        send_one(&composer, &prepared, &retry, &rate, &mut sender, &d, clock).await
                    };
                    report.add(&result);
                    // Before the next email: SMTP accepted this one, and until it is written
                    // a crash sends it again.
                    recorder.record(&claim, result).await;
                }
                report
            }));
        }
        for t in tasks {
            match t.await {
                Ok(r) => report.merge(&r),
                // A panicking worker leaves its rows leased: they are re-claimed later.
                Err(e) => tracing::error!(error = %e, "Sender worker failed."),
            }
        }
        Ok(n)
    }

    /// Waits until every result handed over so far is written. `drain` and `close` call it;
    /// a process killed before a result is written sends that email again after the lease.
    pub async fn flush(&self) -> Result<(), StoreError> {
        match self.recorder.get() {
            Some(r) => r.flush().await,
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
            tracing::error!(error = %e, "Cannot record the last results; their rows are re-sent after the lease.");
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
    rate: &SendRate,
    sender: &mut Sender,
    d: &ClaimedDelivery,
    clock: Clock,
) -> DeliveryResult {
    // Checked at send time: the address may have been suppressed after it was queued.
    if let Some(reason) = &d.suppression
        && !composer.sends_despite(d, reason)
    {
        return DeliveryResult::Suppressed {
            id: d.id,
            reason: reason.clone(),
        };
    }
    if !d.subscribed {
        return DeliveryResult::Suppressed {
            id: d.id,
            reason: crate::domain::suppression::reason::UNSUBSCRIBED.into(),
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
    rate.ready().await;
    let outcome = sender.send(&email).await;
    rate.observe(&outcome);
    tracing::debug!(delivery_id = %d.id, %outcome, "Send attempt finished.");
    let jitter = rand::rng().random::<f64>();
    let attempts = d.attempts.max(1) as u32;
    match retry.result(
        d.id,
        &d.email,
        attempts,
        d.send_at,
        &outcome,
        clock.now(),
        jitter,
    ) {
        DeliveryResult::Sent { id, .. } => DeliveryResult::Sent { id, links },
        other => other,
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "rapport".into())
}
