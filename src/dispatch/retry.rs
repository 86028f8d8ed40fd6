//! Retry policy (which outcome becomes which delivery state), separate from the mechanics
//! of sending (Vector's split). Pure: `now` and the jitter source are arguments.

use crate::domain::suppression::reason;
use crate::mailer::SendOutcome;
use crate::store::DeliveryResult;
use chrono::{DateTime, TimeDelta, Utc};

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Wait after the 1st, 2nd, … failed attempt; the last step repeats.
    pub schedule: Vec<std::time::Duration>,
    pub max_attempts: u32,
    /// How long a throttled email is put back without spending attempts, counted from when
    /// it was first due (`smtp.give_up_after`); past it, throttles spend attempts like any
    /// other retry, so a server that answers "slow down" forever cannot hold it forever.
    pub throttle_limit: std::time::Duration,
}

/// How long a throttled email waits before it is due again. Short: the transport's rate
/// has just been lowered, and that rate (not this wait) is what spaces the sends.
const THROTTLE_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

impl RetryPolicy {
    /// The delivery state after `attempts` attempts (this one included) ended in `outcome`,
    /// for an email first due at `first_due`. `jitter` in [0, 1) spreads retries by up to
    /// ±20 % so a recovered server is not hit by every deferred email in the same second.
    #[allow(clippy::too_many_arguments)] // one per fact the decision rests on
    pub fn result(
        &self,
        id: uuid::Uuid,
        email: &str,
        attempts: u32,
        first_due: DateTime<Utc>,
        outcome: &SendOutcome,
        now: DateTime<Utc>,
        jitter: f64,
    ) -> DeliveryResult {
        let spared = TimeDelta::from_std(self.throttle_limit).unwrap_or(TimeDelta::MAX);
        match outcome {
            SendOutcome::Retry { .. } if outcome.is_throttle() && now - first_due < spared => {
                DeliveryResult::Throttled {
                    id,
                    next_attempt_at: now + scale(THROTTLE_WAIT, jitter),
                    error: outcome.to_string(),
                }
            }
            // The caller adds the links it sent.
            SendOutcome::Sent => DeliveryResult::Sent {
                id,
                links: Vec::new(),
                transport: None,
            },
            SendOutcome::Failed { hard_bounce, .. } => DeliveryResult::Failed {
                id,
                error: outcome.to_string(),
                suppress: hard_bounce
                    .then(|| (email.to_string(), reason::smtp_bounce(outcome.enhanced()))),
            },
            SendOutcome::Retry { .. } if attempts >= self.max_attempts => DeliveryResult::Failed {
                id,
                error: format!("gave up after {attempts} attempts: {outcome}"),
                suppress: None,
            },
            SendOutcome::Retry { .. } => DeliveryResult::Retry {
                id,
                next_attempt_at: now + self.delay(attempts, jitter),
                error: outcome.to_string(),
            },
        }
    }

    /// An email whose transport could not be reached while another transport may take it
    /// (failover): back to the queue like a throttle — due again in about a second, the
    /// claim's attempt given back — so that the next batch sends it through the next
    /// transport once this one is down. Like a throttle, only until it has waited
    /// `throttle_limit` since it was first due; then it is an ordinary retry.
    pub fn hand_back(
        &self,
        d: &crate::store::ClaimedDelivery,
        attempts: u32,
        outcome: &SendOutcome,
        now: DateTime<Utc>,
        jitter: f64,
    ) -> DeliveryResult {
        let spared = TimeDelta::from_std(self.throttle_limit).unwrap_or(TimeDelta::MAX);
        if now - d.send_at < spared {
            DeliveryResult::FailedOver {
                id: d.id,
                next_attempt_at: now + scale(THROTTLE_WAIT, jitter),
                error: format!("transport unreachable, handed to the next: {outcome}"),
            }
        } else {
            self.result(d.id, &d.email, attempts, d.send_at, outcome, now, jitter)
        }
    }

