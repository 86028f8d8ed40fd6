//! One email through one worker's connection: checked, rendered, paced (the transport's
//! rate, the recipient domain's limit), sent, and the outcome turned into a delivery result
//! — or, when the transport cannot be reached, handed back to the queue without spending an
//! attempt: the next batch gives it to the next transport that is up (failover), and while
//! none is, nothing is claimed (see `Dispatcher::run_batch`).

use super::compose::{self, Composer};
use super::domain_limits::DomainLimits;
use super::failover::Health;
use super::retry::RetryPolicy;
use super::send_rate::SendRate;
use crate::mailer::{SendOutcome, Sender};
use crate::store::{ClaimedDelivery, DeliveryResult};
use chrono::{DateTime, Utc};
use rand::Rng;
use std::sync::Arc;

/// The time a send records: the wall clock (never before the batch's `now`), or a replay's.
#[derive(Debug, Clone, Copy)]
pub(super) enum Clock {
    Wall { not_before: DateTime<Utc> },
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub(super) fn now(self) -> DateTime<Utc> {
        match self {
            Clock::Wall { not_before } => Utc::now().max(not_before),
            Clock::Fixed(at) => at,
        }
    }
}

/// The way out a worker sends through: its transport's rate and health, and the recipient
/// domains' limits.
#[derive(Clone)]
pub(super) struct Way {
    pub rate: Arc<SendRate>,
    pub health: Arc<Health>,
    /// The transport's name (what `deliveries.transport` records).
    pub name: Arc<str>,
    pub domains: Option<Arc<DomainLimits>>,
}

/// What became of one email, and whether its transport could not be reached.
pub(super) async fn send_one(
    composer: &Composer,
    prepared: &compose::Prepared,
    retry: &RetryPolicy,
    way: &Way,
    sender: &mut Sender,
    d: &ClaimedDelivery,
    clock: Clock,
) -> (DeliveryResult, bool) {
    // Checked at send time: the address may have been suppressed after it was queued.
    if let Some(reason) = &d.suppression
        && !composer.sends_despite(d, reason)
    {
        let reason = reason.clone();
        return (DeliveryResult::Suppressed { id: d.id, reason }, false);
    }
    if !d.subscribed {
        let reason = crate::domain::suppression::reason::UNSUBSCRIBED.into();
        return (DeliveryResult::Suppressed { id: d.id, reason }, false);
    }
    let (email, links) = match composer.compose(d, prepared, clock.now()) {
        Ok(x) => x,
        Err(e) => {
            tracing::warn!(delivery_id = %d.id, error = %e, "Cannot render; delivery failed.");
            let error = e.to_string();
            let failed = DeliveryResult::Failed {
                id: d.id,
                error,
                suppress: None,
            };
            return (failed, false);
        }
    };
    if let Some(domains) = &way.domains {
        domains.ready(&d.email).await;
    }
    way.rate.ready().await;
    let outcome = sender.send(&email).await;
    way.rate.observe(&outcome);
    way.health.observe(&outcome);
    tracing::debug!(delivery_id = %d.id, %outcome, "Send attempt finished.");
    // Not the email's fault: a relay that is gone says nothing about it. Even with one
    // transport (nothing to fail over to) it waits without spending an attempt, as a Postfix
    // queue does, until `give_up_after`; the transport is soon down and then nothing is
    // claimed until a probe reaches it.
    if outcome.is_unreachable() {
        return (hand_back(retry, d, &outcome, &way.name, clock), true);
    }
    let jitter = rand::rng().random::<f64>();
    let attempts = d.attempts.max(1) as u32;
    let result = match retry.result(
        d.id,
        &d.email,
        attempts,
        d.send_at,
        &outcome,
        clock.now(),
        jitter,
    ) {
        DeliveryResult::Sent { id, .. } => DeliveryResult::Sent {
            id,
            links,
            transport: Some(way.name.clone()),
        },
        other => other,
    };
    (result, false)
}

/// An email whose transport cannot be reached, back to the queue for the next batch, which
/// sends it through the next transport once this one is down (see
/// [`RetryPolicy::hand_back`]).
pub(super) fn hand_back(
    retry: &RetryPolicy,
    d: &ClaimedDelivery,
    outcome: &SendOutcome,
    transport: &str,
    clock: Clock,
) -> DeliveryResult {
    let jitter = rand::rng().random::<f64>();
    let attempts = d.attempts.max(1) as u32;
    let result = retry.hand_back(d, attempts, outcome, clock.now(), jitter);
    if matches!(result, DeliveryResult::FailedOver { .. }) {
        metrics::counter!(crate::metric_names::EMAILS_FAILED_OVER, "transport" => transport.to_owned())
            .increment(1);
    }
    result
}
