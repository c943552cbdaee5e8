//! The one error type of this crate.

use thiserror::Error;

/// What can go wrong when differentiating: inputs of the wrong shape, or a
/// divided-difference step that cannot work.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum DualError {
    /// Two inputs that must have the same length do not.
    #[error("{what} has {found} entries but x has {expected}; pass one entry per variable")]
    LengthMismatch {
        /// Which input was wrong (for example "direction v").
        what: &'static str,
        /// The length of `x`.
        expected: usize,
        /// The length that was passed.
        found: usize,
    },
    /// A vector function returned a different number of outputs on two
    /// evaluations, so its Jacobian has no fixed shape.
    #[error(
        "the function returned {first} outputs on one evaluation and {later} on another; \
         a vector function must return the same number of outputs for every input"
    )]
    OutputLengthChanged {
        /// Number of outputs on the first evaluation.
        first: usize,
        /// Number of outputs on a later evaluation.
        later: usize,
    },
    /// A divided-difference step that is zero, negative or not finite.
    #[error("the step {step} is not a positive finite number; pass such a step or use Step::Auto")]
    InvalidStep {
        /// The step that was passed.
        step: f64,
    },
}
