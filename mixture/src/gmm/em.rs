//! The EM loop: initialisation, iterations of one fused pass each, a final
//! E-step, and restarts keeping the best.
//!
//! # Reference
//! Dempster, Laird and Rubin (1977), Maximum likelihood from incomplete data via
//! the EM algorithm; Bishop (2006), Pattern Recognition and Machine Learning, 9.2.

use super::accumulate::{accumulate, Source};
use super::model::GaussianMixtureModel;
use super::params::{GmmInit, GmmValidParams};
use super::stats::SufficientStats;
use crate::data::{check_scale, SCAN_ROWS};
use crate::kmeans::{Init as KMeansInit, KMeans};
use crate::{check_data, check_sample_weight, Data, MixtureError, Progress, RowBuffer};
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
        self.fit_inner(x.into(), None, self.params.max_iter, &mut |_| {})
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
        self.fit_inner(x.into(), None, 0, &mut |_| {})
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
        self.fit_inner(x.into(), None, self.params.max_iter, progress)
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
        self.fit_inner(x, Some(sample_weight), self.params.max_iter, &mut |_| {})
    }

    fn fit_inner(
        &self,
        x: Data<'_>,
        weights: Option<ArrayView1<f64>>,
        max_iter: usize,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<GaussianMixtureModel, MixtureError> {
        let began = Instant::now();
        check_data(x)?;
        check_scale(x)?;
        let p = &self.params;
        let (n, d) = x.dim();
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
        let distinct = count_distinct_rows(x, k)?;
        if distinct < k {
            return Err(MixtureError::TooFewDistinctSamples {
                n_distinct: distinct,
                n_components: k,
            });
        }
        let shift = weighted_mean(x, weights)?;
        // Given means make every restart start, and so end, the same.
        let n_init = if p.means_init.is_some() { 1 } else { p.n_init };
        let mut best: Option<GaussianMixtureModel> = None;
        for restart in 0..n_init {
            let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
            rng.set_stream(restart as u64);
            let start = self.initial(x, weights, &shift, &mut rng)?;
            let mut report = |iteration: usize, log_likelihood| {
                progress(&Progress {
                    restart,
                    iteration,
                    passes: (iteration + 1) as f64,
                    elapsed: began.elapsed(),
                    log_likelihood,
                })
            };
            let model = self.run(start, x, weights, &shift, max_iter, &mut report)?;
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
        x: Data<'_>,
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
            let stats = accumulate(source, &template, x, weights, p.task_rows)?;
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
        let score = accumulate(
            Source::EStep(&coefficients),
            &template,
            x,
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
        x: Data<'_>,
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
            (None, GmmInit::RandomFromData) => Some(random_rows(x, k, rng)?),
            (None, GmmInit::KMeans) => Some(kmeans_centres(x, weights, k, false, rng)?),
            (None, GmmInit::KMeansPlusPlus) => Some(kmeans_centres(x, weights, k, true, rng)?),
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
        let stats = accumulate(source, &template, x, weights, p.task_rows)?;
        let (w, m, c) = stats.maximise(
            p.reg_covar,
            p.weights_init.as_ref(),
            centres.as_ref(),
            p.covariances_init.as_ref(),
        )?;
        GaussianMixtureModel::new(w, m, c)
    }
}

/// Sample-weighted mean of the rows: the shift that keeps moments well
/// conditioned. One streaming pass, rows in order.
fn weighted_mean(x: Data<'_>, weights: Option<ArrayView1<f64>>) -> Result<Vec<f64>, MixtureError> {
    let mut sum = vec![0.0; x.ncols()];
    let mut total = 0.0;
    x.for_each_chunk(SCAN_ROWS, |start, rows| {
        for i in 0..rows.dim().0 {
            let w = weights.map_or(1.0, |w| w[start + i]);
            total += w;
            for (j, s) in sum.iter_mut().enumerate() {
                *s += w * rows.get(i, j);
            }
        }
        Ok(())
    })?;
    Ok(sum.iter().map(|s| s / total).collect())
}

/// Number of distinct rows, counting no further than `limit`; reads rows
/// only until `limit` distinct ones are found.
fn count_distinct_rows(x: Data<'_>, limit: usize) -> Result<usize, MixtureError> {
    let (n, d) = x.dim();
    let mut found: Vec<Vec<f64>> = Vec::with_capacity(limit);
    let mut buffer = RowBuffer::default();
    let mut start = 0;
    while start < n && found.len() < limit {
        let end = (start + SCAN_ROWS).min(n);
        let rows = x.rows(start..end, &mut buffer)?;
        for i in 0..end - start {
            let row: Vec<f64> = (0..d).map(|j| rows.get(i, j)).collect();
            if !found.contains(&row) {
                found.push(row);
                if found.len() == limit {
                    break;
                }
            }
        }
        start = end;
    }
    Ok(found.len())
}

/// Centres of a K-means fit (`seeds_only`: the k-means++ seeds alone), seeded
/// from `rng` so that each restart gets its own.
fn kmeans_centres(
    x: Data<'_>,
    weights: Option<ArrayView1<f64>>,
    k: usize,
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
        Some(w) => params.fit_weighted(x, w)?,
        None => params.fit(x)?,
    };
    Ok(model.centroids().to_owned())
}

/// `k` distinct rows of `x` chosen uniformly at random (read one by one).
fn random_rows(x: Data<'_>, k: usize, rng: &mut ChaCha8Rng) -> Result<Array2<f64>, MixtureError> {
    let idx = rand::seq::index::sample(rng, x.nrows(), k);
    let mut out = Array2::zeros((k, x.ncols()));
    let mut buffer = RowBuffer::default();
    for (j, i) in idx.iter().enumerate() {
        let row = x.rows(i..i + 1, &mut buffer)?;
        for l in 0..x.ncols() {
            out[[j, l]] = row.get(0, l);
        }
    }
    Ok(out)
}
