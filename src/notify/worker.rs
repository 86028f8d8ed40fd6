//! The delivery worker: claims due notifications with a lease, POSTs them concurrently, and
//! records the outcome. A crash between claim and record leaves the rows to the next worker
//! once the lease runs out (so an endpoint may see one event twice — receivers dedupe on
//! `id` — but never zero times).

use super::signature;
use super::{ClaimedNotification, NotificationResult};
use crate::config::NotifyConfig;
use crate::store::Claim;
use crate::store::{Store, StoreError};
use chrono::{DateTime, TimeDelta, Utc};
use futures::StreamExt;
use secrecy::ExposeSecret;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Waits between attempts; after the last one the notification is given up (`failed`).
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Wait after the 1st, 2nd, … failed attempt. Attempts = waits + 1.
    pub waits: Vec<Duration>,
    /// Each wait is stretched or shrunk by up to this share, so endpoints that come back
    /// after an outage are not hit by every retry at once.
    pub jitter: f64,
}

impl Default for RetryPolicy {
    /// 10 attempts over about a day: 10 s, 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 6 h, 12 h.
    fn default() -> Self {
        RetryPolicy {
            waits: [10, 30, 120, 600, 1_800, 3_600, 10_800, 21_600, 43_200]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            jitter: 0.2,
        }
    }
}

impl RetryPolicy {
    /// When to try again after attempt number `attempts` failed; None = give up.
    pub fn next_attempt(&self, attempts: i32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let wait = *self
            .waits
            .get(usize::try_from(attempts).ok()?.checked_sub(1)?)?;
        let factor = if self.jitter > 0.0 {
            1.0 + rand::random_range(-self.jitter..self.jitter)
        } else {
            1.0
        };
        Some(now + TimeDelta::from_std(wait.mul_f64(factor)).unwrap_or(TimeDelta::MAX))
    }
}

#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Notifications claimed per pass.
    pub batch: u32,
    /// POSTs in flight at once.
    pub concurrency: usize,
    /// How long a claim stays ours; after that another worker may take the row.
    pub lease: TimeDelta,
    /// Per-request timeout (connect + response).
    pub timeout: Duration,
    /// Sleep when there was nothing to do.
    pub poll: Duration,
    pub retry: RetryPolicy,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            batch: 64,
            concurrency: 8,
            lease: TimeDelta::minutes(2),
            timeout: Duration::from_secs(10),
            poll: Duration::from_secs(1),
            retry: RetryPolicy::default(),
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub claimed: usize,
    pub delivered: usize,
    pub retried: usize,
    pub failed: usize,
}

pub struct Worker {
    store: Arc<dyn Store>,
    endpoints: HashMap<String, NotifyConfig>,
    names: Vec<String>,
    client: reqwest::Client,
    owner: String,
    opts: WorkerOptions,
}

/// A reqwest client for endpoints: rustls with ring, no redirects (a webhook that redirects
/// is misconfigured; following it would send the signed body somewhere else).
pub(crate) fn client(timeout: Duration) -> reqwest::Client {
    // reqwest is built without a default crypto provider; installing twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("rapport/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a client with rustls+ring builds")
}

impl Worker {
    pub fn new(store: Arc<dyn Store>, endpoints: &[NotifyConfig]) -> Self {
        Self::with_options(store, endpoints, WorkerOptions::default())
    }

    pub fn with_options(
        store: Arc<dyn Store>,
        endpoints: &[NotifyConfig],
        opts: WorkerOptions,
    ) -> Self {
        Worker {
            store,
            endpoints: endpoints
                .iter()
                .map(|e| (e.name.clone(), e.clone()))
                .collect(),
            names: endpoints.iter().map(|e| e.name.clone()).collect(),
            client: client(opts.timeout),
            owner: format!("notify-{}", uuid::Uuid::now_v7()),
            opts,
        }
    }

    /// Claims one batch due at `now`, POSTs it, records the outcomes.
    #[tracing::instrument(skip_all, fields(owner = %self.owner))]
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<Pass, StoreError> {
        if self.names.is_empty() {
            return Ok(Pass::default());
        }
        let claimed = self
            .store
            .claim_notifications(
                Claim {
                    now,
                    limit: self.opts.batch,
                    lease: self.opts.lease,
                    owner: &self.owner,
                },
                &self.names,
            )
            .await?;
        let mut pass = Pass {
            claimed: claimed.len(),
            ..Default::default()
        };
        if claimed.is_empty() {
            return Ok(pass);
        }
        let results: Vec<NotificationResult> = futures::stream::iter(claimed)
            .map(|n| self.deliver(n, now))
            .buffer_unordered(self.opts.concurrency.max(1))
            .collect()
            .await;
        for r in &results {
            match r {
                NotificationResult::Delivered { .. } => pass.delivered += 1,
                NotificationResult::Retry { .. } => pass.retried += 1,
                NotificationResult::Failed { .. } => pass.failed += 1,
            }
        }
        self.store
            .record_notifications(&results, &self.owner, Utc::now().max(now))
            .await?;
        Ok(pass)
    }

