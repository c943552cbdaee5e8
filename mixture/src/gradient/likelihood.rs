//! The log-likelihood recorded on the tape with whole-array operations.
//!
//! The parameter transforms (log-softmax of the logits, triangular factors
//! with exponentiated diagonals, exponentials of log precisions) and the
//! `reg_covar` penalty are tape operations in every case. The data term comes
//! in two interchangeable forms:
//!
//! - [`composed_log_likelihood`]: the definition, a handful of array nodes
//!   per component (matrix product, squared row norms, log-determinant from
//!   the diagonal, then log-sum-exp over components and the mean over rows);
//! - [`FusedLogLikelihood`]: one custom node that runs EM's fused E-step pass
//!   and obtains its adjoint from the same sufficient statistics (Fisher's
//!   identity: the gradient of the log-likelihood is the expected gradient of
//!   the complete-data log-likelihood under the responsibilities), so one
//!   gradient costs one EM E-step. The tests check it against the composed
//!   form, forward mode and divided differences.

use super::Unconstrained;
use crate::gmm::{
    accumulate, CovarianceType, Covariances, GaussianMixtureModel, Source, SufficientStats,
    TASK_ROWS,
};
use crate::{check_features, MixtureError};
use admix_tape::{ArrayVar, CustomOp, Tape, TapeError};
use ndarray::{arr0, Array1, Array2, Array3, ArrayD, ArrayView2, ArrayViewD, Axis, Ix1, Ix2, Ix3};
use std::cell::RefCell;
use std::sync::Arc;

/// Which form of the data term the tape records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DataTerm {
    /// Composed array operations: the definition (memory of a few `n x d`
    /// arrays per component).
    Composed,
    /// One fused node with its adjoint from EM's sufficient statistics: the
    /// fast form that fitting uses.
    #[default]
    Fused,
}

/// The penalised mean log-likelihood of the rows of `x` at the
/// unconstrained parameters `theta` (see [`LogLikelihood`](super::LogLikelihood)
/// for the function) and its gradient with respect to `theta`, by one
/// recording and one reverse sweep of the tape.
///
/// # Example
/// ```
/// use admix_mixture::gmm::CovarianceType;
/// use admix_mixture::gradient::{tape_log_likelihood, DataTerm, Unconstrained};
/// use ndarray::array;
/// # fn main() -> Result<(), admix_mixture::MixtureError> {
/// let x = array![[0.0], [1.0]];
/// let layout = Unconstrained::new(CovarianceType::Spherical, 1, 1);
/// // theta = [logit, mean, ln precision]: d/dmean = mean of (x - mean) = 0.5.
/// let (_, grad) = tape_log_likelihood(x.view(), &layout, &[0.0, 0.0, 0.0], 0.0, DataTerm::Composed)?;
/// assert!((grad[1] - 0.5).abs() < 1e-15);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// The data errors of EM, [`MixtureError::DimensionMismatch`] and
/// [`MixtureError::ShapeMismatch`] when `x` or `theta` do not fit `layout`.
pub fn tape_log_likelihood(
    x: ArrayView2<f64>,
    layout: &Unconstrained,
    theta: &[f64],
    reg_covar: f64,
    form: DataTerm,
) -> Result<(f64, Vec<f64>), MixtureError> {
    check_features(x, layout.n_features())?;
    if theta.len() != layout.len() {
        return Err(MixtureError::ShapeMismatch {
            what: "unconstrained parameters",
            expected: vec![layout.len()],
            got: vec![theta.len()],
        });
    }
    let record = || -> Result<(f64, Vec<f64>), TapeError> {
        let tape = Tape::new();
        let th = tape.array_var(Array1::from(theta.to_vec()));
        let p = unpack(layout, th)?;
        let data = match form {
            DataTerm::Composed => composed_log_likelihood(tape.array_const(x.to_owned()), &p)?,
            DataTerm::Fused => {
                let shift = x.mean_axis(Axis(0)).expect("checked: rows").to_vec();
                FusedLogLikelihood::new(
                    Arc::new(x.to_owned()),
                    shift,
                    layout.covariance_type(),
                    TASK_ROWS,
                )
                .record(&p)?
            }
        };
        let f = (data + penalty(&p, reg_covar)?)?.to_scalar()?;
        let grad = tape.gradient(f).wrt_array(th);
        Ok((f.value(), grad.iter().copied().collect()))
    };
    record().map_err(|e| MixtureError::Optimisation {
        message: e.to_string(),
    })
}

/// The mixture parameters as arrays on a tape, computed from the
/// unconstrained vector.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ParamVars<'t> {
    pub(crate) covariance_type: CovarianceType,
    /// `ln w`, shape (k).
    pub(crate) log_weights: ArrayVar<'t>,
    /// Shape (k, d).
    pub(crate) means: ArrayVar<'t>,
    /// Precision Cholesky factors `U` in the shape of the covariance type.
    pub(crate) factors: ArrayVar<'t>,
}

