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
    /// A hyperparameter is outside its valid range.
    #[error("hyperparameter {name} = {value} is invalid: it must be {valid}")]
    InvalidHyperparameter {
        /// Name of the hyperparameter, as its builder method is called.
        name: &'static str,
        /// The rejected value, printed.
        value: String,
        /// The valid range, in words.
        valid: &'static str,
    },
    /// Fewer samples (with positive weight) than clusters requested.
    #[error("data has {n_samples} samples with positive weight but {n_clusters} clusters (components) were requested: ask for at most {n_samples} or pass more data")]
    TooFewSamples {
        /// Samples available.
        n_samples: usize,
        /// Clusters requested.
        n_clusters: usize,
    },
    /// Given initial centres do not have one row per cluster and one column per feature.
    #[error("given centres have shape ({got_rows}, {got_cols}) but ({rows}, {cols}) is needed: pass one row per cluster and one column per feature")]
    CentresShape {
        /// Rows needed (clusters).
        rows: usize,
        /// Columns needed (features).
        cols: usize,
        /// Rows given.
        got_rows: usize,
        /// Columns given.
        got_cols: usize,
    },
    /// A given centre contains NaN or an infinite value.
    #[error("given centre {row} has the non-finite value {value} in column {column}: pass finite centres")]
    NonFiniteCentre {
        /// Centre (row) of the offending value.
        row: usize,
        /// Column of the offending value.
        column: usize,
        /// The value itself.
        value: f64,
    },
    /// A row (of the data or of the given centres) has zero length, so its cosine distance is undefined.
    #[error("{what} row {row} is all zeros, so its cosine distance is undefined: remove zero rows or use the squared Euclidean distance")]
    ZeroNormRow {
        /// `"data"` or `"centre"`.
        what: &'static str,
        /// The offending row.
        row: usize,
    },
    /// A row so large that its squared length overflows `f64`.
    #[error("{what} row {row} is so large that its squared length overflows: scale the data down")]
    Overflow {
        /// `"data"` or `"centre"`.
        what: &'static str,
        /// The offending row.
        row: usize,
    },
    /// Data so large or so small that its squares do not fit in `f64`.
    #[error("the data's root-mean-square distance from its mean is {spread:e}, whose square {problem}: rescale the data (for example standardise each column) before fitting")]
    DataScale {
        /// Root-mean-square distance of the rows from their mean (`inf` when it overflows).
        spread: f64,
        /// What goes wrong with its square, in words.
        problem: &'static str,
    },
    /// Per-sample weights of the wrong length.
    #[error(
        "got {got} sample weights for {expected} samples: pass one weight per row of the data"
    )]
    SampleWeightsLength {
        /// Samples in the data.
        expected: usize,
        /// Weights given.
        got: usize,
    },
    /// A per-sample weight that is negative, NaN or infinite.
    #[error("sample weight {index} is {value}: weights must be finite and non-negative")]
    InvalidSampleWeight {
        /// Position of the offending weight.
        index: usize,
        /// The weight itself.
        value: f64,
    },
    /// Fewer distinct samples than components (constant or duplicated data).
    #[error("data has only {n_distinct} distinct samples but {n_components} components were asked for: reduce n_components or remove duplicated rows")]
    TooFewDistinctSamples {
        /// Distinct rows found.
        n_distinct: usize,
        /// Components asked for.
        n_components: usize,
    },
    /// A given covariance matrix that is not symmetric.
    #[error("covariance of component {component} is not symmetric: entry ({row}, {column}) differs from ({column}, {row}); give a symmetric matrix, for example (C + C^T) / 2")]
    AsymmetricCovariance {
        /// Component whose covariance is asymmetric (0 for a tied covariance).
        component: usize,
        /// Row of the first entry that differs from its mirror.
        row: usize,
        /// Its column.
        column: usize,
    },
    /// A covariance matrix (fitted or given) that is not positive definite.
    #[error("covariance of component {component} is not positive definite (a singleton or collapsed component): try fewer components, a larger reg_covar, or scaled data")]
    NotPositiveDefinite {
        /// Component whose covariance failed (0 for a tied covariance).
        component: usize,
    },
    /// Mixture weights that are negative, non-finite or do not sum to 1.
    #[error("mixture weights must be finite, non-negative and sum to 1, but they sum to {sum}: normalise them")]
    InvalidWeights {
        /// Sum of the weights given.
        sum: f64,
    },
    /// An array whose shape does not fit the others.
    #[error(
        "{what} has shape {got:?} but {expected:?} was expected: pass arrays of matching shapes"
    )]
    ShapeMismatch {
        /// Which array.
        what: &'static str,
        /// Shape needed.
        expected: Vec<usize>,
        /// Shape given.
        got: Vec<usize>,
    },
    /// A saved model that cannot be read back.
    #[error("model file is invalid: {reason}; save it again with `to_json`")]
    InvalidModelFile {
        /// What is wrong with it.
        reason: String,
    },
    /// The optimiser behind gradient fitting failed internally.
    #[error("gradient fitting failed: {message}; check the hyperparameters, or fit by EM")]
    Optimisation {
        /// The optimiser's explanation.
        message: String,
    },
    /// The observed information is not positive definite, so it has no
    /// inverse to give standard errors.
    #[error("the observed information is not positive definite: the model is not at a maximum of the likelihood or a parameter is not identified (an empty or duplicated component); fit to convergence first, or use fewer components")]
    InformationNotPositiveDefinite,
    /// A user's [`RowSource`](crate::RowSource) failed to deliver rows.
    #[error("reading rows {start}..{end} from the data source failed: {message}; check the source, or load the data into an array")]
    DataSource {
        /// First row asked for.
        start: usize,
        /// One past the last row asked for.
        end: usize,
        /// The source's explanation.
        message: String,
    },
    /// Another process of a distributed job failed (this one did not).
    #[error("rank {rank} of the job failed: {message}")]
    OnOtherRank {
        /// The first failing process.
        rank: usize,
        /// Its error.
        message: String,
    },
    /// The processes of a distributed job hold shares of the rows that do
    /// not tile the data set on the grid of tasks.
    #[error("rank {rank} {problem}: give each rank contiguous rows, in rank order, made of whole tasks of {task_rows} rows (admix_mixture::distributed::share computes them)")]
    BadShares {
        /// The first process whose share is wrong.
        rank: usize,
        /// What is wrong with it.
        problem: String,
        /// Rows per task of the fit.
        task_rows: usize,
    },
    /// A method that needs all the rows in one process was asked of a distributed job.
    #[error("{what} is not available in a job of several processes: {instead}")]
    NotDistributed {
        /// The method.
        what: &'static str,
        /// What to use instead.
        instead: &'static str,
    },
}
