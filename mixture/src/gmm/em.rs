//! The EM loop: initialisation, iterations of one fused pass each, a final
//! E-step, and restarts keeping the best.
//!
//! # Reference
//! Dempster, Laird and Rubin (1977), Maximum likelihood from incomplete data via
//! the EM algorithm; Bishop (2006), Pattern Recognition and Machine Learning, 9.2.

use super::accumulate::{accumulate_shard, Source};
use super::model::GaussianMixtureModel;
use super::params::{GmmInit, GmmValidParams};
use super::stats::SufficientStats;
use crate::data::{check_finite_shard, check_scale_shard, SCAN_ROWS};
use crate::distributed::{tree_sum, Shard};
use crate::kmeans::{Init as KMeansInit, KMeans};
use crate::{check_sample_weight, Data, MixtureError, Progress, RowBuffer};
use ndarray::{Array2, ArrayView1};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

impl GmmValidParams {
    /// Fits a mixture to the rows of `x` by EM.
    ///
    /// Each restart `r` draws from the stream `r` of a ChaCha8 generator seeded
    /// with `seed`, so restart 0 is the fit that `n_init = 1` gives.
    pub fn fit<'a>(&self, x: impl Into<Data<'a>>) -> Result<GaussianMixtureModel, MixtureError> {
        self.fit_inner(Shard::whole(x), None, self.params.max_iter, &mut |_| {})
    }

    /// Fits to the rows of a job of several processes (MPI ranks), each
    /// calling this with its own [`Shard`]: every process returns the same
    /// model, bitwise the one [`fit`](Self::fit) gives on all the rows in one
    /// process. Initialisation by K-means is not distributed: use
    /// [`GmmInit::RandomFromData`], [`GmmInit::Random`] or given means.
    ///
    /// # Errors
    /// As [`fit`](Self::fit), on every process when any fails (another
    /// process's error as [`MixtureError::OnOtherRank`]), and
    /// [`MixtureError::BadShares`] when the shares do not tile the rows in
    /// whole tasks of `task_rows`.
    pub fn fit_shard(&self, shard: Shard<'_>) -> Result<GaussianMixtureModel, MixtureError> {
        self.fit_inner(shard, None, self.params.max_iter, &mut |_| {})
    }

    /// [`fit_shard`](Self::fit_shard) calling `progress` as
    /// [`fit_with_progress`](Self::fit_with_progress) does, on every process.
    pub fn fit_shard_with_progress(
        &self,
        shard: Shard<'_>,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<GaussianMixtureModel, MixtureError> {
        self.fit_inner(shard, None, self.params.max_iter, progress)
    }

    /// The starting parameters EM would use for `x`: its initialisation, and
    /// with `n_init` restarts the start with the best log-likelihood (what a
    /// gradient fit or a comparison starts from).
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    pub fn initial_model<'a>(
        &self,
        x: impl Into<Data<'a>>,
    ) -> Result<GaussianMixtureModel, MixtureError> {
        self.fit_inner(Shard::whole(x), None, 0, &mut |_| {})
    }

    /// [`initial_model`](Self::initial_model) of the rows of a job's
    /// processes, as [`fit_shard`](Self::fit_shard) starts.
    ///
    /// # Errors
    /// As [`fit_shard`](Self::fit_shard).
    pub fn initial_model_shard(
        &self,
        shard: Shard<'_>,
    ) -> Result<GaussianMixtureModel, MixtureError> {
        self.fit_inner(shard, None, 0, &mut |_| {})
    }

    /// [`fit`](Self::fit), calling `progress` after the E-step of every EM
    /// iteration of every restart (for a progress bar or a log) with the
    /// log-likelihood of the parameters that iteration starts from, so
    /// iteration `i` reports the parameters after `i` M-steps; the model is
    /// the same.
    pub fn fit_with_progress<'a>(
        &self,
        x: impl Into<Data<'a>>,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<GaussianMixtureModel, MixtureError> {
        self.fit_inner(Shard::whole(x), None, self.params.max_iter, progress)
    }

    /// Fits with a non-negative weight per sample (a weight of 2 counts a
    /// sample twice); the weights need not sum to 1.
    pub fn fit_weighted<'a>(
        &self,
        x: impl Into<Data<'a>>,
        sample_weight: ArrayView1<f64>,
    ) -> Result<GaussianMixtureModel, MixtureError> {
        let x = x.into();
        check_sample_weight(sample_weight, x.nrows())?;
        let sum = sample_weight.sum();
        if !(sum > 0.0 && sum.is_finite()) {
            return Err(MixtureError::InvalidHyperparameter {
                name: "sample_weight",
                value: format!("weights summing to {sum}"),
                valid: "weights with a positive, finite sum",
            });
        }
        self.fit_inner(
            Shard::whole(x),
            Some(sample_weight),
            self.params.max_iter,
            &mut |_| {},
        )
    }

    fn fit_inner(
        &self,
        shard: Shard<'_>,
        weights: Option<ArrayView1<f64>>,
        max_iter: usize,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<GaussianMixtureModel, MixtureError> {
        let began = Instant::now();
        let p = &self.params;
        shard.check_grid(p.task_rows)?;
        check_finite_shard(&shard)?;
        check_scale_shard(&shard, p.task_rows)?;
        let (n, d) = (shard.total_rows(), shard.rows().ncols());
        let k = p.n_components;
        if n < k {
            return Err(MixtureError::TooFewSamples {
                n_samples: n,
                n_clusters: k,
            });
        }
        let given_d = p
            .means_init
            .as_ref()
            .map(|m| m.ncols())
            .or(match &p.covariances_init {
                Some(super::Covariances::Full(c)) => Some(c.shape()[2]),
                Some(super::Covariances::Tied(c)) | Some(super::Covariances::Diag(c)) => {
                    Some(c.ncols())
                }
                _ => None,
            });
        if let Some(gd) = given_d {
            if gd != d {
                return Err(MixtureError::DimensionMismatch {
                    expected: gd,
                    got: d,
                });
            }
        }
        if shard.comm().size() > 1 && p.means_init.is_none() && weights.is_some() {
            if let GmmInit::KMeans | GmmInit::KMeansPlusPlus = p.init {
                return Err(MixtureError::NotDistributed {
                    what: "initialisation by K-means with sample weights",
                    instead: "start from random_from_data or random, or give the means",
                });
            }
        }
        let distinct = count_distinct_rows(&shard, k)?;
        if distinct < k {
            return Err(MixtureError::TooFewDistinctSamples {
                n_distinct: distinct,
                n_components: k,
            });
        }
        let shift = weighted_mean(&shard, weights, p.task_rows)?;
        // Given means make every restart start, and so end, the same.
        let n_init = if p.means_init.is_some() { 1 } else { p.n_init };
        let mut best: Option<GaussianMixtureModel> = None;
        for restart in 0..n_init {
            let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
            rng.set_stream(restart as u64);
            let start = self.initial(&shard, weights, &shift, &mut rng)?;
            let mut report = |iteration: usize, log_likelihood| {
                progress(&Progress {
                    restart,
                    iteration,
                    passes: (iteration + 1) as f64,
                    elapsed: began.elapsed(),
                    log_likelihood,
                })
            };
            let model = self.run(start, &shard, weights, &shift, max_iter, &mut report)?;
            if best
                .as_ref()
                .is_none_or(|b| model.lower_bound() > b.lower_bound())
            {
                best = Some(model);
            }
        }
        Ok(best.expect("n_init >= 1"))
    }

    /// At most `max_iter` EM iterations from `model`; returns the fitted
    /// model with its history and, as its lower bound, the mean
    /// log-likelihood from a final E-step.
    fn run(
        &self,
        mut model: GaussianMixtureModel,
        shard: &Shard<'_>,
        weights: Option<ArrayView1<f64>>,
        shift: &[f64],
        max_iter: usize,
        progress: &mut dyn FnMut(usize, f64),
    ) -> Result<GaussianMixtureModel, MixtureError> {
        let p = &self.params;
        let template = SufficientStats::zeros(p.covariance_type, p.n_components, shift);
        let mut previous = f64::NEG_INFINITY;
        let mut trace = Vec::new();
        let mut converged = false;
        for _ in 0..max_iter {
            let coefficients = model.coefficients(shift);
            let source = Source::EStep(&coefficients);
            let stats = accumulate_shard(source, &template, shard, weights, p.task_rows)?;
            let current = stats.mean_log_likelihood();
            model = self.m_step(&stats, model)?;
            progress(trace.len(), current);
            trace.push(current);
            if (current - previous).abs() < p.tol {
                converged = true;
                break;
            }
            previous = current;
        }
        let coefficients = model.coefficients(shift);
        let score = accumulate_shard(
            Source::EStep(&coefficients),
            &template,
            shard,
            weights,
            p.task_rows,
        )?
        .mean_log_likelihood();
        Ok(model.with_fit_history(converged, trace, Some(score)))
    }

    /// New parameters from the statistics, keeping those not in `updates`.
    fn m_step(
        &self,
        stats: &SufficientStats,
        model: GaussianMixtureModel,
    ) -> Result<GaussianMixtureModel, MixtureError> {
        let u = self.params.updates;
        let (w, m, c) = stats.maximise(
            self.params.reg_covar,
            (!u.weights).then_some(model.weights()),
            (!u.means).then_some(model.means()),
            (!u.covariances).then_some(model.covariances()),
        )?;
        if u.covariances {
            GaussianMixtureModel::new(w, m, c)
        } else {
            Ok(model.with_weights_and_means(w, m))
        }
    }

    /// Starting parameters of one restart: the given ones, the rest from the
    /// initialisation method.
    fn initial(
        &self,
        shard: &Shard<'_>,
        weights: Option<ArrayView1<f64>>,
        shift: &[f64],
        rng: &mut ChaCha8Rng,
    ) -> Result<GaussianMixtureModel, MixtureError> {
        let p = &self.params;
        let k = p.n_components;
        if let (Some(w), Some(m), Some(c)) = (&p.weights_init, &p.means_init, &p.covariances_init) {
            return GaussianMixtureModel::new(w.clone(), m.clone(), c.clone());
        }
        let centres = match (&p.means_init, p.init) {
            (Some(m), _) => Some(m.clone()),
            (None, GmmInit::RandomFromData) => Some(random_rows(shard, k, rng)?),
            (None, GmmInit::KMeans) => Some(kmeans_centres(
                shard,
                weights,
                (k, p.task_rows),
                false,
                rng,
            )?),
            (None, GmmInit::KMeansPlusPlus) => {
                Some(kmeans_centres(shard, weights, (k, p.task_rows), true, rng)?)
            }
            (None, GmmInit::Random) => None,
        };
        // Random responsibilities come from their own stream, indexed by row,
        // so that they do not depend on how the rows are split into tasks.
        let random_seed = rng.random::<u64>();
        let source = match &centres {
            Some(c) => Source::Nearest(c.view()),
            None => Source::Random(random_seed),
        };
        let template = SufficientStats::zeros(p.covariance_type, k, shift);
        let stats = accumulate_shard(source, &template, shard, weights, p.task_rows)?;
        let (w, m, c) = stats.maximise(
            p.reg_covar,
            p.weights_init.as_ref(),
            centres.as_ref(),
            p.covariances_init.as_ref(),
        )?;
        GaussianMixtureModel::new(w, m, c)
    }
}

