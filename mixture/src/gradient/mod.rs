//! Gaussian mixtures fitted by gradient methods through reverse-mode AD, and
//! compared with EM.
//!
//! The same hyperparameters as EM ([`GmmParams::gradient`](crate::gmm::GmmParams::gradient))
//! choose a [`Method`] (L-BFGS, Adam, gradient descent; full or mini-batch);
//! the optimisers of `admix-optim` work on the [`Unconstrained`] vector and
//! the tape of `admix-tape` gives the gradient of the mean log-likelihood,
//! recorded with whole-array operations. The result is EM's
//! [`GaussianMixtureModel`](crate::gmm::GaussianMixtureModel) with a trace
//! and a certificate ([`gradient_norm`]); [`compare`] runs EM and a gradient
//! method from one start; [`observed_information`] gives standard errors.
//!
//! # Example
//! ```
//! use admix_mixture::gmm::{CovarianceType, GaussianMixture};
//! use admix_mixture::gradient::{GradientStatus, Method};
//! use ndarray::array;
//! # fn main() -> Result<(), admix_mixture::MixtureError> {
//! let x = array![[0.0, 0.1], [0.3, -0.2], [-0.1, 0.0], [5.0, 5.1], [5.3, 4.8], [4.9, 5.0]];
//! let fit = GaussianMixture::params(2)
//!     .covariance_type(CovarianceType::Diag)
//!     .tol(1e-10)
//!     .max_iter(500)
//!     .gradient(Method::Lbfgs)
//!     .fit(x.view())?;
//! assert!(matches!(fit.status, GradientStatus::Converged | GradientStatus::LineSearchFailed));
//! assert!(fit.gradient_norm < 1e-3);
//! let em = GaussianMixture::params(2)
//!     .covariance_type(CovarianceType::Diag)
//!     .fit(x.view())?;
//! assert!((fit.model.score(x.view())? - em.score(x.view())?).abs() < 1e-3);
//! # Ok(())
//! # }
//! ```

mod certificate;
mod compare;
mod fit;
mod generic;
mod likelihood;
mod objective;
mod params;
mod unconstrained;

pub use certificate::{
    gradient_norm, log_likelihood_gradient, observed_information, ObservedInformation,
    MAX_INFORMATION_NODES,
};
pub use compare::{compare, compare_shard, match_components, Comparison, EmRun, Matching};
pub use fit::{GradientFit, GradientStatus};
pub use generic::LogLikelihood;
pub use likelihood::{tape_log_likelihood, DataTerm};
pub use params::{GradientParams, GradientValidParams, Method};
pub use unconstrained::Unconstrained;
