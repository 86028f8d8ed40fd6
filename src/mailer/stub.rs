//! The test double, shipped with the library like lettre's `StubTransport`: records what
//! would have been sent and answers with outcomes the test chooses.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard},
};

use super::{OutgoingEmail, SendOutcome};

/// Shared by every sender made from it; clone it to keep a handle for assertions.
#[derive(Debug, Clone, Default)]
pub struct StubTransport {
    state: Arc<Mutex<StubState>>,
}

#[derive(Debug, Default)]
struct StubState {
    accepted: Vec<OutgoingEmail>,
    attempts: usize,
    /// Answers for the next sends, in order, before any per-recipient rule.
    next: VecDeque<SendOutcome>,
    /// Answers for a recipient address, every time.
    by_recipient: HashMap<String, SendOutcome>,
}

impl StubTransport {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next sends (by any sender) return these outcomes in order; after that,
    /// per-recipient rules apply, then `Sent`.
    pub fn push_outcomes(&self, outcomes: impl IntoIterator<Item = SendOutcome>) {
        self.lock().next.extend(outcomes);
    }

    /// Every send to `to` returns `outcome` (say, a 5.1.1 hard bounce for one address).
    pub fn set_outcome_for(&self, to: impl Into<String>, outcome: SendOutcome) {
        self.lock().by_recipient.insert(to.into(), outcome);
    }

    /// The emails that were accepted (outcome `Sent`), in order.
    pub fn messages(&self) -> Vec<OutgoingEmail> {
        self.lock().accepted.clone()
    }

    /// How many sends were attempted, whatever their outcome.
    pub fn attempts(&self) -> usize {
        self.lock().attempts
    }

    pub fn sender(&self) -> StubTransport {
        self.clone()
    }

    pub async fn send(&mut self, email: &OutgoingEmail) -> SendOutcome {
        let mut state = self.lock();
        state.attempts += 1;
        let outcome = match state.next.pop_front() {
            Some(outcome) => outcome,
            None => state
                .by_recipient
                .get(&email.to)
                .cloned()
                .unwrap_or(SendOutcome::Sent),
        };
        if outcome.is_sent() {
            state.accepted.push(email.clone());
        }
        outcome
    }

    pub async fn close(&mut self) {}

    // A test that panicked while holding the lock must not hide the state from the rest.
    fn lock(&self) -> MutexGuard<'_, StubState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(to: &str) -> OutgoingEmail {
        OutgoingEmail {
            delivery_id: format!("d-{to}"),
            message_id: "<m@example.com>".to_owned(),
            from: "news@example.com".to_owned(),
            to: to.to_owned(),
            raw: b"Subject: x\r\n\r\nbody\r\n".to_vec(),
        }
    }

    #[tokio::test]
    async fn records_accepted_emails_across_senders() {
        let stub = StubTransport::new();
        let (mut a, mut b) = (stub.sender(), stub.sender());
        assert!(a.send(&email("a@example.com")).await.is_sent());
        assert!(b.send(&email("b@example.com")).await.is_sent());
        let to: Vec<_> = stub.messages().into_iter().map(|m| m.to).collect();
        assert_eq!(to, ["a@example.com", "b@example.com"]);
    }

    #[tokio::test]
    async fn scripted_outcomes_come_first_and_are_not_recorded_as_sent() {
        let stub = StubTransport::new();
        stub.push_outcomes([SendOutcome::retry("451 later")]);
        let mut sender = stub.sender();
        assert!(sender.send(&email("a@example.com")).await.is_retry());
        assert!(sender.send(&email("a@example.com")).await.is_sent());
        assert_eq!((stub.attempts(), stub.messages().len()), (2, 1));
    }

    #[tokio::test]
    async fn per_recipient_outcome_applies_every_time() {
        let stub = StubTransport::new();
        let bounce = crate::mailer::outcome::classify_reply(
            crate::mailer::outcome::Stage::RcptTo,
            550,
            "5.1.1 no such user",
        );
        stub.set_outcome_for("gone@example.com", bounce);
        let mut sender = stub.sender();
        for _ in 0..2 {
            assert!(
                sender
                    .send(&email("gone@example.com"))
                    .await
                    .is_hard_bounce()
            );
        }
        assert!(sender.send(&email("ok@example.com")).await.is_sent());
    }
}
