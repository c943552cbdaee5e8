//! The errors of this crate: bad data, bad hyperparameters, failed fits.

use thiserror::Error;

/// Everything that can go wrong when fitting or using a mixture or K-means model.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum MixtureError {
    /// A data value is NaN or infinite.
    #[error("data value at row {row}, column {column} is {value}: remove or impute non-finite values before fitting")]
    NonFiniteData {
        /// Row of the offending value (0-based).
        row: usize,
        /// Column of the offending value (0-based).
        column: usize,
        /// The value itself.
        value: f64,
    },
    /// The data has no rows or no columns.
    #[error(
        "data has {n_samples} samples and {n_features} features: at least one of each is needed"
    )]
    EmptyData {
        /// Rows given.
        n_samples: usize,
        /// Columns given.
        n_features: usize,
    },
    /// Data with a different number of features than the model.
    #[error("data has {got} features but the model was fitted on {expected}: pass data with the same columns")]
    DimensionMismatch {
        /// Features the model expects.
        expected: usize,
        /// Features the data has.
        got: usize,
    },
}
