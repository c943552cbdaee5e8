//! Gaussian mixture models fitted by EM.
//!
//! [`GaussianMixture::params`] gives hyperparameters in scikit-learn's terms,
//! which `check` turns into [`GmmValidParams`]; fitting returns a
//! [`GaussianMixtureModel`] with the parameters in scikit-learn's shapes,
//! labels, densities, samples, BIC/AIC and JSON I/O. Each EM iteration is one
//! fused parallel pass over the data whose [`SufficientStats`] merge in a
//! fixed order, so the model does not depend on the number of threads.
//!
//! One iteration, file by file:
//!
//! ```text
//! params.rs      GmmParams --check--> GmmValidParams
//! em.rs          the loop: initialise, then per iteration
//! accumulate.rs    one pass in parallel tasks, chunk by chunk:
//! estep.rs           log-densities and responsibilities of a chunk
//! transpose.rs       (its per-row and per-component arrays transposed)
//! accumulate.rs      their products with the rows, merged in task order
//! stats.rs         SufficientStats --M-step--> weights, means, covariances
//! model.rs       GaussianMixtureModel (predict.rs: per-sample outputs)
//! online.rs      OnlineGmm: the same pass and M-step, batch by batch
//! ```
//!
//! # Example
//! ```
//! use admix_mixture::gmm::{CovarianceType, GaussianMixture, GaussianMixtureModel};
//! use ndarray::array;
//! # fn main() -> Result<(), admix_mixture::MixtureError> {
//! let x = array![[1.0, 2.0], [1.1, 2.1], [0.9, 1.8], [8.0, 8.0], [8.2, 7.9], [7.9, 8.3]];
//! let model = GaussianMixture::params(2)
//!     .covariance_type(CovarianceType::Spherical)
//!     .n_init(2)
//!     .seed(1)
//!     .fit(x.view())?;
//! let labels = model.predict(x.view())?;
//! assert_eq!(labels[0], labels[2]);
//! assert!(model.bic(x.view())?.is_finite());
//! let (samples, components) = model.sample(100, 7)?;
//! assert_eq!((samples.nrows(), components.len()), (100, 100));
//! let copy = GaussianMixtureModel::from_json(&model.to_json())?;
//! assert_eq!(copy, model);
//! # Ok(())
//! # }
//! ```
//!
//! # Reference
//! Dempster, Laird and Rubin (1977), Maximum likelihood from incomplete data
//! via the EM algorithm; Bishop (2006), Pattern Recognition and Machine
//! Learning, section 9.2.

mod accumulate;
mod covariance;
mod em;
mod estep;
mod json;
mod model;
mod online;
mod params;
mod predict;
mod sample;
mod stats;
mod transpose;

/// The fused E-step pass, shared with gradient fitting (its gradient is a
/// function of the same sufficient statistics).
pub(crate) use accumulate::{accumulate, accumulate_shard, Source, TASK_ROWS};
pub use covariance::{CovarianceType, Covariances};
pub(crate) use em::weighted_mean;
pub use model::{Criteria, GaussianMixtureModel};
pub use online::OnlineGmm;
pub use params::{GaussianMixture, GmmInit, GmmParams, GmmValidParams, Updates};
pub use sample::Sampler;
pub use stats::SufficientStats;
