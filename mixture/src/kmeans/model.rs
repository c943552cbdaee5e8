//! The fitted K-means model: centres and what can be computed from them.

use super::assign::{chunk_rows, Assignment};
use super::distances::{all_centres, PackedCentres};
use super::params::Distance;
use super::prepare::Prepared;
use crate::{check_features, MixtureError};
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rayon::prelude::*;

/// A fitted K-means model, from [`KMeansParams::fit`](super::KMeansParams::fit).
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansModel {
    pub(crate) centres: Array2<f64>,
    pub(crate) distance: Distance,
    pub(crate) inertia: f64,
    pub(crate) n_iter: usize,
    pub(crate) converged: bool,
}

impl KMeansModel {
    /// The centres, one row per cluster (k x d).
    pub fn centroids(&self) -> ArrayView2<'_, f64> {
        self.centres.view()
    }

    /// The distance the model was fitted with.
    pub fn distance(&self) -> Distance {
        self.distance
    }

    /// Number of clusters.
    pub fn n_clusters(&self) -> usize {
        self.centres.nrows()
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.centres.ncols()
    }

    /// Weighted sum, over the training data, of the distance of each row to
    /// its nearest final centre (squared Euclidean or cosine distance).
    pub fn inertia(&self) -> f64 {
        self.inertia
    }

    /// Iterations run by the kept run (Lloyd iterations, or mini-batch
    /// iterations of `steps_per_iteration` steps).
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Whether the kept run stopped by its tolerance (or because no label
    /// changed) rather than at `max_iter`.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Index of the nearest centre of every row of `x` (lowest index on ties).
    pub fn predict(&self, x: ArrayView2<f64>) -> Result<Array1<usize>, MixtureError> {
        Ok(Array1::from(self.assign(x)?.labels))
    }

    /// Distance of every row of `x` to every centre (n x k): squared
    /// Euclidean, or `1 - cos` for cosine.
    pub fn transform(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, MixtureError> {
        let (data, packed) = self.prepare(x)?;
        let (n, d, k) = (data.n_samples(), data.n_features(), packed.k());
        let scale = match self.distance {
            Distance::SquaredEuclidean => 1.0,
            Distance::Cosine => 0.5,
        };
        let mut out = Array2::zeros((n, k));
        let chunk = chunk_rows(d);
        out.as_slice_mut()
            .expect("a new array is contiguous")
            .par_chunks_mut(chunk * k)
            .zip(data.rows().par_chunks(chunk * d))
            .zip(data.sq_norms.par_chunks(chunk))
            .for_each(|((out, x), sq_norms)| {
                all_centres(x, &packed, out);
                for (row, &sq) in out.chunks_exact_mut(k).zip(sq_norms) {
                    for v in row {
                        *v = (sq + *v).max(0.0) * scale;
                    }
                }
            });
        Ok(out)
    }

    /// Sum over the rows of `x` of the distance to the nearest centre
    /// (squared Euclidean or cosine). Positive, and lower is better, as
    /// TensorFlow's KMeans score; scikit-learn's `score` is its negative.
    pub fn score(&self, x: ArrayView2<f64>) -> Result<f64, MixtureError> {
        Ok(self.assign(x)?.total.inertia)
    }

    /// One assignment pass of the rows of `x` (unit weights).
    fn assign(&self, x: ArrayView2<f64>) -> Result<Assignment, MixtureError> {
        let (data, packed) = self.prepare(x)?;
        let mut assignment = Assignment::new(data.n_samples(), packed.k(), data.n_features());
        assignment.pass(data.as_rows(), &packed);
        Ok(assignment)
    }

    /// Checks `x` and prepares it with the centres: centred on the mean of
    /// the centres (squared Euclidean) or scaled to unit rows (cosine).
    fn prepare(&self, x: ArrayView2<f64>) -> Result<(Prepared, PackedCentres), MixtureError> {
        check_features(x, self.n_features())?;
        let shift = self
            .centres
            .mean_axis(Axis(0))
            .expect("a model has at least one centre");
        let data = Prepared::new(x, None, self.distance, Some(shift))?;
        let packed = PackedCentres::new(data.to_prepared(self.centres.view())?.view());
        Ok((data, packed))
    }
}
