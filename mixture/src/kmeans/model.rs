//! The fitted K-means model: centres and what can be computed from them.

use super::assign::Assignment;
use super::distances::{all_centres, nearest, PackedCentres};
use super::params::Distance;
use super::prepare::{fold_chunks, Chunks, Prepared, WINDOW};
use crate::{check_features, Data, MixtureError};
use ndarray::{Array1, Array2, ArrayView2, Axis};

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
    pub fn predict<'a>(&self, x: impl Into<Data<'a>>) -> Result<Array1<usize>, MixtureError> {
        let (data, packed) = self.prepare(x.into())?;
        let mut labels = Vec::with_capacity(data.n_samples());
        let mut partials = vec![Vec::new(); data.n_chunks().clamp(1, WINDOW)];
        fold_chunks(
            &data,
            &mut partials,
            |chunk, part: &mut Vec<usize>| {
                let n = chunk.sq_norms.len();
                part.resize(n, 0);
                nearest(chunk.x, &packed, part, &mut vec![0.0; n]);
            },
            |_, part| labels.extend_from_slice(part),
        )?;
        Ok(Array1::from(labels))
    }

    /// Distance of every row of `x` to every centre (n x k): squared
    /// Euclidean, or `1 - cos` for cosine.
    pub fn transform<'a>(&self, x: impl Into<Data<'a>>) -> Result<Array2<f64>, MixtureError> {
        let (data, packed) = self.prepare(x.into())?;
        let k = packed.k();
        let scale = self.distance.scale();
        let mut out = Vec::with_capacity(data.n_samples() * k);
        let mut partials = vec![Vec::new(); data.n_chunks().clamp(1, WINDOW)];
        fold_chunks(
            &data,
            &mut partials,
            |chunk, part: &mut Vec<f64>| {
                part.resize(chunk.sq_norms.len() * k, 0.0);
                all_centres(chunk.x, &packed, part);
                for (row, &sq) in part.chunks_exact_mut(k).zip(chunk.sq_norms) {
                    for v in row {
                        *v = (sq + *v).max(0.0) * scale;
                    }
                }
            },
            |_, part| out.extend_from_slice(part),
        )?;
        Ok(Array2::from_shape_vec((data.n_samples(), k), out).expect("n rows of k distances"))
    }

    /// Sum over the rows of `x` of the distance to the nearest centre
    /// (squared Euclidean or cosine). Positive, and lower is better, as
    /// TensorFlow's KMeans score; scikit-learn's `score` is its negative.
    pub fn score<'a>(&self, x: impl Into<Data<'a>>) -> Result<f64, MixtureError> {
        let (data, packed) = self.prepare(x.into())?;
        let mut assignment = Assignment::new(data.n_chunks(), packed.k(), data.n_features());
        assignment.pass(&data, &packed, self.distance)?;
        Ok(assignment.total.inertia)
    }

    /// Checks `x` and prepares it with the centres: centred on the mean of
    /// the centres (squared Euclidean) or scaled to unit rows (cosine).
    fn prepare<'a>(&self, x: Data<'a>) -> Result<(Prepared<'a>, PackedCentres), MixtureError> {
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
