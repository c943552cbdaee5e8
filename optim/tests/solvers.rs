//! Every solver reaches the known minimiser of the standard test functions
//! from the stated starts, with hand-written gradients and Hessians (so
//! that the solvers are tested independently of AD).
//!
//! Tolerances: with a gradient-norm tolerance `g_tol` and a Hessian with
//! smallest eigenvalue `mu` at the minimiser, `|x - x*| <~ g_tol / mu`; the
//! stated tolerances leave a margin of 10-100 over that bound.

use admix_optim::test_functions::{Beale, Booth, Himmelblau, Quadratic, Rosenbrock};
use admix_optim::{
    Adam, Criterion, GradientDescent, Hessian, Lbfgs, Minimizer, Momentum, Newton, Report, Solver,
    Status, Stop,
};

fn run<S, P>(solver: S, problem: P, x0: &[f64], g_tol: f64, max_iter: usize) -> Report
where
    S: Solver<P>,
    P: Hessian,
{
    let stop = Stop::new()
        .gradient_norm(g_tol)
        .unwrap()
        .max_iterations(max_iter);
    Minimizer::new(solver)
        .stop(stop)
        .minimize(problem, x0)
        .unwrap()
}

fn assert_near(report: &Report, expected: &[f64], tol: f64) {
    assert_eq!(
        report.status,
        Status::Converged(Criterion::GradientNorm),
        "after {} iterations at {:?}",
        report.iterations,
        report.x
    );
    for (x, e) in report.x.iter().zip(expected) {
        assert!(
            (x - e).abs() <= tol,
            "x = {:?}, expected {expected:?}",
            report.x
        );
    }
}

/// Himmelblau has four minimisers; momentum may overshoot into any of
/// them. `MINIMA` is given to 6 decimals, hence the 1e-5 tolerance.
fn assert_near_a_himmelblau_minimum(report: &Report) {
    assert!(report.converged(), "{:?} at {:?}", report.status, report.x);
    let hit = Himmelblau::MINIMA
        .iter()
        .any(|m| (report.x[0] - m[0]).abs() < 1e-5 && (report.x[1] - m[1]).abs() < 1e-5);
    assert!(hit, "x = {:?}", report.x);
}

fn alternating(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect()
}

#[test]
fn lbfgs_solves_rosenbrock_2d_in_as_many_iterations_as_established_codes() {
    // References: Nocedal and Wright (2nd ed., 2006), chapter 6, report 34
    // BFGS iterations from (-1.2, 1); argmin 0.10's L-BFGS (m = 10,
    // More-Thuente) takes 38 iterations, 48 costs and 86 gradients on the
    // same problem (benches/optim_vs_argmin.rs).
    let report = run(Lbfgs::new(), Rosenbrock, &[-1.2, 1.0], 1e-10, 200);
    assert_near(&report, &[1.0, 1.0], 1e-8);
    assert!(
        (25..=45).contains(&report.iterations),
        "{} iterations",
        report.iterations
    );
    assert!(report.counts.evaluations() <= 60, "{:?}", report.counts);
}

#[test]
fn lbfgs_reaches_every_standard_minimiser() {
    assert_near(
        &run(Lbfgs::new(), Rosenbrock, &alternating(10), 1e-9, 500),
        &[1.0; 10],
        1e-7,
    );
    assert_near(
        &run(Lbfgs::new(), Beale, &[1.0, 1.0], 1e-10, 200),
        &[3.0, 0.5],
        1e-8,
    );
    assert_near(
        &run(Lbfgs::new(), Booth, &[0.0, 0.0], 1e-10, 200),
        &[1.0, 3.0],
        1e-9,
    );
    assert_near(
        &run(Lbfgs::new(), Himmelblau, &[0.0, 0.0], 1e-10, 200),
        &[3.0, 2.0],
        1e-9,
    );
    let well = Quadratic::new(20, 10.0).unwrap();
    assert_near(
        &run(Lbfgs::new(), well, &[0.0; 20], 1e-10, 200),
        &[1.0; 20],
        1e-9,
    );
    // Condition 1e6: |x - 1| <= g_tol / mu = 1e-8 at worst.
    let ill = Quadratic::new(10, 1e6).unwrap();
    assert_near(
        &run(Lbfgs::new(), ill, &[0.0; 10], 1e-8, 5000),
        &[1.0; 10],
        1e-7,
    );
}

