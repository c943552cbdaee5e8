//! Argument groups shared by several commands, parsed straight into the
//! library's types.

use crate::data::{self, Dataset};
use crate::model_io::InitFile;
use admix::mixture::gmm::{CovarianceType, GaussianMixture, GmmInit, GmmParams, Updates};
use admix::mixture::gradient::{GradientValidParams, Method};
use anyhow::{bail, Result};
use std::path::Path;
use std::str::FromStr;

/// Where the data come from (shared by every command that reads data).
#[derive(Debug, clap::Args)]
pub struct DataArgs {
    /// A CSV file (header optional), an .npy file (f64 or f32), or a
    /// built-in data set: faithful, iris.
    pub data: String,
    /// Columns to use, by name or 0-based index, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// CSV columns that are labels, not data (by name or 0-based index);
    /// without it, a column is a label only if no value in it is a number.
    #[arg(long, value_delimiter = ',')]
    pub labels: Option<Vec<String>>,
}

impl DataArgs {
    pub fn load(&self) -> Result<Dataset> {
        data::load(&self.data, self.columns.as_deref(), self.labels.as_deref())
    }
}

/// The worker pool of a command that computes in parallel.
#[derive(Debug, Clone, clap::Args)]
pub struct Threads {
    /// Worker threads (default: all cores); the result does not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
}

impl Threads {
    /// Runs `f` on a pool of `--threads` workers (or rayon's default pool).
    pub fn install<T: Send>(&self, f: impl FnOnce() -> T + Send) -> Result<T> {
        match self.threads {
            None => Ok(f()),
            Some(0) => bail!("--threads must be at least 1"),
            Some(n) => Ok(rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()?
                .install(f)),
        }
    }
}

/// How a mixture is fitted: EM, or one of the library's gradient methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fitter {
    /// Closed-form expectation-maximisation.
    Em,
    /// A gradient method on the log-likelihood (reverse-mode AD).
    Gradient(Method),
}

impl Fitter {
    /// The name as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            Fitter::Em => "em",
            Fitter::Gradient(method) => method.name(),
        }
    }
}

impl FromStr for Fitter {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        if s.eq_ignore_ascii_case("em") {
            return Ok(Fitter::Em);
        }
        s.parse()
            .map(Fitter::Gradient)
            .map_err(|_| anyhow::anyhow!("'{s}' is not a method: use em, lbfgs, adam or gd"))
    }
}

/// The fitting settings of a Gaussian mixture (all but its size and covariance type).
#[derive(Debug, Clone, clap::Args)]
pub struct FitSettings {
    /// kmeans, kmeans++, random, random_from_data, or a JSON file with any of
    /// weights, means, covariances or precisions (and covariance_type) to
    /// start from; what it leaves out comes from kmeans.
    #[arg(long, default_value = "kmeans")]
    pub init: String,
    /// Maximum number of iterations (0 returns the initial parameters).
    #[arg(long, default_value_t = 100)]
    pub max_iter: usize,
    /// Stop when the mean log-likelihood changes by less (0 runs every iteration).
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true)]
    pub tol: f64,
    /// Added to the covariance diagonals.
    #[arg(long, default_value_t = 1e-6, allow_negative_numbers = true)]
    pub reg_covar: f64,
    /// Restarts; the best lower bound is kept.
    #[arg(long, default_value_t = 1)]
    pub n_init: usize,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Which parameters are updated: a subset of "wmc" (weights, means, covariances).
    #[arg(long, alias = "params", default_value = "wmc")]
    pub update: Updates,
    /// Rows per task of an exact EM pass (the unit of parallel work; any
    /// value gives the same model up to rounding). Old spelling: --batch-size.
    #[arg(long, alias = "batch-size", value_name = "ROWS")]
    pub task_rows: Option<usize>,
    #[command(flatten)]
    pub threads: Threads,
    /// Step size of Adam and gradient descent (default: the method's own).
    #[arg(long)]
    pub learning_rate: Option<f64>,
    /// Stochastic gradients on mini-batches of this many rows (adam, gd).
    #[arg(long, value_name = "ROWS")]
    pub mini_batch: Option<usize>,
}

impl FitSettings {
    /// The library's hyperparameters for `k` components. The covariance
    /// type is `--covariance`, else the init file's, else full.
    pub fn params(&self, k: usize, covariance: Option<CovarianceType>) -> Result<GmmParams> {
        let mut p = GaussianMixture::params(k)
            .max_iter(self.max_iter)
            .tol(self.tol)
            .reg_covar(self.reg_covar)
            .n_init(self.n_init)
            .seed(self.seed)
            .updates(self.update);
        if let Some(b) = self.task_rows {
            p = p.task_rows(b);
        }
        Ok(match GmmInit::from_str(&self.init) {
            Ok(init) => p.init(init).covariance_type(covariance.unwrap_or_default()),
            Err(_) => InitFile::read(Path::new(&self.init), k, covariance)?.apply(p),
        })
    }

    /// The hyperparameters of a gradient fit by `method`.
    pub fn gradient_params(
        &self,
        k: usize,
        covariance: Option<CovarianceType>,
        method: Method,
    ) -> Result<GradientValidParams> {
        let mut p = self.params(k, covariance)?.gradient(method);
        if let Some(rate) = self.learning_rate {
            p = p.learning_rate(rate);
        }
        if let Some(rows) = self.mini_batch {
            p = p.mini_batch(rows);
        }
        Ok(p.check()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_parse_with_em_beside_the_gradient_methods() {
        assert_eq!("em".parse::<Fitter>().unwrap(), Fitter::Em);
        assert_eq!(
            "lbfgs".parse::<Fitter>().unwrap(),
            Fitter::Gradient(Method::Lbfgs)
        );
        assert_eq!("gd".parse::<Fitter>().unwrap().name(), "gd");
        let err = "newton".parse::<Fitter>().unwrap_err().to_string();
        assert!(err.contains("em, lbfgs, adam or gd"), "{err}");
    }
}
