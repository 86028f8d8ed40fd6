//! Which arm of an experiment a customer is in: a deterministic hash, so the answer is the
//! same in every cycle, on every replica and after a restart, with nothing stored until a
//! delivery records it.
//!
//! The unit number is the first 8 bytes of SHA-256 over `(scope, salt, customer)`, read as a
//! big-endian integer over 2^64: uniform, independent between campaigns (the scope is the
//! campaign id, so two campaigns with the same salt do not put the same customers in their
//! hold-outs), and re-randomised by changing the salt. SHA-256 rather than the standard
//! library's hasher because that one is allowed to change between Rust releases, which would
//! move customers between arms on an upgrade.

use sha2::{Digest, Sha256};

/// A number in [0, 1) fixed by (scope, salt, customer).
pub fn unit(scope: &str, salt: &str, customer: &str) -> f64 {
    let mut h = Sha256::new();
    for part in [scope, salt, customer] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // 53 bits: exactly representable in an f64, so the result is < 1.
    (u64::from_be_bytes(first) >> 11) as f64 / (1u64 << 53) as f64
}

/// The index of the weight `u` falls into, the weights laid end to end over [0, 1).
pub fn by_weight(u: f64, weights: &[u32]) -> usize {
    let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    if total == 0 {
        return 0;
    }
    let point = u * total as f64;
    let mut end = 0u64;
    for (i, &w) in weights.iter().enumerate() {
        end += u64::from(w);
        if point < end as f64 {
            return i;
        }
    }
    weights.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_same_customer_gets_the_same_unit_every_time() {
        let a = unit("loyalty-offer", "2026-12", "c-42");
        assert_eq!(a, unit("loyalty-offer", "2026-12", "c-42"));
        assert!((0.0..1.0).contains(&a));
        assert_ne!(
            a,
            unit("loyalty-offer", "2027-01", "c-42"),
            "a new salt re-randomises"
        );
        assert_ne!(
            a,
            unit("win-back", "2026-12", "c-42"),
            "campaigns are independent"
        );
    }

    #[test]
    fn parts_do_not_run_into_each_other() {
        // ("ab", "c") and ("a", "bc") must not hash alike.
        assert_ne!(unit("ab", "c", "x"), unit("a", "bc", "x"));
    }

    #[test]
    fn the_unit_is_pinned_so_an_upgrade_moves_nobody() {
        // If this changes, every running experiment reshuffles its customers.
        // Computed independently with Python's hashlib:
        //   h = sha256(); for p in ("loyalty-offer", "loyalty-offer", "c-1"):
        //       h.update(len(p).to_bytes(8, "big")); h.update(p.encode())
        //   (int.from_bytes(h.digest()[:8], "big") >> 11) / 2**53
        let u = unit("loyalty-offer", "loyalty-offer", "c-1");
        assert_eq!(u, 0.7094785065134649);
    }

    #[test]
    fn weights_split_the_unit_interval_end_to_end() {
        assert_eq!(by_weight(0.0, &[1, 1]), 0);
        assert_eq!(by_weight(0.49, &[1, 1]), 0);
        assert_eq!(by_weight(0.5, &[1, 1]), 1);
        assert_eq!(by_weight(0.99, &[1, 3]), 1);
        assert_eq!(by_weight(0.2, &[1, 3]), 0);
        assert_eq!(by_weight(0.3, &[1, 3]), 1);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(8))]
        /// Over 100,000 customers every arm gets its weight's share within ±1 percentage
        /// point, whatever the weights and the salt.
        #[test]
        fn arms_get_their_weights_within_one_percent_over_100000_customers(
            weights in proptest::collection::vec(1u32..10, 2..5),
            salt in "[a-z0-9]{1,12}",
        ) {
            let mut counts = vec![0u64; weights.len()];
            let n = 100_000;
            for i in 0..n {
                counts[by_weight(unit("c", &salt, &format!("cust-{i}")), &weights)] += 1;
            }
            let total: u32 = weights.iter().sum();
            for (count, w) in counts.iter().zip(&weights) {
                let share = *count as f64 / n as f64;
                let expected = f64::from(*w) / f64::from(total);
                prop_assert!((share - expected).abs() < 0.01, "{share} vs {expected}");
            }
        }
    }
}
