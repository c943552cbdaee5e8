//! The lecture's demonstration: differentiate `f(x) = x^3` by forward and
//! central differences over steps `h = 1e-1 ... 1e-16`, and by automatic
//! differentiation, and compare each with the exact `3x^2`.
//!
//! ```text
//! forward:  ((x+h)^3 - x^3) / h        = 3x^2 + 3xh + h^2   (truncation 3xh + h^2)
//! central:  ((x+h)^3 - (x-h)^3) / (2h) = 3x^2 + h^2         (truncation h^2)
//! ```
//!
//! In floating point the truncation error shrinks with `h` until round-off,
//! about `eps |f(x)| / h`, takes over: a forward difference is never better
//! than about `sqrt(eps)` relative, a central one `eps^(2/3)`, while the dual
//! number gets `3x^2` to a few ulp at every `x`.

use crate::{derivative, DividedDifference, Scalar, Scheme, Step};
use std::fmt::Write;

/// The steps of the table, `1e-1` down to `1e-16`.
pub const CUBE_STEPS: [f64; 16] = [
    1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14, 1e-15,
    1e-16,
];

/// Points at which the demonstration is shown by default.
pub const CUBE_POINTS: [f64; 3] = [0.5, 2.0, 10.0];

/// One line of the table: the errors at point `x` with step `h`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CubeRow {
    /// Where the derivative is taken.
    pub x: f64,
    /// The step of the divided differences.
    pub h: f64,
    /// `|(f(x+h) - f(x))/h - 3x^2|`.
    pub forward_error: f64,
    /// `3xh + h^2`, the forward difference's error in exact arithmetic.
    pub forward_truncation: f64,
    /// `|(f(x+h) - f(x-h))/(2h) - 3x^2|`.
    pub central_error: f64,
    /// `h^2`, the central difference's error in exact arithmetic.
    pub central_truncation: f64,
    /// `|f'(x) by a dual number - 3x^2|` (the same on every row of one `x`).
    pub ad_error: f64,
}

/// `f(x) = x^3`, written once for `f64` and for duals.
pub fn cube<S: Scalar>(x: S) -> S {
    x * x * x
}

/// The table rows: for each `x` in `points`, one row per step in
/// [`CUBE_STEPS`].
///
/// # Example
/// ```
/// use admix_dual::demo::{cube_table, render_cube_table};
///
/// let rows = cube_table(&[2.0]);
/// assert_eq!(rows.len(), 16);
/// assert_eq!(rows[0].ad_error, 0.0);
/// // At h = 0.1 the forward error is the truncation 3xh + h^2 = 0.61.
/// assert!((rows[0].forward_error - 0.61).abs() < 1e-9);
/// println!("{}", render_cube_table(&rows));
/// ```
pub fn cube_table(points: &[f64]) -> Vec<CubeRow> {
    let mut rows = Vec::with_capacity(points.len() * CUBE_STEPS.len());
    for &x in points {
        let exact = 3.0 * x * x;
        let ad_error = (derivative(cube, x).1 - exact).abs();
        for h in CUBE_STEPS {
            let slope = |scheme| {
                let dd = DividedDifference::new(scheme, Step::Fixed(h));
                // A fixed positive finite step cannot be rejected.
                dd.derivative(cube, x).map_or(f64::NAN, |(_, slope)| slope)
            };
            rows.push(CubeRow {
                x,
                h,
                forward_error: (slope(Scheme::Forward) - exact).abs(),
                forward_truncation: 3.0 * x * h + h * h,
                central_error: (slope(Scheme::Central) - exact).abs(),
                central_truncation: h * h,
                ad_error,
            });
        }
    }
    rows
}

