//! Costs and equations typed as text (`admix::expr::Expr`) handed to the
//! optimisers of `admix::optim`, with derivatives from each source: forward
//! mode, reverse mode, central differences. Every minimiser and root here
//! is known in closed form or from the literature.

mod common;

use admix::dual::{DividedDifference, Dual, Scalar, ScalarFn, Step};
use admix::expr::Expr;
use admix::optim::{
    Adam, Derivatives, GradientDescent, Lbfgs, Minimizer, Momentum, Newton, NewtonRoot, Objective,
    Report, RootStatus, Solver, Stop,
};
use common::System;

const ROSENBROCK: &str = "100*(y - x^2)^2 + (1 - x)^2";

fn parse(text: &str, variables: &[&str]) -> Expr {
    Expr::parse(text, variables).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

/// Every derivative source, with how far its minimiser may sit from the
/// true one on 2-D Rosenbrock (see `rosenbrock_by_every_source`).
fn sources() -> [(Derivatives, f64); 3] {
    [
        (Derivatives::Forward, 1e-8),
        (Derivatives::Reverse, 1e-8),
        (Derivatives::Divided(DividedDifference::default()), 3e-8),
    ]
}

fn minimize<S: Solver<Objective<Expr>>>(
    solver: S,
    f: &Expr,
    source: Derivatives,
    x0: &[f64],
    stop: Stop,
) -> Report {
    Minimizer::new(solver)
        .stop(stop)
        .minimize(Objective::new(f.clone(), source), x0)
        .unwrap_or_else(|e| panic!("{source:?}: {e}"))
}

fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(u, v)| (u - v).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// L-BFGS and Newton from the textbook start (-1.2, 1) reach (1, 1) with
/// each source.
///
/// Tolerances: at (1, 1) the Hessian [[802, -400], [-400, 200]] has its
/// smallest eigenvalue 0.3994, so a gradient norm below 1e-9 puts x within
/// 2.5e-9 of the minimiser: 1e-8 for AD. Central differences have a bias
/// `h^2/6 f_xxx = (6.1e-6)^2 / 6 * 2400 = 1.5e-8` in d/dx at (1, 1), which
/// moves their stationary point by `H^-1 (1.5e-8, 0)`, about (7e-9, 1.5e-8):
/// 3e-8 for them (and `central_differences_shift_the_minimiser_as_predicted`
/// checks that shift itself).
#[test]
fn rosenbrock_by_every_source() {
    let f = parse(ROSENBROCK, &["x", "y"]);
    let stop = || Stop::new().gradient_norm(1e-9).unwrap().max_iterations(200);
    let mut lbfgs_iterations = Vec::new();
    for (source, tol) in sources() {
        let lbfgs = minimize(Lbfgs::new(), &f, source, &[-1.2, 1.0], stop());
        assert!(lbfgs.converged(), "L-BFGS, {source:?}: {:?}", lbfgs.status);
        let off = distance(&lbfgs.x, &[1.0, 1.0]);
        assert!(
            off <= tol,
            "L-BFGS, {source:?}: {:?} is {off:e} away",
            lbfgs.x
        );
        lbfgs_iterations.push(lbfgs.iterations);

        let newton = minimize(Newton::new(), &f, source, &[-1.2, 1.0], stop());
        assert!(
            newton.converged(),
            "Newton, {source:?}: {:?}",
            newton.status
        );
        let off = distance(&newton.x, &[1.0, 1.0]);
        assert!(
            off <= tol,
            "Newton, {source:?}: {:?} is {off:e} away",
            newton.x
        );
        // Nocedal and Wright (2nd ed.), chapter 6: 21 iterations for
        // Newton with a line search from this start.
        assert!(
            newton.iterations <= 30,
            "Newton, {source:?}: {}",
            newton.iterations
        );
    }
    // Both AD modes compute the gradient to round-off: the same path.
    assert_eq!(lbfgs_iterations[0], lbfgs_iterations[1]);
    // argmin's L-BFGS takes 38 iterations from this start (measured in
    // optim/tests/solvers.rs); admix takes 37.
    assert!(
        (20..=50).contains(&lbfgs_iterations[0]),
        "{lbfgs_iterations:?}"
    );
}

/// The minimiser found with central-difference gradients is not (1, 1)
/// but the zero of the differenced gradient. For Rosenbrock the central
/// difference in x errs by `b = h^2/6 f_xxx = h^2/6 * 2400` at (1, 1)
/// (exactly: f is a quartic in x, so no h^4 term) and in y by 0 (f is
/// quadratic in y), so the shift is `-H^-1 (b, 0) = -(b/2, b)` with
/// `H^-1 = [[1/2, 1], [1, 401/200]]`. L-BFGS stops within 2.5e-9 of that
/// point (gradient norm 1e-9, smallest eigenvalue 0.4).
#[test]
fn central_differences_shift_the_minimiser_as_predicted() {
    let f = parse(ROSENBROCK, &["x", "y"]);
    let dd = DividedDifference::default();
    let h = Step::Auto.at(dd.scheme, 1.0).unwrap();
    let b = h * h / 6.0 * 2400.0;
    let predicted = [1.0 - b / 2.0, 1.0 - b];
    let stop = Stop::new().gradient_norm(1e-9).unwrap();
    let report = minimize(
        Lbfgs::new(),
        &f,
        Derivatives::Divided(dd),
        &[-1.2, 1.0],
        stop,
    );
    assert!(report.converged(), "{:?}", report.status);
    let off = distance(&report.x, &predicted);
    assert!(
        off <= 3e-9,
        "{:?}: {off:e} from the predicted {predicted:?} (shift {b:e})",
        report.x
    );
}

/// `f(x, y) = (x - 1)^2 + 10 (y + 2)^2 + x y`: the gradient vanishes where
/// `2x + y = 2` and `x + 20y = -40`, at `(80/39, -82/39)`.
#[test]
fn every_solver_with_every_source_finds_a_quadratic_minimum() {
    let f = parse("(x - 1)^2 + 10*(y + 2)^2 + x*y", &["x", "y"]);
    let minimum = [80.0 / 39.0, -82.0 / 39.0];
    let x0 = [-3.0, 4.0];
    // The Hessian [[2, 1], [1, 20]] has eigenvalues 1.947 and 20.05: the
    // fixed-step methods use rate 1/L = 0.05; a gradient norm of 1e-8
    // leaves x within 1e-8 / 1.947 = 5e-9 of the minimum, which divided
    // differences also reach (a quadratic has no truncation error).
    let stop = |iterations| {
        Stop::new()
            .gradient_norm(1e-8)
            .unwrap()
            .max_iterations(iterations)
    };
    for (source, _) in sources() {
        let reports = [
            (
                "gradient descent",
                minimize(
                    GradientDescent::backtracking(1.0).unwrap(),
                    &f,
                    source,
                    &x0,
                    stop(2000),
                ),
            ),
            (
                "Nesterov",
                minimize(
                    Momentum::new(0.05, 0.5).unwrap().nesterov(true),
                    &f,
                    source,
                    &x0,
                    stop(2000),
                ),
            ),
            ("L-BFGS", minimize(Lbfgs::new(), &f, source, &x0, stop(100))),
            (
                "Newton",
                minimize(Newton::new(), &f, source, &x0, stop(100)),
            ),
        ];
        for (name, report) in reports {
            assert!(
                report.converged(),
                "{name}, {source:?}: {:?}",
                report.status
            );
            let off = distance(&report.x, &minimum);
            assert!(
                off <= 1e-8,
                "{name}, {source:?}: {:?} is {off:e} away",
                report.x
            );
        }
        // Adam's steps are about `rate` long until the moments settle: a
        // looser target, reached within a few thousand steps.
        let adam = minimize(
            Adam::new(0.05).unwrap(),
            &f,
            source,
            &x0,
            Stop::new()
                .gradient_norm(1e-4)
                .unwrap()
                .max_iterations(20_000),
        );
        assert!(adam.converged(), "Adam, {source:?}: {:?}", adam.status);
        assert!(distance(&adam.x, &minimum) <= 1e-4, "Adam: {:?}", adam.x);
    }
}

/// Beale's function (minimum 0 at (3, 1/2)) and Himmelblau's (four minima
/// of value 0, at (3, 2) and three irrational points given to 6 digits by
/// Himmelblau, *Applied Nonlinear Programming*, 1972), typed as text.
#[test]
fn textbook_functions_typed_as_text() {
    let beale = parse(
        "(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2",
        &["x", "y"],
    );
    let stop = || Stop::new().gradient_norm(1e-10).unwrap();
    let report = minimize(
        Lbfgs::new(),
        &beale,
        Derivatives::Reverse,
        &[1.0, 1.0],
        stop(),
    );
    assert!(report.converged(), "{:?}", report.status);
    assert!(distance(&report.x, &[3.0, 0.5]) <= 1e-8, "{:?}", report.x);

    let himmelblau = parse("(x^2 + y - 11)^2 + (x + y^2 - 7)^2", &["x", "y"]);
    let minima = [
        [3.0, 2.0],
        [-2.805118, 3.131312],
        [-3.779310, -3.283186],
        [3.584428, -1.848126],
    ];
    let mut found = [false; 4];
    for x0 in [[0.0, 0.0], [-2.0, 2.0], [-3.0, -3.0], [4.0, -2.0]] {
        let report = minimize(
            Newton::new(),
            &himmelblau,
            Derivatives::Forward,
            &x0,
            stop(),
        );
        assert!(report.converged(), "from {x0:?}: {:?}", report.status);
        assert!(report.cost < 1e-20, "from {x0:?}: cost {}", report.cost);
        let nearest = minima
            .iter()
            .position(|m| distance(m, &report.x) < 1e-5)
            .unwrap_or_else(|| panic!("from {x0:?}: {:?} is no known minimum", report.x));
        found[nearest] = true;
    }
    assert_eq!(found, [true; 4], "each start near a different minimum");
}

/// Rosenbrock in 8 dimensions, written out as text: the minimum is at all
/// ones; reverse mode and forward mode give the same iterates.
#[test]
fn rosenbrock_in_eight_dimensions_typed_as_text() {
    let n = 8;
    let names: Vec<String> = (1..=n).map(|i| format!("x{i}")).collect();
    let text = (1..n)
        .map(|i| format!("100*(x{} - x{i}^2)^2 + (1 - x{i})^2", i + 1))
        .collect::<Vec<_>>()
        .join(" + ");
    let f = Expr::parse(&text, &names).unwrap();
    let x0: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect();
    let stop = || Stop::new().gradient_norm(1e-9).unwrap().max_iterations(500);
    let reverse = minimize(Lbfgs::new(), &f, Derivatives::Reverse, &x0, stop());
    let forward = minimize(Lbfgs::new(), &f, Derivatives::Forward, &x0, stop());
    for report in [&reverse, &forward] {
        assert!(report.converged(), "{:?}", report.status);
        assert!(distance(&report.x, &vec![1.0; n]) <= 1e-7, "{:?}", report.x);
    }
    assert_eq!(reverse.iterations, forward.iterations);
    assert!(distance(&reverse.x, &forward.x) <= 1e-12);
}

/// The cube root of 2 as the root of `x^3 - 2`, with f' by forward mode:
/// within an ulp or two of `2f64.cbrt()`, with quadratic convergence
/// `e_{k+1} / e_k^2 -> f''(r) / (2 f'(r)) = 1 / r`.
#[test]
fn newton_finds_the_cube_root_of_two() {
    let f = parse("x^3 - 2", &["x"]);
    let root = 2f64.cbrt();
    let report = NewtonRoot::new()
        .residual(0.0)
        .unwrap()
        .find(|x: Dual<f64>| f.eval(&[x]), 1.0);
    assert!(report.status.converged(), "{:?}", report.status);
    assert!(
        (report.x[0] - root).abs() <= 2.0 * f64::EPSILON * root,
        "{} against {root}",
        report.x[0]
    );
    let errors: Vec<f64> = report
        .iterates
        .iter()
        .map(|x| (x[0] - root).abs())
        .collect();
    let ratios: Vec<f64> = errors
        .windows(2)
        .filter(|e| e[1] > 1e-12) // above round-off
        .map(|e| e[1] / (e[0] * e[0]))
        .collect();
    assert!(ratios.len() >= 3, "{errors:?}");
    let last = *ratios.last().unwrap();
    assert!((last - 1.0 / root).abs() < 0.05 / root, "{ratios:?}");
    assert!(report.iterations <= 8, "{errors:?}");
}

/// A system typed as text: `x^2 + y^2 = 4` and `x = y` meet at
/// `(sqrt 2, sqrt 2)`; and `exp(x) = y, x + y = 2` against bisection.
#[test]
fn newton_solves_systems_typed_as_text() {
    // Residual test off: iterate until the step is at round-off.
    let newton = NewtonRoot::new().residual(0.0).unwrap();
    let circle = System::parse(&["x^2 + y^2 - 4", "x - y"], &["x", "y"]);
    let report = newton.find_system(&circle, &[1.0, 2.0]).unwrap();
    assert!(report.status.converged(), "{:?}", report.status);
    let r = 2f64.sqrt();
    assert!(distance(&report.x, &[r, r]) <= 1e-14, "{:?}", report.x);

    // exp(x) = 2 - x: a root of g(x) = exp(x) + x - 2, bracketed by [0, 1].
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid.exp() + mid - 2.0 > 0.0 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let curve = System::parse(&["exp(x) - y", "x + y - 2"], &["x", "y"]);
    let report = newton.find_system(&curve, &[0.0, 0.0]).unwrap();
    assert!(report.status.converged(), "{:?}", report.status);
    assert!((report.x[0] - lo).abs() <= 1e-14, "{:?} vs {lo}", report.x);
    assert!((report.x[1] - (2.0 - lo)).abs() <= 1e-14, "{:?}", report.x);
}

/// An equation with no real root gives a clear status, not a hang.
#[test]
fn newton_reports_an_equation_without_a_root() {
    let f = parse("x^2 + 1", &["x"]);
    let report = NewtonRoot::new()
        .max_iterations(50)
        .find(|x: Dual<f64>| f.eval(&[x]), 0.5);
    assert!(!report.status.converged());
    assert!(matches!(
        report.status,
        RootStatus::MaxIterations | RootStatus::SingularDerivative | RootStatus::NonFinite
    ));
}

/// The Expr sits behind the optimiser exactly as a hand-written generic
/// function would: same cost, bitwise.
#[test]
fn an_expr_cost_is_the_hand_written_cost() {
    struct Hand;
    impl ScalarFn for Hand {
        fn eval<S: Scalar>(&self, v: &[S]) -> S {
            let (x, y) = (v[0], v[1]);
            (y - x.powi(2)).powi(2).scale(100.0) + (S::one() - x).powi(2)
        }
    }
    let f = parse(ROSENBROCK, &["x", "y"]);
    for x in [[-1.2_f64, 1.0], [0.3, -0.7], [1.0, 1.0]] {
        assert_eq!(f.eval(&x[..]).to_bits(), Hand.eval(&x[..]).to_bits());
    }
}
