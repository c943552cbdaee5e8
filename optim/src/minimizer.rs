//! The loop every minimiser runs: start, iterate, record, stop.

use std::time::Instant;

use crate::linalg::{all_finite, distance, norm};
use crate::{Counted, NonFinite, OptimError, Record, Report, State, Status, Stop};

/// One minimisation algorithm, written as an explicit loop body.
///
/// [`Minimizer`] runs `init` once, then `next_iter` until a stopping rule,
/// the solver or the observer ends the run. Callers who want to drive the
/// loop themselves call the same two methods.
pub trait Solver<P> {
    /// Evaluates the starting point and resets the solver's memory.
    fn init(&mut self, problem: &mut Counted<P>, x0: Vec<f64>) -> Result<State, OptimError>;

    /// Takes one step, updating `state` through [`State::accept`]. Returns a
    /// status when the solver itself must stop (line search failure,
    /// non-finite Hessian).
    fn next_iter(
        &mut self,
        problem: &mut Counted<P>,
        state: &mut State,
    ) -> Result<Option<Status>, OptimError>;
}

/// What an observer tells the run after each iteration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Go on.
    Continue,
    /// Stop now with [`Status::StoppedByObserver`].
    Stop,
}

type Observer<'a> = Box<dyn FnMut(&Record, &State) -> Control + 'a>;

/// Runs a [`Solver`] with stopping rules and an optional observer.
///
/// # Example
/// ```
/// use admix_optim::{FnProblem, Lbfgs, Minimizer, Stop};
///
/// let rosenbrock = FnProblem::new(
///     |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2),
///     |x: &[f64]| {
///         let t = x[1] - x[0] * x[0];
///         vec![-2.0 * (1.0 - x[0]) - 400.0 * x[0] * t, 200.0 * t]
///     },
/// );
/// let report = Minimizer::new(Lbfgs::new())
///     .stop(Stop::new().gradient_norm(1e-10)?)
///     .minimize(rosenbrock, &[-1.2, 1.0])?;
/// assert!(report.converged());
/// assert!((report.x[0] - 1.0).abs() < 1e-8);
/// # Ok::<(), admix_optim::OptimError>(())
/// ```
pub struct Minimizer<'a, S> {
    solver: S,
    stop: Stop,
    observer: Option<Observer<'a>>,
}

impl<'a, S> Minimizer<'a, S> {
    /// A run of `solver` with the default [`Stop`] rules and no observer.
    pub fn new(solver: S) -> Self {
        Self {
            solver,
            stop: Stop::default(),
            observer: None,
        }
    }

    /// Sets the stopping rules.
    pub fn stop(mut self, stop: Stop) -> Self {
        self.stop = stop;
        self
    }

    /// Calls `observer` after every iteration (and once for the starting
    /// point) with the new record and state; returning [`Control::Stop`]
    /// ends the run.
    pub fn observer(mut self, observer: impl FnMut(&Record, &State) -> Control + 'a) -> Self {
        self.observer = Some(Box::new(observer));
        self
    }

    /// The solver, with the memory of its last run.
    pub fn solver(&self) -> &S {
        &self.solver
    }

    /// Minimises `problem` from `x0`.
    ///
    /// Numerical trouble (non-finite start, cost or gradient; a failed line
    /// search) ends the run with a [`Status`] in the report; `Err` means the
    /// problem itself returned an error or a gradient of the wrong length.
    pub fn minimize<P>(&mut self, problem: P, x0: &[f64]) -> Result<Report, OptimError>
    where
        S: Solver<P>,
    {
        if x0.is_empty() {
            return Err(OptimError::EmptyStart);
        }
        let started = Instant::now();
        let mut problem = Counted::new(problem);
        if !all_finite(x0) {
            let state = State {
                iteration: 0,
                x: x0.to_vec(),
                cost: f64::NAN,
                gradient: vec![f64::NAN; x0.len()],
                prev_x: x0.to_vec(),
                prev_cost: f64::NAN,
                prev_gradient: vec![f64::NAN; x0.len()],
                step_length: 0.0,
                best_x: x0.to_vec(),
                best_cost: f64::INFINITY,
            };
            let status = Status::NonFinite(NonFinite::Start);
            return Ok(report(state, status, &problem, started, Vec::new()));
        }
        let mut state = self.solver.init(&mut problem, x0.to_vec())?;
        let mut trace = Vec::new();
        loop {
            let record = Record {
                iteration: state.iteration,
                cost: state.cost,
                gradient_norm: norm(&state.gradient),
                step_norm: distance(&state.x, &state.prev_x),
                step_length: state.step_length,
                counts: problem.counts(),
                elapsed: started.elapsed(),
            };
            trace.push(record);
            let status = if !state.cost.is_finite() {
                Some(Status::NonFinite(NonFinite::Cost))
            } else if !all_finite(&state.gradient) {
                Some(Status::NonFinite(NonFinite::Gradient))
            } else {
                self.stop.terminate(&state, problem.counts())
            };
            let status = status.or_else(|| {
                let observer = self.observer.as_mut()?;
                (observer(&record, &state) == Control::Stop).then_some(Status::StoppedByObserver)
            });
            if let Some(status) = status {
                return Ok(report(state, status, &problem, started, trace));
            }
            // A solver that stops (line search failure) has not moved: the
            // iteration does not count.
            if let Some(status) = self.solver.next_iter(&mut problem, &mut state)? {
                return Ok(report(state, status, &problem, started, trace));
            }
            state.iteration += 1;
        }
    }
}

fn report<P>(
    state: State,
    status: Status,
    problem: &Counted<P>,
    started: Instant,
    trace: Vec<Record>,
) -> Report {
    Report {
        status,
        gradient_norm: norm(&state.gradient),
        x: state.x,
        cost: state.cost,
        best_x: state.best_x,
        best_cost: state.best_cost,
        iterations: state.iteration,
        counts: problem.counts(),
        elapsed: started.elapsed(),
        trace,
    }
}
