//! Property: on any generated strictly convex quadratic
//! `f(x) = 1/2 x^T A x - b^T x`, L-BFGS and Newton stop at `A^{-1} b`
//! (checked through the residual `A x - b`, which needs no solve), or
//! L-BFGS stops where the cost can no longer resolve a decrease.

use admix_optim::{
    CostFunction, Gradient, Hessian, Lbfgs, Minimizer, Newton, OptimError, Status, Stop,
};
use proptest::prelude::*;

/// `A = M^T M + I` (symmetric positive definite, smallest eigenvalue >= 1)
/// from `n * n` entries of `M`, row-major.
fn spd(m: &[f64], n: usize) -> Vec<f64> {
    let mut a = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            a[i * n + j] = (0..n).map(|k| m[k * n + i] * m[k * n + j]).sum::<f64>();
        }
        a[i * n + i] += 1.0;
    }
    a
}

fn matvec(a: &[f64], x: &[f64]) -> Vec<f64> {
    let n = x.len();
    (0..n)
        .map(|i| (0..n).map(|j| a[i * n + j] * x[j]).sum())
        .collect()
}

#[derive(Clone, Debug)]
struct Quadratic {
    a: Vec<f64>,
    b: Vec<f64>,
}

impl CostFunction for Quadratic {
    fn cost(&self, x: &[f64]) -> Result<f64, OptimError> {
        let ax = matvec(&self.a, x);
        Ok((0..x.len())
            .map(|i| 0.5 * x[i] * ax[i] - self.b[i] * x[i])
            .sum())
    }
}

impl Gradient for Quadratic {
    fn gradient(&self, x: &[f64]) -> Result<Vec<f64>, OptimError> {
        let ax = matvec(&self.a, x);
        Ok(ax.iter().zip(&self.b).map(|(u, v)| u - v).collect())
    }
}

impl Hessian for Quadratic {
    fn hessian(&self, _: &[f64]) -> Result<Vec<f64>, OptimError> {
        Ok(self.a.clone())
    }
}

/// `|A x - b|`, recomputed independently of the solvers' bookkeeping.
fn residual(q: &Quadratic, x: &[f64]) -> f64 {
    let r = matvec(&q.a, x);
    r.iter()
        .zip(&q.b)
        .map(|(u, v)| (u - v).powi(2))
        .sum::<f64>()
        .sqrt()
}

fn problem() -> impl Strategy<Value = (Quadratic, Vec<f64>)> {
    (2usize..6).prop_flat_map(|n| {
        (
            prop::collection::vec(-3.0..3.0_f64, n * n),
            prop::collection::vec(-5.0..5.0_f64, n),
            prop::collection::vec(-5.0..5.0_f64, n),
        )
            .prop_map(move |(m, b, x0)| (Quadratic { a: spd(&m, n), b }, x0))
    })
}

/// The property, for one problem.
fn check(mut q: Quadratic, x0: Vec<f64>) -> Result<(), TestCaseError> {
    let stop = Stop::new().gradient_norm(1e-9).unwrap().max_iterations(500);
    let lbfgs = Minimizer::new(Lbfgs::new())
        .stop(stop)
        .minimize(&mut q, &x0)
        .unwrap();
    let newton = Minimizer::new(Newton::new())
        .stop(stop)
        .minimize(&mut q, &x0)
        .unwrap();
    // Newton's full step is exact on a quadratic.
    prop_assert!(newton.converged(), "{:?}", newton.status);
    prop_assert!(residual(&q, &newton.x) <= 1e-9);
    if lbfgs.converged() {
        prop_assert!(residual(&q, &lbfgs.x) <= 1e-9);
    } else {
        // The only other acceptable end: no decrease the cost can
        // resolve. Below |f - f*| ~ eps |f*| the Armijo test is round-off,
        // and |g|^2 <= 2 lambda_max |f - f*|, so the residual is then
        // below sqrt(2 lambda_max eps max(1, |f*|)) (times 10 for slack).
        prop_assert_eq!(lbfgs.status, Status::LineSearchFailed);
        let n = x0.len();
        let lambda_max = (0..n)
            .map(|i| (0..n).map(|j| q.a[i * n + j].abs()).sum::<f64>())
            .fold(0.0, f64::max);
        let f_star = q.cost(&newton.x).unwrap().abs().max(1.0);
        let bound = 10.0 * (2.0 * lambda_max * f64::EPSILON * f_star).sqrt();
        prop_assert!(
            residual(&q, &lbfgs.x) <= bound,
            "{} > {bound}",
            residual(&q, &lbfgs.x)
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn lbfgs_and_newton_solve_every_convex_quadratic((q, x0) in problem()) {
        check(q, x0)?;
    }
}

/// The first case proptest found where L-BFGS ends by a line-search failure
/// at round-off level.
#[test]
fn found_case_ends_within_round_off() {
    let q = Quadratic {
        a: vec![
            8.865880633590931,
            1.8461124078944426,
            1.8461124078944426,
            9.279180137559315,
        ],
        b: vec![-0.10635392434264053, 1.9185250293050524],
    };
    check(q, vec![4.685907988620768, -0.741987164052507]).unwrap();
}