#[test]
fn newton_converges_on_every_standard_function() {
    // Nocedal and Wright (2nd ed., 2006), chapter 6: 21 Newton iterations from (-1.2, 1).
    let report = run(Newton::new(), Rosenbrock, &[-1.2, 1.0], 1e-10, 100);
    assert_near(&report, &[1.0, 1.0], 1e-9);
    assert!(report.iterations <= 30, "{} iterations", report.iterations);
    // From the origin n-D Rosenbrock leads to the global minimum (from
    // (-1.2, 1, ...) Newton finds the local one near (-1, 1, ..., 1)).
    assert_near(
        &run(Newton::new(), Rosenbrock, &[0.0; 10], 1e-10, 200),
        &[1.0; 10],
        1e-9,
    );
    assert_near(
        &run(Newton::new(), Beale, &[1.0, 1.0], 1e-10, 100),
        &[3.0, 0.5],
        1e-9,
    );
    assert_near(
        &run(Newton::new(), Booth, &[0.0, 0.0], 1e-10, 100),
        &[1.0, 3.0],
        1e-10,
    );
    // Himmelblau's Hessian is indefinite at the origin: the shift is needed.
    assert_near(
        &run(Newton::new(), Himmelblau, &[0.0, 0.0], 1e-10, 100),
        &[3.0, 2.0],
        1e-9,
    );
    // One step on any quadratic, however ill conditioned.
    let ill = Quadratic::new(10, 1e8).unwrap();
    let report = run(Newton::new(), ill, &[0.0; 10], 1e-8, 100);
    assert_near(&report, &[1.0; 10], 1e-12);
    assert_eq!(report.iterations, 1);
}

#[test]
fn newton_shifts_an_indefinite_hessian_and_still_descends() {
    // At the origin Himmelblau's Hessian is [[-42, 0], [0, -26]].
    let mut newton = Newton::new();
    let mut problem = admix_optim::Counted::new(Himmelblau);
    let mut state = newton.init(&mut problem, vec![0.0, 0.0]).unwrap();
    let f0 = state.cost;
    assert_eq!(newton.next_iter(&mut problem, &mut state).unwrap(), None);
    assert!(newton.last_shift() > 42.0, "shift {}", newton.last_shift());
    assert!(state.cost < f0);
}

#[test]
fn gradient_descent_with_backtracking_reaches_the_minimisers() {
    let gd = || GradientDescent::backtracking(1.0).unwrap();
    assert_near(
        &run(gd(), Booth, &[0.0, 0.0], 1e-8, 10_000),
        &[1.0, 3.0],
        1e-7,
    );
    assert_near(
        &run(gd(), Himmelblau, &[0.0, 0.0], 1e-8, 10_000),
        &[3.0, 2.0],
        1e-7,
    );
    assert_near(
        &run(gd(), Beale, &[1.0, 1.0], 1e-8, 100_000),
        &[3.0, 0.5],
        1e-6,
    );
    let q = Quadratic::new(10, 100.0).unwrap();
    assert_near(&run(gd(), q, &[0.0; 10], 1e-8, 10_000), &[1.0; 10], 1e-7);
    // Steepest descent crawls along Rosenbrock's valley (thousands of steps).
    assert_near(
        &run(gd(), Rosenbrock, &[-1.2, 1.0], 1e-4, 50_000),
        &[1.0, 1.0],
        1e-3,
    );
}

#[test]
fn fixed_step_gradient_descent_converges_below_two_over_l() {
    // Quadratic with curvatures 1..100: rate 2 / (L + mu) is the optimal
    // fixed step; iterations ~ kappa ln(1 / tol) / 2.
    let q = Quadratic::new(10, 100.0).unwrap();
    let report = run(
        GradientDescent::fixed(2.0 / 101.0).unwrap(),
        q.clone(),
        &[0.0; 10],
        1e-8,
        5000,
    );
    assert_near(&report, &[1.0; 10], 1e-7);
    // Above 2 / L the iteration diverges: the cost becomes non-finite.
    let report = run(
        GradientDescent::fixed(0.03).unwrap(),
        q,
        &[0.0; 10],
        1e-8,
        5000,
    );
    assert!(
        matches!(report.status, Status::NonFinite(_)),
        "{:?}",
        report.status
    );
    assert_eq!(
        report.best_x,
        vec![0.0; 10],
        "the start had the lowest cost"
    );
}