/// Records the map from the unconstrained vector `theta` (shape (len)) to
/// the mixture parameters.
pub(crate) fn unpack<'t>(
    layout: &Unconstrained,
    theta: ArrayVar<'t>,
) -> Result<ParamVars<'t>, TapeError> {
    let (k, d) = (layout.n_components(), layout.n_features());
    let range = |r: std::ops::Range<usize>| theta.slice_axis(0, r);
    let log_weights = range(layout.logits())?.log_softmax_axis(0)?;
    let means = range(layout.means())?.reshape(&[k, d])?;
    let block = layout.covariances();
    let t = layout.triangle();
    let factors = match layout.covariance_type() {
        CovarianceType::Full => {
            let mut parts = Vec::with_capacity(k);
            for j in 0..k {
                let start = block.start + j * t;
                let u = range(start..start + t)?.tril_exp_diag()?.t();
                parts.push(u.reshape(&[1, d, d])?);
            }
            ArrayVar::concat(0, &parts)?
        }
        CovarianceType::Tied => range(block)?.tril_exp_diag()?.t(),
        CovarianceType::Diag => range(block)?.reshape(&[k, d])?.scale(0.5).exp(),
        CovarianceType::Spherical => range(block)?.scale(0.5).exp(),
    };
    Ok(ParamVars {
        covariance_type: layout.covariance_type(),
        log_weights,
        means,
        factors,
    })
}

/// The mean log-likelihood of the rows of `x` (a constant (n, d) array) by
/// composed array operations, a 0-dimensional array:
///
/// ```text
/// z_j = x U_j - mu_j U_j                     (diag, spherical: (x - mu_j) * u_j)
/// lp_j = ln w_j + sum_a ln U_j,aa - d/2 ln(2 pi) - |z_j|^2 / 2   per row
/// mean over rows of logsumexp_j lp_j
/// ```
pub(crate) fn composed_log_likelihood<'t>(
    x: ArrayVar<'t>,
    p: &ParamVars<'t>,
) -> Result<ArrayVar<'t>, TapeError> {
    let shape = x.shape();
    let (n, d) = (shape[0], shape[1]);
    let k = p.log_weights.shape()[0];
    let half_log_2pi = 0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln();
    let mut columns = Vec::with_capacity(k);
    for j in 0..k {
        let mu = p.means.slice_axis(0, j..j + 1)?;
        let (z, log_det) = match p.covariance_type {
            CovarianceType::Full | CovarianceType::Tied => {
                let u = match p.covariance_type {
                    CovarianceType::Full => p.factors.slice_axis(0, j..j + 1)?.reshape(&[d, d])?,
                    _ => p.factors,
                };
                let z = (x.matmul(u)? - mu.matmul(u)?)?;
                (z, u.diag()?.ln().sum())
            }
            CovarianceType::Diag | CovarianceType::Spherical => {
                let u = p.factors.slice_axis(0, j..j + 1)?;
                let log_det = match p.covariance_type {
                    CovarianceType::Diag => u.ln().sum(),
                    _ => u.ln().sum().scale(d as f64),
                };
                (((x - mu)? * u)?, log_det)
            }
        };
        let constant = (p.log_weights.slice_axis(0, j..j + 1)? + log_det)?.offset(-half_log_2pi);
        let lp = (z.square().sum_axis(1)?.scale(-0.5) + constant)?;
        columns.push(lp.reshape(&[n, 1])?);
    }
    ArrayVar::concat(1, &columns)?.logsumexp_axis(1)?.mean()
}

/// The penalty `-reg_covar / 2 sum_j w_j |U_j|_F^2` (0-dimensional); see
/// [`LogLikelihood`](super::LogLikelihood) for why this form.
pub(crate) fn penalty<'t>(p: &ParamVars<'t>, reg_covar: f64) -> Result<ArrayVar<'t>, TapeError> {
    let scale = -0.5 * reg_covar;
    let k = p.log_weights.shape()[0];
    let per_component = match p.covariance_type {
        CovarianceType::Tied => return Ok(p.factors.sq_norm().scale(scale)),
        CovarianceType::Full => {
            let d = p.factors.shape()[1];
            p.factors.square().reshape(&[k, d * d])?.sum_axis(1)?
        }
        CovarianceType::Diag => p.factors.square().sum_axis(1)?,
        CovarianceType::Spherical => {
            let d = p.means.shape()[1];
            p.factors.square().scale(d as f64)
        }
    };
    Ok((p.log_weights.exp() * per_component)?.sum().scale(scale))
}

