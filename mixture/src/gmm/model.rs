//! The fitted Gaussian mixture: parameters in scikit-learn's shapes, fit
//! diagnostics, and everything computed from them (labels, densities, samples,
//! information criteria).

use super::accumulate::{accumulate, accumulate_shard, Source, TASK_ROWS};
use super::covariance::{check_symmetric, CovarianceType, Covariances};
use super::estep::Coefficients;
use super::predict::{
    log_likelihoods, responsibilities, total_log_likelihood, weighted_log_densities,
};
use super::stats::SufficientStats;
use crate::data::check_shape;
use crate::distributed::Shard;
use crate::{check_data, check_features, check_sample_weight, Data, MixtureError};
use admix_optim::linalg::cholesky;
use ndarray::{Array1, Array2, ArrayView1, Axis};

/// A Gaussian mixture with validated parameters, fitted by
/// [`GaussianMixture`](super::GaussianMixture) or built from known parameters.
///
/// # Example
/// ```
/// use admix_mixture::gmm::{Covariances, GaussianMixtureModel};
/// use ndarray::array;
/// # fn main() -> Result<(), admix_mixture::MixtureError> {
/// let model = GaussianMixtureModel::new(
///     array![0.5, 0.5],
///     array![[0.0], [10.0]],
///     Covariances::Spherical(array![1.0, 1.0]),
/// )?;
/// assert_eq!(model.predict(array![[9.0], [-1.0]].view())?.to_vec(), vec![1, 0]);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct GaussianMixtureModel {
    pub(crate) weights: Array1<f64>,
    pub(crate) means: Array2<f64>,
    pub(crate) covariances: Covariances,
    pub(crate) precisions_cholesky: Covariances,
    converged: bool,
    log_likelihood_trace: Vec<f64>,
    lower_bound: Option<f64>,
}

/// How well a model fits some data, from one pass over it: the mean
/// log-likelihood and the two information criteria.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Criteria {
    /// Mean log-likelihood per sample (higher is better), as
    /// [`GaussianMixtureModel::score`].
    pub score: f64,
    /// Bayesian information criterion (lower is better):
    /// `-2 n score + p ln n`.
    pub bic: f64,
    /// Akaike information criterion (lower is better): `-2 n score + 2 p`.
    pub aic: f64,
}

impl GaussianMixtureModel {
    /// A model from weights (k), means (k, d) and covariances in the shape of
    /// their type; checks shapes, finiteness, that the weights sum to 1 and that
    /// every covariance is symmetric positive definite.
    pub fn new(
        weights: Array1<f64>,
        means: Array2<f64>,
        covariances: Covariances,
    ) -> Result<Self, MixtureError> {
        check_weights_and_means(&weights, &means)?;
        let (k, d) = means.dim();
        covariances.check_shape("covariances", k, d)?;
        check_symmetric(&covariances)?;
        let precisions_cholesky = covariances.precision_cholesky()?;
        Ok(Self::unfitted(
            weights,
            means,
            covariances,
            precisions_cholesky,
        ))
    }

    /// A model from weights, means and the Cholesky factors `U` of the
    /// precisions (upper triangular with a positive diagonal, precision = U U^T),
    /// the parameterisation gradient-based fitting works in.
    pub fn from_precision_cholesky(
        weights: Array1<f64>,
        means: Array2<f64>,
        precisions_cholesky: Covariances,
    ) -> Result<Self, MixtureError> {
        check_weights_and_means(&weights, &means)?;
        let (k, d) = means.dim();
        precisions_cholesky.check_shape("precisions_cholesky", k, d)?;
        let covariances = precisions_cholesky.covariances_from_precision_cholesky()?;
        Ok(Self::unfitted(
            weights,
            means,
            covariances,
            precisions_cholesky,
        ))
    }

    fn unfitted(
        weights: Array1<f64>,
        means: Array2<f64>,
        covariances: Covariances,
        precisions_cholesky: Covariances,
    ) -> Self {
        GaussianMixtureModel {
            weights,
            means,
            covariances,
            precisions_cholesky,
            converged: false,
            log_likelihood_trace: Vec::new(),
            lower_bound: None,
        }
    }