#[test]
fn momentum_and_nesterov_beat_plain_descent_on_an_ill_conditioned_quadratic() {
    // kappa = 100. Heavy ball with Polyak's optimal parameters
    // rate = 4 / (sqrt L + sqrt mu)^2, beta = ((sqrt k - 1) / (sqrt k + 1))^2
    // needs ~ sqrt(kappa) ln(1/tol) iterations, plain descent ~ kappa ln(1/tol).
    let q = Quadratic::new(10, 100.0).unwrap();
    let (l, k) = (100.0_f64, 100.0_f64);
    let plain = run(
        GradientDescent::fixed(2.0 / 101.0).unwrap(),
        q.clone(),
        &[0.0; 10],
        1e-8,
        5000,
    );
    let rate = 4.0 / (l.sqrt() + 1.0).powi(2);
    let beta = ((k.sqrt() - 1.0) / (k.sqrt() + 1.0)).powi(2);
    let heavy = run(
        Momentum::new(rate, beta).unwrap(),
        q.clone(),
        &[0.0; 10],
        1e-8,
        5000,
    );
    let nesterov_beta = (k.sqrt() - 1.0) / (k.sqrt() + 1.0);
    let nag = Momentum::new(1.0 / l, nesterov_beta)
        .unwrap()
        .nesterov(true);
    let nesterov = run(nag, q, &[0.0; 10], 1e-8, 5000);
    assert_near(&heavy, &[1.0; 10], 1e-7);
    assert_near(&nesterov, &[1.0; 10], 1e-7);
    assert!(
        heavy.iterations * 4 < plain.iterations,
        "{} vs {}",
        heavy.iterations,
        plain.iterations
    );
    assert!(
        nesterov.iterations * 4 < plain.iterations,
        "{} vs {}",
        nesterov.iterations,
        plain.iterations
    );
}

#[test]
fn momentum_reaches_the_other_minimisers() {
    let m = || Momentum::new(0.01, 0.9).unwrap();
    assert_near(
        &run(m(), Booth, &[0.0, 0.0], 1e-8, 20_000),
        &[1.0, 3.0],
        1e-7,
    );
    assert_near_a_himmelblau_minimum(&run(m(), Himmelblau, &[0.0, 0.0], 1e-8, 20_000));
    let nag = || Momentum::new(0.001, 0.9).unwrap().nesterov(true);
    assert_near(
        &run(nag(), Rosenbrock, &[-1.2, 1.0], 1e-6, 100_000),
        &[1.0, 1.0],
        1e-4,
    );
}

#[test]
fn adam_reaches_the_minimisers() {
    // Adam's steps are ~rate in every coordinate: tolerances are looser.
    assert_near(
        &run(Adam::new(0.1).unwrap(), Booth, &[0.0, 0.0], 1e-6, 20_000),
        &[1.0, 3.0],
        1e-5,
    );
    assert_near(
        &run(
            Adam::new(0.05).unwrap(),
            Himmelblau,
            &[0.0, 0.0],
            1e-6,
            20_000,
        ),
        &[3.0, 2.0],
        1e-5,
    );
    assert_near(
        &run(Adam::new(0.01).unwrap(), Beale, &[1.0, 1.0], 1e-6, 50_000),
        &[3.0, 0.5],
        1e-4,
    );
    assert_near(
        &run(
            Adam::new(0.01).unwrap(),
            Rosenbrock,
            &[-1.2, 1.0],
            1e-6,
            50_000,
        ),
        &[1.0, 1.0],
        1e-4,
    );
    let q = Quadratic::new(10, 1e4).unwrap();
    assert_near(
        &run(Adam::new(0.05).unwrap(), q, &[0.0; 10], 1e-6, 50_000),
        &[1.0; 10],
        1e-5,
    );
}
