//! The plain state every minimiser updates, open to inspection after each
//! iteration.

use crate::linalg::all_finite;
use crate::{Gradient, OptimError};

/// Where a minimisation stands: the current iterate with its cost and
/// gradient, the previous one, and the best seen.
///
/// Solvers keep their own extra memory (L-BFGS pairs, Adam moments) in the
/// solver value, which has accessors too.
#[derive(Clone, Debug)]
pub struct State {
    /// Completed iterations (0 at the starting point).
    pub iteration: usize,
    /// Current parameters.
    pub x: Vec<f64>,
    /// Cost at `x`.
    pub cost: f64,
    /// Gradient at `x`.
    pub gradient: Vec<f64>,
    /// Parameters before the last step (equal to `x` at iteration 0).
    pub prev_x: Vec<f64>,
    /// Cost at `prev_x`.
    pub prev_cost: f64,
    /// Gradient at `prev_x`.
    pub prev_gradient: Vec<f64>,
    /// Length multiplier of the last step: the line-search `alpha`, or the
    /// learning rate for fixed-step methods (0 at iteration 0).
    pub step_length: f64,
    /// Parameters with the lowest finite cost seen so far.
    pub best_x: Vec<f64>,
    /// Lowest finite cost seen so far (`+inf` if none).
    pub best_cost: f64,
}

impl State {
    /// Evaluates cost and gradient at `x` and makes it the starting state.
    pub fn start<P: Gradient>(problem: &P, x: Vec<f64>) -> Result<Self, OptimError> {
        let (cost, gradient) = problem.cost_and_gradient(&x)?;
        let best_cost = if cost.is_finite() {
            cost
        } else {
            f64::INFINITY
        };
        Ok(Self {
            iteration: 0,
            prev_x: x.clone(),
            best_x: x.clone(),
            x,
            prev_cost: cost,
            cost,
            prev_gradient: gradient.clone(),
            gradient,
            step_length: 0.0,
            best_cost,
        })
    }

    /// Moves to a new iterate, keeping the old one as `prev_*` and updating
    /// the best seen.
    pub fn accept(&mut self, x: Vec<f64>, cost: f64, gradient: Vec<f64>, step_length: f64) {
        self.prev_x = std::mem::replace(&mut self.x, x);
        self.prev_cost = std::mem::replace(&mut self.cost, cost);
        self.prev_gradient = std::mem::replace(&mut self.gradient, gradient);
        self.step_length = step_length;
        if cost.is_finite() && cost < self.best_cost && all_finite(&self.x) {
            self.best_cost = cost;
            self.best_x.clone_from(&self.x);
        }
    }
}
