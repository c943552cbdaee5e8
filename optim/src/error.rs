//! The one error type of the crate.

use thiserror::Error;

/// Errors raised by the optimisers and root finders.
///
/// Settings are checked when a solver is built (`InvalidSetting`); numerical
/// trouble during a run (a NaN cost, a failed line search, no convergence) is
/// not an error but a [`Status`](crate::Status) in the report, so that the
/// best parameters seen are still returned.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum OptimError {
    /// A solver or stopping-rule setting outside its valid range.
    #[error("invalid setting `{name}` = {value}: it must be {valid}")]
    InvalidSetting {
        /// The setting's name, as its builder method spells it.
        name: &'static str,
        /// The rejected value.
        value: f64,
        /// The valid range, in words (for example "in [0, 1)").
        valid: &'static str,
    },
    /// A vector or matrix of the wrong length (gradient, Hessian, Jacobian or
    /// starting point).
    #[error(
        "{what} has length {found}, expected {expected}: check that the problem returns \
         one entry per parameter (and n*n entries for a Hessian or Jacobian, row-major)"
    )]
    DimensionMismatch {
        /// Which quantity had the wrong length.
        what: &'static str,
        /// The length required.
        expected: usize,
        /// The length received.
        found: usize,
    },
    /// The starting point has no parameters.
    #[error("the starting point is empty: pass at least one parameter")]
    EmptyStart,
    /// A derivative could not be computed (for example an invalid
    /// divided-difference step).
    #[error("derivative source failed: {0}")]
    Derivative(#[from] admix_dual::DualError),
    /// A reverse-mode recording failed (for example an array shape
    /// mismatch in an array-tape objective).
    #[error("reverse-mode recording failed: {0}")]
    Tape(#[from] admix_tape::TapeError),
    /// An error raised by the user's problem (cost, gradient, Hessian).
    #[error("the problem failed to evaluate: {0}")]
    Problem(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl OptimError {
    /// Wraps an error raised inside a user's cost, gradient or Hessian.
    pub fn problem(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Problem(err.into())
    }

    /// Checks `value > 0` and finite.
    pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<f64, Self> {
        if value > 0.0 && value.is_finite() {
            Ok(value)
        } else {
            Err(Self::InvalidSetting {
                name,
                value,
                valid: "finite and > 0",
            })
        }
    }

    /// Checks `0 <= value < 1`.
    pub(crate) fn check_unit(name: &'static str, value: f64) -> Result<f64, Self> {
        if (0.0..1.0).contains(&value) {
            Ok(value)
        } else {
            Err(Self::InvalidSetting {
                name,
                value,
                valid: "in [0, 1)",
            })
        }
    }

    /// Checks a dimension.
    pub(crate) fn check_len(what: &'static str, expected: usize, found: usize) -> Result<(), Self> {
        if expected == found {
            Ok(())
        } else {
            Err(Self::DimensionMismatch {
                what,
                expected,
                found,
            })
        }
    }
}