    /// The same parameters with the history of the fit that produced them:
    /// whether it converged, the mean log-likelihood at the start of each
    /// iteration, and the final mean log-likelihood of the training data.
    pub(crate) fn with_fit_history(
        mut self,
        converged: bool,
        log_likelihood_trace: Vec<f64>,
        lower_bound: Option<f64>,
    ) -> Self {
        self.converged = converged;
        self.log_likelihood_trace = log_likelihood_trace;
        self.lower_bound = lower_bound;
        self
    }

    /// The same covariances with new weights and means (an M-step that keeps
    /// the covariances fixed): the precision factors stay valid.
    pub(crate) fn with_weights_and_means(
        mut self,
        weights: Array1<f64>,
        means: Array2<f64>,
    ) -> Self {
        self.weights = weights;
        self.means = means;
        self
    }

    /// Number of components k.
    pub fn n_components(&self) -> usize {
        self.weights.len()
    }

    /// Number of features d.
    pub fn n_features(&self) -> usize {
        self.means.ncols()
    }

    /// How the covariances are parameterised.
    pub fn covariance_type(&self) -> CovarianceType {
        self.covariances.covariance_type()
    }

    /// Mixture weights, shape (k), summing to 1.
    pub fn weights(&self) -> &Array1<f64> {
        &self.weights
    }

    /// Component means, shape (k, d).
    pub fn means(&self) -> &Array2<f64> {
        &self.means
    }

    /// Covariances: full (k, d, d), tied (d, d), diag (k, d), spherical (k).
    pub fn covariances(&self) -> &Covariances {
        &self.covariances
    }

    /// Precisions (inverse covariances), in the shape of the covariances.
    pub fn precisions(&self) -> Covariances {
        self.precisions_cholesky.precisions_from_cholesky()
    }

    /// Cholesky factors `U` of the precisions (precision = U U^T, `U` upper
    /// triangular), in the shape of the covariances.
    pub fn precisions_cholesky(&self) -> &Covariances {
        &self.precisions_cholesky
    }

    /// Whether EM stopped because the mean log-likelihood changed by less than `tol`.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Number of EM iterations run in the kept restart.
    pub fn n_iter(&self) -> usize {
        self.log_likelihood_trace.len()
    }

    /// Mean log-likelihood per sample before each M-step, one value per
    /// iteration (empty for a model that was not fitted).
    pub fn log_likelihood_trace(&self) -> &[f64] {
        &self.log_likelihood_trace
    }

    /// Mean log-likelihood per sample of the training data under this model,
    /// from the E-step after the last iteration: the scalar of
    /// scikit-learn's `lower_bound_` (which holds the value one E-step
    /// earlier, the last of [`log_likelihood_trace`](Self::log_likelihood_trace)).
    /// `None` for a model that was not fitted or was loaded from a file
    /// without it.
    pub fn lower_bound(&self) -> Option<f64> {
        self.lower_bound
    }

    /// Number of free parameters: k - 1 weights, k d means and the covariances.
    pub fn n_parameters(&self) -> usize {
        let (k, d) = self.means.dim();
        k - 1 + k * d + self.covariance_type().n_parameters(k, d)
    }

