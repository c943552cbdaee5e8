//! K-means clustering: Lloyd and mini-batch updates, random, k-means++ or
//! given seeding, squared Euclidean or cosine distance, per-sample weights.
//!
//! The assignment kernel computes `||c||^2 - 2 x.c` for blocks of rows
//! against tiles of centres (on centred data, so the shortcut stays
//! accurate), and sums rows per cluster in fixed-size chunks merged in a
//! fixed order: the fitted model is bitwise the same for any number of
//! threads.
//!
//! # Example
//! ```
//! # use admix_mixture::kmeans::{Distance, Init, KMeans};
//! # use ndarray::array;
//! let x = array![[0.0, 0.1], [0.2, 0.0], [5.0, 5.1], [5.2, 4.9], [0.1, 0.1]];
//! let model = KMeans::params(2)
//!     .init(Init::KMeansPlusPlus { extra_candidates: None })
//!     .distance(Distance::SquaredEuclidean)
//!     .n_init(3)
//!     .seed(42)
//!     .fit(x.view())?;
//! assert_eq!(model.centroids().dim(), (2, 2));
//! let d = model.transform(x.view())?; // squared distance to every centre
//! assert_eq!(d.dim(), (5, 2));
//! # Ok::<(), admix_mixture::MixtureError>(())
//! ```

mod assign;
mod distances;
mod fit;
mod init;
mod lanes;
mod lloyd;
mod minibatch;
mod model;
mod online;
mod params;
mod prepare;

pub use init::SEED_SAMPLE_ROWS;
pub use lloyd::{Lloyd, LloydStep};
pub use model::KMeansModel;
pub use online::OnlineKMeans;
pub use params::{Algorithm, Distance, Init, KMeans, KMeansParams, KMeansValidParams};

#[cfg(test)]
mod tests;
