//! What a run returns: why it stopped, where it ended, and every iteration.

use std::time::Duration;

use crate::Counts;

/// Which convergence test was met.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Criterion {
    /// The gradient norm fell below its tolerance.
    GradientNorm,
    /// The change in cost fell below its tolerance.
    CostChange,
    /// The change in parameters fell below its tolerance.
    ParameterChange,
}

/// Which quantity stopped being finite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NonFinite {
    /// The starting point has a NaN or infinite entry.
    Start,
    /// The cost is NaN or infinite.
    Cost,
    /// The gradient has a NaN or infinite entry.
    Gradient,
    /// The Hessian has a NaN or infinite entry.
    Hessian,
}

/// Why a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// A convergence test was met.
    Converged(Criterion),
    /// The iteration limit was reached.
    MaxIterations,
    /// The evaluation limit was reached.
    MaxEvaluations,
    /// The line search found no acceptable step (often: the tolerance asked
    /// for is below what the gradient's accuracy allows).
    LineSearchFailed,
    /// A cost, gradient, Hessian or the start was not finite; `best_x` in the
    /// report holds the best parameters seen before.
    NonFinite(NonFinite),
    /// The observer asked to stop.
    StoppedByObserver,
}

impl Status {
    /// Whether a convergence test was met.
    pub fn converged(&self) -> bool {
        matches!(self, Status::Converged(_))
    }
}

/// One line of the trace, recorded after every iteration (and for the
/// starting point, as iteration 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Record {
    /// Iteration number.
    pub iteration: usize,
    /// Cost at the iterate.
    pub cost: f64,
    /// Euclidean norm of the gradient at the iterate.
    pub gradient_norm: f64,
    /// Euclidean norm of the last step `x_k - x_{k-1}`.
    pub step_norm: f64,
    /// The last step's length multiplier (see [`State::step_length`](crate::State)).
    pub step_length: f64,
    /// Evaluations so far.
    pub counts: Counts,
    /// Wall time since the run started.
    pub elapsed: Duration,
}

/// The result of a minimisation.
#[derive(Clone, Debug)]
pub struct Report {
    /// Why the run stopped.
    pub status: Status,
    /// Final parameters (the last iterate; see `best_x` after a divergence).
    pub x: Vec<f64>,
    /// Cost at `x`.
    pub cost: f64,
    /// Gradient norm at `x`.
    pub gradient_norm: f64,
    /// Parameters with the lowest finite cost seen.
    pub best_x: Vec<f64>,
    /// Lowest finite cost seen (`+inf` if none).
    pub best_cost: f64,
    /// Completed iterations.
    pub iterations: usize,
    /// Evaluations.
    pub counts: Counts,
    /// Wall time of the whole run.
    pub elapsed: Duration,
    /// One record per iteration, starting with iteration 0.
    pub trace: Vec<Record>,
}

impl Report {
    /// Whether a convergence test was met.
    pub fn converged(&self) -> bool {
        self.status.converged()
    }
}