/// Sample-weighted mean of the rows of the job, summed in the tree of its
/// passes: the shift that keeps moments well conditioned.
pub(crate) fn weighted_mean(
    shard: &Shard<'_>,
    weights: Option<ArrayView1<f64>>,
    task_rows: usize,
) -> Result<Vec<f64>, MixtureError> {
    let x = shard.rows();
    let d = x.ncols();
    let sums = tree_sum(shard, task_rows, RowBuffer::default, |buffer, range| {
        let first = range.start;
        let rows = x.rows(range, buffer)?;
        let mut sum = vec![0.0; d + 1];
        for i in 0..rows.dim().0 {
            let w = weights.map_or(1.0, |w| w[first + i]);
            sum[d] += w;
            for (l, s) in sum[..d].iter_mut().enumerate() {
                *s += w * rows.get(i, l);
            }
        }
        Ok(sum)
    })?
    .expect("data checked to have rows");
    Ok(sums[..d].iter().map(|s| s / sums[d]).collect())
}

/// Number of distinct rows of the job, counting no further than `limit`.
fn count_distinct_rows(shard: &Shard<'_>, limit: usize) -> Result<usize, MixtureError> {
    let x = shard.rows();
    let (n, d) = x.dim();
    let mut found: Vec<f64> = Vec::with_capacity(limit * d);
    let add = |row: &[f64], found: &mut Vec<f64>| {
        if found.len() < limit * d && !found.chunks_exact(d).any(|f| f == row) {
            found.extend(row);
        }
    };
    let mut buffer = RowBuffer::default();
    let mut row = vec![0.0; d];
    let mut start = 0;
    let local = loop {
        if start >= n || found.len() == limit * d {
            break Ok(());
        }
        let end = (start + SCAN_ROWS).min(n);
        let rows = match x.rows(start..end, &mut buffer) {
            Ok(rows) => rows,
            Err(e) => break Err(e),
        };
        for i in 0..end - start {
            row.iter_mut()
                .enumerate()
                .for_each(|(l, v)| *v = rows.get(i, l));
            add(&row, &mut found);
        }
        start = end;
    };
    shard.agree(local)?;
    if shard.comm().size() == 1 {
        return Ok(found.len() / d);
    }
    let mut all = Vec::with_capacity(limit * d);
    for rows in shard.comm().all_gather(&found) {
        for row in rows.chunks_exact(d) {
            add(row, &mut all);
        }
    }
    Ok(all.len() / d)
}

