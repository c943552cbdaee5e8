//! Each way a run can end is pinned to the exact status it must report, and
//! the first steps of Adam, heavy-ball and Nesterov momentum are checked
//! against hand computations of their published update rules.

use admix_optim::{
    Adam, CostFunction, Gradient, GradientDescent, Hessian, Minimizer, Momentum, Newton,
    NewtonRoot, NonFinite, OptimError, RootStatus, Status, Stop,
};
use approx::assert_relative_eq;

/// `f(x) = x0^2 + 2 x1^2` with a Hessian chosen by the test and a gradient
/// whose sign the test may flip (a gradient inconsistent with its cost, the
/// usual cause of a failed line search).
struct Bowl {
    hessian: [f64; 4],
    gradient_sign: f64,
}

impl Bowl {
    fn honest() -> Self {
        Bowl {
            hessian: [2.0, 0.0, 0.0, 4.0],
            gradient_sign: 1.0,
        }
    }

    fn lying() -> Self {
        Bowl {
            gradient_sign: -1.0,
            ..Bowl::honest()
        }
    }
}

impl CostFunction for Bowl {
    fn cost(&self, x: &[f64]) -> Result<f64, OptimError> {
        Ok(x[0] * x[0] + 2.0 * x[1] * x[1])
    }
}

impl Gradient for Bowl {
    fn gradient(&self, x: &[f64]) -> Result<Vec<f64>, OptimError> {
        Ok(vec![
            self.gradient_sign * 2.0 * x[0],
            self.gradient_sign * 4.0 * x[1],
        ])
    }
}

impl Hessian for Bowl {
    fn hessian(&self, _x: &[f64]) -> Result<Vec<f64>, OptimError> {
        Ok(self.hessian.to_vec())
    }
}

const START: [f64; 2] = [1.0, -2.0];

#[test]
fn newton_with_a_non_finite_hessian_stops_on_the_hessian() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let problem = Bowl {
            hessian: [2.0, bad, bad, 4.0],
            ..Bowl::honest()
        };
        let report = Minimizer::new(Newton::new())
            .minimize(problem, &START)
            .unwrap();
        assert_eq!(
            report.status,
            Status::NonFinite(NonFinite::Hessian),
            "Hessian entry {bad}"
        );
        // The run stopped before moving.
        assert_eq!(report.iterations, 0);
        assert_eq!(report.x, START.to_vec());
    }
}

/// Newton's full step (the Newton direction of the lying gradient points
/// uphill) is rejected, and no shortened step decreases the cost either.
#[test]
fn newton_whose_steps_never_decrease_the_cost_reports_a_failed_line_search() {
    let report = Minimizer::new(Newton::new())
        .minimize(Bowl::lying(), &START)
        .unwrap();
    assert_eq!(report.status, Status::LineSearchFailed);
    assert_eq!(report.iterations, 0);
    assert_eq!(report.x, START.to_vec());
    // The control: with the honest gradient the same start converges.
    let honest = Minimizer::new(Newton::new())
        .minimize(Bowl::honest(), &START)
        .unwrap();
    assert!(honest.converged(), "{:?}", honest.status);
}

#[test]
fn backtracking_descent_whose_steps_never_decrease_the_cost_reports_a_failed_line_search() {
    let report = Minimizer::new(GradientDescent::backtracking(1.0).unwrap())
        .minimize(Bowl::lying(), &START)
        .unwrap();
    assert_eq!(report.status, Status::LineSearchFailed);
    assert_eq!(report.iterations, 0);
    assert_eq!(report.x, START.to_vec());
    let honest = Minimizer::new(GradientDescent::backtracking(1.0).unwrap())
        .minimize(Bowl::honest(), &START)
        .unwrap();
    assert!(honest.converged(), "{:?}", honest.status);
}

/// `x^2 - 2` has no root among the doubles (the two nearest to sqrt 2 give
/// residuals of about 4e-16), so with a residual tolerance of 0 only the
/// step test can stop the search, once Newton's steps shrink to rounding.
#[test]
fn newton_root_stops_on_the_step_when_the_residual_cannot_reach_zero() {
    let report = NewtonRoot::new()
        .residual(0.0)
        .unwrap()
        .find_with_derivative(|x| (x * x - 2.0, 2.0 * x), 1.0);
    assert_eq!(report.status, RootStatus::ConvergedStep);
    assert!(report.residual > 0.0 && report.residual < 1e-15);
    assert!((report.x[0] - std::f64::consts::SQRT_2).abs() <= 2.0 * f64::EPSILON);
    assert!(report.iterations < 100);
}