    /// Sufficient statistics of `x` (optionally weighted per sample) under this
    /// model: one fused E-step and accumulation pass. Statistics of several
    /// batches [`merge`](SufficientStats::merge) into those of their union, and
    /// [`m_step`](Self::m_step) turns them into the next model: exact EM over
    /// data that never has to be in memory at once.
    ///
    /// # Example
    /// ```
    /// use admix_mixture::gmm::{Covariances, GaussianMixtureModel};
    /// use ndarray::array;
    /// # fn main() -> Result<(), admix_mixture::MixtureError> {
    /// let model = GaussianMixtureModel::new(
    ///     array![0.5, 0.5],
    ///     array![[0.0], [4.0]],
    ///     Covariances::Diag(array![[1.0], [1.0]]),
    /// )?;
    /// let mut stats = model.statistics(array![[0.1], [-0.3]].view(), None)?;
    /// stats.merge(&model.statistics(array![[4.2], [3.9], [0.2]].view(), None)?)?;
    /// let next = model.m_step(&stats, 1e-6)?;
    /// assert_eq!(stats.weight(), 5.0);
    /// assert!(next.means()[[1, 0]] > 3.5);
    /// # Ok(())
    /// # }
    /// ```
    pub fn statistics<'a>(
        &self,
        x: impl Into<Data<'a>>,
        sample_weight: Option<ArrayView1<f64>>,
    ) -> Result<SufficientStats, MixtureError> {
        let x = x.into();
        // The data are not scanned for non-finite values up front (a scan
        // of the whole data on every call): one makes the sums non-finite,
        // and only then is the data scanned for the error that names it.
        check_shape(x, self.n_features())?;
        if let Some(w) = sample_weight {
            check_sample_weight(w, x.nrows())?;
        }
        let shift = self.centre();
        let template = SufficientStats::zeros(self.covariance_type(), self.n_components(), &shift);
        let stats = accumulate(
            Source::EStep(&self.coefficients(&shift)),
            &template,
            x,
            sample_weight,
            TASK_ROWS,
        )?;
        if !stats.is_finite() {
            check_data(x)?;
        }
        Ok(stats)
    }

    /// The model after one M-step on `stats` (computed by
    /// [`statistics`](Self::statistics) of this model), with `reg_covar` added
    /// to the covariance diagonal.
    pub fn m_step(&self, stats: &SufficientStats, reg_covar: f64) -> Result<Self, MixtureError> {
        if stats.covariance_type != self.covariance_type()
            || stats.k != self.n_components()
            || stats.d != self.n_features()
        {
            return Err(MixtureError::ShapeMismatch {
                what: "statistics",
                expected: vec![self.n_components(), self.n_features()],
                got: vec![stats.k, stats.d],
            });
        }
        if !(reg_covar >= 0.0 && reg_covar.is_finite()) {
            return Err(MixtureError::InvalidHyperparameter {
                name: "reg_covar",
                value: reg_covar.to_string(),
                valid: "a finite number >= 0",
            });
        }
        if stats.weight <= 0.0 || stats.weight.is_nan() {
            return Err(MixtureError::EmptyData {
                n_samples: 0,
                n_features: stats.d,
            });
        }
        let (w, m, c) = stats.maximise(reg_covar, None, None, None)?;
        GaussianMixtureModel::new(w, m, c)
    }

    /// The E-step coefficients of this model for data shifted by `shift`.
    pub(crate) fn coefficients(&self, shift: &[f64]) -> Coefficients {
        Coefficients::new(
            self.weights.view(),
            self.means.view(),
            &self.precisions_cholesky,
            shift,
        )
    }

    /// A shift that keeps the E-step products well conditioned: the mixture mean.
    pub(crate) fn centre(&self) -> Vec<f64> {
        self.means.t().dot(&self.weights).to_vec()
    }

    /// `log(w_j N(x_i | mu_j, C_j))`, shape (n, k).
    pub fn weighted_log_prob<'a>(
        &self,
        x: impl Into<Data<'a>>,
    ) -> Result<Array2<f64>, MixtureError> {
        let x = x.into();
        check_features(x, self.n_features())?;
        weighted_log_densities(&self.coefficients(&self.centre()), x)
    }

    /// Posterior probability of each component for each sample, shape (n, k);
    /// rows sum to 1.
    pub fn predict_proba<'a>(&self, x: impl Into<Data<'a>>) -> Result<Array2<f64>, MixtureError> {
        let x = x.into();
        check_features(x, self.n_features())?;
        responsibilities(&self.coefficients(&self.centre()), x)
    }

    /// The most probable component of each sample.
    pub fn predict<'a>(&self, x: impl Into<Data<'a>>) -> Result<Array1<usize>, MixtureError> {
        let lp = self.weighted_log_prob(x)?;
        Ok(lp.map_axis(Axis(1), |row| {
            row.iter()
                .enumerate()
                .fold((0, f64::NEG_INFINITY), |best, (j, &v)| {
                    if v > best.1 {
                        (j, v)
                    } else {
                        best
                    }
                })
                .0
        }))
    }

    /// Log-likelihood of each sample, shape (n).
    pub fn score_samples<'a>(&self, x: impl Into<Data<'a>>) -> Result<Array1<f64>, MixtureError> {
        let x = x.into();
        check_features(x, self.n_features())?;
        log_likelihoods(&self.coefficients(&self.centre()), x)
    }

    /// Mean log-likelihood of the samples (higher is better).
    ///
    /// One pass that keeps no per-sample values, so its memory does not
    /// grow with the number of samples.
    pub fn score<'a>(&self, x: impl Into<Data<'a>>) -> Result<f64, MixtureError> {
        let x = x.into();
        check_features(x, self.n_features())?;
        let total = total_log_likelihood(&self.coefficients(&self.centre()), x)?;
        Ok(total / x.nrows() as f64)
    }

    /// Mean log-likelihood, BIC and AIC of `x` from one pass over it.
    ///
    /// ```text
    /// bic = -2 n score + p ln n
    /// aic = -2 n score + 2 p        (p = n_parameters)
    /// ```
    ///
    /// # Example
    /// ```
    /// use admix_mixture::gmm::{Covariances, GaussianMixtureModel};
    /// use ndarray::array;
    /// # fn main() -> Result<(), admix_mixture::MixtureError> {
    /// let model = GaussianMixtureModel::new(
    ///     array![1.0],
    ///     array![[0.0]],
    ///     Covariances::Spherical(array![1.0]),
    /// )?;
    /// let c = model.criteria(array![[0.0], [0.0]].view())?;
    /// // log N(0 | 0, 1) = -ln(2 pi) / 2; two parameters (a mean, a variance).
    /// let score = -0.5 * (2.0 * std::f64::consts::PI).ln();
    /// assert!((c.score - score).abs() < 1e-15);
    /// assert!((c.aic - (-4.0 * score + 4.0)).abs() < 1e-14);
    /// # Ok(())
    /// # }
    /// ```
    pub fn criteria<'a>(&self, x: impl Into<Data<'a>>) -> Result<Criteria, MixtureError> {
        let x = x.into();
        Ok(self.criteria_of_score(self.score(x)?, x.nrows()))
    }

    /// [`criteria`](Self::criteria) of the rows of a job's processes, each
    /// calling it with its [`Shard`]: the score from one E-step pass summed in
    /// the fixed tree, so every process gets the same value for any number
    /// of processes.
    ///
    /// # Errors
    /// [`MixtureError::DimensionMismatch`] when the rows do not have the
    /// model's features, and [`MixtureError::BadShares`] when the shares are
    /// not whole tasks of `task_rows` rows, on every process.
    pub fn criteria_shard(
        &self,
        shard: &Shard<'_>,
        task_rows: usize,
    ) -> Result<Criteria, MixtureError> {
        shard.check_grid(task_rows)?;
        shard.agree(if shard.rows().ncols() == self.n_features() {
            Ok(())
        } else {
            Err(MixtureError::DimensionMismatch {
                expected: self.n_features(),
                got: shard.rows().ncols(),
            })
        })?;
        let shift = self.centre();
        let template = SufficientStats::zeros(self.covariance_type(), self.n_components(), &shift);
        let stats = accumulate_shard(
            Source::EStep(&self.coefficients(&shift)),
            &template,
            shard,
            None,
            task_rows,
        )?;
        Ok(self.criteria_of_score(stats.mean_log_likelihood(), shard.total_rows()))
    }

    /// The criteria from a mean log-likelihood `score` of `n_samples` rows.
    fn criteria_of_score(&self, score: f64, n_samples: usize) -> Criteria {
        let n = n_samples as f64;
        let p = self.n_parameters() as f64;
        Criteria {
            score,
            bic: -2.0 * score * n + p * n.ln(),
            aic: -2.0 * score * n + 2.0 * p,
        }
    }

    /// Bayesian information criterion on `x` (lower is better); see
    /// [`criteria`](Self::criteria) for all three measures in one pass.
    pub fn bic<'a>(&self, x: impl Into<Data<'a>>) -> Result<f64, MixtureError> {
        Ok(self.criteria(x)?.bic)
    }

    /// Akaike information criterion on `x` (lower is better); see
    /// [`criteria`](Self::criteria) for all three measures in one pass.
    pub fn aic<'a>(&self, x: impl Into<Data<'a>>) -> Result<f64, MixtureError> {
        Ok(self.criteria(x)?.aic)
    }

    /// `n` samples drawn from the mixture with a seeded generator, and the
    /// component each came from (held in memory: [`sampler`](Self::sampler)
    /// streams any number).
    pub fn sample(
        &self,
        n: usize,
        seed: u64,
    ) -> Result<(Array2<f64>, Array1<usize>), MixtureError> {
        if n == 0 {
            return Err(MixtureError::InvalidHyperparameter {
                name: "n_samples",
                value: "0".into(),
                valid: "ask for at least one sample",
            });
        }
        let mut sampler = self.sampler(seed)?;
        let mut x = Array2::zeros((n, self.n_features()));
        let mut labels = Array1::zeros(n);
        for (mut row, label) in x.outer_iter_mut().zip(labels.iter_mut()) {
            *label = sampler.draw(
                row.as_slice_mut()
                    .expect("rows of a new array are contiguous"),
            );
        }
        Ok((x, labels))
    }

    /// The Cholesky factor of component `j`'s covariance: (d, d) lower, or the
    /// d standard deviations for diag and spherical.
    pub(super) fn covariance_factor(&self, j: usize) -> Result<Vec<f64>, MixtureError> {
        let d = self.n_features();
        let full = |m: ndarray::ArrayView2<f64>, comp: usize| {
            let m = m.as_standard_layout();
            cholesky(m.as_slice().expect("standard layout"), d)
                .ok_or(MixtureError::NotPositiveDefinite { component: comp })
        };
        match &self.covariances {
            Covariances::Full(c) => full(c.index_axis(Axis(0), j), j),
            Covariances::Tied(c) => full(c.view(), 0),
            Covariances::Diag(c) => Ok(c.row(j).iter().map(|v| v.sqrt()).collect()),
            Covariances::Spherical(c) => Ok(vec![c[j].sqrt(); d]),
        }
    }
}

/// Checks weights (k, finite, non-negative, summing to 1) and means (k, d, finite).
fn check_weights_and_means(weights: &Array1<f64>, means: &Array2<f64>) -> Result<(), MixtureError> {
    let (k, d) = means.dim();
    if k == 0 || d == 0 {
        return Err(MixtureError::EmptyData {
            n_samples: k,
            n_features: d,
        });
    }
    check_weights(weights, k, "weights")?;
    if let Some(((row, column), &value)) = means.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(MixtureError::NonFiniteData { row, column, value });
    }
    Ok(())
}

/// Checks that mixture weights (`what`) are `k` finite, non-negative numbers
/// summing to 1 within 1e-8.
pub(crate) fn check_weights(
    weights: &Array1<f64>,
    k: usize,
    what: &'static str,
) -> Result<(), MixtureError> {
    if weights.len() != k {
        return Err(MixtureError::ShapeMismatch {
            what,
            expected: vec![k],
            got: vec![weights.len()],
        });
    }
    let sum = weights.sum();
    if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0))
        || (sum - 1.0).abs() > 1e-8
        || sum.is_nan()
    {
        return Err(MixtureError::InvalidWeights { sum });
    }
    Ok(())
}
