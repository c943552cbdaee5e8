//! Stopping rules shared by every minimiser.

use crate::linalg::{distance, norm};
use crate::{Counts, Criterion, OptimError, State, Status};

/// When to stop: convergence tests and budgets.
///
/// A cost or parameter tolerance of 0 turns its test off; a gradient
/// tolerance of 0 stops only at an exactly zero gradient. The tests, checked after every
/// iteration in this order (convergence before budgets):
///
/// ```text
/// gradient_norm:    |g_k|                <= tol
/// cost_change:      |f_k - f_{k-1}|      <= tol * max(1, |f_k|)      (k >= 1)
/// parameter_change: |x_k - x_{k-1}|      <= tol * max(1, |x_k|)      (k >= 1)
/// max_iterations:   k                    >= limit
/// max_evaluations:  max(#cost, #grad)    >= limit
/// ```
///
/// Defaults: gradient norm 1e-6, cost and parameter change off, 1000
/// iterations, unlimited evaluations.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stop {
    gradient_norm: f64,
    cost_change: f64,
    parameter_change: f64,
    max_iterations: usize,
    max_evaluations: usize,
}

impl Default for Stop {
    fn default() -> Self {
        Self {
            gradient_norm: 1e-6,
            cost_change: 0.0,
            parameter_change: 0.0,
            max_iterations: 1000,
            max_evaluations: usize::MAX,
        }
    }
}

pub(crate) fn check_tolerance(name: &'static str, value: f64) -> Result<f64, OptimError> {
    if value >= 0.0 && value.is_finite() {
        Ok(value)
    } else {
        Err(OptimError::InvalidSetting {
            name,
            value,
            valid: "finite and >= 0",
        })
    }
}

impl Stop {
    /// The default rules (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Converged when the gradient norm is at most `tol` (>= 0).
    pub fn gradient_norm(mut self, tol: f64) -> Result<Self, OptimError> {
        self.gradient_norm = check_tolerance("gradient_norm", tol)?;
        Ok(self)
    }

    /// Converged when the relative change in cost is at most `tol` (>= 0).
    pub fn cost_change(mut self, tol: f64) -> Result<Self, OptimError> {
        self.cost_change = check_tolerance("cost_change", tol)?;
        Ok(self)
    }

    /// Converged when the relative change in parameters is at most `tol` (>= 0).
    pub fn parameter_change(mut self, tol: f64) -> Result<Self, OptimError> {
        self.parameter_change = check_tolerance("parameter_change", tol)?;
        Ok(self)
    }

    /// Stop after `limit` iterations (0 returns the starting point).
    pub fn max_iterations(mut self, limit: usize) -> Self {
        self.max_iterations = limit;
        self
    }

    /// Stop once `limit` (>= 1) cost or gradient evaluations have been made.
    pub fn max_evaluations(mut self, limit: usize) -> Result<Self, OptimError> {
        if limit == 0 {
            return Err(OptimError::InvalidSetting {
                name: "max_evaluations",
                value: 0.0,
                valid: ">= 1 (the starting point needs one evaluation)",
            });
        }
        self.max_evaluations = limit;
        Ok(self)
    }

    /// The status that ends the run at `state`, if any.
    pub fn terminate(&self, state: &State, counts: Counts) -> Option<Status> {
        if norm(&state.gradient) <= self.gradient_norm {
            return Some(Status::Converged(Criterion::GradientNorm));
        }
        if state.iteration > 0 {
            let df = (state.cost - state.prev_cost).abs();
            if self.cost_change > 0.0 && df <= self.cost_change * state.cost.abs().max(1.0) {
                return Some(Status::Converged(Criterion::CostChange));
            }
            let dx = distance(&state.x, &state.prev_x);
            if self.parameter_change > 0.0 && dx <= self.parameter_change * norm(&state.x).max(1.0)
            {
                return Some(Status::Converged(Criterion::ParameterChange));
            }
        }
        if state.iteration >= self.max_iterations {
            return Some(Status::MaxIterations);
        }
        if counts.evaluations() >= self.max_evaluations {
            return Some(Status::MaxEvaluations);
        }
        None
    }
}
