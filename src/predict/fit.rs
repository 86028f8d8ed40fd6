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
    fn cost(&self, search: &Vec<f64>) -> Result<f64, Error> {
        let params: Vec<f64> = search.iter().map(|&u| from_search(u)).collect();
        let c = (self.0)(&params);
        // A step into an overflow is a bad step, not a failure of the fit.
        Ok(if c.is_finite() { c } else { f64::MAX })
    }
}

/// Parameters stay within e^±15 (3·10⁻⁷ … 3·10⁶, in days or in units of the average spend):
/// the simplex searches u with ln(parameter) = B·tanh(u/B), the identity near the plausible
/// values and flat towards ±B. Shops without drop-out, or whose customers all spend the same
/// (one product at one price), have their optimum at infinity along a ridge on which the
/// forecasts no longer change; far out there the log-gammas lose every digit of the cost and
/// the simplex would crawl for thousands of passes over the sample. Flat ends stop it.
const LOG_BOUND: f64 = 15.0;

fn from_search(u: f64) -> f64 {
    (LOG_BOUND * (u / LOG_BOUND).tanh()).exp()
}

fn to_search(p: f64) -> f64 {
    LOG_BOUND * (p.ln() / LOG_BOUND).clamp(-0.999, 0.999).atanh()
}

/// Nelder–Mead iterations per round; a round that ends short of convergence restarts the
/// simplex around its best point (a collapsed simplex can stall short of the minimum).
const ROUND_ITERS: u64 = 400;
const MAX_ROUNDS: usize = 12;
/// A round that improves the cost by less than this (relative) ends the fit. Shops without
/// drop-out (or with customers who hardly differ in spend) have a likelihood whose optimum is
/// at infinity along a ridge with the predictions held: the simplex would crawl along it for
/// thousands of evaluations, each a pass over the sample, gaining digits no forecast shows.
const ROUND_GAIN: f64 = 1e-9;

/// Minimises `cost` over positive parameters from `start`.
fn minimise(cost: impl Fn(&[f64]) -> f64, start: &[f64]) -> Result<Vec<f64>, FitError> {
    let objective = Objective(cost);
    let mut best: Vec<f64> = start.iter().map(|&p| to_search(p)).collect();
    let mut best_cost = f64::INFINITY;
    for round in 0..MAX_ROUNDS {
        // The first simplex spans the plausible range; a restart only needs to look around.
        let step = if round == 0 { 0.5 } else { 0.1 };
        let mut simplex = vec![best.clone()];
        for i in 0..best.len() {
            let mut v = best.clone();
            v[i] += step;
            simplex.push(v);
        }
        let solver = NelderMead::new(simplex)
            .with_sd_tolerance(1e-12)
            .map_err(|e| FitError::Optimiser(e.to_string()))?;
        let result = Executor::new(objective_ref(&objective), solver)
            .configure(|s| s.max_iters(ROUND_ITERS))
            .run()
            .map_err(|e| FitError::Optimiser(e.to_string()))?;
        let state = result.state();
        best = state
            .get_best_param()
            .cloned()
            .ok_or_else(|| FitError::Optimiser("no best point".into()))?;
        let cost = state.get_best_cost();
        let gain = best_cost - cost;
        best_cost = cost;
        if round > 0 && gain <= ROUND_GAIN * (1.0 + cost.abs()) {
            break;
        }
    }
    Ok(best.iter().map(|&u| from_search(u)).collect())
}

/// Histories per thread below which a likelihood is summed on the calling thread alone.
const PER_THREAD: usize = 8_192;

/// `sum` over `items`, on every core.
fn par_sum<T: Sync>(items: &[T], sum: impl Fn(&[T]) -> f64 + Sync) -> f64 {
    super::parallel::in_parts(items, PER_THREAD, sum)
        .into_iter()
        .sum()
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
        let cost = |p: &[f64]| {
            let model = params(p);
            -par_sum(&weighted, |c| model.total_log_likelihood(c)) / n
        };
        let best = minimise(cost, &start)?;
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
        let mut scaled: Vec<Spend> = usable
            .iter()
            .map(|s| Spend {
                n: s.n,
                mean: s.mean / unit,
            })
            .collect();
        scaled.sort_by_key(|s| s.n);
        let params = |p: &[f64]| GammaGamma {
            p: p[0],
            q: p[1],
            gamma: p[2],
        };
        // When customers hardly differ the likelihood is flat towards q → ∞ (with pγ/(q − 1),
        // the mean, held): the fit may stop far out on that ridge, which predicts the same.
        let cost = |p: &[f64]| {
            let model = params(p);
            -par_sum(&scaled, |c| model.total_log_likelihood(c)) / n
        };
        let best = minimise(cost, &[1.0, 2.0, 1.0])?;
        Ok(GammaGamma {
            gamma: best[2] * unit,
            ..params(&best)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_maps_plausible_parameters_onto_themselves_and_stays_inside_the_bound() {
        for p in [1e-3, 0.243, 4.414, 100.0, 1e5] {
            assert!((from_search(to_search(p)) / p - 1.0).abs() < 1e-9, "{p}");
        }
        assert!(from_search(1e6) <= LOG_BOUND.exp() * (1.0 + 1e-12));
        assert!(from_search(-1e6) >= (-LOG_BOUND).exp() * (1.0 - 1e-12));
    }

    #[test]
    fn a_shop_where_everyone_spends_the_same_fits_to_that_spend() {
        // One product at one price: the likelihood grows without end as the spread goes to
        // zero; the fit must still end, inside the bound, predicting that price.
        let spends: Vec<Spend> = (0..30_000)
            .map(|i| Spend {
                n: 2 + i % 9,
                mean: 25.0,
            })
            .collect();
        let g = GammaGamma::fit(&spends).expect("fit");
        assert!(
            g.p.is_finite() && g.q.is_finite() && g.gamma.is_finite(),
            "{g:?}"
        );
        let next = g.expected_value(&Spend { n: 3, mean: 25.0 });
        assert!((next / 25.0 - 1.0).abs() < 0.01, "{next} {g:?}");
    }

    #[test]
    fn a_shop_without_drop_out_fits_and_keeps_everyone_alive() {
        // Every customer still buying at their own steady pace: drop-out has no evidence,
        // and its parameters run off towards infinity with a/b held.
        let histories: Vec<History> = (0..20_000u32)
            .map(|i| {
                let x = 1 + i % 12;
                let t = 100.0 + f64::from(i % 300);
                History {
                    x,
                    t_x: t - f64::from(i % 5),
                    t,
                }
            })
            .collect();
        let m = BgNbd::fit(&histories).expect("fit");
        assert!(m.a.is_finite() && m.b.is_finite(), "{m:?}");
        let regular = History {
            x: 10,
            t_x: 199.0,
            t: 200.0,
        };
        assert!(m.p_alive(&regular) > 0.95, "{m:?}");
    }
}