/// The data term as one node: the mean log-likelihood of the rows of `x`
/// for inputs `[ln w (k), means (k, d), U]`, with its adjoint from EM's
/// sufficient statistics (coordinates shifted by `shift`, `m_j = mu_j - shift`):
///
/// ```text
/// N_j = sum_i r_ij,  F_j = sum_i r_ij x_i,  C_j = sum_i r_ij (x_i - m_j)(x_i - m_j)^T
/// d/d ln w_j = N_j / n
/// d/d mu_j   = U_j U_j^T (F_j - N_j m_j) / n
/// d/d U_j    = (-C_j U_j + N_j diag(1 / U_j,aa)) / n      (tied: summed over j)
/// ```
///
/// The forward pass computes the statistics once and keeps the gradient for
/// the reverse sweep. Parameters that do not make a valid mixture (an
/// overflowed factor) give a NaN value and NaN adjoints, so that an
/// optimiser stops with a non-finite status instead of an error.
#[derive(Debug)]
pub(crate) struct FusedLogLikelihood {
    rows: Rows,
    shift: Vec<f64>,
    covariance_type: CovarianceType,
    gradient: RefCell<Vec<ArrayD<f64>>>,
}

/// Where the node's statistics come from.
#[derive(Debug)]
enum Rows {
    /// A pass over these rows in tasks of `task_rows`.
    Data {
        x: Arc<Array2<f64>>,
        task_rows: usize,
    },
    /// Statistics computed beforehand for the node's parameters (by a pass
    /// over a job's shards, see [`FusedLogLikelihood::model_of`]).
    Stats(SufficientStats),
}

impl FusedLogLikelihood {
    /// The node for data `x`, centred at `shift` (the data mean keeps the
    /// moments well conditioned) with parallel tasks of `batch` rows.
    pub(crate) fn new(
        x: Arc<Array2<f64>>,
        shift: Vec<f64>,
        covariance_type: CovarianceType,
        batch: usize,
    ) -> Self {
        Self {
            rows: Rows::Data {
                x,
                task_rows: batch,
            },
            shift,
            covariance_type,
            gradient: RefCell::new(Vec::new()),
        }
    }

    /// The node for statistics already computed (shifted by `shift`) under
    /// the model that [`model_of`](Self::model_of) gives for the node's inputs.
    pub(crate) fn with_stats(stats: SufficientStats, covariance_type: CovarianceType) -> Self {
        Self {
            shift: stats.shift.clone(),
            rows: Rows::Stats(stats),
            covariance_type,
            gradient: RefCell::new(Vec::new()),
        }
    }

