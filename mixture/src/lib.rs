//! Gaussian mixture models and K-means.

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
pub use data::{check_data, check_features};
pub use error::MixtureError;
pub use pca::PrincipalAxes;
pub use progress::Progress;