/// The rows as a plain-text table, one block per `x`.
pub fn render_cube_table(rows: &[CubeRow]) -> String {
    let mut out = String::new();
    let mut current = None;
    for row in rows {
        if current != Some(row.x) {
            current = Some(row.x);
            if !out.is_empty() {
                out.push('\n');
            }
            // Writing to a String cannot fail.
            let _ = writeln!(
                out,
                "f(x) = x^3 at x = {}: f'(x) = 3x^2 = {}, automatic differentiation error = {:.1e}",
                row.x,
                3.0 * row.x * row.x,
                row.ad_error
            );
            let _ = writeln!(
                out,
                "{:>7}  {:>13}  {:>13}  {:>13}  {:>13}",
                "h", "forward error", "3xh + h^2", "central error", "h^2"
            );
        }
        let _ = writeln!(
            out,
            "{:>7.0e}  {:>13.3e}  {:>13.3e}  {:>13.3e}  {:>13.3e}",
            row.h,
            row.forward_error,
            row.forward_truncation,
            row.central_error,
            row.central_truncation
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Number of representable f64 between `a` and `b` (same sign assumed).
    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    #[test]
    fn automatic_differentiation_is_within_four_ulp_everywhere() {
        let mut points: Vec<f64> = CUBE_POINTS.to_vec();
        points.extend((1..=400).map(|i| 1.037_f64.powi(i) * 1e-3));
        points.extend((1..=100).map(|i| -0.37 * f64::from(i)));
        for &x in &points {
            let exact = 3.0 * x * x;
            let (_, slope) = derivative(cube, x);
            assert!(ulps(slope, exact) <= 4, "x = {x}: {slope} vs {exact}");
        }
        for row in cube_table(&points) {
            let (_, slope) = derivative(cube, row.x);
            assert_eq!(row.ad_error, (slope - 3.0 * row.x * row.x).abs());
        }
    }

    #[test]
    fn large_steps_show_the_truncation_error() {
        for row in cube_table(&CUBE_POINTS).iter().filter(|r| r.h >= 1e-3) {
            let relative =
                (row.forward_error - row.forward_truncation).abs() / row.forward_truncation;
            assert!(relative < 0.01, "x = {}, h = {}: {relative}", row.x, row.h);
        }
    }

    #[test]
    fn tiny_steps_are_dominated_by_round_off() {
        for row in cube_table(&CUBE_POINTS).iter().filter(|r| r.h == 1e-14) {
            assert!(
                row.forward_error > 1e3 * row.forward_truncation,
                "x = {}: error {} vs truncation {}",
                row.x,
                row.forward_error,
                row.forward_truncation
            );
        }
    }

    /// The smallest forward-difference error over all steps, relative to 3x^2.
    fn best_forward_error(x: f64) -> f64 {
        cube_table(&[x])
            .iter()
            .map(|r| r.forward_error / (3.0 * x * x))
            .fold(f64::INFINITY, f64::min)
    }

    #[test]
    fn forward_differences_never_beat_about_sqrt_eps() {
        // Relative error ~ h/x (truncation) + eps x/h (round-off), at least
        // 2 sqrt(eps) at the best h. The two can partly cancel at one lucky
        // step (x = 10, h = 1e-7 gets 0.085 sqrt(eps)), so one point may
        // beat the bound by up to ~20x, the typical point does not.
        let sqrt_eps = f64::EPSILON.sqrt();
        for &x in &CUBE_POINTS {
            let best = best_forward_error(x);
            assert!(best > 0.05 * sqrt_eps, "x = {x}: best {best}");
        }
        let mut bests: Vec<f64> = (0..200)
            .map(|i| best_forward_error(0.5 + 0.0971 * f64::from(i)))
            .collect();
        bests.sort_by(f64::total_cmp);
        let median = bests[bests.len() / 2];
        println!(
            "median best relative error / sqrt(eps) = {}",
            median / sqrt_eps
        );
        println!(
            "min best relative error / sqrt(eps) = {}",
            bests[0] / sqrt_eps
        );
        assert!(
            median > 0.3 * sqrt_eps && median < 3.0 * sqrt_eps,
            "median {median}"
        );
    }

    #[test]
    fn the_rendered_table_has_one_block_per_point() {
        let text = render_cube_table(&cube_table(&CUBE_POINTS));
        assert_eq!(text.matches("f(x) = x^3 at x =").count(), CUBE_POINTS.len());
        assert_eq!(text.lines().count(), 3 * (CUBE_STEPS.len() + 2) + 2);
        assert!(text.contains("  1e-16  "));
    }
}
