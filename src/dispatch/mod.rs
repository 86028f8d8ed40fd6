//! Sender workers: claim a batch of due deliveries (with a lease) → render → send over each
//! worker's own connection → hand each result to the recorder, which writes them in small
//! groups within milliseconds (group commit, `recorder`). Nothing is sent inside a database
//! transaction, and a crash leaves claimed rows to be re-claimed when the lease ends; what a
//! crash sends twice is only what SMTP had accepted and the recorder had not yet written.

mod compose;
mod domain_limits;
mod failover;
mod lanes;
mod recorder;
mod retry;
mod send;
mod send_rate;
mod tally;
mod unless;

pub use compose::{ComposeError, Composer, Envelope, Prepared};
pub use domain_limits::DomainLimits;
pub use failover::{Availability, Health};
pub use lanes::{Lane, Routes};
pub use recorder::Limits as RecordLimits;
pub use retry::RetryPolicy;
pub use send_rate::{Aimd, SendRate};
pub use unless::UnlessRules;

use crate::store::{ClaimedDelivery, DeliveryResult, Store, StoreError};
use chrono::{DateTime, Utc};
use recorder::{Claim, Recorder};
use send::{Clock, Way};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

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
    /// Put back without spending an attempt: the transport could not be reached, and the
    /// next batch gives the email to the next transport that is up.
    pub failed_over: u64,
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
            DeliveryResult::FailedOver { .. } => self.failed_over += 1,
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
        self.failed_over += o.failed_over;
        self.failed += o.failed;
        self.suppressed += o.suppressed;
        self.cancelled += o.cancelled;
    }
}

/// Rows claimed together under one fencing token, ready to send: what is no longer worth
/// sending already set apart, and what the templates need already read. All of it is done
/// when the batch is claimed, which `drain` does while the previous batch is on the wire:
/// those round trips used to leave the cores idle between two batches.
struct Batch {
    claim: Arc<Claim>,
    /// How many rows the claim took.
    n: usize,
    /// The deliveries to send.
    claimed: Vec<ClaimedDelivery>,
    /// The rest, cancelled (an `unless` came true, a topic left); recorded with the batch.
    cancelled: Vec<DeliveryResult>,
    prepared: Prepared,
    /// When the rows were claimed: their lease runs from here, however long the batch
    /// waits before it is sent.
    at: std::time::Instant,
}

/// A sent batch's per-transport counts, still to be written (they are for the report only,
/// so `drain` writes them while the next batch is sent).
struct Tallies {
    at: DateTime<Utc>,
    rows: Vec<crate::store::TransportTally>,
}

pub struct Dispatcher {
    store: Arc<dyn Store>,
    composer: Arc<Composer>,
    /// The transports, in the configuration's order (failover goes down this list).
    lanes: Vec<Lane>,
    /// Which lane each campaign's emails take while it is up.
    routes: Routes,
    /// `[[domain_limits]]`; None when there are none.
    domains: Option<Arc<DomainLimits>>,
    retry: RetryPolicy,
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
    /// Every transport was down at the last batch (logged once when it starts and ends).
    all_down: AtomicBool,
}

impl Dispatcher {
    /// A dispatcher over `lanes` (at least one), `routes` saying which lane each campaign's
    /// emails take.
    pub fn new(
        store: Arc<dyn Store>,
        composer: Arc<Composer>,
        lanes: Vec<Lane>,
        routes: Routes,
        retry: RetryPolicy,
    ) -> Self {
        assert!(!lanes.is_empty(), "a dispatcher needs a transport");
        Dispatcher {
            store,
            composer,
            lanes,
            routes,
            domains: None,
            retry,
            lease: chrono::TimeDelta::minutes(5),
            owner: format!("{}:{}", hostname(), std::process::id()),
            recorder: OnceLock::new(),
            record_limits: recorder::Limits::DEFAULT,
            replay_clock: None,
            unless: UnlessRules::default(),
            all_down: AtomicBool::new(false),
        }
    }

    /// The rate the transport may send at now (`None` = unlimited): lowered when its server
    /// throttles, raised back while replies are clean.
    pub fn send_rate(&self) -> Option<f64> {
        self.lanes[0].rate.current()
    }

