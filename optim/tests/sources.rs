//! One cost written once over `Scalar`; the same solver fed by forward
//! mode, reverse mode and divided differences follows the same iterates as
//! with the hand-written gradient, to within each source's accuracy.

use admix_dual::{DividedDifference, Scheme, Step};
use admix_optim::test_functions::{Beale, Rosenbrock};
use admix_optim::{
    Derivatives, GradientDescent, Hessian, Lbfgs, Minimizer, Newton, Objective, Report, Solver,
    Stop,
};

/// The iterates of a run of `iterations` steps (the gradient test off).
fn iterates<S: Solver<P>, P>(
    solver: S,
    problem: P,
    x0: &[f64],
    iterations: usize,
) -> Vec<Vec<f64>> {
    let stop = Stop::new()
        .gradient_norm(0.0)
        .unwrap()
        .max_iterations(iterations);
    let mut xs = Vec::new();
    let report: Report = Minimizer::new(solver)
        .stop(stop)
        .observer(|_, state| {
            xs.push(state.x.clone());
            admix_optim::Control::Continue
        })
        .minimize(problem, x0)
        .unwrap();
    assert_eq!(report.iterations, iterations, "{:?}", report.status);
    xs
}

fn sources() -> Vec<(Derivatives, f64)> {
    let divided = |scheme| Derivatives::Divided(DividedDifference::new(scheme, Step::Auto));
    // Tolerances on the iterates: AD is exact to round-off; central
    // differences are accurate to ~eps^(2/3) ~ 4e-11 relative, five-point
    // to ~eps^(4/5) ~ 3e-13, forward to ~sqrt(eps) ~ 1.5e-8. The runs below
    // amplify a gradient error by at most ~1e3 (checked by the AD rows,
    // whose differences stay near 1e-13), hence these bounds.
    vec![
        (Derivatives::Forward, 1e-11),
        (Derivatives::Reverse, 1e-11),
        (divided(Scheme::Central), 1e-6),
        (divided(Scheme::FivePoint), 1e-8),
        (divided(Scheme::Forward), 1e-4),
    ]
}

fn max_deviation(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| x.iter().zip(y).map(|(u, v)| (u - v).abs()))
        .fold(0.0, f64::max)
}

fn compare<S, F, P>(
    make: impl Fn() -> S,
    f: F,
    hand: P,
    x0: &[f64],
    iterations: usize,
    tolerances: &[(Derivatives, f64)],
) where
    S: Solver<Objective<F>> + Solver<P>,
    F: admix_dual::ScalarFn + Copy,
    P: Hessian + Copy,
{
    let reference = iterates(make(), hand, x0, iterations);
    for &(source, tol) in tolerances {
        let got = iterates(make(), Objective::new(f, source), x0, iterations);
        let dev = max_deviation(&reference, &got);
        assert!(
            dev <= tol,
            "{source:?}: iterates deviate by {dev:e} (allowed {tol:e})"
        );
    }
}

#[test]
fn lbfgs_iterates_agree_across_gradient_sources() {
    compare(Lbfgs::new, Beale, Beale, &[1.0, 1.0], 12, &sources());
    compare(
        Lbfgs::new,
        Rosenbrock,
        Rosenbrock,
        &[-1.2, 1.0],
        20,
        &sources(),
    );
}

#[test]
fn gradient_descent_iterates_agree_across_gradient_sources() {
    let gd = || GradientDescent::fixed(1e-3).unwrap();
    compare(gd, Rosenbrock, Rosenbrock, &[-1.2, 1.0], 200, &sources());
}

#[test]
fn newton_iterates_agree_across_derivative_sources() {
    // Hessians by differences of a differenced gradient (five-point outer
    // step ~7e-4): relative errors ~1e-5 from forward, ~1e-8 from central,
    // ~1e-10 from five-point gradients.
    let divided = |scheme| Derivatives::Divided(DividedDifference::new(scheme, Step::Auto));
    let tolerances = [
        (Derivatives::Forward, 1e-11),
        (Derivatives::Reverse, 1e-11),
        (divided(Scheme::Central), 1e-5),
        (divided(Scheme::FivePoint), 1e-7),
        (divided(Scheme::Forward), 1e-2),
    ];
    compare(
        Newton::new,
        Rosenbrock,
        Rosenbrock,
        &[-1.2, 1.0],
        15,
        &tolerances,
    );
}

#[test]
fn every_source_reaches_the_minimiser() {
    // A divided-difference gradient is biased by its truncation error, so
    // its zero lies off the true minimiser: by ~h |f'''| / |f''| ~ 1e-5 for
    // forward differences, far less for the others.
    for (source, _) in sources() {
        let stop = Stop::new().gradient_norm(1e-6).unwrap();
        let report = Minimizer::new(Lbfgs::new())
            .stop(stop)
            .minimize(Objective::new(Rosenbrock, source), &[-1.2, 1.0, -1.2, 1.0])
            .unwrap();
        assert!(report.converged(), "{source:?}: {:?}", report.status);
        for x in &report.x {
            assert!((x - 1.0).abs() < 1e-4, "{source:?}: {:?}", report.x);
        }
    }
}