    pub fn delay(&self, attempts: u32, jitter: f64) -> TimeDelta {
        let step = (attempts.max(1) as usize - 1).min(self.schedule.len().saturating_sub(1));
        let base = self
            .schedule
            .get(step)
            .copied()
            .unwrap_or(std::time::Duration::from_secs(60));
        scale(base, jitter)
    }
}

/// `base` spread by ±20 % along `jitter` in [0, 1).
fn scale(base: std::time::Duration, jitter: f64) -> TimeDelta {
    let factor = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
    TimeDelta::from_std(base.mul_f64(factor)).unwrap_or(TimeDelta::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailer::outcome::{Stage, classify_reply as reply};
    use std::time::Duration;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            schedule: vec![
                Duration::from_secs(60),
                Duration::from_secs(300),
                Duration::from_secs(900),
            ],
            max_attempts: 4,
            throttle_limit: Duration::from_secs(3600),
        }
    }

    #[test]
    fn transient_failures_back_off_along_the_schedule_with_jitter() {
        let p = policy();
        assert_eq!(p.delay(1, 0.5), TimeDelta::seconds(60));
        assert_eq!(p.delay(2, 0.5), TimeDelta::seconds(300));
        assert_eq!(
            p.delay(9, 0.5),
            TimeDelta::seconds(900),
            "last step repeats"
        );
        assert_eq!(p.delay(1, 0.0), TimeDelta::seconds(48));
        assert!(p.delay(1, 0.999) < TimeDelta::seconds(73));
    }

    #[test]
    fn retry_turns_into_failure_after_max_attempts() {
        let p = policy();
        let now = Utc::now();
        let id = uuid::Uuid::nil();
        let retry = SendOutcome::retry("451 4.3.0 try later");
        assert!(matches!(
            p.result(id, "a@x.org", 3, now, &retry, now, 0.5),
            DeliveryResult::Retry { .. }
        ));
        assert!(matches!(
            p.result(id, "a@x.org", 4, now, &retry, now, 0.5),
            DeliveryResult::Failed { suppress: None, .. }
        ));
    }

    #[test]
    fn hard_bounce_fails_at_once_and_suppresses_the_address() {
        let bounce = reply(
            Stage::RcptTo,
            550,
            "5.1.1 <a@x.org>: Recipient address rejected: User unknown",
        );
        match policy().result(
            uuid::Uuid::nil(),
            "a@x.org",
            1,
            Utc::now(),
            &bounce,
            Utc::now(),
            0.5,
        ) {
            DeliveryResult::Failed {
                suppress: Some((email, reason)),
                ..
            } => {
                assert_eq!(email, "a@x.org");
                assert!(reason.contains("5.1.1"), "{reason}");
            }
            other => panic!("expected a suppressing failure, got {other:?}"),
        }
    }

    #[test]
    fn a_throttle_goes_back_without_spending_an_attempt_even_at_the_last_one() {
        let p = policy();
        let now = Utc::now();
        let throttle = reply(
            Stage::MailFrom,
            454,
            "Throttling failure: Maximum sending rate",
        );
        match p.result(uuid::Uuid::nil(), "a@x.org", 4, now, &throttle, now, 0.5) {
            DeliveryResult::Throttled {
                next_attempt_at, ..
            } => assert_eq!(next_attempt_at, now + TimeDelta::seconds(1)),
            other => panic!("expected a throttled requeue, got {other:?}"),
        }
    }

    #[test]
    fn a_throttle_spends_attempts_once_the_email_waited_past_the_limit() {
        let p = policy();
        let now = Utc::now();
        let throttle = reply(Stage::Session, 421, "4.7.0 Too many connections");
        let first_due = now - TimeDelta::hours(2);
        assert!(matches!(
            p.result(
                uuid::Uuid::nil(),
                "a@x.org",
                1,
                first_due,
                &throttle,
                now,
                0.5
            ),
            DeliveryResult::Retry { .. }
        ));
        assert!(matches!(
            p.result(
                uuid::Uuid::nil(),
                "a@x.org",
                4,
                first_due,
                &throttle,
                now,
                0.5
            ),
            DeliveryResult::Failed { .. }
        ));
    }
}