/// Centres of a K-means fit (`seeds_only`: the k-means++ seeds alone), seeded
/// from `rng` so that each restart gets its own; without weights, over the
/// job's processes in EM's tasks.
fn kmeans_centres(
    shard: &Shard<'_>,
    weights: Option<ArrayView1<f64>>,
    (k, task_rows): (usize, usize),
    seeds_only: bool,
    rng: &mut ChaCha8Rng,
) -> Result<Array2<f64>, MixtureError> {
    let mut params = KMeans::params(k)
        .init(KMeansInit::KMeansPlusPlus {
            extra_candidates: None,
        })
        .seed(rng.random());
    if seeds_only {
        params = params.max_iter(0);
    }
    let model = match weights {
        Some(w) => params.fit_weighted(shard.rows(), w)?,
        None => params.check()?.fit_shard_in_tasks(*shard, task_rows)?,
    };
    Ok(model.centroids().to_owned())
}

/// `k` distinct rows of the job chosen uniformly at random (by global index).
fn random_rows(
    shard: &Shard<'_>,
    k: usize,
    rng: &mut ChaCha8Rng,
) -> Result<Array2<f64>, MixtureError> {
    let idx = rand::seq::index::sample(rng, shard.total_rows(), k);
    shard.gather_rows(&idx.into_vec())
}

