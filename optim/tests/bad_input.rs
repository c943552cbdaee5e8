//! Bad input and odd runs end with a typed status or error: no panic, no
//! endless loop, no silent NaN.

use std::cell::Cell;

use admix_optim::test_functions::{Booth, Rosenbrock};
use admix_optim::{
    Adam, Backtracking, Control, CostFunction, CostGradFn, Criterion, FnProblem, Gradient,
    GradientDescent, Lbfgs, Minimizer, Momentum, Newton, NewtonRoot, NonFinite, OptimError, Status,
    Stop, StrongWolfe,
};

fn message(err: OptimError) -> String {
    err.to_string()
}

#[test]
fn nonsense_settings_are_rejected_with_the_valid_range() {
    let cases = [
        (message(Lbfgs::new().history(0).unwrap_err()), ">= 1"),
        (message(GradientDescent::fixed(-0.1).unwrap_err()), "> 0"),
        (
            message(GradientDescent::backtracking(0.0).unwrap_err()),
            "> 0",
        ),
        (message(Momentum::new(0.1, 1.0).unwrap_err()), "[0, 1)"),
        (message(Momentum::new(f64::NAN, 0.5).unwrap_err()), "> 0"),
        (
            message(Adam::new(0.1).unwrap().beta1(1.0).unwrap_err()),
            "[0, 1)",
        ),
        (
            message(Adam::new(0.1).unwrap().beta2(-0.5).unwrap_err()),
            "[0, 1)",
        ),
        (
            message(Adam::new(0.1).unwrap().epsilon(0.0).unwrap_err()),
            "> 0",
        ),
        (
            message(StrongWolfe::new().c1(0.95).unwrap_err()),
            "below c2",
        ),
        (message(StrongWolfe::new().c2(1.5).unwrap_err()), "(0, 1)"),
        (message(Backtracking::new().rho(1.0).unwrap_err()), "(0, 1)"),
        (
            message(Stop::new().gradient_norm(-1.0).unwrap_err()),
            ">= 0",
        ),
        (message(Stop::new().max_evaluations(0).unwrap_err()), ">= 1"),
        (
            message(NewtonRoot::new().residual(f64::NAN).unwrap_err()),
            ">= 0",
        ),
    ];
    for (msg, range) in cases {
        assert!(msg.contains(range), "{msg:?} should name {range:?}");
        assert!(msg.contains("invalid setting"), "{msg}");
    }
}

#[test]
fn a_non_finite_start_is_a_status_and_costs_no_evaluation() {
    let report = Minimizer::new(Lbfgs::new())
        .minimize(Rosenbrock, &[f64::NAN, 1.0])
        .unwrap();
    assert_eq!(report.status, Status::NonFinite(NonFinite::Start));
    assert_eq!(report.counts.evaluations(), 0);
    let report = Minimizer::new(Newton::new())
        .minimize(Rosenbrock, &[1.0, f64::INFINITY])
        .unwrap();
    assert_eq!(report.status, Status::NonFinite(NonFinite::Start));
}

#[test]
fn an_empty_start_and_a_short_gradient_are_errors() {
    let err = Minimizer::new(Lbfgs::new())
        .minimize(Booth, &[])
        .unwrap_err();
    assert!(matches!(err, OptimError::EmptyStart));
    let short = FnProblem::new(|x: &[f64]| x[0] * x[0], |_: &[f64]| vec![1.0]);
    let err = Minimizer::new(Lbfgs::new())
        .minimize(short, &[1.0, 2.0])
        .unwrap_err();
    assert!(matches!(
        err,
        OptimError::DimensionMismatch {
            expected: 2,
            found: 1,
            ..
        }
    ));
}

