//! Gaussian mixture models and K-means.
//!
//! # Data
//! Fits and predictions take a [`Data`]: an `f64` or `f32` array view (so
//! `fit(x.view())` works), or a user's [`RowSource`] for rows that live
//! elsewhere. EM, its predictions and its initialisation read the rows in
//! chunks and never copy them whole (the gradient fits, which record the
//! data on a tape, read them into one `f64` array).
//!
//! # float32
//! `f32` rows stay `f32`: EM centres each chunk by the data's mean and runs
//! every product with the rows in `f32` (sgemm), and the E-step too (the
//! log-densities, their log-sum-exp with an `f32` `exp` within 1 ulp, the
//! responsibilities), adding each chunk's results into `f64` sufficient
//! statistics; each row's log-likelihood is formed from its `f32` maximum
//! and sum of exps in `f64` and summed in `f64`. Responsibilities below
//! 2^-64 are 0, so that no product is a slow subnormal. So `f32` gives
//! `f32` precision in each row's values and in each chunk's sums over its
//! rows (128); the sums over chunks are `f64`. An `f32` fit agrees with the
//! `f64` fit of the same values
//! to within 1e-4 in the weights, 1e-4 in the means and 1e-3 in the
//! covariances (each relative to the largest magnitude of the `f64` fit's),
//! and 1e-5 in the mean log-likelihood (tested on iris, Old Faithful and
//! synthetic data for all four covariance types; measured differences were
//! 7 to 1000 times smaller). The `f32` log-likelihood carries `f32` rounding
//! (about 1e-7 of each row's log-density), so a `tol` below that may not be
//! reached. `f32` data whose largest deviation from the mean exceeds 2^50,
//! or whose spread is below 2^-31, is refused
//! ([`MixtureError::DataScale`]): convert it to `f64`.

mod data;
pub mod distributed;
mod error;
pub mod gmm;
pub mod gradient;
pub mod kmeans;
mod linalg;
mod pca;
mod progress;
mod simd;
pub mod synthetic;

pub(crate) use data::check_sample_weight;
pub use data::{check_data, check_features, Data, Element, RowBuffer, RowSource, Rows};
pub use error::MixtureError;
#[doc(hidden)]
pub use linalg::{bench_gemm_f32, bench_gemm_f64, bench_gemm_name, BenchGemm};
pub use pca::PrincipalAxes;
pub use progress::Progress;
