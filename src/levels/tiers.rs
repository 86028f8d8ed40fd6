use crate::config::{StrategyConfig, StrategyMatrix};
use crate::domain::Level;
use std::fmt;

/// A customer's margin tier: the top `high_share` of customers by margin, the next
/// `medium_share`, and the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    High,
    Medium,
    Low,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::High => "high",
            Tier::Medium => "medium",
            Tier::Low => "low",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many customers share a tier: the rows of Kotler's matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Breadth {
    Few,
    Medium,
    Many,
}

impl Breadth {
    pub fn of(count: u64, cfg: &StrategyConfig) -> Breadth {
        if count <= cfg.few_max {
            Breadth::Few
        } else if count <= cfg.medium_max {
            Breadth::Medium
        } else {
            Breadth::Many
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Breadth::Few => "few",
            Breadth::Medium => "medium",
            Breadth::Many => "many",
        }
    }

    /// The matrix cell: the level worth building with a customer of this tier and breadth.
    pub fn target(self, tier: Tier, matrix: &StrategyMatrix) -> Level {
        let row = match self {
            Breadth::Few => matrix.few,
            Breadth::Medium => matrix.medium,
            Breadth::Many => matrix.many,
        };
        match tier {
            Tier::High => row.high,
            Tier::Medium => row.medium,
            Tier::Low => row.low,
        }
    }
}

impl fmt::Display for Breadth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The margin ranking of the whole customer base, reduced to two cut points and the size
/// of each tier. The store computes it in SQL for a million customers; tests and small
/// sets use [`MarginTiers::from_margins`], which defines the semantics SQL must match:
///
/// - sort margins descending; `k_high = ceil(n × high_share)`,
///   `k_medium = ceil(n × (high_share + medium_share))`;
/// - `high_cut` is the margin of the `k_high`-th customer, `medium_cut` of the `k_medium`-th
///   (`+∞` when the rank is 0, i.e. nobody is in that tier);
/// - a customer is high when `margin ≥ high_cut`, medium when `margin ≥ medium_cut`, else low,
///   and a margin ≤ 0 is always low (someone who never bought is not a top customer, even when
///   most of the base has no margin at all); ties at a cut all go to the upper tier;
/// - the counts are the numbers of customers that [`MarginTiers::tier`] puts in each tier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarginTiers {
    pub high_cut: f64,
    pub medium_cut: f64,
    pub high_count: u64,
    pub medium_count: u64,
    pub low_count: u64,
}

impl MarginTiers {
    pub fn from_margins(margins: &[f64], cfg: &StrategyConfig) -> Self {
        let mut sorted: Vec<f64> = margins.iter().map(|m| sanitize(*m)).collect();
        sorted.sort_by(|a, b| b.total_cmp(a));
        let n = sorted.len();
        let high_share = cfg.high_share.clamp(0.0, 1.0);
        let upper_share = (cfg.high_share + cfg.medium_share).clamp(0.0, 1.0);
        let cut_at = |share: f64| {
            let k = rank_for(n, share);
            if k == 0 { f64::INFINITY } else { sorted[k - 1] }
        };
        let mut tiers = MarginTiers {
            high_cut: cut_at(high_share),
            medium_cut: cut_at(upper_share),
            high_count: 0,
            medium_count: 0,
            low_count: 0,
        };
        for m in &sorted {
            match tiers.tier(*m) {
                Tier::High => tiers.high_count += 1,
                Tier::Medium => tiers.medium_count += 1,
                Tier::Low => tiers.low_count += 1,
            }
        }
        tiers
    }

    pub fn tier(&self, margin: f64) -> Tier {
        let m = sanitize(margin);
        if m <= 0.0 {
            Tier::Low
        } else if m >= self.high_cut {
            Tier::High
        } else if m >= self.medium_cut {
            Tier::Medium
        } else {
            Tier::Low
        }
    }

    pub fn count(&self, tier: Tier) -> u64 {
        match tier {
            Tier::High => self.high_count,
            Tier::Medium => self.medium_count,
            Tier::Low => self.low_count,
        }
    }
}

/// A NaN margin (a bad import) ranks as no margin rather than poisoning the sort.
fn sanitize(m: f64) -> f64 {
    if m.is_nan() { 0.0 } else { m }
}

/// `ceil(n × share)`, forgiving the float error in e.g. `10 × (0.1 + 0.3)`.
fn rank_for(n: usize, share: f64) -> usize {
    let exact = n as f64 * share;
    let k = (exact - 1e-9).ceil().max(0.0) as usize;
    k.min(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> StrategyConfig {
        StrategyConfig::default()
    }

    #[test]
    fn top_ten_percent_is_high_next_thirty_medium_rest_low() {
        let margins: Vec<f64> = (1..=100).map(f64::from).collect();
        let t = MarginTiers::from_margins(&margins, &cfg());
        assert_eq!((t.high_cut, t.medium_cut), (91.0, 61.0));
        assert_eq!((t.high_count, t.medium_count, t.low_count), (10, 30, 60));
        assert_eq!(t.tier(95.0), Tier::High);
        assert_eq!(t.tier(61.0), Tier::Medium);
        assert_eq!(t.tier(60.5), Tier::Low);
    }

    #[test]
    fn a_small_shop_still_has_a_top_customer() {
        let t = MarginTiers::from_margins(&[5.0, 50.0, 20.0], &cfg());
        assert_eq!(t.tier(50.0), Tier::High);
        assert_eq!(t.tier(20.0), Tier::Medium);
        assert_eq!(t.tier(5.0), Tier::Low);
        assert_eq!((t.high_count, t.medium_count, t.low_count), (1, 1, 1));
    }

    #[test]
    fn customers_without_margin_are_low_even_when_they_are_most_of_the_base() {
        let mut margins = vec![0.0; 95];
        margins.extend([10.0, 20.0, 30.0, 40.0, 50.0]);
        let t = MarginTiers::from_margins(&margins, &cfg());
        assert_eq!(t.tier(0.0), Tier::Low);
        assert_eq!(t.high_count + t.medium_count, 5);
        assert_eq!(t.low_count, 95);
    }

    #[test]
    fn ties_at_a_cut_share_the_upper_tier() {
        let t = MarginTiers::from_margins(&[10.0; 20], &cfg());
        assert_eq!(t.high_count, 20);
        assert_eq!(t.tier(10.0), Tier::High);
    }

    #[test]
    fn an_empty_base_has_no_high_or_medium_tier() {
        let t = MarginTiers::from_margins(&[], &cfg());
        assert_eq!(t.tier(1_000.0), Tier::Low);
        assert_eq!((t.high_count, t.medium_count, t.low_count), (0, 0, 0));
    }

    #[test]
    fn breadth_follows_the_tier_size() {
        let c = cfg();
        assert_eq!(Breadth::of(100, &c), Breadth::Few);
        assert_eq!(Breadth::of(101, &c), Breadth::Medium);
        assert_eq!(Breadth::of(10_000, &c), Breadth::Medium);
        assert_eq!(Breadth::of(10_001, &c), Breadth::Many);
    }

    #[test]
    fn the_default_matrix_is_kotlers_with_many_low_reactive() {
        let m = StrategyMatrix::default();
        assert_eq!(Breadth::Many.target(Tier::Low, &m), Level::Reactive);
        assert_eq!(Breadth::Many.target(Tier::High, &m), Level::Accountable);
        assert_eq!(Breadth::Few.target(Tier::High, &m), Level::Partnership);
        assert_eq!(Breadth::Medium.target(Tier::Medium, &m), Level::Accountable);
    }
}
