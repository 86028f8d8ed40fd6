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
}

impl Lane {
    pub fn new(
        name: &str,
        transport: &Transport,
        pool_size: usize,
        rate_per_second: u32,
        failover_after: std::time::Duration,
    ) -> Self {
        Lane {
            name: name.into(),
            senders: (0..pool_size.max(1))
                .map(|_| Arc::new(Mutex::new(transport.sender())))
                .collect(),
            transport: transport.clone(),
            rate: Arc::new(SendRate::new(name, rate_per_second)),
            health: Arc::new(Health::new(name, failover_after)),
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
