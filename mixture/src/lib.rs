//! Gaussian mixture models and K-means.

mod data;
mod error;
pub mod gmm;
pub mod gradient;
pub mod kmeans;
mod linalg;

pub use data::{check_data, check_features};
pub use error::MixtureError;
