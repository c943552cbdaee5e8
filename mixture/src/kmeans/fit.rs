//! Fitting: seeding, the chosen update rule, restarts keeping the best run.

use super::init::{kmeans_plus_plus, random_rows};
use super::lloyd::Lloyd;
use super::minibatch::{mini_batch, MiniBatchSettings};
use super::model::KMeansModel;
use super::params::{Algorithm, Distance, Init, KMeansParams, KMeansValidParams};
use super::prepare::Prepared;
use crate::data::{check_finite_shard, check_scale, check_scale_shard};
use crate::distributed::Shard;
use crate::gmm::weighted_mean;
use crate::{check_data, Data, MixtureError};
use ndarray::{Array2, ArrayView1};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

impl KMeansParams {
    /// Checks the hyperparameters, then fits (see [`KMeansValidParams::fit`]).
    ///
    /// # Errors
    /// As [`KMeansParams::check`] and [`KMeansValidParams::fit`].
    ///
    /// # Example
    /// ```
    /// # use admix_mixture::kmeans::KMeans;
    /// # use ndarray::array;
    /// let x = array![[1.0, 1.0], [1.2, 0.8], [9.0, 9.0], [8.8, 9.2]];
    /// let model = KMeans::params(2).seed(7).check()?.fit(x.view())?;
    /// let labels = model.predict(x.view())?;
    /// assert_eq!(labels[0], labels[1]);
    /// assert_ne!(labels[0], labels[2]);
    /// assert!(model.inertia() < 0.2);
    /// # Ok::<(), admix_mixture::MixtureError>(())
    /// ```
    pub fn fit<'a>(&self, x: impl Into<Data<'a>>) -> Result<KMeansModel, MixtureError> {
        self.clone().check()?.fit(x)
    }

    /// Checks the hyperparameters, then fits with a weight per row (see
    /// [`KMeansValidParams::fit_weighted`]).
    ///
    /// # Errors
    /// As [`KMeansParams::check`] and [`KMeansValidParams::fit_weighted`].
    pub fn fit_weighted<'a>(
        &self,
        x: impl Into<Data<'a>>,
        weights: ArrayView1<f64>,
    ) -> Result<KMeansModel, MixtureError> {
        self.clone().check()?.fit_weighted(x, weights)
    }
}

