//! Gauss's hypergeometric function ₂F₁(a, b; c; z) for 0 ≤ z < 1, which BG/NBD's conditional
//! expectation needs; `statrs` has no hypergeometric functions.

/// ₂F₁ by its power series. BG/NBD calls it with z = t / (α + T + t): under 0.95 for any
/// horizon up to ~20 times a customer's age, where the series converges in a few hundred terms.
/// Terms are summed until they stop changing the sum (relative 1e-15) or 100,000 terms.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    debug_assert!((0.0..1.0).contains(&z), "z = {z} outside [0, 1)");
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 0..100_000u32 {
        let n = f64::from(n);
        term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        sum += term;
        if term.abs() <= 1e-15 * sum.abs() {
            break;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_closed_forms() {
        // ₂F₁(1, 1; 2; z) = −ln(1 − z) / z
        let z: f64 = 0.6;
        assert!((hyp2f1(1.0, 1.0, 2.0, z) - (-(1.0 - z).ln() / z)).abs() < 1e-12);
        // ₂F₁(a, b; b; z) = (1 − z)^(−a)
        assert!((hyp2f1(2.5, 3.0, 3.0, 0.3) - 0.7f64.powf(-2.5)).abs() < 1e-12);
        assert_eq!(hyp2f1(1.0, 1.0, 2.0, 0.0), 1.0);
    }

    #[test]
    fn converges_close_to_one() {
        let z: f64 = 0.98;
        assert!((hyp2f1(1.0, 1.0, 2.0, z) - (-(1.0 - z).ln() / z)).abs() < 1e-9);
    }
}