    /// Whether the transport called `name` is up (None: no such transport): false while it
    /// is down and its emails go to the next one.
    pub fn transport_up(&self, name: &str) -> Option<bool> {
        let lane = self.lanes.iter().find(|l| &*l.name == name)?;
        Some(!lane.health.is_down())
    }

    /// Keeps what `previous` (the dispatcher a SIGHUP replaces) learnt about each transport
    /// that is still the same relay (name and URL): down or up, and its adaptive rate.
    pub fn keep_state_of(mut self, previous: &Dispatcher) -> Self {
        for lane in &mut self.lanes {
            if let Some(old) = previous.lanes.iter().find(|o| o.name == lane.name) {
                lane.keep_state_of(old);
            }
        }
        self.all_down = AtomicBool::new(previous.all_down.load(Ordering::Relaxed));
        self
    }

    /// Holds each listed recipient domain to its rate (`[[domain_limits]]`).
    pub fn with_domain_limits(mut self, limits: Option<DomainLimits>) -> Self {
        self.domains = limits.map(Arc::new);
        self
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
        match self.claim_batch(now).await? {
            Some(batch) => {
                let n = batch.n;
                let tallies = self.send_batch(batch, report).await;
                self.write_tallies(Some(tallies)).await;
                Ok(n)
            }
            None => Ok(0),
        }
    }