#[test]
fn a_nan_cost_at_the_start_is_a_status() {
    let nan = FnProblem::new(|_: &[f64]| f64::NAN, |x: &[f64]| x.to_vec());
    for report in [
        Minimizer::new(Lbfgs::new()).minimize(nan, &[1.0]).unwrap(),
        Minimizer::new(Adam::new(0.1).unwrap())
            .minimize(nan, &[1.0])
            .unwrap(),
    ] {
        assert_eq!(report.status, Status::NonFinite(NonFinite::Cost));
        assert_eq!(report.iterations, 0);
        assert_eq!(report.best_cost, f64::INFINITY);
    }
    let nan_grad = FnProblem::new(|x: &[f64]| x[0] * x[0], |_: &[f64]| vec![f64::NAN]);
    let report = Minimizer::new(Lbfgs::new())
        .minimize(nan_grad, &[1.0])
        .unwrap();
    assert_eq!(report.status, Status::NonFinite(NonFinite::Gradient));
}

/// `x^2`, but NaN beyond |x| > 4: a wall that line searches step back from.
fn walled() -> impl Gradient + Copy {
    CostGradFn::new(|x: &[f64]| {
        if x[0].abs() > 4.0 {
            (f64::NAN, vec![f64::NAN])
        } else {
            (x[0] * x[0], vec![2.0 * x[0]])
        }
    })
}

#[test]
fn line_searches_step_back_from_nan_and_fixed_steps_keep_the_best_point() {
    // L-BFGS and backtracking treat a NaN trial as too long a step.
    let stop = Stop::new().gradient_norm(1e-10).unwrap();
    let report = Minimizer::new(Lbfgs::new())
        .stop(stop)
        .minimize(walled(), &[3.9])
        .unwrap();
    assert!(report.converged(), "{:?}", report.status);
    let gd = GradientDescent::backtracking(100.0).unwrap();
    let report = Minimizer::new(gd)
        .stop(stop)
        .minimize(walled(), &[3.9])
        .unwrap();
    assert!(report.converged(), "{:?}", report.status);
    // A fixed step of 1.1 overshoots: x -> -1.2 x grows past the wall.
    let report = Minimizer::new(GradientDescent::fixed(1.1).unwrap())
        .minimize(walled(), &[1.0])
        .unwrap();
    assert_eq!(report.status, Status::NonFinite(NonFinite::Cost));
    assert_eq!(report.best_x, vec![1.0]);
    assert_eq!(report.best_cost, 1.0);
    assert!(report.iterations > 1 && report.iterations < 20);
}

#[test]
fn budgets_end_the_run_with_their_status() {
    let few = Stop::new().gradient_norm(0.0).unwrap().max_iterations(3);
    let report = Minimizer::new(Lbfgs::new())
        .stop(few)
        .minimize(Rosenbrock, &[-1.2, 1.0])
        .unwrap();
    assert_eq!(report.status, Status::MaxIterations);
    assert_eq!(report.iterations, 3);
    let evals = Stop::new().max_evaluations(10).unwrap();
    let report = Minimizer::new(Lbfgs::new())
        .stop(evals)
        .minimize(Rosenbrock, &[-1.2, 1.0])
        .unwrap();
    assert_eq!(report.status, Status::MaxEvaluations);
    assert!(report.counts.evaluations() >= 10);
    // Max iterations 0 returns the start.
    let none = Stop::new().max_iterations(0);
    let report = Minimizer::new(Lbfgs::new())
        .stop(none)
        .minimize(Rosenbrock, &[-1.2, 1.0])
        .unwrap();
    assert_eq!((report.iterations, report.x.clone()), (0, vec![-1.2, 1.0]));
}

