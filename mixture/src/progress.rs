//! What a fit tells its progress hook, the same for EM and gradient fits.

use std::time::Duration;

/// One point of a fit's progress: the mean log-likelihood of the parameters
/// after some iterations, and what reaching them cost. EM and gradient fits
/// pass it by reference to their `fit_with_progress` hooks, and gradient
/// fits (and [`compare`](crate::gradient::compare)) keep them as their trace.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// Restart (0-based, below `n_init`); always 0 for gradient fits, which
    /// restart only their initialisation.
    pub restart: usize,
    /// Iterations done (0 is the starting point; epochs with mini-batches
    /// count their iterations one by one).
    pub iteration: usize,
    /// Passes over the data made so far in this restart (a mini-batch
    /// counts as its share).
    pub passes: f64,
    /// Wall time since the fit started.
    pub elapsed: Duration,
    /// Mean log-likelihood per sample of the parameters after `iteration`
    /// iterations (without a gradient fit's `reg_covar` penalty).
    pub log_likelihood: f64,
}
