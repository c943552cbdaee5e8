//! When divided differences are just as good: code whose derivative is
//! not the derivative of the quantity it estimates.
//!
//! AD differentiates the program as written. A table lookup is piecewise
//! constant and a Monte Carlo estimate of a probability counts samples, so
//! the derivative of the code is 0 almost everywhere, while the quantity
//! they stand for has a slope. A divided difference whose step is wider
//! than the table spacing, or wide enough that many samples cross the
//! threshold (with the same random numbers on both sides), sees that slope.

use admix_dual::{Dual, Scalar};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// sin tabulated every `SPACING` on [0, 4].
pub const SPACING: f64 = 0.01;

/// sin(x) read from a table (nearest entry), as legacy code or a
/// measured calibration curve would supply it.
pub fn table_lookup<S: Scalar>(x: S) -> S {
    let entries = (4.0 / SPACING) as usize;
    let i = (x.value_f64() / SPACING).round().clamp(0.0, entries as f64) as usize;
    // The entry is data, not a function of x: its derivative is 0.
    S::constant((i as f64 * SPACING).sin())
}

/// A Monte Carlo estimate of P(theta + Z > 1), Z ~ N(0, 1), from fixed
/// draws `z` (common random numbers): the fraction of samples above 1.
pub fn exceedance<S: Scalar>(theta: S, z: &[f64]) -> S {
    let hits = z
        .iter()
        .filter(|&&zi| (theta + S::constant(zi)).value_f64() > 1.0)
        .count();
    S::constant(hits as f64 / z.len() as f64)
}

/// `n` standard normal draws from `seed`.
pub fn draws(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| StandardNormal.sample(&mut rng)).collect()
}

/// One noisy function at one point: the true slope, the AD derivative of
/// the code, and central differences of the code at several steps.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NoisyCase {
    /// What is differentiated.
    pub name: &'static str,
    /// The point.
    pub x: f64,
    /// The slope of the quantity the code estimates (closed form).
    pub exact: f64,
    /// Forward-mode AD of the code.
    pub ad: f64,
    /// (h, central difference of the code with step h).
    pub differences: Vec<(f64, f64)>,
}

/// The steps tried, from far too small to large.
pub const STEPS: [f64; 8] = [1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1, 3e-1];

fn central(f: impl Fn(f64) -> f64, x: f64) -> Vec<(f64, f64)> {
    STEPS
        .iter()
        .map(|&h| (h, (f(x + h) - f(x - h)) / (2.0 * h)))
        .collect()
}

/// The table lookup at x = 1.234 (d/dx sin = cos) and the exceedance
/// probability at theta = 0.5 from 100 000 draws (d/dtheta = the normal
/// density at 1 - theta).
pub fn cases() -> Vec<NoisyCase> {
    let x = 1.234;
    let lookup = NoisyCase {
        name: "table lookup of sin",
        x,
        exact: x.cos(),
        ad: table_lookup(Dual::new(x, 1.0)).eps,
        differences: central(table_lookup, x),
    };
    let z = draws(100_000, 17);
    let theta = 0.5;
    let density = (-(1.0 - theta) * (1.0 - theta) / 2.0_f64).exp() / std::f64::consts::TAU.sqrt();
    let simulation = NoisyCase {
        name: "Monte Carlo P(theta + Z > 1)",
        x: theta,
        exact: density,
        ad: exceedance(Dual::new(theta, 1.0), &z).eps,
        differences: central(|t| exceedance(t, &z), theta),
    };
    vec![lookup, simulation]
}

/// Each case as a table: the exact slope, AD's, and the differences.
pub fn render(cases: &[NoisyCase]) -> String {
    let mut out = String::new();
    for case in cases {
        out += &format!("{} at {}\n", case.name, case.x);
        out += &format!("  exact slope of the quantity  {:>10.6}\n", case.exact);
        out += &format!("  AD derivative of the code    {:>10.6}\n", case.ad);
        out += "  central differences of the code:\n";
        for (h, slope) in &case.differences {
            out += &format!(
                "    h = {h:<6.0e}  {slope:>10.6}   error {:.1e}\n",
                (slope - case.exact).abs()
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(case: &NoisyCase, h: f64) -> f64 {
        case.differences.iter().find(|d| d.0 == h).unwrap().1
    }

    #[test]
    fn ad_sees_a_flat_code_and_a_well_stepped_difference_sees_the_slope() {
        let cases = cases();
        for case in &cases {
            assert_eq!(case.ad, 0.0, "{}", case.name);
            // A step far below the table spacing or the sample spacing
            // sees the same flat code.
            assert_eq!(at(case, 1e-8), 0.0, "{}", case.name);
        }
        // Table: spacing 0.01, so h = 0.1 spans ten entries; the central
        // difference of the tabulated values is within the truncation
        // (h^2 / 6 ~ 2e-3) plus the rounding of the lookup (0.005 / h).
        let lookup = &cases[0];
        assert!((at(lookup, 1e-1) - lookup.exact).abs() < 0.06);
        // Simulation: at h = 0.1 about 2 h n phi ~ 7000 draws cross, so the
        // noise is ~ sqrt(phi / (2 h n)) ~ 4e-3 and the bias h^2 |phi''| / 6 ~ 1e-3.
        let sim = &cases[1];
        assert!((at(sim, 1e-1) - sim.exact).abs() < 0.02);
    }
}
