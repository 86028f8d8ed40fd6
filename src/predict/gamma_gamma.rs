//! Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"): each order's value is
//! Gamma(p, ν) around the customer's own mean, and ν ~ Gamma(q, γ) across the shop. A
//! customer's expected value per order is a weighted average of the shop's mean and their own,
//! the more orders the closer to their own.

use statrs::function::gamma::ln_gamma;

/// A customer's orders as the spend model sees them: how many, and their average value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spend {
    pub n: u32,
    pub mean: f64,
}

/// The shop's fitted spend parameters.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GammaGamma {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

impl GammaGamma {
    pub fn log_likelihood(&self, s: &Spend) -> f64 {
        let Self { p, q, gamma } = *self;
        let x = f64::from(s.n);
        let px = p * x;
        ln_gamma(px + q) - ln_gamma(px) - ln_gamma(q)
            + q * gamma.ln()
            + (px - 1.0) * s.mean.ln()
            + px * x.ln()
            - (px + q) * (gamma + s.mean * x).ln()
    }

    /// The sum over customers; the terms that depend on the number of orders alone are
    /// computed once per run of equal `n` (the fit sorts the spends by `n`), leaving one
    /// logarithm per customer.
    pub fn total_log_likelihood(&self, spends: &[Spend]) -> f64 {
        let Self { p, q, gamma } = *self;
        let q_ln_gamma = q * gamma.ln() - ln_gamma(q);
        let mut per_n: Option<(u32, f64)> = None;
        let mut total = 0.0;
        for s in spends {
            let x = f64::from(s.n);
            let px = p * x;
            let n_part = match per_n {
                Some((n, v)) if n == s.n => v,
                _ => {
                    let v = ln_gamma(px + q) - ln_gamma(px) + px * x.ln() + q_ln_gamma;
                    per_n = Some((s.n, v));
                    v
                }
            };
            total += n_part + (px - 1.0) * s.mean.ln() - (px + q) * (gamma + s.mean * x).ln();
        }
        total
    }

    /// Expected value of the customer's next order: p(γ + n·m̄) / (p·n + q − 1). With no
    /// orders, the shop's mean pγ / (q − 1).
    pub fn expected_value(&self, s: &Spend) -> f64 {
        let Self { p, q, gamma } = *self;
        let x = f64::from(s.n);
        let mean = if s.n == 0 { 0.0 } else { s.mean.max(0.0) };
        p * (gamma + mean * x) / (p * x + q - 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The paper's CDNOW spend estimates (dollars).
    const PAPER: GammaGamma = GammaGamma {
        p: 6.25,
        q: 3.74,
        gamma: 15.44,
    };

    #[test]
    fn total_log_likelihood_sums_the_per_customer_terms() {
        let spends = [
            Spend { n: 1, mean: 20.0 },
            Spend { n: 2, mean: 35.0 },
            Spend { n: 2, mean: 12.5 },
            Spend { n: 7, mean: 40.0 },
        ];
        let each: f64 = spends.iter().map(|s| PAPER.log_likelihood(s)).sum();
        assert!((PAPER.total_log_likelihood(&spends) - each).abs() < 1e-9);
    }

    #[test]
    fn more_orders_pull_the_value_towards_the_customers_own_mean() {
        let shop = PAPER.expected_value(&Spend { n: 0, mean: 0.0 });
        assert!((shop - 6.25 * 15.44 / 2.74).abs() < 1e-9);
        let few = PAPER.expected_value(&Spend { n: 1, mean: 100.0 });
        let many = PAPER.expected_value(&Spend { n: 20, mean: 100.0 });
        assert!(
            shop < few && few < many && many < 100.0,
            "{shop} {few} {many}"
        );
    }

    #[test]
    fn the_fit_recovers_a_population_it_was_drawn_from() {
        use rand::{Rng, SeedableRng};
        let truth = GammaGamma {
            p: 4.0,
            q: 5.0,
            gamma: 60.0,
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        // Whole shapes, so a Gamma(k, rate) draw is a sum of k exponential ones.
        let mut gamma = |shape: u32, rate: f64| -> f64 {
            (0..shape)
                .map(|_| -(1.0 - rng.random::<f64>()).ln())
                .sum::<f64>()
                / rate
        };
        let spends: Vec<Spend> = (0..4000)
            .map(|i| {
                let nu = gamma(5, 60.0);
                let n = 1 + i % 6;
                let total: f64 = (0..n).map(|_| gamma(4, nu)).sum();
                Spend {
                    n,
                    mean: total / f64::from(n),
                }
            })
            .collect();
        let fit = GammaGamma::fit(&spends).unwrap();
        // The mean per order p·γ/(q−1) is identified well; the split between p, q, γ less so.
        let mean = |g: &GammaGamma| g.p * g.gamma / (g.q - 1.0);
        assert!((mean(&fit) / mean(&truth) - 1.0).abs() < 0.05, "{fit:?}");
        assert!((fit.p / truth.p - 1.0).abs() < 0.2, "{fit:?}");
        // The same shop in rials: the same shape, γ scaled.
        let rials: Vec<Spend> = spends
            .iter()
            .map(|s| Spend {
                n: s.n,
                mean: s.mean * 1e6,
            })
            .collect();
        let in_rials = GammaGamma::fit(&rials).unwrap();
        assert!(
            (in_rials.p / fit.p - 1.0).abs() < 1e-3,
            "{in_rials:?} vs {fit:?}"
        );
        assert!(
            (in_rials.gamma / (fit.gamma * 1e6) - 1.0).abs() < 1e-3,
            "{in_rials:?}"
        );
    }
}
