//! Hyperparameters of EM fitting: a builder that is checked before fitting.

use super::covariance::{check_symmetric, CovarianceType, Covariances};
use super::model::{check_weights, GaussianMixtureModel};
use crate::MixtureError;
use ndarray::{Array1, Array2};
use std::str::FromStr;

/// How the starting parameters of each restart are chosen when they are not all given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GmmInit {
    /// Means at the centres of a K-means fit (k-means++ seeding, Lloyd
    /// iterations); weights and covariances from its clusters.
    #[default]
    KMeans,
    /// Means at k-means++ seeds (greedy, without Lloyd iterations); weights and
    /// covariances from assigning each sample to its nearest seed.
    KMeansPlusPlus,
    /// Responsibilities drawn at random and normalised per sample.
    Random,
    /// Means at distinct samples drawn at random; weights and covariances
    /// from assigning each sample to its nearest mean.
    RandomFromData,
}

impl FromStr for GmmInit {
    type Err = MixtureError;

    /// Parses `kmeans`, `kmeans++`, `random` or `random_from_data` (scikit-learn's
    /// `init_params` names; case-insensitive).
    fn from_str(s: &str) -> Result<Self, MixtureError> {
        match s.to_ascii_lowercase().as_str() {
            "kmeans" => Ok(GmmInit::KMeans),
            "kmeans++" | "k-means++" => Ok(GmmInit::KMeansPlusPlus),
            "random" => Ok(GmmInit::Random),
            "random_from_data" => Ok(GmmInit::RandomFromData),
            _ => Err(MixtureError::InvalidHyperparameter {
                name: "init",
                value: format!("{s:?}"),
                valid: "one of \"kmeans\", \"kmeans++\", \"random\", \"random_from_data\"",
            }),
        }
    }
}

/// Which parameters the M-step updates (TensorFlow's "wmc" string).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Updates {
    /// Update the weights.
    pub weights: bool,
    /// Update the means.
    pub means: bool,
    /// Update the covariances.
    pub covariances: bool,
}

impl Default for Updates {
    fn default() -> Self {
        Updates {
            weights: true,
            means: true,
            covariances: true,
        }
    }
}

impl FromStr for Updates {
    type Err = MixtureError;

    /// Parses a non-empty subset of "wmc", such as "wm" or "c".
    fn from_str(s: &str) -> Result<Self, MixtureError> {
        let bad = || {
            MixtureError::InvalidHyperparameter {
            name: "updates",
            value: format!("{s:?}"),
            valid: "a non-empty subset of \"wmc\" (w weights, m means, c covariances), each letter once",
        }
        };
        let mut u = Updates {
            weights: false,
            means: false,
            covariances: false,
        };
        for ch in s.chars() {
            let flag = match ch {
                'w' => &mut u.weights,
                'm' => &mut u.means,
                'c' => &mut u.covariances,
                _ => return Err(bad()),
            };
            if *flag {
                return Err(bad());
            }
            *flag = true;
        }
        if !(u.weights || u.means || u.covariances) {
            return Err(bad());
        }
        Ok(u)
    }
}

impl std::fmt::Display for Updates {
    /// The "wmc" letters of the updated parameters, in that order.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (on, letter) in [
            (self.weights, "w"),
            (self.means, "m"),
            (self.covariances, "c"),
        ] {
            if on {
                f.write_str(letter)?;
            }
        }
        Ok(())
    }
}

/// Entry point of EM fitting: `GaussianMixture::params(k)` gives the builder.
///
/// # Example
/// ```
/// use admix_mixture::gmm::{CovarianceType, GaussianMixture};
/// use ndarray::array;
/// # fn main() -> Result<(), admix_mixture::MixtureError> {
/// let x = array![[0.0, 0.1], [0.2, -0.1], [-0.1, 0.0], [5.0, 5.1], [5.2, 4.9], [4.9, 5.0]];
/// let model = GaussianMixture::params(2)
///     .covariance_type(CovarianceType::Diag)
///     .seed(7)
///     .fit(x.view())?;
/// let labels = model.predict(x.view())?;
/// assert_eq!(labels[0], labels[1]);
/// assert_ne!(labels[0], labels[3]);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct GaussianMixture;

impl GaussianMixture {
    /// Hyperparameters for `n_components` components, with scikit-learn's defaults.
    pub fn params(n_components: usize) -> GmmParams {
        GmmParams {
            n_components,
            covariance_type: CovarianceType::Full,
            tol: 1e-3,
            max_iter: 100,
            reg_covar: 1e-6,
            n_init: 1,
            init: GmmInit::default(),
            weights_init: None,
            means_init: None,
            covariances_init: None,
            updates: Updates::default(),
            seed: 0,
            task_rows: super::accumulate::TASK_ROWS,
        }
    }
}