    /// Records the node on the tape of `p`.
    pub(crate) fn record<'t>(self, p: &ParamVars<'t>) -> Result<ArrayVar<'t>, TapeError> {
        let tape: &'t Tape<f64> = p.means.tape();
        tape.custom(self, &[p.log_weights, p.means, p.factors])
    }

    fn model(&self, inputs: &[ArrayViewD<'_, f64>]) -> Option<GaussianMixtureModel> {
        Self::model_of(self.covariance_type, inputs)
    }

    /// The mixture of the node's inputs (ln w, means, precision factors), if valid.
    pub(crate) fn model_of(
        covariance_type: CovarianceType,
        inputs: &[ArrayViewD<'_, f64>],
    ) -> Option<GaussianMixtureModel> {
        let weights = inputs[0]
            .view()
            .into_dimensionality::<Ix1>()
            .ok()?
            .mapv(f64::exp);
        let means = inputs[1]
            .view()
            .into_dimensionality::<Ix2>()
            .ok()?
            .to_owned();
        let u = &inputs[2];
        let factors = match covariance_type {
            CovarianceType::Full => {
                Covariances::Full(u.view().into_dimensionality::<Ix3>().ok()?.to_owned())
            }
            CovarianceType::Tied => {
                Covariances::Tied(u.view().into_dimensionality::<Ix2>().ok()?.to_owned())
            }
            CovarianceType::Diag => {
                Covariances::Diag(u.view().into_dimensionality::<Ix2>().ok()?.to_owned())
            }
            CovarianceType::Spherical => {
                Covariances::Spherical(u.view().into_dimensionality::<Ix1>().ok()?.to_owned())
            }
        };
        GaussianMixtureModel::from_precision_cholesky(weights, means, factors).ok()
    }

    /// Gradients of the mean log-likelihood for the inputs, from the statistics.
    fn gradients(&self, model: &GaussianMixtureModel, s: &SufficientStats) -> Vec<ArrayD<f64>> {
        let (k, d) = model.means().dim();
        let n = s.weight();
        let m = Array2::from_shape_fn((k, d), |(j, l)| model.means()[[j, l]] - self.shift[l]);
        let first = |j: usize, l: usize| s.first(j, l);
        let d_log_w = Array1::from_shape_fn(k, |j| s.resp(j) / n);
        // F_j - N_j m_j, the responsibility-weighted residual sum.
        let resid = Array2::from_shape_fn((k, d), |(j, l)| first(j, l) - s.resp(j) * m[[j, l]]);
        let (d_means, d_factors) = match model.precisions_cholesky() {
            Covariances::Full(u) => {
                let mut d_u = Array3::zeros((k, d, d));
                let mut d_mu = Array2::zeros((k, d));
                for j in 0..k {
                    let uj = u.index_axis(ndarray::Axis(0), j);
                    let c = Array2::from_shape_fn((d, d), |(a, b)| s.full_scatter(j, a, b, &m));
                    let mut g = -c.dot(&uj);
                    for a in 0..d {
                        g[[a, a]] += s.resp(j) / uj[[a, a]];
                    }
                    d_u.index_axis_mut(ndarray::Axis(0), j).assign(&(g / n));
                    let r = resid.row(j);
                    d_mu.row_mut(j).assign(&(uj.dot(&uj.t().dot(&r)) / n));
                }
                (d_mu, d_u.into_dyn())
            }
            Covariances::Tied(u) => {
                let c = s.tied_scatter(&m);
                let mut g = -c.dot(u);
                for a in 0..d {
                    g[[a, a]] += n / u[[a, a]];
                }
                let precision = u.dot(&u.t());
                let d_mu = resid.dot(&precision) / n;
                (d_mu, (g / n).into_dyn())
            }
            pc @ (Covariances::Diag(_) | Covariances::Spherical(_)) => {
                let factor = |j: usize, l: usize| match pc {
                    Covariances::Diag(u) => u[[j, l]],
                    Covariances::Spherical(u) => u[j],
                    _ => unreachable!("matched above"),
                };
                let d_mu = Array2::from_shape_fn((k, d), |(j, l)| {
                    factor(j, l).powi(2) * resid[[j, l]] / n
                });
                let d_u = Array2::from_shape_fn((k, d), |(j, l)| {
                    let u = factor(j, l);
                    (-s.diag_scatter(j, l, &m) * u + s.resp(j) / u) / n
                });
                let d_u = match pc {
                    Covariances::Diag(_) => d_u.into_dyn(),
                    _ => d_u.sum_axis(ndarray::Axis(1)).into_dyn(),
                };
                (d_mu, d_u)
            }
        };
        vec![d_log_w.into_dyn(), d_means.into_dyn(), d_factors]
    }
}

impl CustomOp for FusedLogLikelihood {
    fn name(&self) -> &str {
        "gmm_mean_log_likelihood"
    }

    fn forward(&self, inputs: &[ArrayViewD<'_, f64>]) -> Result<ArrayD<f64>, TapeError> {
        if inputs.len() != 3 {
            return Err(TapeError::Custom {
                name: self.name().into(),
                message: "pass ln w (k), means (k, d) and the precision factors".into(),
            });
        }
        let Some(model) = self.model(inputs) else {
            *self.gradient.borrow_mut() = inputs
                .iter()
                .map(|v| ArrayD::from_elem(v.shape(), f64::NAN))
                .collect();
            return Ok(arr0(f64::NAN).into_dyn());
        };
        let stats = match &self.rows {
            Rows::Data { x, task_rows } => {
                if model.n_features() != x.ncols() {
                    return Err(TapeError::ShapeMismatch {
                        op: "gmm_mean_log_likelihood",
                        left: x.shape().to_vec(),
                        right: model.means().shape().to_vec(),
                    });
                }
                let k = model.n_components();
                let template = SufficientStats::zeros(self.covariance_type, k, &self.shift);
                let prepared = model.coefficients(&self.shift);
                accumulate(
                    Source::EStep(&prepared),
                    &template,
                    x.view().into(),
                    None,
                    *task_rows,
                )
                .expect("rows in memory are read without error")
            }
            Rows::Stats(stats) => stats.clone(),
        };
        *self.gradient.borrow_mut() = self.gradients(&model, &stats);
        Ok(arr0(stats.mean_log_likelihood()).into_dyn())
    }

    fn backward(
        &self,
        _inputs: &[ArrayViewD<'_, f64>],
        _output: ArrayViewD<'_, f64>,
        adjoint: ArrayViewD<'_, f64>,
        wanted: &[bool],
    ) -> Vec<Option<ArrayD<f64>>> {
        let g = adjoint.iter().next().copied().unwrap_or(0.0);
        self.gradient
            .borrow()
            .iter()
            .zip(wanted)
            .map(|(grad, &want)| want.then(|| grad.mapv(|v| v * g)))
            .collect()
    }
}