    /// Passes until nothing is due at `now` (tests, `run --once`).
    pub async fn drain(&self, now: DateTime<Utc>) -> Result<Pass, StoreError> {
        let mut total = Pass::default();
        loop {
            let p = self.run_once(now).await?;
            total.claimed += p.claimed;
            total.delivered += p.delivered;
            total.retried += p.retried;
            total.failed += p.failed;
            if p.claimed == 0 {
                return Ok(total);
            }
        }
    }

    /// The daemon's loop: passes until `stop` turns true; a pass in flight finishes first
    /// (rows it had not recorded come back when the lease runs out). Database errors are
    /// logged and retried after `poll`: an endpoint or a hiccup never stops the engine.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        if self.names.is_empty() {
            return;
        }
        tracing::info!(endpoints = self.names.len(), "Notification worker started.");
        loop {
            if *stop.borrow() {
                break;
            }
            let busy = match self.run_once(Utc::now()).await {
                Ok(p) => p.claimed as u32 >= self.opts.batch,
                Err(e) => {
                    tracing::warn!(error = %e, "Notification pass failed; retrying.");
                    false
                }
            };
            if !busy {
                tokio::select! {
                    _ = tokio::time::sleep(self.opts.poll) => {}
                    _ = stop.changed() => {}
                }
            }
        }
        tracing::info!("Notification worker stopped.");
    }

    async fn deliver(&self, n: ClaimedNotification, now: DateTime<Utc>) -> NotificationResult {
        let Some(endpoint) = self.endpoints.get(&n.endpoint) else {
            // Claims only ask for configured endpoints; this is a reload race.
            return self.retry_or_fail(&n, now, None, "endpoint not configured".into());
        };
        match post(&self.client, endpoint, &n.event, &n.body).await {
            Ok(status) => {
                tracing::debug!(id = %n.id, endpoint = %n.endpoint, status, "Notification delivered.");
                NotificationResult::Delivered { id: n.id, status }
            }
            Err((status, error)) => {
                tracing::info!(id = %n.id, endpoint = %n.endpoint, attempts = n.attempts, %error, "Notification not accepted.");
                self.retry_or_fail(&n, now, status, error)
            }
        }
    }

    fn retry_or_fail(
        &self,
        n: &ClaimedNotification,
        now: DateTime<Utc>,
        status: Option<u16>,
        error: String,
    ) -> NotificationResult {
        match self.opts.retry.next_attempt(n.attempts, now) {
            Some(next_attempt_at) => NotificationResult::Retry {
                id: n.id,
                next_attempt_at,
                status,
                error,
            },
            None => {
                tracing::warn!(id = %n.id, endpoint = %n.endpoint, %error, "Notification given up after its last attempt.");
                NotificationResult::Failed {
                    id: n.id,
                    status,
                    error,
                }
            }
        }
    }
}

/// POSTs one body; Ok(status) on 2xx, otherwise the status (if any) and a short reason.
async fn post(
    client: &reqwest::Client,
    endpoint: &NotifyConfig,
    event: &str,
    body: &str,
) -> Result<u16, (Option<u16>, String)> {
    let t = Utc::now().timestamp();
    let mut req = client
        .post(&endpoint.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Rapport-Event", event)
        .header("X-Rapport-Timestamp", t.to_string())
        .body(body.to_owned());
    if let Some(secret) = &endpoint.secret {
        req = req.header(
            "X-Rapport-Signature",
            signature::sign(secret.expose_secret().as_bytes(), t, body.as_bytes()),
        );
    }
    match req.send().await {
        Ok(resp) if resp.status().is_success() => Ok(resp.status().as_u16()),
        Ok(resp) => Err((
            Some(resp.status().as_u16()),
            format!("HTTP {}", resp.status()),
        )),
        Err(e) => Err((None, format!("{e}"))),
    }
}

/// `rapport notify-test NAME`: POSTs the sample notification to one endpoint, now, outside
/// the outbox; returns the status the endpoint answered.
pub async fn send_sample(endpoint: &NotifyConfig, timeout: Duration) -> Result<u16, String> {
    let n = super::sample(Utc::now());
    let body = n.body(uuid::Uuid::now_v7());
    match post(&client(timeout), endpoint, n.event.as_str(), &body).await {
        Ok(s) => Ok(s),
        Err((Some(s), _)) => Ok(s),
        Err((None, e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_follow_the_schedule_then_give_up() {
        let p = RetryPolicy {
            waits: vec![Duration::from_secs(10), Duration::from_secs(60)],
            jitter: 0.0,
        };
        let now = Utc::now();
        assert_eq!(p.next_attempt(1, now), Some(now + TimeDelta::seconds(10)));
        assert_eq!(p.next_attempt(2, now), Some(now + TimeDelta::seconds(60)));
        assert_eq!(p.next_attempt(3, now), None);
    }

    #[test]
    fn jitter_stays_within_its_share() {
        let p = RetryPolicy::default();
        let now = Utc::now();
        for _ in 0..100 {
            let t = p.next_attempt(1, now).unwrap() - now;
            assert!(
                t >= TimeDelta::seconds(8) && t <= TimeDelta::seconds(12),
                "{t}"
            );
        }
    }
}
