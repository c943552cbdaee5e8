//! The problem the optimisers see: minus the penalised mean log-likelihood
//! of the data (or of the current mini-batch) over the free entries of the
//! unconstrained vector, with its gradient by one reverse sweep.

use super::likelihood::{penalty, unpack, FusedLogLikelihood};
use super::Unconstrained;
use crate::distributed::Shard;
use crate::gmm::{accumulate_shard, weighted_mean, GaussianMixtureModel, Source, SufficientStats};
use crate::{MixtureError, RowBuffer};
use admix_optim::{CostFunction, Gradient, OptimError};
use admix_tape::{Tape, TapeError};
use ndarray::{Array1, Array2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::cell::{Cell, RefCell};
use std::sync::Arc;

/// Mini-batches drawn without replacement: a fresh seeded shuffle per epoch.
#[derive(Debug)]
struct MiniBatch {
    size: usize,
    rng: ChaCha8Rng,
    order: Vec<usize>,
    next: usize,
    rows: Arc<Array2<f64>>,
}

/// One full-batch evaluation at the free parameters `x`.
#[derive(Debug)]
struct Evaluation {
    x: Vec<f64>,
    cost: f64,
    gradient: Vec<f64>,
    /// Mean log-likelihood without the penalty.
    log_likelihood: f64,
}

/// The cost `-(mean log-likelihood + penalty)` over the free parameters.
#[derive(Debug)]
pub(crate) struct LikelihoodObjective<'a> {
    layout: Unconstrained,
    /// The rows (this process's share of a job's), read in place.
    shard: Shard<'a>,
    shift: Vec<f64>,
    reg_covar: f64,
    /// Rows per parallel task of a pass (EM's `task_rows`).
    task_rows: usize,
    /// The full unconstrained vector; entries not in `free` stay fixed.
    theta: Vec<f64>,
    free: Vec<usize>,
    batch: RefCell<Option<MiniBatch>>,
    /// Data passes made so far (a mini-batch counts as its share of one).
    passes: Cell<f64>,
    /// Recent full-batch evaluations, so that neither a solver asking twice
    /// for one point (a line search, then the gradient) nor the trace pays
    /// for a pass already made.
    recent: RefCell<Vec<Evaluation>>,
}

impl<'a> LikelihoodObjective<'a> {
    /// The objective for the rows of `shard` starting from the full vector
    /// `theta`, optimising the entries `free`; mini-batches of `batch` rows
    /// drawn with `seed` when given (one process only); passes in parallel
    /// tasks of `task_rows` rows.
    pub(crate) fn new(
        layout: Unconstrained,
        shard: Shard<'a>,
        (reg_covar, task_rows): (f64, usize),
        theta: Vec<f64>,
        free: Vec<usize>,
        batch: Option<(usize, u64)>,
    ) -> Result<Self, MixtureError> {
        let shift = weighted_mean(&shard, None, task_rows)?;
        let n = shard.total_rows();
        let batch = batch.map(|(size, seed)| MiniBatch {
            size: size.min(n),
            rng: ChaCha8Rng::seed_from_u64(seed),
            order: (0..n).collect(),
            next: n,
            rows: Arc::new(Array2::zeros((0, shard.rows().ncols()))),
        });
        Ok(Self {
            layout,
            shard,
            shift,
            reg_covar,
            task_rows,
            theta,
            free,
            batch: RefCell::new(batch),
            passes: Cell::new(0.0),
            recent: RefCell::new(Vec::new()),
        })
    }

    /// Optimiser iterations per pass over the data (1 for full batches).
    pub(crate) fn iterations_per_epoch(&self) -> usize {
        match &*self.batch.borrow() {
            Some(b) => (self.shard.total_rows() / b.size).max(1),
            None => 1,
        }
    }

    /// Data passes made so far.
    pub(crate) fn passes(&self) -> f64 {
        self.passes.get()
    }

    /// The free entries of the full vector.
    pub(crate) fn free_part(&self, theta: &[f64]) -> Vec<f64> {
        self.free.iter().map(|&i| theta[i]).collect()
    }

    /// The full vector with the free entries `x`.
    pub(crate) fn full(&self, x: &[f64]) -> Vec<f64> {
        let mut theta = self.theta.clone();
        for (&i, &v) in self.free.iter().zip(x) {
            theta[i] = v;
        }
        theta
    }

    /// Mean log-likelihood (no penalty) of all the data at free parameters
    /// `x`: from a recent evaluation on the full data if there is one, else
    /// by one pass. NaN for parameters that make no valid mixture.
    pub(crate) fn log_likelihood(&self, x: &[f64]) -> f64 {
        if let Some(e) = self.recent.borrow().iter().find(|e| e.x == x) {
            return e.log_likelihood;
        }
        match self.layout.to_model(&self.full(x)) {
            Ok(model) => self.pass(&model),
            Err(_) => f64::NAN,
        }
    }

