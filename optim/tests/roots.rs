//! Newton's method for equations: convergence rates and clear failures.

use admix_dual::{Dual, Float, Scalar, VectorFn};
use admix_optim::test_functions::BoundaryValueProblem;
use admix_optim::{NewtonRoot, RootStatus};

/// Bisection to full precision: the independent reference root.
fn bisect(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64) -> f64 {
    assert!(f(lo) * f(hi) < 0.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) == 0.0 || mid == lo || mid == hi {
            return mid;
        }
        if f(lo) * f(mid) < 0.0 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    0.5 * (lo + hi)
}

/// `e_k = |x_k - root|` along the iterates.
fn errors(iterates: &[Vec<f64>], root: f64) -> Vec<f64> {
    iterates.iter().map(|x| (x[0] - root).abs()).collect()
}

#[test]
fn convergence_is_quadratic_at_a_simple_root() {
    // Newton's own example, x^3 - 2x - 5 = 0, f' by forward mode.
    let root = bisect(|x| x * x * x - 2.0 * x - 5.0, 2.0, 3.0);
    let report = NewtonRoot::new().find(|x: Dual<f64>| x * x * x - 2.0 * x - 5.0, 3.0);
    assert_eq!(report.status, RootStatus::ConvergedResidual);
    // |f| <= 1e-12 and f'(r) ~ 11: the error is below 1e-13.
    assert!((report.x[0] - root).abs() <= 1e-13);
    // e_{k+1} / e_k^2 -> |f''(r) / (2 f'(r))| = 3r / (3r^2 - 2) ~ 0.563.
    let limit = 3.0 * root / (3.0 * root * root - 2.0);
    let e = errors(&report.iterates, root);
    let ratios: Vec<f64> = e
        .windows(2)
        .filter(|w| w[1] > 1e-13) // above round-off
        .map(|w| w[1] / (w[0] * w[0]))
        .collect();
    assert!(ratios.len() >= 3, "{e:?}");
    for r in &ratios {
        assert!(*r > 0.2 && *r < 1.0, "ratio {r} in {ratios:?}");
    }
    let last = ratios[ratios.len() - 1];
    assert!((last - limit).abs() < 0.05 * limit, "{last} vs {limit}");
}

#[test]
fn convergence_is_linear_with_ratio_one_half_at_a_double_root() {
    // (x - 1)^2 (x + 2): double root at 1, derivative by hand.
    let f_df = |x: f64| {
        let f = (x - 1.0).powi(2) * (x + 2.0);
        let df = 2.0 * (x - 1.0) * (x + 2.0) + (x - 1.0).powi(2);
        (f, df)
    };
    let report = NewtonRoot::new().find_with_derivative(f_df, 2.0);
    assert!(report.status.converged(), "{:?}", report.status);
    let e = errors(&report.iterates, 1.0);
    // e_{k+1} / e_k = (e + 3)/(2e + 6) * ... -> 1/2 exactly in the limit:
    // here e_{k+1} = e_k (e_k + 3) / (3 e_k + 6) with e = x - 1 (from the
    // closed form of the step), so ratios approach 1/2 from above.
    let ratios: Vec<f64> = e
        .windows(2)
        .filter(|w| w[0] < 1e-2 && w[1] > 1e-7)
        .map(|w| w[1] / w[0])
        .collect();
    assert!(ratios.len() >= 5, "{e:?}");
    for r in ratios {
        assert!((r - 0.5).abs() < 0.01, "ratio {r}");
    }
}

struct Cubic3;

/// x + y + z = 6, xyz = 6, x^2 + y^2 + z^2 = 14: roots are the
/// permutations of (1, 2, 3).
impl VectorFn for Cubic3 {
    fn eval<S: Scalar>(&self, v: &[S]) -> Vec<S> {
        let (x, y, z) = (v[0], v[1], v[2]);
        vec![
            x + y + z - S::constant(6.0),
            x * y * z - S::constant(6.0),
            x * x + y * y + z * z - S::constant(14.0),
        ]
    }
}

#[test]
fn systems_converge_with_the_ad_jacobian() {
    let report = NewtonRoot::new()
        .find_system(&Cubic3, &[0.8, 2.3, 3.4])
        .unwrap();
    assert!(report.status.converged(), "{:?}", report.status);
    let mut root = report.x.clone();
    root.sort_by(f64::total_cmp);
    for (r, e) in root.iter().zip([1.0, 2.0, 3.0]) {
        assert!((r - e).abs() < 1e-12, "{:?}", report.x);
    }
    // Quadratic convergence in the residual: each residual below the
    // square of the previous one (times a modest constant) once small.
    let residuals: Vec<f64> = report
        .iterates
        .iter()
        .map(|x| {
            let f = Cubic3.eval(x);
            f.iter().map(|v| v * v).sum::<f64>().sqrt()
        })
        .collect();
    for w in residuals.windows(2).filter(|w| w[0] < 0.1 && w[1] > 1e-13) {
        assert!(w[1] <= 10.0 * w[0] * w[0], "{residuals:?}");
    }
}

