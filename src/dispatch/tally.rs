//! A batch's per-transport counts, gathered by the workers as results come and written once
//! the batch is done (`transport_tallies`, read by `rapport report --transports`): the
//! operator's view of which relay sent, failed, throttled or could not be reached.

use crate::store::{DeliveryResult, TransportTally};
use std::collections::HashMap;

/// Counts by (transport, campaign).
#[derive(Debug, Default)]
pub(super) struct Tally(HashMap<(String, String), TransportTally>);

impl Tally {
    /// Counts `result`, which `transport` produced for an email of `campaign`. Suppressed
    /// and cancelled emails never reached a transport and are not counted, nor are emails
    /// released unsent at the end of a lease.
    pub(super) fn add(&mut self, transport: &str, campaign: &str, result: &DeliveryResult) {
        let t = || TransportTally {
            transport: transport.to_owned(),
            campaign: campaign.to_owned(),
            ..Default::default()
        };
        let key = (transport.to_owned(), campaign.to_owned());
        let count = |f: fn(&mut TransportTally) -> &mut u64, m: &mut Self| {
            *f(m.0.entry(key.clone()).or_insert_with(t)) += 1;
        };
        match result {
            DeliveryResult::Sent { .. } => count(|c| &mut c.sent, self),
            DeliveryResult::Failed { .. } => count(|c| &mut c.failed, self),
            DeliveryResult::Throttled { .. } => count(|c| &mut c.throttled, self),
            DeliveryResult::FailedOver { .. } => count(|c| &mut c.failed_over, self),
            DeliveryResult::Retry { .. }
            | DeliveryResult::Suppressed { .. }
            | DeliveryResult::Cancelled { .. } => {}
        }
    }

    pub(super) fn merge(&mut self, other: Tally) {
        for (key, o) in other.0 {
            let c = self.0.entry(key).or_insert_with(|| TransportTally {
                transport: o.transport.clone(),
                campaign: o.campaign.clone(),
                ..Default::default()
            });
            c.sent += o.sent;
            c.failed += o.failed;
            c.throttled += o.throttled;
            c.failed_over += o.failed_over;
        }
    }

    pub(super) fn into_rows(self) -> Vec<TransportTally> {
        self.0.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_counts_each_outcome_under_its_transport_and_campaign() {
        let id = uuid::Uuid::nil();
        let at = chrono::Utc::now();
        let mut a = Tally::default();
        a.add(
            "bulk",
            "offer",
            &DeliveryResult::Sent {
                id,
                links: vec![],
                transport: None,
            },
        );
        let over = DeliveryResult::FailedOver {
            id,
            next_attempt_at: at,
            error: String::new(),
        };
        a.add("primary", "offer", &over);
        let mut b = Tally::default();
        b.add("primary", "offer", &over);
        let gone = DeliveryResult::Suppressed {
            id,
            reason: String::new(),
        };
        b.add("primary", "offer", &gone);
        a.merge(b);
        let mut rows = a.into_rows();
        rows.sort_by(|x, y| x.transport.cmp(&y.transport));
        assert_eq!((rows[0].transport.as_str(), rows[0].sent), ("bulk", 1));
        assert_eq!(
            (rows[1].failed_over, rows[1].sent, rows[1].failed),
            (2, 0, 0)
        );
    }
}
