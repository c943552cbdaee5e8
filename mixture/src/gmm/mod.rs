//! Gaussian mixture models fitted by EM.
//!
//! [`GaussianMixture::params`] gives checked hyperparameters in scikit-learn's
//! terms; fitting returns a [`GaussianMixtureModel`] with the parameters in
//! scikit-learn's shapes, labels, densities, samples, BIC/AIC and JSON I/O.
//! Each EM iteration is one fused parallel pass over the data whose
//! [`SufficientStats`] merge in a fixed order, so the model does not depend on
//! the number of threads.

mod covariance;
mod em;
mod json;
mod kernel;
mod model;
mod params;
mod stats;

pub use covariance::{CovarianceType, Covariances};
/// The fused E-step pass, shared with gradient fitting (its gradient is a
/// function of the same sufficient statistics).
pub(crate) use kernel::{accumulate, Prepared, Source};
pub use model::GaussianMixtureModel;
pub use params::{GaussianMixture, GmmInit, GmmParams, GmmValidParams, Updates};
pub use stats::SufficientStats;