#[test]
fn cost_and_parameter_change_rules_fire() {
    let by_cost = Stop::new()
        .gradient_norm(0.0)
        .unwrap()
        .cost_change(1e-6)
        .unwrap();
    let report = Minimizer::new(GradientDescent::fixed(0.05).unwrap())
        .stop(by_cost)
        .minimize(Booth, &[0.0, 0.0])
        .unwrap();
    assert_eq!(report.status, Status::Converged(Criterion::CostChange));
    let by_step = Stop::new()
        .gradient_norm(0.0)
        .unwrap()
        .parameter_change(1e-6)
        .unwrap();
    let report = Minimizer::new(GradientDescent::fixed(0.05).unwrap())
        .stop(by_step)
        .minimize(Booth, &[0.0, 0.0])
        .unwrap();
    assert_eq!(report.status, Status::Converged(Criterion::ParameterChange));
}

#[test]
fn the_observer_sees_every_iteration_and_can_stop_the_run() {
    let mut seen = Vec::new();
    let report = Minimizer::new(Lbfgs::new())
        .observer(|record, state| {
            assert_eq!(record.cost, state.cost);
            seen.push(record.iteration);
            if record.iteration == 5 {
                Control::Stop
            } else {
                Control::Continue
            }
        })
        .minimize(Rosenbrock, &[-1.2, 1.0])
        .unwrap();
    assert_eq!(report.status, Status::StoppedByObserver);
    assert_eq!(seen, vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(report.trace.len(), 6);
    for w in report.trace.windows(2) {
        assert_eq!(w[1].iteration, w[0].iteration + 1);
        assert!(w[1].counts.cost > w[0].counts.cost);
        assert!(w[1].elapsed >= w[0].elapsed);
        assert!(w[1].step_norm > 0.0 && w[1].step_length > 0.0);
    }
}

/// A problem that records the batches it is asked for.
struct Batches {
    asked: Vec<usize>,
    evaluated: Cell<usize>,
}

impl CostFunction for Batches {
    fn cost(&self, x: &[f64]) -> Result<f64, OptimError> {
        Ok(x[0] * x[0])
    }
}

impl Gradient for Batches {
    fn gradient(&self, x: &[f64]) -> Result<Vec<f64>, OptimError> {
        self.evaluated.set(self.evaluated.get() + 1);
        // A batch-dependent gradient: noise that averages out.
        let noise = if self.asked.len().is_multiple_of(2) {
            0.1
        } else {
            -0.1
        };
        Ok(vec![2.0 * x[0] + noise])
    }

    fn next_batch(&mut self, iteration: usize) -> Result<(), OptimError> {
        self.asked.push(iteration);
        Ok(())
    }
}

#[test]
fn stochastic_solvers_draw_one_batch_per_iteration_and_lbfgs_none() {
    let mut problem = Batches {
        asked: Vec::new(),
        evaluated: Cell::new(0),
    };
    let stop = Stop::new().max_iterations(50);
    let report = Minimizer::new(Adam::new(0.05).unwrap())
        .stop(stop)
        .minimize(&mut problem, &[1.0])
        .unwrap();
    assert_eq!(report.iterations, 50);
    assert_eq!(problem.asked, (0..=50).collect::<Vec<_>>());
    problem.asked.clear();
    Minimizer::new(Momentum::new(0.05, 0.5).unwrap().nesterov(true))
        .stop(stop)
        .minimize(&mut problem, &[1.0])
        .unwrap();
    assert_eq!(problem.asked.len(), 51);
    problem.asked.clear();
    Minimizer::new(Lbfgs::new())
        .minimize(&mut problem, &[1.0])
        .unwrap();
    assert!(problem.asked.is_empty());
}

#[test]
fn problem_errors_propagate() {
    struct Failing;
    impl CostFunction for Failing {
        fn cost(&self, _: &[f64]) -> Result<f64, OptimError> {
            Err(OptimError::problem("data file vanished"))
        }
    }
    impl Gradient for Failing {
        fn gradient(&self, _: &[f64]) -> Result<Vec<f64>, OptimError> {
            Ok(vec![0.0])
        }
    }
    let err = Minimizer::new(Lbfgs::new())
        .minimize(Failing, &[0.0])
        .unwrap_err();
    assert!(err.to_string().contains("data file vanished"), "{err}");
}
