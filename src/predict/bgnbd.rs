//! BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive, a
//! customer buys at a Poisson rate λ ~ Gamma(r, α); after each purchase they drop out with
//! probability p ~ Beta(a, b). Four numbers describe the shop; each customer's own (x, t_x, T)
//! moves their forecast away from the shop's — a lot with many orders, little with one.

use super::hypergeometric::hyp2f1;
use statrs::function::gamma::ln_gamma;

/// One customer's purchase history as BG/NBD sees it, in any time unit (the paper: weeks;
/// rapport: days).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct History {
    /// Repeat purchases: every order after the first.
    pub x: u32,
    /// Time of the last purchase, from the first.
    pub t_x: f64,
    /// Age: time from the first purchase to the end of the observation.
    pub t: f64,
}

/// The shop's fitted parameters.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BgNbd {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

impl BgNbd {
    /// Log-likelihood of one history (equation 6 of the paper, in logs so that customers
    /// with many orders do not overflow).
    pub fn log_likelihood(&self, h: &History) -> f64 {
        let Self { r, alpha, a, b } = *self;
        let x = f64::from(h.x);
        let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
        let a2 = ln_gamma(a + b) + ln_gamma(b + x) - ln_gamma(b) - ln_gamma(a + b + x);
        a1 + a2 + self.alive_or_gone(h, x)
    }

    /// ln[(α+T)^−(r+x) + δ(x>0)·a/(b+x−1)·(α+t_x)^−(r+x)]: the part that depends on the times.
    fn alive_or_gone(&self, h: &History, x: f64) -> f64 {
        let gone = if h.x == 0 {
            0.0
        } else {
            self.a.ln() - (self.b + x - 1.0).ln()
        };
        self.alive_or_gone_with(h, x, gone)
    }

    /// The same with ln[a/(b+x−1)] given (it depends on x alone): two logarithms, one
    /// exponential and one ln_1p per history — the fit evaluates this for every sampled
    /// customer at every step, so it is the fit's cost.
    fn alive_or_gone_with(&self, h: &History, x: f64, gone: f64) -> f64 {
        let a3 = -(self.r + x) * (self.alpha + h.t).ln();
        if h.x == 0 {
            return a3;
        }
        let a4 = gone - (self.r + x) * (self.alpha + h.t_x).ln();
        a3.max(a4) + (-(a3 - a4).abs()).exp().ln_1p()
    }

    /// Sum of the log-likelihoods of distinct histories weighted by how many customers share
    /// each; the terms that depend on x alone are computed once per distinct x (the fit sorts
    /// the histories by x).
    pub fn total_log_likelihood(&self, histories: &[(History, f64)]) -> f64 {
        let Self { r, alpha, a, b } = *self;
        let base = ln_gamma(r) - r * alpha.ln() + ln_gamma(b) - ln_gamma(a + b);
        let ln_a = a.ln();
        let mut per_x: Option<(u32, f64, f64)> = None;
        let mut total = 0.0;
        for (h, weight) in histories {
            let x = f64::from(h.x);
            let (x_part, gone) = match per_x {
                Some((px, v, g)) if px == h.x => (v, g),
                _ => {
                    let v = ln_gamma(r + x) + ln_gamma(b + x) - ln_gamma(a + b + x) - base;
                    let g = if h.x == 0 {
                        0.0
                    } else {
                        ln_a - (b + x - 1.0).ln()
                    };
                    per_x = Some((h.x, v, g));
                    (v, g)
                }
            };
            total += weight * (x_part + self.alive_or_gone_with(h, x, gone));
        }
        total
    }

    /// Probability the customer has not dropped out (equation 13).
    pub fn p_alive(&self, h: &History) -> f64 {
        if h.x == 0 {
            return 1.0;
        }
        let Self { r, alpha, a, b } = *self;
        let x = f64::from(h.x);
        let odds = a / (b + x - 1.0) * ((alpha + h.t) / (alpha + h.t_x)).powf(r + x);
        1.0 / (1.0 + odds)
    }

