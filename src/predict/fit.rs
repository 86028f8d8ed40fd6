//! Maximum-likelihood fits of the shop's parameters: Nelder–Mead (argmin's) over the
//! logarithms of the parameters, so every step stays positive and the scales (r ≈ 0.2,
//! α ≈ 100 days) do not matter. The likelihoods are smooth and have four parameters at most;
//! a derivative-free simplex is enough and needs no gradients written by hand.

use super::bgnbd::{BgNbd, History};
use super::gamma_gamma::{GammaGamma, Spend};
use argmin::core::{CostFunction, Error, Executor, State};
use argmin::solver::neldermead::NelderMead;
use std::collections::HashMap;

/// Why there is nothing to fit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error("no customer with a purchase to learn from")]
    NoData,
    #[error("no customer has bought twice, so the rhythm cannot be learned yet")]
    NoRepeat,
    #[error("the optimiser failed: {0}")]
    Optimiser(String),
}

struct Objective<F: Fn(&[f64]) -> f64>(F);

impl<F: Fn(&[f64]) -> f64> CostFunction for Objective<F> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, log_params: &Vec<f64>) -> Result<f64, Error> {
        let params: Vec<f64> = log_params.iter().map(|p| p.exp()).collect();
        let c = (self.0)(&params);
        // A step into an overflow is a bad step, not a failure of the fit.
        Ok(if c.is_finite() { c } else { f64::MAX })
    }
}

/// Minimises `cost` over positive parameters from `start`; restarts the simplex once around the
/// best point, as a collapsed simplex can stall short of the minimum.
fn minimise(cost: impl Fn(&[f64]) -> f64, start: &[f64]) -> Result<Vec<f64>, FitError> {
    let objective = Objective(cost);
    let mut best: Vec<f64> = start.iter().map(|p| p.ln()).collect();
    for _ in 0..2 {
        let mut simplex = vec![best.clone()];
        for i in 0..best.len() {
            let mut v = best.clone();
            v[i] += 0.5;
            simplex.push(v);
        }
        let solver = NelderMead::new(simplex)
            .with_sd_tolerance(1e-12)
            .map_err(|e| FitError::Optimiser(e.to_string()))?;
        let result = Executor::new(objective_ref(&objective), solver)
            .configure(|s| s.max_iters(3000))
            .run()
            .map_err(|e| FitError::Optimiser(e.to_string()))?;
        best = result
            .state()
            .get_best_param()
            .cloned()
            .ok_or_else(|| FitError::Optimiser("no best point".into()))?;
    }
    Ok(best.iter().map(|p| p.exp()).collect())
}

/// argmin takes the problem by value; a reference lets the restart reuse it.
fn objective_ref<'a, F: Fn(&[f64]) -> f64>(
    o: &'a Objective<F>,
) -> Objective<impl Fn(&[f64]) -> f64 + 'a> {
    Objective(move |p: &[f64]| (o.0)(p))
}

/// Identical histories counted once with their number, sorted by x so the likelihood computes
/// the per-x terms once: a shop's histories in whole days repeat a lot.
fn distinct(histories: &[History]) -> Vec<(History, f64)> {
    let mut counts: HashMap<(u32, u64, u64), f64> = HashMap::new();
    for h in histories {
        *counts
            .entry((h.x, h.t_x.to_bits(), h.t.to_bits()))
            .or_default() += 1.0;
    }
    let mut out: Vec<(History, f64)> = counts
        .into_iter()
        .map(|((x, t_x, t), n)| {
            (
                History {
                    x,
                    t_x: f64::from_bits(t_x),
                    t: f64::from_bits(t),
                },
                n,
            )
        })
        .collect();
    out.sort_by(|a, b| {
        a.0.x
            .cmp(&b.0.x)
            .then(a.0.t_x.total_cmp(&b.0.t_x))
            .then(a.0.t.total_cmp(&b.0.t))
    });
    out
}

impl BgNbd {
    /// The parameters that make the histories most likely.
    pub fn fit(histories: &[History]) -> Result<BgNbd, FitError> {
        if histories.is_empty() {
            return Err(FitError::NoData);
        }
        if histories.iter().all(|h| h.x == 0) {
            return Err(FitError::NoRepeat);
        }
        let weighted = distinct(histories);
        let n = histories.len() as f64;
        let mean_age = histories.iter().map(|h| h.t).sum::<f64>() / n;
        let params = |p: &[f64]| BgNbd {
            r: p[0],
            alpha: p[1],
            a: p[2],
            b: p[3],
        };
        let start = [1.0, mean_age.max(1.0), 1.0, 1.0];
        let best = minimise(|p| -params(p).total_log_likelihood(&weighted) / n, &start)?;
        Ok(params(&best))
    }
}

impl GammaGamma {
    /// The parameters that make the customers' average spends most likely. Customers with no
    /// spend or a non-positive average (refunds, zero margin) tell the model nothing.
    pub fn fit(spends: &[Spend]) -> Result<GammaGamma, FitError> {
        let usable: Vec<Spend> = spends
            .iter()
            .copied()
            .filter(|s| s.n > 0 && s.mean > 0.0)
            .collect();
        if usable.is_empty() {
            return Err(FitError::NoData);
        }
        let n = usable.len() as f64;
        // Fitted in units of the average spend, so that margins in rials (tens of millions)
        // start the simplex as close as margins in euros; γ is a scale and goes back after.
        let unit = usable.iter().map(|s| s.mean).sum::<f64>() / n;
        let scaled: Vec<Spend> = usable
            .iter()
            .map(|s| Spend {
                n: s.n,
                mean: s.mean / unit,
            })
            .collect();
        let params = |p: &[f64]| GammaGamma {
            p: p[0],
            q: p[1],
            gamma: p[2],
        };
        // When customers hardly differ the likelihood is flat towards q → ∞ (with pγ/(q − 1),
        // the mean, held): the fit may stop far out on that ridge, which predicts the same.
        let cost = |p: &[f64]| -params(p).total_log_likelihood(&scaled) / n;
        let best = minimise(cost, &[1.0, 2.0, 1.0])?;
        Ok(GammaGamma {
            gamma: best[2] * unit,
            ..params(&best)
        })
    }
}
