//! `admix fit --online`: online EM over the rows of the data, batch after
//! batch (the library's `OnlineGmm::partial_fit`), for data too large to fit
//! by full EM passes.

use crate::args::FitSettings;
use crate::progress::progress_bar;
use admix::mixture::gmm::{CovarianceType, GaussianMixtureModel, OnlineGmm};
use admix::mixture::{Data, RowBuffer};
use anyhow::{bail, Result};

/// Options of online EM (`admix fit --online`).
#[derive(Debug, clap::Args)]
pub struct OnlineArgs {
    /// Fit by online EM (Cappe and Moulines): one E-step per batch of
    /// --batch-rows rows, blended into running statistics, then an M-step.
    /// The start is the --init of the first batch.
    #[arg(long, requires = "batch_rows")]
    pub online: bool,
    /// Rows per batch of --online.
    #[arg(long, value_name = "ROWS", requires = "online")]
    pub batch_rows: Option<usize>,
    /// Passes over the data of --online (default 1).
    #[arg(long, requires = "online")]
    pub epochs: Option<usize>,
    /// Step offset tau of --online (>= 0; step (t + tau)^-kappa; default 1).
    #[arg(long, requires = "online", allow_negative_numbers = true)]
    pub tau: Option<f64>,
    /// Step decay kappa of --online (in (0.5, 1]; default 0.7).
    #[arg(long, requires = "online", allow_negative_numbers = true)]
    pub kappa: Option<f64>,
}

/// What an online fit did, for the report.
pub struct OnlineRun {
    pub batches: u64,
    pub epochs: usize,
    pub batch_rows: usize,
}

impl OnlineArgs {
    /// Online EM over the rows of `x`, `--epochs` times in order.
    pub fn fit(
        &self,
        x: Data,
        k: usize,
        covariance: Option<CovarianceType>,
        settings: &FitSettings,
    ) -> Result<(GaussianMixtureModel, OnlineRun)> {
        let batch_rows = self.batch_rows.unwrap_or(0);
        let epochs = self.epochs.unwrap_or(1);
        if batch_rows == 0 {
            bail!("--batch-rows must be at least 1");
        }
        if epochs == 0 {
            bail!("--epochs must be at least 1");
        }
        let n = x.nrows();
        let mut buffer = RowBuffer::default();
        let first = x.rows(0..batch_rows.min(n), &mut buffer)?;
        let params = settings.params(k, covariance)?.check()?;
        let start = settings.threads.install(|| params.initial_model(first))??;
        let mut online = OnlineGmm::new(start).reg_covar(settings.reg_covar)?;
        if let Some(tau) = self.tau {
            online = online.tau(tau)?;
        }
        if let Some(kappa) = self.kappa {
            online = online.kappa(kappa)?;
        }
        let per_epoch = n.div_ceil(batch_rows);
        let bar = progress_bar("online EM", per_epoch.saturating_mul(epochs), "batches");
        settings.threads.install(|| -> Result<()> {
            for _ in 0..epochs {
                for begin in (0..n).step_by(batch_rows) {
                    let batch = x.rows(begin..(begin + batch_rows).min(n), &mut buffer)?;
                    online.partial_fit(batch)?;
                    bar.inc(1);
                }
            }
            Ok(())
        })??;
        bar.finish_and_clear();
        let run = OnlineRun {
            batches: online.batches(),
            epochs,
            batch_rows,
        };
        Ok((online.model().clone(), run))
    }
}