    /// One forward pass over all the data.
    fn pass(&self, model: &GaussianMixtureModel) -> f64 {
        self.passes.set(self.passes.get() + 1.0);
        let template = SufficientStats::zeros(
            self.layout.covariance_type(),
            self.layout.n_components(),
            &self.shift,
        );
        accumulate_shard(
            Source::EStep(&model.coefficients(&self.shift)),
            &template,
            &self.shard,
            None,
            self.task_rows,
        )
        .expect("rows in memory are read without error")
        .mean_log_likelihood()
    }

    /// Cost, gradient and the data term on the current rows.
    pub(crate) fn evaluate(&self, x: &[f64]) -> Result<(f64, Vec<f64>, f64), TapeError> {
        let tape = Tape::new();
        let theta = tape.array_var(Array1::from(self.full(x)));
        let p = unpack(&self.layout, theta)?;
        let ctype = self.layout.covariance_type();
        let node = match &*self.batch.borrow() {
            Some(b) => {
                let n = self.shard.total_rows() as f64;
                self.passes
                    .set(self.passes.get() + b.rows.nrows() as f64 / n);
                FusedLogLikelihood::new(
                    Arc::clone(&b.rows),
                    self.shift.clone(),
                    ctype,
                    self.task_rows,
                )
            }
            None => {
                // The pass over every process's rows, under the parameters
                // the node will see, before the node is recorded.
                self.passes.set(self.passes.get() + 1.0);
                let inputs = [p.log_weights.value(), p.means.value(), p.factors.value()];
                let views: Vec<_> = inputs.iter().map(|a| a.view()).collect();
                let template =
                    SufficientStats::zeros(ctype, self.layout.n_components(), &self.shift);
                let stats = match FusedLogLikelihood::model_of(ctype, &views) {
                    Some(model) => accumulate_shard(
                        Source::EStep(&model.coefficients(&self.shift)),
                        &template,
                        &self.shard,
                        None,
                        self.task_rows,
                    )
                    .map_err(|e| TapeError::Custom {
                        name: "gmm_mean_log_likelihood".into(),
                        message: e.to_string(),
                    })?,
                    None => template,
                };
                FusedLogLikelihood::with_stats(stats, ctype)
            }
        };
        let data_term = node.record(&p)?;
        let log_likelihood = data_term.to_scalar()?.value();
        let cost = -(data_term + penalty(&p, self.reg_covar)?)?;
        let cost = cost.to_scalar()?;
        let grad = tape.gradient(cost).wrt_array(theta);
        let grad = self.free.iter().map(|&i| grad[i]).collect();
        Ok((cost.value(), grad, log_likelihood))
    }
}

/// Borrowed, so that an observer can read the objective while a solver
/// runs it (mini-batches live in a `RefCell`).
impl CostFunction for &LikelihoodObjective<'_> {
    fn cost(&self, x: &[f64]) -> Result<f64, OptimError> {
        Ok(self.cost_and_gradient(x)?.0)
    }
}

impl Gradient for &LikelihoodObjective<'_> {
    fn gradient(&self, x: &[f64]) -> Result<Vec<f64>, OptimError> {
        Ok(self.cost_and_gradient(x)?.1)
    }

    fn cost_and_gradient(&self, x: &[f64]) -> Result<(f64, Vec<f64>), OptimError> {
        if let Some(e) = self.recent.borrow().iter().find(|e| e.x == x) {
            return Ok((e.cost, e.gradient.clone()));
        }
        let (cost, gradient, log_likelihood) = self.evaluate(x).map_err(OptimError::problem)?;
        if self.batch.borrow().is_none() {
            let mut recent = self.recent.borrow_mut();
            if recent.len() == 8 {
                recent.remove(0);
            }
            recent.push(Evaluation {
                x: x.to_vec(),
                cost,
                gradient: gradient.clone(),
                log_likelihood,
            });
        }
        Ok((cost, gradient))
    }

    fn next_batch(&mut self, _iteration: usize) -> Result<(), OptimError> {
        let mut batch = self.batch.borrow_mut();
        let Some(b) = batch.as_mut() else {
            return Ok(());
        };
        let data = self.shard.rows();
        let n = data.nrows();
        if b.next + b.size > n {
            b.order.shuffle(&mut b.rng);
            b.next = 0;
        }
        let picked = &b.order[b.next..b.next + b.size];
        b.next += b.size;
        let d = data.ncols();
        let mut rows = Array2::zeros((picked.len(), d));
        let mut buffer = RowBuffer::default();
        for (mut out, &i) in rows.outer_iter_mut().zip(picked) {
            let row = data
                .rows(i..i + 1, &mut buffer)
                .map_err(OptimError::problem)?;
            out.iter_mut()
                .enumerate()
                .for_each(|(l, v)| *v = row.get(0, l));
        }
        b.rows = Arc::new(rows);
        Ok(())
    }
}