/// At a double root Newton converges linearly (halving the error each step),
/// so a loose step tolerance is met while the residual is still far above
/// its tolerance.
#[test]
fn newton_root_at_a_double_root_stops_on_a_loose_step_tolerance() {
    let report = NewtonRoot::new()
        .step(1e-4)
        .unwrap()
        .find_with_derivative(|x| ((x - 1.0) * (x - 1.0), 2.0 * (x - 1.0)), 2.0);
    assert_eq!(report.status, RootStatus::ConvergedStep);
    // The error halves each step: 2^-n after n steps; the last step,
    // 2^-n, is the first at most 1e-4: n = 14.
    assert_eq!(report.iterations, 14);
    assert_eq!(report.x[0], 1.0 + 0.5f64.powi(14));
    assert!(report.residual > 1e-12);
}

/// Newton on `x^3` shrinks `x` by 2/3 a step: ten steps reach neither the
/// residual nor the step tolerance.
#[test]
fn newton_root_out_of_iterations_reports_max_iterations() {
    let report = NewtonRoot::new()
        .max_iterations(10)
        .find_with_derivative(|x| (x * x * x, 3.0 * x * x), 1.0);
    assert_eq!(report.status, RootStatus::MaxIterations);
    assert_eq!(report.iterations, 10);
    assert_eq!(report.iterates.len(), 11);
    assert_relative_eq!(report.x[0], (2.0f64 / 3.0).powi(10), max_relative = 1e-14);
}

/// The iterate after `steps` iterations of `solver` on the bowl from START.
fn after<S: admix_optim::Solver<Bowl>>(solver: S, steps: usize) -> Vec<f64> {
    let report = Minimizer::new(solver)
        .stop(
            Stop::new()
                .gradient_norm(0.0)
                .unwrap()
                .max_iterations(steps),
        )
        .minimize(Bowl::honest(), &START)
        .unwrap();
    assert_eq!(report.status, Status::MaxIterations);
    assert_eq!(report.iterations, steps);
    report.x
}

fn assert_close(got: &[f64], want: [f64; 2]) {
    for (g, w) in got.iter().zip(want) {
        assert_relative_eq!(*g, w, max_relative = 1e-15);
    }
}

/// Kingma and Ba's Algorithm 1 by hand, with moments that make each term
/// visible: rate 0.1, b1 = 0.5, b2 = 0.75, eps = 0.1, gradient (2 x0, 4 x1).
///
/// ```text
/// step 1: g = (2, -8); m = (1, -4); v = (1, 16); m^ = g; v^ = g^2
///         x = (1 - 0.1 * 2 / 2.1, -2 + 0.1 * 8 / 8.1) = (19/21, -154/81)
/// step 2: g = (38/21, -616/81); m = m / 2 + g / 2; v = 3 v / 4 + g^2 / 4
///         x -= 0.1 (m / 0.75) / (sqrt(v / 0.4375) + 0.1)
/// ```
///
/// (the decimal values below are these formulas in 40-digit arithmetic).
#[test]
fn adam_first_two_steps_match_a_hand_computation() {
    let adam = || {
        Adam::new(0.1)
            .unwrap()
            .beta1(0.5)
            .unwrap()
            .beta2(0.75)
            .unwrap()
            .epsilon(0.1)
            .unwrap()
    };
    assert_close(&after(adam(), 1), [19.0 / 21.0, -154.0 / 81.0]);
    assert_close(
        &after(adam(), 2),
        [0.810_805_949_047_888_5, -1.803_013_011_198_406_4],
    );
}

/// Heavy ball, rate 0.1, beta 0.5: `v = beta v + g`, `x -= rate v`.
///
/// ```text
/// step 1: g = (2, -8), v = (2, -8),       x = (0.8, -1.2)
/// step 2: g = (1.6, -4.8), v = (2.6, -8.8), x = (0.54, -0.32)
/// ```
#[test]
fn heavy_ball_first_two_steps_match_a_hand_computation() {
    let heavy = || Momentum::new(0.1, 0.5).unwrap();
    assert_close(&after(heavy(), 1), [0.8, -1.2]);
    assert_close(&after(heavy(), 2), [0.54, -0.32]);
}

/// Nesterov in the form of Sutskever et al. (PyTorch's `nesterov=True`),
/// rate 0.1, beta 0.5: `v = beta v + g`, `x -= rate (g + beta v)`.
///
/// ```text
/// step 1: g = (2, -8),     v = (2, -8),     x = 1 - 0.1 * 3, -2 + 0.1 * 12 = (0.7, -0.8)
/// step 2: g = (1.4, -3.2), v = (2.4, -7.2), x -= 0.1 * (2.6, -6.8) = (0.44, -0.12)
/// ```
#[test]
fn nesterov_first_two_steps_match_a_hand_computation() {
    let nesterov = || Momentum::new(0.1, 0.5).unwrap().nesterov(true);
    assert_close(&after(nesterov(), 1), [0.7, -0.8]);
    assert_close(&after(nesterov(), 2), [0.44, -0.12]);
}