/// Unchecked EM hyperparameters; [`GmmParams::check`] turns them into
/// [`GmmValidParams`], and [`GmmParams::fit`] checks then fits.
#[derive(Clone, Debug, PartialEq)]
pub struct GmmParams {
    pub(crate) n_components: usize,
    pub(crate) covariance_type: CovarianceType,
    pub(crate) tol: f64,
    pub(crate) max_iter: usize,
    pub(crate) reg_covar: f64,
    pub(crate) n_init: usize,
    pub(crate) init: GmmInit,
    pub(crate) weights_init: Option<Array1<f64>>,
    pub(crate) means_init: Option<Array2<f64>>,
    pub(crate) covariances_init: Option<Covariances>,
    pub(crate) updates: Updates,
    pub(crate) seed: u64,
    pub(crate) task_rows: usize,
}

impl GmmParams {
    /// How the covariances are parameterised (default full).
    pub fn covariance_type(mut self, t: CovarianceType) -> Self {
        self.covariance_type = t;
        self
    }

    /// Stop when the mean log-likelihood changes by less than `tol` (default
    /// 1e-3); 0 runs every iteration.
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Most EM iterations per restart (default 100); 0 returns the initial parameters.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Added to the covariance diagonal to keep it positive definite (default 1e-6).
    pub fn reg_covar(mut self, reg_covar: f64) -> Self {
        self.reg_covar = reg_covar;
        self
    }

    /// Number of restarts; the one with the best final log-likelihood is kept (default 1).
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }

    /// How to start when the parameters are not all given.
    pub fn init(mut self, init: GmmInit) -> Self {
        self.init = init;
        self
    }

    /// Starting weights (k), summing to 1.
    pub fn weights_init(mut self, w: Array1<f64>) -> Self {
        self.weights_init = Some(w);
        self
    }

    /// Starting means (k, d).
    pub fn means_init(mut self, m: Array2<f64>) -> Self {
        self.means_init = Some(m);
        self
    }

    /// Starting covariances, in the shape of the covariance type.
    pub fn covariances_init(mut self, c: Covariances) -> Self {
        self.covariances_init = Some(c);
        self
    }

    /// Start from a previous model's parameters (warm start), keeping its covariance type.
    pub fn warm_start(mut self, model: &GaussianMixtureModel) -> Self {
        self.covariance_type = model.covariance_type();
        self.weights_init = Some(model.weights().clone());
        self.means_init = Some(model.means().clone());
        self.covariances_init = Some(model.covariances().clone());
        self
    }

    /// Which parameters EM updates (default all; at least one). Parse
    /// TensorFlow's strings such as `"wm"` with `"wm".parse::<Updates>()`.
    pub fn updates(mut self, updates: Updates) -> Self {
        self.updates = updates;
        self
    }

    /// Seed of every random choice (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Rows per parallel task whose statistics are accumulated together
    /// before merging (default 4096). Any value gives the same model up to
    /// rounding; memory beyond the data stays at a few chunks of rows per
    /// thread. (Not a mini-batch: every EM iteration sees all the rows.)
    pub fn task_rows(mut self, rows: usize) -> Self {
        self.task_rows = rows;
        self
    }

    /// Checks every hyperparameter, naming the valid range of the first bad one.
    pub fn check(self) -> Result<GmmValidParams, MixtureError> {
        let invalid = |name, value: String, valid| {
            Err(MixtureError::InvalidHyperparameter { name, value, valid })
        };
        let k = self.n_components;
        if k == 0 {
            return invalid("n_components", "0".into(), "at least 1");
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return invalid("tol", self.tol.to_string(), "a finite number >= 0");
        }
        if !(self.reg_covar >= 0.0 && self.reg_covar.is_finite()) {
            return invalid(
                "reg_covar",
                self.reg_covar.to_string(),
                "a finite number >= 0",
            );
        }
        if self.n_init == 0 {
            return invalid("n_init", "0".into(), "at least 1");
        }
        if self.task_rows == 0 {
            return invalid("task_rows", "0".into(), "at least 1 row");
        }
        let u = self.updates;
        if !(u.weights || u.means || u.covariances) {
            return invalid(
                "updates",
                "no parameter".into(),
                "at least one of weights, means and covariances",
            );
        }
        if let Some(w) = &self.weights_init {
            check_weights(w, k, "weights_init")?;
        }
        let mut d = None;
        if let Some(m) = &self.means_init {
            if m.nrows() != k || m.ncols() == 0 {
                return Err(MixtureError::ShapeMismatch {
                    what: "means_init",
                    expected: vec![k, m.ncols().max(1)],
                    got: m.shape().to_vec(),
                });
            }
            if let Some(((row, column), &value)) = m.indexed_iter().find(|(_, v)| !v.is_finite()) {
                return Err(MixtureError::NonFiniteData { row, column, value });
            }
            d = Some(m.ncols());
        }
        if let Some(c) = &self.covariances_init {
            if c.covariance_type() != self.covariance_type {
                return invalid(
                    "covariances_init",
                    c.covariance_type().to_string(),
                    "covariances of the covariance type being fitted",
                );
            }
            let shape = c.view().shape().to_vec();
            let cd = match c {
                Covariances::Full(_) | Covariances::Diag(_) | Covariances::Tied(_) => {
                    *shape.last().expect("at least one axis")
                }
                Covariances::Spherical(_) => d.unwrap_or(1),
            };
            c.check_shape("covariances_init", k, d.unwrap_or(cd))?;
            check_symmetric(c)?;
            c.precision_cholesky()?;
        }
        Ok(GmmValidParams { params: self })
    }

    /// Checks the hyperparameters, then fits by EM (see [`GmmValidParams::fit`]).
    pub fn fit<'a>(
        &self,
        x: impl Into<crate::Data<'a>>,
    ) -> Result<GaussianMixtureModel, MixtureError> {
        self.clone().check()?.fit(x)
    }
}

