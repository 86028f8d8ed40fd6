//! `[[domain_limits]]`: at most `rate` emails a second to the addresses of one recipient
//! domain, across the process and every transport — for senders who deliver straight to
//! the big mailbox providers' MX hosts, which defer bursts. An email over its domain's
//! limit waits for its slot in the worker (it is not failed and spends no attempt).
//! One `governor` limiter per listed domain, paced strictly (a burst of one), so the
//! provider never sees more than the rate in any second.

use crate::config::DomainLimit;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::time::Duration;

pub struct DomainLimits {
    by_domain: HashMap<String, DefaultDirectRateLimiter>,
}

impl DomainLimits {
    /// None without limits: the send path then does not look at domains at all.
    pub fn new(limits: &[DomainLimit]) -> Option<Self> {
        let by_domain: HashMap<String, DefaultDirectRateLimiter> = limits
            .iter()
            .filter_map(|l| {
                let period = Duration::from_secs_f64(1.0 / f64::from(l.rate.max(1)));
                let quota = Quota::with_period(period)?.allow_burst(NonZeroU32::MIN);
                Some((l.domain.to_ascii_lowercase(), RateLimiter::direct(quota)))
            })
            .collect();
        (!by_domain.is_empty()).then_some(DomainLimits { by_domain })
    }

    /// The limiter of `address`'s domain, if it is listed (case does not matter).
    fn limiter(&self, address: &str) -> Option<&DefaultDirectRateLimiter> {
        let (_, domain) = address.rsplit_once('@')?;
        let domain = domain.trim_end_matches('>');
        match self.by_domain.get(domain) {
            Some(l) => Some(l),
            None if domain.bytes().any(|b| b.is_ascii_uppercase()) => {
                self.by_domain.get(&domain.to_ascii_lowercase())
            }
            None => None,
        }
    }

    /// Waits until an email to `address` may go.
    pub async fn ready(&self, address: &str) {
        if let Some(l) = self.limiter(address) {
            l.until_ready().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> DomainLimits {
        DomainLimits::new(&[DomainLimit {
            domain: "gmail.com".into(),
            rate: 2,
        }])
        .expect("limits")
    }

    #[test]
    fn only_listed_domains_are_limited_whatever_the_case() {
        let l = limits();
        assert!(l.limiter("a@gmail.com").is_some());
        assert!(l.limiter("a@GMail.COM").is_some());
        assert!(l.limiter("a@mail.gmail.com").is_none());
        assert!(l.limiter("a@example.org").is_none());
        assert!(DomainLimits::new(&[]).is_none());
    }

    #[test]
    fn a_domain_gets_one_email_per_slot_and_no_burst() {
        let l = limits();
        let g = l.limiter("x@gmail.com").expect("listed");
        assert!(g.check().is_ok());
        assert!(g.check().is_err(), "the next slot is half a second away");
    }
}