#[test]
fn failures_are_reported_not_hidden() {
    // No real root: the iteration wanders until the limit.
    let none = NewtonRoot::new()
        .max_iterations(60)
        .find(|x: Dual<f64>| x * x + 1.0, 0.5);
    assert!(!none.status.converged());
    assert!(matches!(
        none.status,
        RootStatus::MaxIterations | RootStatus::SingularDerivative | RootStatus::NonFinite
    ));
    // Newton on atan diverges from |x0| > 1.3917.
    let diverging = NewtonRoot::new().find(|x: Dual<f64>| x.atan(), 2.0);
    assert!(
        !diverging.status.converged(),
        "{:?} {:?}",
        diverging.status,
        diverging.iterates
    );
    assert!(diverging.iterates.len() <= 101);
    // A horizontal tangent: the step is undefined.
    let flat = NewtonRoot::new().find(|x: Dual<f64>| x * x - 1.0, 0.0);
    assert_eq!(flat.status, RootStatus::SingularDerivative);
    // A non-finite start.
    let nan = NewtonRoot::new().find(|x: Dual<f64>| x - 1.0, f64::NAN);
    assert_eq!(nan.status, RootStatus::NonFinite);
    // A singular Jacobian everywhere: x + y = 0 and 2x + 2y = 1.
    struct Parallel;
    impl VectorFn for Parallel {
        fn eval<S: Scalar>(&self, v: &[S]) -> Vec<S> {
            let two = S::constant(2.0);
            vec![v[0] + v[1], two * v[0] + two * v[1] - S::one()]
        }
    }
    let singular = NewtonRoot::new()
        .find_system(&Parallel, &[1.0, 0.0])
        .unwrap();
    assert_eq!(singular.status, RootStatus::SingularDerivative);
    // More equations than unknowns is a shape error.
    struct Three;
    impl VectorFn for Three {
        fn eval<S: Scalar>(&self, v: &[S]) -> Vec<S> {
            vec![v[0], v[1], v[0] + v[1]]
        }
    }
    assert!(NewtonRoot::new().find_system(&Three, &[1.0, 1.0]).is_err());
}

/// The sparse Newton (tape Jacobian, sparse LU) takes the same steps as the
/// dense one (forward-mode Jacobian, dense LU) on a small grid.
#[test]
fn sparse_newton_takes_the_dense_steps() {
    let x0 = vec![0.0; 30];
    let dense = NewtonRoot::new()
        .find_system(&BoundaryValueProblem, &x0)
        .unwrap();
    let sparse = NewtonRoot::new()
        .find_sparse_system(&BoundaryValueProblem, &x0)
        .unwrap();
    assert!(dense.status.converged());
    assert_eq!(sparse.status, dense.status);
    assert_eq!(sparse.iterations, dense.iterations);
    for (a, b) in sparse.iterates.iter().zip(&dense.iterates) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= 1e-13 * (1.0 + y.abs()), "{x} vs {y}");
        }
    }
}

/// A grid of 10^5 points (seconds, in a test build): converged, and the residual recomputed on plain f64 is at
/// round-off.
#[test]
fn sparse_newton_solves_a_large_grid() {
    let n = 100_000;
    let report = NewtonRoot::new()
        .find_sparse_system(&BoundaryValueProblem, &vec![0.0; n])
        .unwrap();
    assert!(report.status.converged(), "{:?}", report.status);
    let r = BoundaryValueProblem.eval(&report.x);
    assert!(r.iter().all(|ri| ri.abs() < 1e-13));
    // u is symmetric about the middle and positive inside.
    assert!((report.x[0] - report.x[n - 1]).abs() < 1e-12);
    assert!(report.x.iter().all(|&u| u > 0.0));
}

/// Singular and non-square systems fail as the dense solver does.
#[test]
fn sparse_newton_reports_singular_and_non_square_systems() {
    struct Parallel;
    impl VectorFn for Parallel {
        fn eval<S: Scalar>(&self, v: &[S]) -> Vec<S> {
            let two = S::constant(2.0);
            vec![v[0] + v[1], two * v[0] + two * v[1] - S::one()]
        }
    }
    let singular = NewtonRoot::new()
        .find_sparse_system(&Parallel, &[1.0, 0.0])
        .unwrap();
    assert_eq!(singular.status, RootStatus::SingularDerivative);
    struct Three;
    impl VectorFn for Three {
        fn eval<S: Scalar>(&self, v: &[S]) -> Vec<S> {
            vec![v[0], v[1], v[0] + v[1]]
        }
    }
    assert!(NewtonRoot::new()
        .find_sparse_system(&Three, &[1.0, 1.0])
        .is_err());
    assert!(NewtonRoot::new().find_sparse_system(&Three, &[]).is_err());
}