    /// Claims a batch due at `now` under a new fencing token; `None` when nothing is due or
    /// every transport is down (then what was handed to the recorder is written first).
    async fn claim_batch(&self, now: DateTime<Utc>) -> Result<Option<Batch>, StoreError> {
        let recorder = self.recorder();
        if let Some(e) = recorder.take_failure() {
            return Err(e);
        }
        // A token per claim: results are recorded only for rows this claim still holds.
        let claim = Arc::new(Claim {
            token: format!("{}/{}", self.owner, uuid::Uuid::now_v7()),
            now,
            replay: self.replay_clock,
        });
        // Even with nothing due: a transport that is back is up again before mail comes.
        for lane in &self.lanes {
            lane.probe_if_down();
        }
        if self.every_transport_down() {
            self.flush().await?;
            return Ok(None);
        }
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
            return Ok(None);
        }
        let at = std::time::Instant::now();
        let n = claimed.len();
        let (claimed, cancelled) = self.unless.cancel_pointless(&*self.store, claimed).await?;
        let prepared = if claimed.is_empty() {
            Prepared::default()
        } else {
            self.composer.prepare(&*self.store, &claimed).await?
        };
        Ok(Some(Batch {
            claim,
            n,
            claimed,
            cancelled,
            prepared,
            at,
        }))
    }

    /// Sends a claimed batch; returns its per-transport counts, still to be written.
    ///
    /// The workers of a lane take the batch's emails one at a time from a shared cursor, so
    /// they finish within one email of each other: split in fixed shares, the batch waited
    /// for its slowest worker while the other connections, and cores, had nothing to do.
    async fn send_batch(&self, batch: Batch, report: &mut DispatchReport) -> Tallies {
        let recorder = self.recorder().clone();
        let Batch {
            claim,
            claimed,
            cancelled,
            prepared,
            at,
            ..
        } = batch;
        let now = claim.now;
        for result in cancelled {
            report.add(&result);
            recorder.record(&claim, result).await;
        }
        let clock = match self.replay_clock {
            Some(at) => Clock::Fixed(at),
            None => Clock::Wall { not_before: now },
        };
        if claimed.is_empty() {
            return Tallies {
                at: clock.now(),
                rows: Vec::new(),
            };
        }
        let by_lane = self.assign(claimed);
        // Stop sending well before the lease ends: past it another replica may claim the same
        // rows, and both would send them. What is left is released for the next claim.
        let deadline = at + self.lease.to_std().unwrap_or_default().mul_f64(0.8);
        let mut tasks = Vec::new();
        for (lane, part) in self.lanes.iter().zip(by_lane) {
            if part.is_empty() {
                continue;
            }
            let way = Way {
                rate: lane.rate.clone(),
                health: lane.health.clone(),
                name: lane.name.clone(),
                domains: self.domains.clone(),
            };
            let workers = lane.senders.len().min(part.len());
            let queue = Arc::new(WorkQueue {
                emails: part,
                next: AtomicUsize::new(0),
                unreachable: OnceLock::new(),
            });
            for sender in &lane.senders[..workers] {
                let sender = sender.clone();
                let composer = self.composer.clone();
                let prepared = prepared.clone();
                let retry = self.retry.clone();
                let way = way.clone();
                let recorder = recorder.clone();
                let claim = claim.clone();
                let queue = queue.clone();
                tasks.push(tokio::spawn(async move {
                    let mut sender = sender.lock().await;
                    let mut report = DispatchReport::default();
                    let mut tally = tally::Tally::default();
                    while let Some(d) = queue.take() {
                        let result = if std::time::Instant::now() > deadline {
                            DeliveryResult::Retry {
                                id: d.id,
                                next_attempt_at: clock.now(),
                                error: "not sent: the batch ran out of lease time".into(),
                            }
                        } else if let Some(outcome) = queue.unreachable.get() {
                            // Once the transport could not be reached, the batch's other
                            // emails for it go back without trying it again (each try could
                            // take the whole timeout).
                            send::hand_back(&retry, d, outcome, &way.name, clock)
                        } else {
                            let (result, lost) = send::send_one(
                                &composer,
                                &prepared,
                                &retry,
                                &way,
                                &mut sender,
                                d,
                                clock,
                            )
                            .await;
                            if lost {
                                let _ =
                                    queue
                                        .unreachable
                                        .set(crate::mailer::SendOutcome::unreachable(format!(
                                            "transport {} unreachable",
                                            way.name
                                        )));
                            }
                            result
                        };
                        report.add(&result);
                        tally.add(&way.name, &d.campaign, &result);
                        // Before the next email: SMTP accepted this one, and until it is
                        // written a crash sends it again.
                        recorder.record(&claim, result).await;
                    }
                    (report, tally)
                }));
            }
        }
        let mut tally = tally::Tally::default();
        for t in tasks {
            match t.await {
                Ok((r, t)) => {
                    report.merge(&r);
                    tally.merge(t);
                }
                // A panicking worker leaves its rows leased: they are re-claimed later.
                Err(e) => tracing::error!(error = %e, "Sender worker failed."),
            }
        }
        Tallies {
            at: clock.now(),
            rows: tally.into_rows(),
        }
    }

    /// Adds a batch's per-transport counts. For the report only: a failed write costs the
    /// batch's counts, not a send.
    async fn write_tallies(&self, tallies: Option<Tallies>) {
        let Some(Tallies { at, rows }) = tallies else {
            return;
        };
        if !rows.is_empty()
            && let Err(e) = self.store.add_transport_tallies(at, &rows).await
        {
            tracing::warn!(error = %e, "Cannot add the batch's per-transport counts.");
        }
    }

    /// Whether every transport is down. Then nothing is claimed: a claim spends an attempt
    /// (given back only when the result is written) and each try costs a connection timeout
    /// per worker, for emails that can only come back. They stay queued, attempts and
    /// `give_up_after` untouched by the outage's length, while the probes go on; the first
    /// transport a probe reaches takes them again. Logged once each way, not once per email.
    fn every_transport_down(&self) -> bool {
        let all = self.lanes.iter().all(|l| l.health.is_down());
        let was = self.all_down.swap(all, Ordering::Relaxed);
        if all && !was {
            tracing::warn!(
                transports = self.lanes.len(),
                "Every transport is down: emails stay queued, spending no attempt, until a probe reaches one."
            );
        } else if was && !all {
            tracing::info!("A transport answers again; sending resumes.");
        }
        all
    }

    /// Each delivery's lane for this batch: its campaign's, or the next one up when that one
    /// is down (decided once per batch).
    fn assign(&self, claimed: Vec<ClaimedDelivery>) -> Vec<Vec<ClaimedDelivery>> {
        let n = self.lanes.len();
        let mut by_lane: Vec<Vec<ClaimedDelivery>> = (0..n).map(|_| Vec::new()).collect();
        if n == 1 {
            by_lane[0] = claimed;
            return by_lane;
        }
        let down: Vec<bool> = self.lanes.iter().map(|l| l.health.is_down()).collect();
        let target: Vec<usize> = (0..n).map(|i| failover::choose(&down, i)).collect();
        for d in claimed {
            by_lane[target[self.routes.lane(&d.campaign)]].push(d);
        }
        by_lane
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
    ///
    /// The next batch is claimed while this one is sent: on PostgreSQL a claim of 500 rows
    /// takes ~20 ms (`bench_send --breakdown`), during which the workers used to wait. Only
    /// while every transport is up and unlimited and no domain is limited: a batch that
    /// waits behind a slow one would spend its lease waiting, and one claimed while a
    /// transport is down would only be handed back. Otherwise claims and sends alternate as
    /// in [`Dispatcher::run_batch`].
    pub async fn drain(&self, now: DateTime<Utc>) -> Result<DispatchReport, StoreError> {
        let mut report = DispatchReport::default();
        let mut next = self.claim_batch(now).await?;
        let mut tallies = None;
        while let Some(batch) = next {
            let ahead = self.domains.is_none()
                && self
                    .lanes
                    .iter()
                    .all(|l| !l.health.is_down() && l.rate.current().is_none());
            next = if !ahead {
                self.write_tallies(tallies.take()).await;
                tallies = Some(self.send_batch(batch, &mut report).await);
                self.claim_batch(now).await?
            } else {
                // The previous batch's counts are written while this one is sent, too.
                let (sent, following, ()) = tokio::join!(
                    self.send_batch(batch, &mut report),
                    self.claim_batch(now),
                    self.write_tallies(tallies.take())
                );
                tallies = Some(sent);
                following?
            };
        }
        self.write_tallies(tallies).await;
        self.flush().await?;
        Ok(report)
    }

    /// Writes what is still pending and ends every worker's session (SMTP QUIT).
    pub async fn close(&self) {
        if let Err(e) = self.flush().await {
            tracing::error!(error = %e, "Cannot record the last results; their rows are re-sent after the lease.");
        }
        for lane in &self.lanes {
            for s in &lane.senders {
                s.lock().await.close().await;
            }
        }
    }
}

