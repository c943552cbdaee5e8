//! The one error type of this crate.

use thiserror::Error;

/// What can go wrong when recording array operations or calling drivers.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum TapeError {
    /// Two shapes that an operation cannot combine.
    #[error(
        "{op}: shapes {left:?} and {right:?} do not fit; make them equal, \
         broadcastable (reshape a size-1 axis in) or transpose one"
    )]
    ShapeMismatch {
        /// The operation being recorded.
        op: &'static str,
        /// Shape of the first operand.
        left: Vec<usize>,
        /// Shape of the second operand.
        right: Vec<usize>,
    },
    /// An operand of the wrong number of dimensions.
    #[error("{op}: needs {expected}, got an array of shape {shape:?}; reshape it first")]
    BadRank {
        /// The operation being recorded.
        op: &'static str,
        /// What the operation accepts.
        expected: &'static str,
        /// Shape of the operand.
        shape: Vec<usize>,
    },
    /// An axis the array does not have.
    #[error("{op}: axis {axis} out of range for an array with {ndim} axes")]
    AxisOutOfRange {
        /// The operation being recorded.
        op: &'static str,
        /// The requested axis.
        axis: usize,
        /// Number of axes of the array.
        ndim: usize,
    },
    /// An index or a range outside the array.
    #[error("{op}: index {index:?} out of range for shape {shape:?}")]
    IndexOutOfRange {
        /// The operation being recorded.
        op: &'static str,
        /// The requested index or range (start, end).
        index: Vec<usize>,
        /// Shape of the array.
        shape: Vec<usize>,
    },
    /// A packed triangle whose length is not d(d+1)/2.
    #[error(
        "lower-triangular matrix: {len} entries is not d(d+1)/2 for any d; \
         pass the d(d+1)/2 row-major entries of the lower triangle"
    )]
    TriangularLength {
        /// The length passed.
        len: usize,
    },
    /// An operation with nothing to work on.
    #[error("{op}: needs at least one operand (or a non-empty axis)")]
    Empty {
        /// The operation being recorded.
        op: &'static str,
    },
    /// Arrays of two different tapes in one operation.
    #[error("{op}: arrays of two different tapes; record one computation on one tape")]
    DifferentTapes {
        /// The operation being recorded.
        op: &'static str,
    },
    /// Inputs of the wrong length for a driver.
    #[error("{what}: expected length {expected}, got {found}")]
    LengthMismatch {
        /// Which input.
        what: &'static str,
        /// Length required.
        expected: usize,
        /// Length passed.
        found: usize,
    },
    /// A custom operation refused its inputs.
    #[error("custom operation {name}: {message}")]
    Custom {
        /// Name of the custom operation.
        name: String,
        /// Its explanation.
        message: String,
    },
}