/// EM hyperparameters that passed [`GmmParams::check`].
#[derive(Clone, Debug, PartialEq)]
pub struct GmmValidParams {
    pub(crate) params: GmmParams,
}

impl GmmValidParams {
    /// The same hyperparameters starting from `start`'s parameters (one
    /// run: restarts from given means would all be the same).
    ///
    /// # Errors
    /// As [`GmmParams::check`] for `start`'s parameters.
    pub fn warm_started(&self, start: &GaussianMixtureModel) -> Result<Self, MixtureError> {
        self.params.clone().warm_start(start).check()
    }

    /// Number of components.
    pub fn n_components(&self) -> usize {
        self.params.n_components
    }

    /// Covariance type fitted.
    pub fn covariance_type(&self) -> CovarianceType {
        self.params.covariance_type
    }

    /// Convergence tolerance on the mean log-likelihood.
    pub fn tol(&self) -> f64 {
        self.params.tol
    }

    /// Most iterations per restart.
    pub fn max_iter(&self) -> usize {
        self.params.max_iter
    }

    /// Regularisation added to the covariance diagonal.
    pub fn reg_covar(&self) -> f64 {
        self.params.reg_covar
    }

    /// Number of restarts.
    pub fn n_init(&self) -> usize {
        self.params.n_init
    }

    /// Parameters updated by the M-step.
    pub fn updates(&self) -> Updates {
        self.params.updates
    }

    /// Seed of the random choices.
    pub fn seed(&self) -> u64 {
        self.params.seed
    }

    /// Rows per parallel task of accumulated statistics.
    pub fn task_rows(&self) -> usize {
        self.params.task_rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_into_the_enums() {
        for t in [
            CovarianceType::Full,
            CovarianceType::Tied,
            CovarianceType::Diag,
            CovarianceType::Spherical,
        ] {
            assert_eq!(t.name().parse::<CovarianceType>().unwrap(), t);
        }
        let err = "fll".parse::<CovarianceType>().unwrap_err().to_string();
        assert!(err.contains("fll") && err.contains("spherical"), "{err}");
        let inits = [
            ("kmeans", GmmInit::KMeans),
            ("kmeans++", GmmInit::KMeansPlusPlus),
            ("random", GmmInit::Random),
            ("random_from_data", GmmInit::RandomFromData),
        ];
        for (name, init) in inits {
            assert_eq!(name.parse::<GmmInit>().unwrap(), init);
        }
        assert!("kmean".parse::<GmmInit>().is_err());
    }

    #[test]
    fn updates_print_as_the_letters_they_parse_from() {
        for text in ["w", "m", "c", "wm", "wc", "mc", "wmc"] {
            assert_eq!(text.parse::<Updates>().unwrap().to_string(), text);
        }
        // Any order parses; printing puts the letters in "wmc" order.
        assert_eq!("cw".parse::<Updates>().unwrap().to_string(), "wc");
    }
}
