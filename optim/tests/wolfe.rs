//! The strong Wolfe conditions hold at every step L-BFGS accepts, checked
//! from the states alone (not from the line search's own bookkeeping).

use admix_optim::test_functions::{Beale, Himmelblau, Quadratic, Rosenbrock};
use admix_optim::{Counted, Gradient, Lbfgs, Solver, StrongWolfe};

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Runs L-BFGS step by step until the gradient norm is below 1e-9 and
/// checks, with `s = x_{k+1} - x_k` (which is `alpha d`):
///
/// ```text
/// f(x_{k+1}) <= f(x_k) + c1 g_k.s
/// |g_{k+1}.s| <= c2 |g_k.s|
/// ```
///
/// The slack of 1e-12 |g_k.s| covers the rounding of `s` against `alpha d`.
/// Returns the number of steps checked.
fn check_every_step<P: Gradient>(solver: Lbfgs, problem: P, x0: &[f64]) -> usize {
    let (c1, c2) = (
        solver.line_search_settings().sufficient_decrease(),
        solver.line_search_settings().curvature(),
    );
    let mut solver = solver;
    let mut problem = Counted::new(problem);
    let mut state = solver.init(&mut problem, x0.to_vec()).unwrap();
    let mut steps = 0;
    while dot(&state.gradient, &state.gradient).sqrt() > 1e-9 {
        assert!(steps < 500, "no convergence");
        let status = solver.next_iter(&mut problem, &mut state).unwrap();
        assert_eq!(status, None, "the line search failed at step {steps}");
        let s: Vec<f64> = state
            .x
            .iter()
            .zip(&state.prev_x)
            .map(|(a, b)| a - b)
            .collect();
        let slope0 = dot(&state.prev_gradient, &s);
        let slope1 = dot(&state.gradient, &s);
        let slack = 1e-12 * slope0.abs();
        assert!(slope0 < 0.0, "step {steps} is not a descent step");
        assert!(
            state.cost <= state.prev_cost + c1 * slope0 + slack,
            "sufficient decrease fails at step {steps}"
        );
        assert!(
            slope1.abs() <= c2 * slope0.abs() + slack,
            "curvature condition fails at step {steps}: {slope1} vs {slope0}"
        );
        steps += 1;
    }
    steps
}

#[test]
fn every_accepted_step_satisfies_the_strong_wolfe_conditions() {
    let alternating: Vec<f64> = (0..8)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect();
    let n = check_every_step(Lbfgs::new(), Rosenbrock, &[-1.2, 1.0]);
    assert!(n > 20);
    check_every_step(Lbfgs::new(), Rosenbrock, &alternating);
    check_every_step(Lbfgs::new(), Beale, &[1.0, 1.0]);
    check_every_step(Lbfgs::new(), Himmelblau, &[0.0, 0.0]);
    check_every_step(
        Lbfgs::new().history(3).unwrap(),
        Quadratic::new(6, 1e3).unwrap(),
        &[0.0; 6],
    );
}

#[test]
fn a_tighter_curvature_constant_is_honoured() {
    let tight = StrongWolfe::new().c2(0.1).unwrap();
    check_every_step(Lbfgs::new().line_search(tight), Rosenbrock, &[-1.2, 1.0]);
    check_every_step(Lbfgs::new().line_search(tight), Beale, &[1.0, 1.0]);
}
