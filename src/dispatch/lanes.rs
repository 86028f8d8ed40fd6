//! The transports a dispatcher sends through ("lanes"): each with its own workers (one
//! connection each), adaptive rate and health; and which lane each campaign's emails take
//! (its `transport = "…"`, else `[sending]`'s marketing or service default).

use super::failover::Health;
use super::send_rate::SendRate;
use crate::campaigns::Campaign;
use crate::config::TransportPlan;
use crate::mailer::{Sender, Transport};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;

/// One transport as the dispatcher uses it.
pub struct Lane {
    pub name: Arc<str>,
    pub transport: Transport,
    pub senders: Vec<Arc<Mutex<Sender>>>,
    pub rate: Arc<SendRate>,
    pub health: Arc<Health>,
    /// A hash of the URL: whether a reloaded lane is the same relay, without keeping a
    /// second copy of a URL that may hold a password.
    url_key: u64,
    rate_per_second: u32,
}

impl Lane {
    pub fn new(
        name: &str,
        url: &str,
        transport: &Transport,
        pool_size: usize,
        rate_per_second: u32,
        failover_after: std::time::Duration,
    ) -> Self {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        url.hash(&mut hasher);
        Lane {
            url_key: hasher.finish(),
            rate_per_second,
            name: name.into(),
            senders: (0..pool_size.max(1))
                .map(|_| Arc::new(Mutex::new(transport.sender())))
                .collect(),
            transport: transport.clone(),
            rate: Arc::new(SendRate::new(name, rate_per_second)),
            health: Arc::new(Health::new(name, failover_after)),
        }
    }

    /// Keeps what `previous` (the lane before a reload) learnt when it is the same relay
    /// (same name and URL): whether it is down, and its adaptive rate unless
    /// `rate_per_second` changed (then the new setting wins). Without this a SIGHUP would
    /// send a batch into a relay known to be down and at full rate into one that throttles.
    pub fn keep_state_of(&mut self, previous: &Lane) {
        if self.name != previous.name || self.url_key != previous.url_key {
            return;
        }
        self.health.keep_state_of(&previous.health);
        if self.rate_per_second == previous.rate_per_second {
            self.rate = previous.rate.clone();
            self.rate.publish();
        }
    }

    /// Starts a probe when the lane is down and one is due; it brings the lane back when
    /// the relay answers.
    pub fn probe_if_down(&self) {
        if self.health.probe_due() {
            let (transport, health) = (self.transport.clone(), self.health.clone());
            tokio::spawn(async move { health.probed(transport.probe().await) });
        }
    }
}

/// Which lane a campaign's emails take (before failover).
#[derive(Debug, Clone, Default)]
pub struct Routes {
    by_campaign: HashMap<String, usize>,
    /// Campaigns not in the map (a file removed since its emails were queued).
    marketing: usize,
}

impl Routes {
    /// Every campaign's lane. A `transport` naming no transport is an error at its
    /// `file:line:col`, naming the transports there are.
    pub fn new(campaigns: &[Campaign], plan: &TransportPlan) -> Result<Routes, Vec<String>> {
        let mut by_campaign = HashMap::new();
        let mut errors = Vec::new();
        for c in campaigns {
            let lane = match &c.transport {
                Some((name, (line, col))) => match plan.index(name) {
                    Some(i) => i,
                    None => {
                        errors.push(format!(
                            "{}:{line}:{col}: transport = \"{name}\" names no transport: the transports are {}",
                            c.file.display(),
                            plan.names()
                        ));
                        continue;
                    }
                },
                None if c.is_service() => plan.service,
                None => plan.marketing,
            };
            by_campaign.insert(c.id.clone(), lane);
        }
        if errors.is_empty() {
            Ok(Routes {
                by_campaign,
                marketing: plan.marketing,
            })
        } else {
            Err(errors)
        }
    }

    /// The lane of `campaign`'s emails.
    pub fn lane(&self, campaign: &str) -> usize {
        self.by_campaign
            .get(campaign)
            .copied()
            .unwrap_or(self.marketing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailer::SendOutcome;
    use crate::mailer::outcome::{Stage, classify_reply};
    use std::time::Duration;

    fn lane(url: &str, rate: u32) -> Lane {
        let transport = Transport::from_spec("file:///nonexistent", "NONE", None).expect("file");
        Lane::new("bulk", url, &transport, 1, rate, Duration::ZERO)
    }

    #[test]
    fn a_reloaded_lane_of_the_same_relay_keeps_its_down_state_and_lowered_rate() {
        let old = lane("smtp://relay:25", 100);
        old.health
            .observe(&SendOutcome::unreachable("connection refused"));
        old.rate
            .observe(&classify_reply(Stage::MailFrom, 454, "Throttling failure"));
        let lowered = old.rate.current();
        assert!(old.health.is_down() && lowered < Some(100.0), "{lowered:?}");

        let mut same = lane("smtp://relay:25", 100);
        same.keep_state_of(&old);
        assert!(same.health.is_down());
        assert_eq!(same.rate.current(), lowered);

        let mut moved = lane("smtp://other-relay:25", 100);
        moved.keep_state_of(&old);
        assert!(!moved.health.is_down(), "another URL is another relay");
        assert_eq!(moved.rate.current(), Some(100.0));

        let mut reset = lane("smtp://relay:25", 50);
        reset.keep_state_of(&old);
        assert!(reset.health.is_down());
        assert_eq!(
            reset.rate.current(),
            Some(50.0),
            "a new rate_per_second wins"
        );
    }
}
