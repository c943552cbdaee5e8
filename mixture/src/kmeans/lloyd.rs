//! Full-batch Lloyd iterations as an explicit loop whose state a caller can
//! inspect after every step.
//!
//! # Reference
//! Lloyd, Least squares quantization in PCM, IEEE Trans. Inf. Theory 28(2), 1982.

use super::assign::{nearest_sq_dists, Assignment};
use super::distances::PackedCentres;
use super::params::Distance;
use super::prepare::Prepared;
use crate::{check_data, MixtureError};
use ndarray::{Array2, ArrayView2};
use std::borrow::Cow;

/// What one Lloyd step saw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LloydStep {
    /// Weighted sum of distances to the nearest centre, for the centres
    /// *before* the step moved them.
    pub inertia: f64,
    /// Rows whose nearest centre changed (every row on the first step),
    /// including rows moved into empty clusters.
    pub changed: usize,
}

/// Lloyd's algorithm one step at a time: each [`Lloyd::step`] assigns
/// every row to its nearest centre and moves each centre to the weighted
/// mean of its rows.
///
/// A cluster left empty takes the row farthest from its own centre (the
/// next farthest for a second empty cluster, and so on; ties go to the
/// lower row index), which leaves that row's old cluster; a cluster that
/// still has no weight keeps its centre. No centre ever becomes NaN.
///
/// # Example
/// ```
/// # use admix_mixture::kmeans::{Distance, Lloyd};
/// # use ndarray::array;
/// let x = array![[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]];
/// let mut lloyd = Lloyd::new(x.view(), array![[0.0, 0.0], [1.0, 0.0]].view(), Distance::SquaredEuclidean)?;
/// lloyd.step();
/// let step = lloyd.step();
/// assert_eq!(step.changed, 0);
/// assert_eq!(lloyd.centroids(), array![[0.0, 0.5], [10.0, 0.5]]);
/// # Ok::<(), admix_mixture::MixtureError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Lloyd<'a> {
    data: Cow<'a, Prepared>,
    /// Centres in the prepared space (centred, or unit length for cosine).
    centres: Array2<f64>,
    packed: PackedCentres,
    assignment: Assignment,
}

impl Lloyd<'static> {
    /// Starts from `centres` (k x d) on the data `x` (n x d).
    pub fn new(
        x: ArrayView2<f64>,
        centres: ArrayView2<f64>,
        distance: Distance,
    ) -> Result<Self, MixtureError> {
        check_data(x)?;
        let d = x.ncols();
        if centres.nrows() == 0 || centres.ncols() != d {
            return Err(MixtureError::CentresShape {
                rows: centres.nrows().max(1),
                cols: d,
                got_rows: centres.nrows(),
                got_cols: centres.ncols(),
            });
        }
        if let Some(((row, column), &value)) = centres.indexed_iter().find(|(_, v)| !v.is_finite())
        {
            return Err(MixtureError::NonFiniteCentre { row, column, value });
        }
        let data = Prepared::new(x, None, distance, None)?;
        let centres = data.to_prepared(centres)?;
        Ok(Lloyd::from_prepared(Cow::Owned(data), centres))
    }
}

impl<'a> Lloyd<'a> {
    /// Starts from centres already in the prepared space of `data`.
    pub(crate) fn from_prepared(data: Cow<'a, Prepared>, centres: Array2<f64>) -> Self {
        let (k, d) = centres.dim();
        Self {
            assignment: Assignment::new(data.n_samples(), k, d),
            packed: PackedCentres::new(centres.view()),
            data,
            centres,
        }
    }

    /// One iteration: assign, then move the centres.
    pub fn step(&mut self) -> LloydStep {
        self.assign();
        let relocated = self.fill_empty_clusters();
        self.move_centres();
        LloydStep {
            inertia: self.assignment.total.inertia,
            changed: self.assignment.total.changed + relocated,
        }
    }

    /// Assigns every row to the current centres without moving them and
    /// returns the inertia.
    pub fn inertia(&mut self) -> f64 {
        self.assign();
        self.assignment.total.inertia
    }

    /// The current centres, in data space (k x d).
    pub fn centroids(&self) -> Array2<f64> {
        self.data.to_data(&self.centres)
    }

    fn assign(&mut self) {
        self.assignment.pass(self.data.as_rows(), &self.packed);
    }

    /// Moves the farthest rows into clusters of zero weight; returns how many moved.
    fn fill_empty_clusters(&mut self) -> usize {
        let total = &mut self.assignment.total;
        let empty: Vec<usize> = (0..total.weights.len())
            .filter(|&c| total.weights[c] == 0.0)
            .collect();
        if empty.is_empty() {
            return 0;
        }
        let weights = &self.data.weights;
        // Distances are recomputed here rather than stored by every pass:
        // empty clusters are rare.
        let dists = nearest_sq_dists(self.data.as_rows(), &self.packed);
        let mut far: Vec<usize> = (0..weights.len()).filter(|&i| weights[i] > 0.0).collect();
        let by_distance = |a: &usize, b: &usize| dists[*b].total_cmp(&dists[*a]).then(a.cmp(b));
        let m = empty.len().min(far.len());
        if m == 0 {
            return 0;
        }
        far.select_nth_unstable_by(m - 1, by_distance);
        far[..m].sort_unstable_by(by_distance);
        let d = self.data.n_features();
        let x = self.data.rows();
        for (&c, &i) in empty.iter().zip(&far[..m]) {
            let (w, row) = (weights[i], &x[i * d..(i + 1) * d]);
            let old = self.assignment.labels[i];
            for (j, &xv) in row.iter().enumerate() {
                total.sums[old * d + j] -= w * xv;
                total.sums[c * d + j] = w * xv;
            }
            total.weights[old] -= w;
            total.weights[c] = w;
            self.assignment.labels[i] = c;
        }
        m
    }

    /// Moves each centre of positive weight to the mean of its rows (kept
    /// at unit length for cosine).
    fn move_centres(&mut self) {
        let total = &self.assignment.total;
        let d = self.centres.ncols();
        for (c, mut centre) in self.centres.rows_mut().into_iter().enumerate() {
            let sums = &total.sums[c * d..(c + 1) * d];
            let scale = match self.data.distance {
                Distance::SquaredEuclidean => total.weights[c],
                // The unit vector along the mean is the unit vector along the sum.
                Distance::Cosine => sums.iter().map(|s| s * s).sum::<f64>().sqrt(),
            };
            if total.weights[c] > 0.0 && scale > 0.0 {
                for (m, &s) in centre.iter_mut().zip(sums) {
                    *m = s / scale;
                }
            }
        }
        self.packed.repack(self.centres.view());
    }
}
