//! Hyperparameters of gradient fitting: EM's own (components, covariance
//! type, initialisation, seed, max_iter, tol, reg_covar, updates) plus the
//! method, its step size and the mini-batch size, checked before fitting.

use crate::gmm::{GmmParams, GmmValidParams};
use crate::MixtureError;
use std::fmt;
use std::str::FromStr;

/// The gradient method that fits the mixture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// L-BFGS with a strong Wolfe line search (full batch only).
    Lbfgs,
    /// Adam with a fixed learning rate (full batch or mini-batch).
    Adam,
    /// Steepest descent: backtracking from the learning rate on full
    /// batches, a fixed step on mini-batches.
    GradientDescent,
}

impl Method {
    /// The name used on the command line: `lbfgs`, `adam` or `gd`.
    pub fn name(self) -> &'static str {
        match self {
            Method::Lbfgs => "lbfgs",
            Method::Adam => "adam",
            Method::GradientDescent => "gd",
        }
    }

    /// The default step size: Adam 0.05 (the unconstrained parameters are
    /// of order one when the data are), gradient descent 1 (the first trial
    /// step of backtracking) or 0.1 (fixed, mini-batch). Unused by L-BFGS.
    fn default_rate(self, mini_batch: bool) -> f64 {
        match (self, mini_batch) {
            (Method::Adam, _) => 0.05,
            (Method::GradientDescent, false) => 1.0,
            (Method::GradientDescent, true) => 0.1,
            (Method::Lbfgs, _) => 1.0,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = MixtureError;

    /// Parses `lbfgs`, `adam` or `gd` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, MixtureError> {
        match s.to_ascii_lowercase().as_str() {
            "lbfgs" | "l-bfgs" => Ok(Method::Lbfgs),
            "adam" => Ok(Method::Adam),
            "gd" | "gradient-descent" => Ok(Method::GradientDescent),
            _ => Err(MixtureError::InvalidHyperparameter {
                name: "method",
                value: format!("{s:?}"),
                valid: "one of \"lbfgs\", \"adam\", \"gd\"",
            }),
        }
    }
}

impl GmmParams {
    /// The same hyperparameters, fitted by a gradient method instead of EM.
    ///
    /// # Example
    /// ```
    /// use admix_mixture::gmm::{CovarianceType, GaussianMixture};
    /// use admix_mixture::gradient::Method;
    /// use ndarray::array;
    /// # fn main() -> Result<(), admix_mixture::MixtureError> {
    /// let x = array![[0.0, 0.1], [0.2, -0.1], [-0.1, 0.0], [5.0, 5.1], [5.2, 4.9], [4.9, 5.0]];
    /// let fit = GaussianMixture::params(2)
    ///     .covariance_type(CovarianceType::Spherical)
    ///     .reg_covar(1e-3)
    ///     .tol(1e-9)
    ///     .gradient(Method::Lbfgs)
    ///     .fit(x.view())?;
    /// let labels = fit.model.predict(x.view())?;
    /// assert_eq!(labels[0], labels[2]);
    /// assert_ne!(labels[0], labels[4]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn gradient(self, method: Method) -> GradientParams {
        GradientParams::new(self, method)
    }
}

/// Unchecked hyperparameters of gradient fitting; [`GradientParams::check`]
/// turns them into [`GradientValidParams`].
#[derive(Clone, Debug, PartialEq)]
pub struct GradientParams {
    gmm: GmmParams,
    method: Method,
    learning_rate: Option<f64>,
    mini_batch: Option<usize>,
}

impl GradientParams {
    /// `gmm`'s hyperparameters fitted by `method`.
    ///
    /// They mean what they mean for EM, except: `max_iter` counts optimiser
    /// iterations (epochs with mini-batches); `tol` bounds the change of the
    /// mean log-likelihood between iterations (between epochs, on all the
    /// data, with mini-batches); `reg_covar` is a penalty (see
    /// [`LogLikelihood`](super::LogLikelihood)); `n_init` restarts only the
    /// initialisation (the best starting point is kept, as EM's first
    /// E-step would rank them); `task_rows` sizes the parallel tasks of each
    /// pass, as for EM (use [`GradientParams::mini_batch`] for stochastic
    /// gradients).
    pub fn new(gmm: GmmParams, method: Method) -> Self {
        Self {
            gmm,
            method,
            learning_rate: None,
            mini_batch: None,
        }
    }

    /// Step size: Adam's learning rate, gradient descent's fixed step or
    /// first trial step (defaults in [`Method`]); > 0.
    pub fn learning_rate(mut self, rate: f64) -> Self {
        self.learning_rate = Some(rate);
        self
    }

    /// Stochastic gradients on mini-batches of `rows` samples drawn without
    /// replacement (a seeded shuffle per epoch); Adam and gradient descent only.
    pub fn mini_batch(mut self, rows: usize) -> Self {
        self.mini_batch = Some(rows);
        self
    }

    /// Checks every hyperparameter.
    ///
    /// # Errors
    /// [`MixtureError::InvalidHyperparameter`] naming the first bad one.
    pub fn check(self) -> Result<GradientValidParams, MixtureError> {
        let gmm = self.gmm.check()?;
        let rate = self
            .learning_rate
            .unwrap_or_else(|| self.method.default_rate(self.mini_batch.is_some()));
        if !(rate > 0.0 && rate.is_finite()) {
            return Err(MixtureError::InvalidHyperparameter {
                name: "learning_rate",
                value: rate.to_string(),
                valid: "a finite number > 0",
            });
        }
        match (self.mini_batch, self.method) {
            (Some(0), _) => {
                return Err(MixtureError::InvalidHyperparameter {
                    name: "mini_batch",
                    value: "0".into(),
                    valid: "at least 1 row",
                })
            }
            (Some(rows), Method::Lbfgs) => {
                return Err(MixtureError::InvalidHyperparameter {
                    name: "mini_batch",
                    value: rows.to_string(),
                    valid: "unset for lbfgs (its line search needs exact gradients); use adam or gd for mini-batches",
                })
            }
            _ => {}
        }
        Ok(GradientValidParams {
            gmm,
            method: self.method,
            learning_rate: rate,
            mini_batch: self.mini_batch,
        })
    }

    /// Checks, then fits (see [`GradientValidParams::fit`]).
    ///
    /// # Errors
    /// As [`GradientParams::check`] and [`GradientValidParams::fit`].
    pub fn fit<'a>(
        &self,
        x: impl Into<crate::Data<'a>>,
    ) -> Result<super::GradientFit, MixtureError> {
        self.clone().check()?.fit(x)
    }
}

/// Gradient-fitting hyperparameters that passed [`GradientParams::check`].
#[derive(Clone, Debug, PartialEq)]
pub struct GradientValidParams {
    pub(crate) gmm: GmmValidParams,
    pub(crate) method: Method,
    pub(crate) learning_rate: f64,
    pub(crate) mini_batch: Option<usize>,
}

impl GradientValidParams {
    /// The shared (EM) hyperparameters.
    pub fn gmm(&self) -> &GmmValidParams {
        &self.gmm
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The step size used.
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    /// Rows per mini-batch, `None` for full batches.
    pub fn mini_batch(&self) -> Option<usize> {
        self.mini_batch
    }
}
