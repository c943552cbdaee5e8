//! The x^3 demonstration generalised: divided-difference error against the
//! step for any expression, measured against forward mode.

use super::Expr;
use admix_dual::demo::CUBE_STEPS;
use admix_dual::{DividedDifference, Scheme, Step};
use serde::Serialize;

/// Divided-difference errors along one variable at one step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StepRow {
    /// The step.
    pub h: f64,
    /// `|forward difference - AD partial|`.
    pub forward_error: f64,
    /// `|central difference - AD partial|`.
    pub central_error: f64,
}

impl Expr {
    /// For variable `var`, the error of forward and central differences of
    /// the partial derivative at `x` for `h = 1e-1 ... 1e-16`, against the
    /// partial derivative by forward mode (exact to round-off).
    ///
    /// # Panics
    /// If `x` does not hold one value per variable or `var` is out of range.
    #[track_caller]
    pub fn step_errors(&self, x: &[f64], var: usize) -> Vec<StepRow> {
        let exact = admix_dual::gradient(|v| self.eval_at(v), x).1[var];
        let along = |t: f64| {
            let mut point = x.to_vec();
            point[var] = t;
            self.eval_at(&point)
        };
        CUBE_STEPS
            .iter()
            .map(|&h| {
                let error = |scheme| {
                    DividedDifference::new(scheme, Step::Fixed(h))
                        .derivative(along, x[var])
                        .map_or(f64::NAN, |(_, slope)| (slope - exact).abs())
                };
                StepRow {
                    h,
                    forward_error: error(Scheme::Forward),
                    central_error: error(Scheme::Central),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_the_truncation_terms_of_x_cubed_at_large_steps() {
        let f = Expr::parse("x^3", &["x"]).unwrap();
        let rows = f.step_errors(&[2.0], 0);
        // Exact arithmetic: forward error 3xh + h^2, central error h^2.
        assert!((rows[0].forward_error - (0.6 + 0.01)).abs() < 1e-12);
        assert!((rows[0].central_error - 0.01).abs() < 1e-12);
        // At h = 1e-14 round-off (~ eps * 8 / h ~ 1.8e-1) dwarfs 3xh ~ 6e-14.
        assert!(rows[13].forward_error > 1e-4);
    }

    #[test]
    fn measures_each_variable_separately() {
        let f = Expr::parse("x * exp(y)", &["x", "y"]).unwrap();
        let x = [1.5, 0.3];
        let along_y = f.step_errors(&x, 1);
        // Forward error ~ f''(y) h / 2 = 1.5 e^0.3 h / 2 at h = 1e-3.
        let expected = 1.5 * 0.3_f64.exp() * 1e-3 / 2.0;
        assert!((along_y[2].forward_error / expected - 1.0).abs() < 1e-2);
        // f is linear in x: every divided difference is exact up to round-off.
        assert!(f.step_errors(&x, 0)[..8]
            .iter()
            .all(|r| r.forward_error < 1e-6));
    }
}