/// A lane's share of a batch, taken one email at a time by its workers.
struct WorkQueue {
    emails: Vec<ClaimedDelivery>,
    next: AtomicUsize,
    /// Set by the first worker that could not reach the transport.
    unreachable: OnceLock<crate::mailer::SendOutcome>,
}

impl WorkQueue {
    fn take(&self) -> Option<&ClaimedDelivery> {
        self.emails.get(self.next.fetch_add(1, Ordering::Relaxed))
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "rapport".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Level;

    fn delivery(n: u32) -> ClaimedDelivery {
        ClaimedDelivery {
            id: uuid::Uuid::now_v7(),
            customer_id: format!("c{n}"),
            email: format!("c{n}@example.com"),
            name: String::new(),
            locale: "en".into(),
            timezone: "UTC".into(),
            attributes: serde_json::Value::Null,
            subscribed: true,
            left_topics: Vec::new(),
            suppression: None,
            campaign: "welcome".into(),
            occurrence: "signup".into(),
            current: Level::Basic,
            target: Level::Reactive,
            attempts: 1,
            message_id: String::new(),
            unless_since: None,
            variant: None,
            send_at: Utc::now(),
        }
    }

    #[test]
    fn workers_sharing_a_batch_take_every_email_exactly_once() {
        let queue = Arc::new(WorkQueue {
            emails: (0..1000).map(delivery).collect(),
            next: AtomicUsize::new(0),
            unreachable: OnceLock::new(),
        });
        let takers: Vec<_> = (0..8)
            .map(|_| {
                let queue = queue.clone();
                std::thread::spawn(move || {
                    let mut taken = Vec::new();
                    while let Some(d) = queue.take() {
                        taken.push(d.customer_id.clone());
                    }
                    taken
                })
            })
            .collect();
        let mut all: Vec<String> = takers
            .into_iter()
            .flat_map(|t| t.join().expect("taker"))
            .collect();
        all.sort();
        let mut expected: Vec<String> = (0..1000).map(|n| format!("c{n}")).collect();
        expected.sort();
        assert_eq!(all, expected);
        assert!(queue.take().is_none(), "an emptied queue stays empty");
    }
}
