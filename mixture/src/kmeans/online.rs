//! K-means updated one batch at a time: the mini-batch step of
//! [`minibatch`](super::minibatch) applied to batches the caller brings
//! (a stream, or row ranges of a file) instead of batches drawn from data in
//! memory.

use super::assign::Assignment;
use super::distances::PackedCentres;
use super::minibatch::update_centres;
use super::model::KMeansModel;
use super::params::Distance;
use super::prepare::{prepare_centres, Chunks, Prepared};
use crate::{check_features, Data, MixtureError};
use ndarray::{Array1, Array2, Axis};
use serde::{Deserialize, Serialize};

/// K-means fitted by mini-batch steps over the batches given to
/// [`partial_fit`](Self::partial_fit): each centre moves to the mean of all
/// rows it has been nearest to so far. A plain value that can be saved
/// ([`to_json`](Self::to_json)) and resumed with bitwise the same result as
/// not stopping.
///
/// ```
/// use admix_mixture::kmeans::{KMeans, OnlineKMeans};
/// use ndarray::array;
/// # fn main() -> Result<(), admix_mixture::MixtureError> {
/// let first = array![[0.0, 0.1], [0.2, 0.0], [5.0, 5.1], [5.2, 4.9]];
/// let start = KMeans::params(2).seed(1).fit(first.view())?;
/// let mut online = OnlineKMeans::new(&start)?;
/// online.partial_fit(array![[0.1, 0.1], [4.9, 5.0]].view())?;
/// let resumed = OnlineKMeans::from_json(&online.to_json())?;
/// assert_eq!(resumed, online);
/// assert_eq!(online.model().centroids().dim(), (2, 2));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnlineKMeans {
    distance: Distance,
    /// What is subtracted from every row (squared Euclidean; zero for
    /// cosine), fixed for the whole stream.
    shift: Vec<f64>,
    /// Centres in the prepared space, row by row.
    centres: Vec<Vec<f64>>,
    /// Weight each centre has been nearest to so far.
    seen: Vec<f64>,
    batches: u64,
    /// Weighted distance of the last batch to its nearest centres, before the step.
    last_inertia: f64,
}

impl OnlineKMeans {
    /// Mini-batch steps starting from the centres of `model`, none of which
    /// has seen any weight yet (so the first batch moves each centre it
    /// reaches to the mean of its rows).
    ///
    /// # Errors
    /// A zero centre of a cosine model.
    pub fn new(model: &KMeansModel) -> Result<Self, MixtureError> {
        let shift = match model.distance {
            Distance::SquaredEuclidean => model
                .centroids()
                .mean_axis(Axis(0))
                .expect("a model has at least one centre"),
            Distance::Cosine => Array1::zeros(model.n_features()),
        };
        let centres = prepare_centres(model.centroids(), model.distance, &shift)?;
        Ok(OnlineKMeans {
            distance: model.distance,
            shift: shift.to_vec(),
            centres: centres.outer_iter().map(|c| c.to_vec()).collect(),
            seen: vec![0.0; model.n_clusters()],
            batches: 0,
            last_inertia: 0.0,
        })
    }

    /// Batches seen so far.
    pub fn batches(&self) -> u64 {
        self.batches
    }

    /// The current model; its inertia is that of the last batch (under the
    /// centres before its step) and `n_iter` the number of batches.
    pub fn model(&self) -> KMeansModel {
        let centres = self.prepared_centres() + &Array1::from(self.shift.clone());
        KMeansModel {
            centres,
            distance: self.distance,
            inertia: self.last_inertia,
            n_iter: usize::try_from(self.batches).unwrap_or(usize::MAX),
            converged: false,
        }
    }

    /// One mini-batch step with the rows of `batch`.
    ///
    /// # Errors
    /// An empty batch, a batch with another number of columns than the
    /// centres, a NaN or infinite value, or (cosine) a zero row; the state is
    /// then unchanged.
    pub fn partial_fit<'a>(&mut self, batch: impl Into<Data<'a>>) -> Result<(), MixtureError> {
        let batch = batch.into();
        let d = self.shift.len();
        check_features(batch, d)?;
        let shift = Array1::from(self.shift.clone());
        let data = Prepared::new(batch, None, self.distance, Some(shift))?;
        let mut centres = self.prepared_centres();
        let packed = PackedCentres::new(centres.view());
        let mut assignment = Assignment::new(data.n_chunks(), centres.nrows(), d);
        assignment.pass(&data, &packed, self.distance)?;
        let mut movement = 0.0;
        update_centres(
            &mut centres,
            &mut self.seen,
            &assignment.total,
            self.distance,
            &mut movement,
        );
        self.centres = centres.outer_iter().map(|c| c.to_vec()).collect();
        self.last_inertia = assignment.total.inertia;
        self.batches += 1;
        Ok(())
    }

    /// The state as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("finite numbers serialise")
    }

    /// A state saved by [`to_json`](Self::to_json); anything else (or a
    /// state whose parts do not fit together) gives an error.
    pub fn from_json(text: &str) -> Result<Self, MixtureError> {
        let invalid = |reason: String| MixtureError::InvalidModelFile { reason };
        let state: OnlineKMeans = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let d = state.shift.len();
        if state.centres.is_empty()
            || state.centres.iter().any(|c| c.len() != d)
            || state.seen.len() != state.centres.len()
        {
            return Err(invalid(
                "centres, shift and seen weights do not fit together".to_string(),
            ));
        }
        Ok(state)
    }

    fn prepared_centres(&self) -> Array2<f64> {
        let (k, d) = (self.centres.len(), self.shift.len());
        Array2::from_shape_fn((k, d), |(j, l)| self.centres[j][l])
    }
}