#[cfg(test)]
mod tests {
    use crate::distributed::{share, simulated, Communicator, Shard};
    use crate::gmm::{CovarianceType, GaussianMixture, GmmInit};
    use crate::synthetic::overlapping_blobs;
    use crate::MixtureError;
    use ndarray::s;

    /// EM on 1 to 4 simulated processes, each holding its share of rows
    /// that do not divide evenly, returns on every process the model of the
    /// one-process fit, bit for bit, for every covariance type and every
    /// initialisation (K-means ones included).
    #[test]
    fn every_process_count_fits_the_single_process_model_bitwise() {
        let x = overlapping_blobs(1001, 3, 3, 5).unwrap();
        for ctype in [
            CovarianceType::Full,
            CovarianceType::Tied,
            CovarianceType::Diag,
            CovarianceType::Spherical,
        ] {
            for init in [
                GmmInit::RandomFromData,
                GmmInit::Random,
                GmmInit::KMeans,
                GmmInit::KMeansPlusPlus,
            ] {
                let params = GaussianMixture::params(3)
                    .covariance_type(ctype)
                    .init(init)
                    .n_init(2)
                    .max_iter(20)
                    .task_rows(64)
                    .seed(3)
                    .check()
                    .unwrap();
                let alone = params.fit(x.view()).unwrap();
                for size in 1..=4 {
                    let job = simulated::Job::new(size);
                    let models = job.run(|comm| {
                        let rows = share(x.nrows(), 64, comm.rank(), size);
                        let shard =
                            Shard::new(x.slice(s![rows.clone(), ..]), rows.start, x.nrows(), comm);
                        params.fit_shard(shard).unwrap()
                    });
                    for model in models {
                        assert_eq!(
                            model.to_json(),
                            alone.to_json(),
                            "{ctype} {init:?} {size} processes"
                        );
                    }
                }
            }
        }
    }

    /// A NaN in one process's rows fails the fit on every process: that
    /// process names the row of the whole data set, the others name it.
    #[test]
    fn a_bad_row_on_one_process_fails_every_process() {
        let mut x = overlapping_blobs(300, 2, 2, 1).unwrap();
        x[[250, 1]] = f64::NAN;
        let params = GaussianMixture::params(2)
            .init(GmmInit::RandomFromData)
            .task_rows(100)
            .check()
            .unwrap();
        let job = simulated::Job::new(3);
        let results = job.run(|comm| {
            let rows = share(x.nrows(), 100, comm.rank(), 3);
            params.fit_shard(Shard::new(
                x.slice(s![rows.clone(), ..]),
                rows.start,
                300,
                comm,
            ))
        });
        assert!(matches!(
            results[2],
            Err(MixtureError::NonFiniteData {
                row: 250,
                column: 1,
                ..
            })
        ));
        for r in &results[..2] {
            match r {
                Err(e @ MixtureError::OnOtherRank { rank: 2, .. }) => {
                    assert!(e.to_string().contains("row 250, column 1"), "{e}")
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
