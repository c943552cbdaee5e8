//! Fitting by a gradient method: EM's initialisation, the optimiser loop on
//! the unconstrained parameters, a trace of the mean log-likelihood, and
//! the same fitted-model type as EM.

use super::certificate::shard_gradient;
use super::objective::LikelihoodObjective;
use super::{GradientValidParams, Method, Unconstrained};
use crate::data::{check_finite_shard, check_scale_shard};
use crate::distributed::Shard;
use crate::gmm::GaussianMixtureModel;
use crate::{Data, MixtureError, Progress};
use admix_optim::{
    Adam, Control, GradientDescent, Lbfgs, Minimizer, OptimError, Record, Report, Solver, State,
    Status, Stop,
};
use std::cell::RefCell;
use std::time::Duration;

/// Why gradient fitting stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GradientStatus {
    /// The mean log-likelihood changed by less than `tol` between
    /// iterations (between epochs with mini-batches), or the gradient
    /// vanished exactly.
    Converged,
    /// `max_iter` iterations (epochs) were run.
    MaxIterations,
    /// The line search found no step that lowers the cost: usually the fit
    /// is at a maximum to rounding, sometimes a sign that `tol` is too small.
    LineSearchFailed,
    /// The cost or its gradient stopped being finite (a step too large for
    /// the data's scale: lower the learning rate or scale the data); the
    /// model holds the best parameters seen before.
    Diverged,
}

/// The result of gradient fitting: the model (EM's type: predict, score,
/// sample, JSON), why the run stopped, its trace and the certificate.
#[derive(Clone, Debug)]
pub struct GradientFit {
    /// The fitted model. `converged()` is `status == Converged`, `n_iter()`
    /// the iterations (epochs with mini-batches) run,
    /// `log_likelihood_trace()` the mean log-likelihood at the start of each
    /// and `lower_bound()` the one of the returned parameters, as for EM.
    pub model: GaussianMixtureModel,
    /// Why the run stopped.
    pub status: GradientStatus,
    /// Iterations run.
    pub iterations: usize,
    /// Mean log-likelihood after every iteration (every epoch with
    /// mini-batches), starting with the initial parameters.
    pub trace: Vec<Progress>,
    /// Norm of the gradient of the mean log-likelihood of all the data with
    /// respect to the unconstrained parameters at `model` (see
    /// [`gradient_norm`](super::gradient_norm)): near zero at a maximum of
    /// the likelihood. The fit maximises the likelihood plus the
    /// `reg_covar` penalty, whose own gradient (of order `reg_covar` times
    /// the precisions) is what remains here when `reg_covar > 0`.
    pub gradient_norm: f64,
    /// Wall time of the whole fit (initialisation excluded).
    pub elapsed: Duration,
}

