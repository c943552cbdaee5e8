//! Backtracking line search on the Armijo (sufficient decrease) condition.

use crate::linalg::{axpy, dot};
use crate::{CostFunction, OptimError};

/// Backtracking: try `alpha`, then `rho * alpha`, `rho^2 * alpha`, ... until
///
/// ```text
/// f(x + alpha d) <= f(x) + c1 alpha g.d
/// ```
///
/// Needs cost evaluations only; a trial with a NaN or infinite cost counts as
/// too long a step. Defaults: `c1 = 1e-4`, `rho = 0.5`, at most 50 trials.
///
/// # Reference
/// Nocedal and Wright, Numerical Optimization (2nd ed.), Algorithm 3.1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backtracking {
    c1: f64,
    rho: f64,
    max_trials: usize,
}

impl Default for Backtracking {
    fn default() -> Self {
        Self {
            c1: 1e-4,
            rho: 0.5,
            max_trials: 50,
        }
    }
}

impl Backtracking {
    /// The defaults (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// The sufficient-decrease constant, in (0, 1).
    pub fn c1(mut self, c1: f64) -> Result<Self, OptimError> {
        self.c1 = open_unit("c1", c1)?;
        Ok(self)
    }

    /// The shrink factor, in (0, 1).
    pub fn rho(mut self, rho: f64) -> Result<Self, OptimError> {
        self.rho = open_unit("rho", rho)?;
        Ok(self)
    }

    /// The most trial steps per search, >= 1.
    pub fn max_trials(mut self, max_trials: usize) -> Result<Self, OptimError> {
        if max_trials == 0 {
            return Err(OptimError::InvalidSetting {
                name: "max_trials",
                value: 0.0,
                valid: ">= 1",
            });
        }
        self.max_trials = max_trials;
        Ok(self)
    }

    /// The sufficient-decrease constant.
    pub fn sufficient_decrease(&self) -> f64 {
        self.c1
    }

    /// The shrink factor.
    pub fn shrink(&self) -> f64 {
        self.rho
    }

    /// Searches from `x` (cost `f0`, gradient `g0`) along the descent
    /// direction `d`, starting at `alpha`. Returns the accepted step length,
    /// point and cost, or `None` if no trial passed.
    pub(crate) fn search<P: CostFunction>(
        &self,
        problem: &P,
        x: &[f64],
        f0: f64,
        g0: &[f64],
        d: &[f64],
        mut alpha: f64,
    ) -> Result<Option<(f64, Vec<f64>, f64)>, OptimError> {
        let slope = dot(g0, d);
        if !(slope.is_finite() && slope < 0.0) {
            return Ok(None);
        }
        let mut trial = vec![0.0; x.len()];
        for _ in 0..self.max_trials {
            trial.copy_from_slice(x);
            axpy(alpha, d, &mut trial);
            let f = problem.cost(&trial)?;
            if f.is_finite() && f <= f0 + self.c1 * alpha * slope {
                return Ok(Some((alpha, trial, f)));
            }
            alpha *= self.rho;
        }
        Ok(None)
    }
}

/// Checks `0 < value < 1`.
pub(crate) fn open_unit(name: &'static str, value: f64) -> Result<f64, OptimError> {
    if value > 0.0 && value < 1.0 {
        Ok(value)
    } else {
        Err(OptimError::InvalidSetting {
            name,
            value,
            valid: "in (0, 1)",
        })
    }
}