impl KMeansValidParams {
    /// Checks the data, then fits. The data (an `f64` or `f32` array view,
    /// or a [`RowSource`](crate::RowSource)) is read in chunks at every
    /// pass and never copied: besides the model, a fit holds one window of
    /// per-chunk sums, per-thread chunk scratch, and the rows k-means++ seeds
    /// on (at most [`SEED_SAMPLE_ROWS`](super::SEED_SAMPLE_ROWS), or 32 per cluster if more).
    ///
    /// # Errors
    /// [`MixtureError::CentresShape`] when given centres do not have the
    /// data's columns; [`MixtureError::EmptyData`], [`MixtureError::NonFiniteData`]
    /// (with row and column), [`MixtureError::DataScale`] (squares that
    /// overflow or underflow) or [`MixtureError::Overflow`] for bad data;
    /// [`MixtureError::TooFewSamples`] when there are fewer rows than
    /// clusters; [`MixtureError::ZeroNormRow`] for a zero row with the
    /// cosine distance.
    ///
    /// # Example
    /// ```
    /// # use admix_mixture::kmeans::KMeans;
    /// # use ndarray::array;
    /// let x = array![[1.0, 1.0], [1.2, 0.8], [9.0, 9.0], [8.8, 9.2]];
    /// let model = KMeans::params(2).seed(7).check()?.fit(x.view())?;
    /// let labels = model.predict(x.view())?;
    /// assert_eq!(labels[0], labels[1]);
    /// assert_ne!(labels[0], labels[2]);
    /// assert!(model.inertia() < 0.2);
    /// # Ok::<(), admix_mixture::MixtureError>(())
    /// ```
    pub fn fit<'a>(&self, x: impl Into<Data<'a>>) -> Result<KMeansModel, MixtureError> {
        // One process is a job of one: the same passes as any number of processes.
        self.fit_shard(Shard::whole(x))
    }

    /// As [`fit`](Self::fit), with a non-negative weight per row: a row of
    /// weight 2 counts as two copies of it, a row of weight 0 is ignored.
    pub fn fit_weighted<'a>(
        &self,
        x: impl Into<Data<'a>>,
        weights: ArrayView1<f64>,
    ) -> Result<KMeansModel, MixtureError> {
        self.fit_with(x.into(), Some(weights))
    }

    /// As [`fit`](Self::fit), on the rows of a job's processes: every pass
    /// sums per-task statistics in one fixed tree, and the seeds and refills
    /// of empty clusters are chosen by global row index, so every process
    /// gets the same model, bitwise the same for any number of processes
    /// (the shares must be whole tasks of [`task_rows`](Self::task_rows)).
    ///
    /// # Errors
    /// As [`fit`](Self::fit), on every process when any fails, and
    /// [`MixtureError::NotDistributed`] for mini-batches over several processes.
    pub fn fit_shard(&self, shard: Shard<'_>) -> Result<KMeansModel, MixtureError> {
        self.fit_shard_in_tasks(shard, self.task_rows())
    }

    /// [`fit_shard`](Self::fit_shard) on a grid of tasks of `task_rows` rows
    /// (EM's, when it starts from K-means).
    pub(crate) fn fit_shard_in_tasks(
        &self,
        shard: Shard<'_>,
        task_rows: usize,
    ) -> Result<KMeansModel, MixtureError> {
        if shard.comm().size() > 1 {
            if let Algorithm::MiniBatch { .. } = self.params.algorithm {
                return Err(MixtureError::NotDistributed {
                    what: "mini-batch K-means",
                    instead: "use Lloyd's algorithm",
                });
            }
        }
        shard.check_grid(task_rows)?;
        let x = shard.rows();
        check_finite_shard(&shard)?;
        let shift = match self.params.distance {
            Distance::SquaredEuclidean => {
                check_scale_shard(&shard, task_rows)?;
                Some(weighted_mean(&shard, None, task_rows)?.into())
            }
            Distance::Cosine => None,
        };
        self.check_given_centres(x.ncols())?;
        let data = shard.agree(Prepared::new(x, None, self.params.distance, shift))?;
        self.restarts(&data, Some((&shard, task_rows)))
    }

    fn fit_with(
        &self,
        x: Data,
        weights: Option<ArrayView1<f64>>,
    ) -> Result<KMeansModel, MixtureError> {
        check_data(x)?;
        if self.params.distance == Distance::SquaredEuclidean {
            check_scale(x)?;
        }
        self.check_given_centres(x.ncols())?;
        let data = Prepared::new(x, weights, self.params.distance, None)?;
        self.restarts(&data, None)
    }

    /// An error when given centres do not have `d` columns.
    fn check_given_centres(&self, d: usize) -> Result<(), MixtureError> {
        if let Init::Given(centres) = &self.params.init {
            if centres.ncols() != d {
                return Err(MixtureError::CentresShape {
                    rows: self.params.n_clusters,
                    cols: d,
                    got_rows: centres.nrows(),
                    got_cols: centres.ncols(),
                });
            }
        }
        Ok(())
    }

    /// The best of the runs from the seeds of `n_init` (one for given
    /// centres), on `data`; with a `grid`, `data` is this process's rows of
    /// the shard, whose passes are tree sums in tasks of the given rows.
    fn restarts<'a>(
        &self,
        data: &Prepared<'a>,
        grid: Option<(&Shard<'a>, usize)>,
    ) -> Result<KMeansModel, MixtureError> {
        let shard = grid.map(|(s, _)| s);
        let n_positive = shard.map_or_else(|| data.n_positive(), |s| s.total_rows());
        if n_positive < self.params.n_clusters {
            return Err(MixtureError::TooFewSamples {
                n_samples: n_positive,
                n_clusters: self.params.n_clusters,
            });
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.params.seed);
        let runs = match self.params.init {
            Init::Given(_) => 1,
            _ => self.params.n_init,
        };
        let mut best: Option<KMeansModel> = None;
        for _ in 0..runs {
            let centres = self.initial_centres(data, shard, &mut rng)?;
            let model = self.run(data, grid, centres, &mut rng)?;
            match &best {
                Some(b) if b.inertia <= model.inertia => {}
                _ => best = Some(model),
            }
        }
        Ok(best.expect("n_init is at least 1"))
    }

    /// First centres, in the prepared space of `data`.
    fn initial_centres(
        &self,
        data: &Prepared,
        shard: Option<&Shard<'_>>,
        rng: &mut ChaCha8Rng,
    ) -> Result<Array2<f64>, MixtureError> {
        let k = self.params.n_clusters;
        match &self.params.init {
            Init::Given(centres) => data.to_prepared(centres.view()),
            Init::Random => random_rows(data, shard, k, rng),
            Init::KMeansPlusPlus { extra_candidates } => {
                let extra = extra_candidates.unwrap_or_else(|| (k as f64).ln().floor() as usize);
                kmeans_plus_plus(data, shard, k, 1 + extra, rng)
            }
        }
    }

    /// One run of the update rule from `centres`, then a last assignment
    /// for the inertia of the final centres.
    fn run<'a>(
        &self,
        data: &Prepared<'a>,
        grid: Option<(&Shard<'a>, usize)>,
        centres: Array2<f64>,
        rng: &mut ChaCha8Rng,
    ) -> Result<KMeansModel, MixtureError> {
        let (mut lloyd, n_iter, converged) = match self.params.algorithm {
            Algorithm::Lloyd => {
                let mut lloyd = Lloyd::on(data.clone(), centres, grid);
                let (n_iter, converged) = self.iterate(&mut lloyd)?;
                (lloyd, n_iter, converged)
            }
            Algorithm::MiniBatch {
                batch_size,
                steps_per_iteration,
            } => {
                let settings = MiniBatchSettings {
                    batch_size,
                    steps_per_iteration,
                    tol: self.params.tol,
                    max_iter: self.params.max_iter,
                };
                let fit = mini_batch(data, centres, settings, rng)?;
                let lloyd = Lloyd::on(data.clone(), fit.centres, grid);
                (lloyd, fit.n_iter, fit.converged)
            }
        };
        Ok(KMeansModel {
            inertia: lloyd.inertia()?,
            centres: lloyd.centroids(),
            distance: self.params.distance,
            n_iter,
            converged,
        })
    }

    /// Lloyd steps until a fixed point (no centre moves: after the first
    /// step, exactly when no label changed), the inertia falls by at most
    /// `tol` relative, or `max_iter`; returns (iterations, converged). The
    /// first step never counts as converged, as no labels came before it.
    fn iterate(&self, lloyd: &mut Lloyd) -> Result<(usize, bool), MixtureError> {
        let mut previous = None;
        for iter in 0..self.params.max_iter {
            let step = lloyd.step()?;
            let small_fall = previous.is_some_and(|p: f64| p - step.inertia <= self.params.tol * p);
            if (iter > 0 && step.moved == 0) || small_fall {
                return Ok((iter + 1, true));
            }
            previous = Some(step.inertia);
        }
        Ok((self.params.max_iter, false))
    }
}