impl GradientValidParams {
    /// Fits a mixture to the rows of `x` from EM's initialisation (the same
    /// seed gives the same starting point as [`GmmValidParams::fit`](crate::gmm::GmmValidParams::fit)).
    ///
    /// # Errors
    /// The data errors of EM ([`MixtureError::NonFiniteData`],
    /// [`MixtureError::EmptyData`], [`MixtureError::TooFewSamples`], ...);
    /// [`MixtureError::Optimisation`] if the optimiser reports an internal error.
    pub fn fit<'a>(&self, x: impl Into<Data<'a>>) -> Result<GradientFit, MixtureError> {
        self.fit_with_progress(x, &mut |_| {})
    }

    /// [`fit`](Self::fit), calling `progress` with every point of the trace
    /// as it is made (the start, then every iteration or epoch), for a
    /// progress bar or a log; the fit is the same.
    ///
    /// # Errors
    /// As [`GradientValidParams::fit`].
    pub fn fit_with_progress<'a>(
        &self,
        x: impl Into<Data<'a>>,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<GradientFit, MixtureError> {
        self.fit_shard_with_progress(Shard::whole(x), progress)
    }

    /// Fits the rows of a job of several processes (MPI ranks), each calling
    /// this with its own [`Shard`]: every process returns the same fit,
    /// bitwise the one [`fit`](Self::fit) gives on all the rows in one
    /// process. Full batches only; the start as
    /// [`GmmValidParams::fit_shard`](crate::gmm::GmmValidParams::fit_shard).
    ///
    /// # Errors
    /// As [`fit`](Self::fit) and `GmmValidParams::fit_shard`;
    /// [`MixtureError::NotDistributed`] for mini-batches over several processes.
    pub fn fit_shard(&self, shard: Shard<'_>) -> Result<GradientFit, MixtureError> {
        self.fit_shard_with_progress(shard, &mut |_| {})
    }

    /// [`fit_shard`](Self::fit_shard) with the `progress` of
    /// [`fit_with_progress`](Self::fit_with_progress), on every process.
    ///
    /// # Errors
    /// As [`fit_shard`](Self::fit_shard).
    pub fn fit_shard_with_progress(
        &self,
        shard: Shard<'_>,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<GradientFit, MixtureError> {
        let start = self.gmm.initial_model_shard(shard)?;
        self.fit_from_shard(shard, &start, progress)
    }

    /// The starting parameters EM would use for `x`: its initialisation
    /// (with `n_init` restarts, the one with the best log-likelihood).
    ///
    /// # Errors
    /// As EM's fit.
    pub fn initial_model<'a>(
        &self,
        x: impl Into<Data<'a>>,
    ) -> Result<GaussianMixtureModel, MixtureError> {
        self.gmm.initial_model(x)
    }

    /// Fits from the parameters of `start` (a warm start, or a common start
    /// with EM for a comparison).
    ///
    /// # Errors
    /// [`MixtureError::DimensionMismatch`] when `x` does not have the
    /// model's features, [`MixtureError::InvalidHyperparameter`] when its
    /// covariance type or size differs from the hyperparameters', and as
    /// [`GradientValidParams::fit`].
    pub fn fit_from<'a>(
        &self,
        x: impl Into<Data<'a>>,
        start: &GaussianMixtureModel,
    ) -> Result<GradientFit, MixtureError> {
        self.fit_from_with_progress(x, start, &mut |_| {})
    }

    /// [`fit_from`](Self::fit_from) with the `progress` of
    /// [`fit_with_progress`](Self::fit_with_progress). The gradient fits
    /// hold the data in memory as `f64` (the tape's constant): data of
    /// another type or from a source are read into memory once.
    ///
    /// # Errors
    /// As [`GradientValidParams::fit_from`].
    pub fn fit_from_with_progress<'a>(
        &self,
        x: impl Into<Data<'a>>,
        start: &GaussianMixtureModel,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<GradientFit, MixtureError> {
        self.fit_from_shard(Shard::whole(x), start, progress)
    }

    /// The fit from `start` on the rows of a job's processes.
    pub(super) fn fit_from_shard(
        &self,
        shard: Shard<'_>,
        start: &GaussianMixtureModel,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<GradientFit, MixtureError> {
        // A given start skips EM's initialisation, which checks the data.
        let task_rows = self.gmm.task_rows();
        shard.check_grid(task_rows)?;
        check_finite_shard(&shard)?;
        check_scale_shard(&shard, task_rows)?;
        if shard.rows().ncols() != start.n_features() {
            return Err(MixtureError::DimensionMismatch {
                expected: start.n_features(),
                got: shard.rows().ncols(),
            });
        }
        if self.mini_batch.is_some() && shard.comm().size() > 1 {
            return Err(MixtureError::NotDistributed {
                what: "gradient fitting on mini-batches",
                instead: "fit on full batches (no mini_batch) or by EM",
            });
        }
        if start.covariance_type() != self.gmm.covariance_type()
            || start.n_components() != self.gmm.n_components()
        {
            return Err(MixtureError::InvalidHyperparameter {
                name: "start",
                value: format!("{} {}", start.n_components(), start.covariance_type()),
                valid: "a model with the fitted number of components and covariance type",
            });
        }
        let layout = Unconstrained::of(start);
        let theta = layout.from_model(start)?;
        let updates = self.gmm.updates();
        let free: Vec<usize> = [
            (updates.weights, layout.logits()),
            (updates.means, layout.means()),
            (updates.covariances, layout.covariances()),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .flat_map(|(_, range)| range)
        .collect();
        let objective = LikelihoodObjective::new(
            layout,
            shard,
            (self.gmm.reg_covar(), self.gmm.task_rows()),
            theta.clone(),
            free,
            self.mini_batch.map(|rows| (rows, self.gmm.seed())),
        )?;
        let x0 = objective.free_part(&theta);
        let rate = self.learning_rate;
        let run = match (self.method, self.mini_batch) {
            (Method::Lbfgs, _) => self.run(Lbfgs::new(), &objective, &x0, progress),
            (Method::Adam, _) => self.run(
                Adam::new(rate).map_err(optimisation)?,
                &objective,
                &x0,
                progress,
            ),
            (Method::GradientDescent, Some(_)) => self.run(
                GradientDescent::fixed(rate).map_err(optimisation)?,
                &objective,
                &x0,
                progress,
            ),
            (Method::GradientDescent, None) => self.run(
                GradientDescent::backtracking(rate).map_err(optimisation)?,
                &objective,
                &x0,
                progress,
            ),
        }?;
        // As EM's: one value per iteration (epoch), at its start, and the
        // mean log-likelihood of the returned parameters.
        let n_iter = run.trace.len() - 1;
        let trace = run.trace[..n_iter]
            .iter()
            .map(|p| p.log_likelihood)
            .collect();
        let model = layout.to_model(&objective.full(&run.x))?.with_fit_history(
            run.status == GradientStatus::Converged,
            trace,
            Some(objective.log_likelihood(&run.x)),
        );
        let gradient = shard_gradient(&model, shard, task_rows)?;
        Ok(GradientFit {
            gradient_norm: gradient.iter().map(|g| g * g).sum::<f64>().sqrt(),
            model,
            status: run.status,
            iterations: run.report.iterations,
            trace: run.trace,
            elapsed: run.report.elapsed,
        })
    }

    /// Runs `solver` with EM's stopping rule checked by an observer on the
    /// mean log-likelihood of all the data; `progress` sees each trace point.
    fn run<'o, 'a, S>(
        &self,
        solver: S,
        objective: &'o LikelihoodObjective<'a>,
        x0: &[f64],
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Run, MixtureError>
    where
        S: Solver<&'o LikelihoodObjective<'a>>,
    {
        let per_epoch = objective.iterations_per_epoch();
        let tol = self.gmm.tol();
        let watch = RefCell::new(Watch::default());
        let stop = Stop::new()
            .gradient_norm(0.0)
            .map_err(optimisation)?
            .max_iterations(self.gmm.max_iter().saturating_mul(per_epoch));
        let report = Minimizer::new(solver)
            .stop(stop)
            .observer(|record: &Record, state: &State| {
                if !record.iteration.is_multiple_of(per_epoch) {
                    return Control::Continue;
                }
                let ll = objective.log_likelihood(&state.x);
                let mut w = watch.borrow_mut();
                let point = Progress {
                    restart: 0,
                    iteration: record.iteration,
                    passes: objective.passes(),
                    elapsed: record.elapsed,
                    log_likelihood: ll,
                };
                progress(&point);
                w.trace.push(point);
                if !ll.is_finite() {
                    w.outcome = Some(GradientStatus::Diverged);
                    return Control::Stop;
                }
                if w.best.as_ref().is_none_or(|(b, _)| ll > *b) {
                    w.best = Some((ll, state.x.clone()));
                }
                let previous = w.previous.replace(ll);
                if previous.is_some_and(|p| (ll - p).abs() < tol) {
                    w.outcome = Some(GradientStatus::Converged);
                    return Control::Stop;
                }
                Control::Continue
            })
            .minimize(objective, x0)
            .map_err(optimisation)?;
        let mut watch = watch.into_inner();
        // The stopping rules end a run before the observer sees the last
        // iterate; trace it too.
        if watch.trace.last().map(|p| p.iteration) != Some(report.iterations) {
            let point = Progress {
                restart: 0,
                iteration: report.iterations,
                passes: objective.passes(),
                elapsed: report.elapsed,
                log_likelihood: objective.log_likelihood(&report.x),
            };
            progress(&point);
            watch.trace.push(point);
        }
        let status = match report.status {
            Status::StoppedByObserver => watch.outcome.unwrap_or(GradientStatus::Converged),
            Status::Converged(_) => GradientStatus::Converged,
            Status::LineSearchFailed => GradientStatus::LineSearchFailed,
            Status::NonFinite(_) => GradientStatus::Diverged,
            _ => GradientStatus::MaxIterations,
        };
        let x = if status == GradientStatus::Diverged {
            match watch.best {
                Some((_, best)) => best,
                None => report.best_x.clone(),
            }
        } else {
            report.x.clone()
        };
        Ok(Run {
            x,
            status,
            trace: watch.trace,
            report,
        })
    }
}

/// What the observer keeps between iterations.
#[derive(Default)]
struct Watch {
    trace: Vec<Progress>,
    previous: Option<f64>,
    best: Option<(f64, Vec<f64>)>,
    outcome: Option<GradientStatus>,
}

struct Run {
    x: Vec<f64>,
    status: GradientStatus,
    trace: Vec<Progress>,
    report: Report,
}

fn optimisation(err: OptimError) -> MixtureError {
    MixtureError::Optimisation {
        message: err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use crate::distributed::{share, simulated, Communicator, Shard};
    use crate::gmm::{CovarianceType, GaussianMixture, GmmInit};
    use crate::gradient::Method;
    use crate::synthetic::overlapping_blobs;
    use crate::MixtureError;
    use ndarray::s;

    /// L-BFGS over 1 to 3 simulated processes returns on every process the
    /// one-process fit, bit for bit (model, status and certificate).
    #[test]
    fn lbfgs_over_processes_fits_the_single_process_model_bitwise() {
        let x = overlapping_blobs(801, 2, 2, 3).unwrap();
        let params = GaussianMixture::params(2)
            .covariance_type(CovarianceType::Full)
            .init(GmmInit::RandomFromData)
            .max_iter(15)
            .task_rows(64)
            .gradient(Method::Lbfgs)
            .check()
            .unwrap();
        let alone = params.fit(x.view()).unwrap();
        for size in 1..=3 {
            let job = simulated::Job::new(size);
            let fits = job.run(|comm| {
                let rows = share(x.nrows(), 64, comm.rank(), size);
                let shard = Shard::new(x.slice(s![rows.clone(), ..]), rows.start, x.nrows(), comm);
                params.fit_shard(shard).unwrap()
            });
            for fit in fits {
                assert_eq!(
                    fit.model.to_json(),
                    alone.model.to_json(),
                    "{size} processes"
                );
                assert_eq!(fit.status, alone.status);
                assert_eq!(fit.gradient_norm.to_bits(), alone.gradient_norm.to_bits());
            }
        }
    }

    #[test]
    fn mini_batches_are_refused_over_several_processes() {
        let x = overlapping_blobs(200, 2, 2, 3).unwrap();
        let params = GaussianMixture::params(2)
            .init(GmmInit::RandomFromData)
            .task_rows(50)
            .gradient(Method::Adam)
            .mini_batch(20)
            .check()
            .unwrap();
        let job = simulated::Job::new(2);
        for r in job.run(|comm| {
            let rows = share(200, 50, comm.rank(), 2);
            params.fit_shard(Shard::new(
                x.slice(s![rows.clone(), ..]),
                rows.start,
                200,
                comm,
            ))
        }) {
            assert!(
                matches!(r, Err(MixtureError::NotDistributed { .. })),
                "{r:?}"
            );
        }
    }
}