    /// Expected purchases in the next `horizon`, given the history (equation 10). Includes the
    /// chance that the customer has already dropped out.
    pub fn expected_purchases(&self, h: &History, horizon: f64) -> f64 {
        let Self { r, alpha, a, b } = *self;
        let x = f64::from(h.x);
        let z = horizon / (alpha + h.t + horizon);
        let f = hyp2f1(r + x, b + x, a + b + x - 1.0, z);
        let bracket = 1.0 - ((alpha + h.t) / (alpha + h.t + horizon)).powf(r + x) * f;
        let lead = (a + b + x - 1.0) / (a - 1.0);
        lead * bracket * self.p_alive(h)
    }

    /// Expected time between purchases while alive, as of the last purchase: 1 / E[λ | x
    /// purchases in t_x] = (α + t_x) / (r + x). It does not move until the next order, so a
    /// date derived from it is a stable occurrence; a single buyer gets the shop's α / r.
    pub fn interval(&self, h: &History) -> f64 {
        (self.alpha + h.t_x) / (self.r + f64::from(h.x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The paper's CDNOW estimates (weeks).
    const PAPER: BgNbd = BgNbd {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    };

    #[test]
    fn total_log_likelihood_sums_the_per_customer_terms() {
        let hs = [
            History {
                x: 0,
                t_x: 0.0,
                t: 38.86,
            },
            History {
                x: 2,
                t_x: 30.43,
                t: 38.86,
            },
            History {
                x: 2,
                t_x: 10.0,
                t: 20.0,
            },
            History {
                x: 7,
                t_x: 35.0,
                t: 36.0,
            },
        ];
        let each: f64 =
            hs.iter().map(|h| PAPER.log_likelihood(h)).sum::<f64>() + PAPER.log_likelihood(&hs[3]);
        let weighted: Vec<_> = hs
            .iter()
            .enumerate()
            .map(|(i, h)| (*h, if i == 3 { 2.0 } else { 1.0 }))
            .collect();
        assert!((PAPER.total_log_likelihood(&weighted) - each).abs() < 1e-9);
    }

    #[test]
    fn a_single_buyer_is_alive_and_a_silent_regular_probably_not() {
        assert_eq!(
            PAPER.p_alive(&History {
                x: 0,
                t_x: 0.0,
                t: 30.0
            }),
            1.0
        );
        let recent = PAPER.p_alive(&History {
            x: 10,
            t_x: 30.0,
            t: 30.5,
        });
        let silent = PAPER.p_alive(&History {
            x: 10,
            t_x: 5.0,
            t: 30.5,
        });
        assert!(recent > 0.9, "{recent}");
        assert!(silent < 0.1, "{silent}");
    }

    #[test]
    fn expected_purchases_grow_with_the_horizon_and_the_orders() {
        let h = History {
            x: 2,
            t_x: 30.43,
            t: 38.86,
        };
        let e10 = PAPER.expected_purchases(&h, 10.0);
        let e39 = PAPER.expected_purchases(&h, 39.0);
        assert!(0.0 < e10 && e10 < e39, "{e10} {e39}");
        let busier = PAPER.expected_purchases(
            &History {
                x: 6,
                t_x: 30.43,
                t: 38.86,
            },
            39.0,
        );
        assert!(busier > e39);
        // Someone who just arrived and bought once: the shop's prior over 39 weeks (CDNOW's
        // average is below one repeat purchase).
        let new = PAPER.expected_purchases(
            &History {
                x: 0,
                t_x: 0.0,
                t: 0.0,
            },
            39.0,
        );
        assert!(0.3 < new && new < 1.5, "{new}");
    }

    #[test]
    fn the_interval_shrinks_towards_the_shop_for_few_orders() {
        let one = PAPER.interval(&History {
            x: 0,
            t_x: 0.0,
            t: 10.0,
        });
        assert!((one - 4.414 / 0.243).abs() < 1e-9);
        let weekly = PAPER.interval(&History {
            x: 30,
            t_x: 30.0,
            t: 30.0,
        });
        assert!((weekly - 1.0).abs() < 0.15, "{weekly}");
    }
}
