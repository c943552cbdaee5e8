//! Certificates of a fitted model, whatever fitted it: the gradient of the
//! log-likelihood (near zero at a maximum) and the observed information with
//! the standard errors it gives.

use super::objective::LikelihoodObjective;
use super::{tape_log_likelihood, DataTerm, LogLikelihood, Unconstrained};
use crate::distributed::Shard;
use crate::gmm::GaussianMixtureModel;
use crate::{check_features, MixtureError};
use admix_optim::linalg::invert_spd;
use ndarray::{Array1, Array2, ArrayView2};

/// The gradient of the mean log-likelihood of `x` with respect to the
/// unconstrained parameters of `model` (layout [`Unconstrained::of`]), by
/// one reverse sweep.
///
/// # Errors
/// [`MixtureError::DimensionMismatch`] and the data errors of EM.
pub fn log_likelihood_gradient(
    model: &GaussianMixtureModel,
    x: ArrayView2<f64>,
) -> Result<Vec<f64>, MixtureError> {
    check_features(x, model.n_features())?;
    let layout = Unconstrained::of(model);
    let theta = layout.from_model(model)?;
    Ok(tape_log_likelihood(x, &layout, &theta, 0.0, DataTerm::Fused)?.1)
}

/// [`log_likelihood_gradient`] of the rows of a job's processes (passes in
/// tasks of `task_rows`), the same on every process for any number of them.
pub(crate) fn shard_gradient(
    model: &GaussianMixtureModel,
    shard: Shard<'_>,
    task_rows: usize,
) -> Result<Vec<f64>, MixtureError> {
    let layout = Unconstrained::of(model);
    let theta = layout.from_model(model)?;
    let free = (0..theta.len()).collect();
    let objective =
        LikelihoodObjective::new(layout, shard, (0.0, task_rows), theta.clone(), free, None)?;
    // The objective is minus the log-likelihood (no penalty with reg_covar 0).
    let (_, minus, _) = objective
        .evaluate(&theta)
        .map_err(|e| MixtureError::Optimisation {
            message: e.to_string(),
        })?;
    Ok(minus.iter().map(|g| -g).collect())
}

/// The Euclidean norm of [`log_likelihood_gradient`]: a certificate that
/// `model` is a stationary point of the likelihood of `x` (EM at
/// convergence gives a small value too).
///
/// # Example
/// ```
/// use admix_mixture::gmm::{Covariances, GaussianMixtureModel};
/// use admix_mixture::gradient::gradient_norm;
/// use ndarray::array;
/// # fn main() -> Result<(), admix_mixture::MixtureError> {
/// // One component at the sample mean and variance: the maximum likelihood.
/// let x = array![[1.0], [2.0], [4.0]];
/// // Mean 7/3; deviations -4/3, -1/3, 5/3; variance (16 + 1 + 25) / 27.
/// let var = 42.0 / 27.0;
/// let model = GaussianMixtureModel::new(
///     array![1.0],
///     array![[7.0 / 3.0]],
///     Covariances::Full(array![[[var]]]),
/// )?;
/// assert!(gradient_norm(&model, x.view())? < 1e-12);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// As [`log_likelihood_gradient`].
pub fn gradient_norm(
    model: &GaussianMixtureModel,
    x: ArrayView2<f64>,
) -> Result<f64, MixtureError> {
    let g = log_likelihood_gradient(model, x)?;
    Ok(g.iter().map(|v| v * v).sum::<f64>().sqrt())
}

/// Largest scalar recording [`observed_information`] makes (about 400 MB of
/// tape on dual numbers).
pub const MAX_INFORMATION_NODES: usize = 10_000_000;

/// The observed information of a model and the standard errors it gives.
#[derive(Clone, Debug, PartialEq)]
pub struct ObservedInformation {
    /// Minus the Hessian of the total log-likelihood with respect to the
    /// unconstrained parameters without the last logit (softmax is
    /// unchanged by a common shift of the logits, so one is fixed).
    pub information: Array2<f64>,
    /// Its inverse: the asymptotic covariance of those parameters.
    pub covariance: Array2<f64>,
    /// Standard errors of the means, shape (k, d).
    pub mean_standard_errors: Array2<f64>,
    /// Standard errors of the weights (delta method through softmax), shape (k).
    pub weight_standard_errors: Array1<f64>,
}

/// The observed information of `model` on the data `x`, by the exact
/// Hessian of the generic log-likelihood ([`LogLikelihood`]), forward over
/// reverse: one reverse sweep of a scalar tape on dual numbers per
/// parameter, each recording one node per arithmetic operation, so meant for
/// small models (tens of parameters, thousands of rows).
///
/// ```text
/// I = -d^2/dtheta^2 sum_i log p(x_i | theta),   cov = I^-1
/// se(mu_ja) = sqrt(cov_mu_ja),   se(w) = sqrt(diag(J cov_logits J^T)),  J = dw/dlogits
/// ```
///
/// # Reference
/// Louis (1982), Finding the observed information matrix when using the EM
/// algorithm, JRSS B 44; McLachlan and Peel (2000), Finite Mixture Models, 2.15.
///
/// # Errors
/// The data errors of EM; [`MixtureError::InformationNotPositiveDefinite`]
/// away from a maximum or for an unidentified parameter;
/// [`MixtureError::InvalidHyperparameter`] (`n_samples`) when the recording
/// would exceed [`MAX_INFORMATION_NODES`].
pub fn observed_information(
    model: &GaussianMixtureModel,
    x: ArrayView2<f64>,
) -> Result<ObservedInformation, MixtureError> {
    check_features(x, model.n_features())?;
    let (n, k, d) = (x.nrows(), model.n_components(), model.n_features());
    let per_row = k * (d * d + 4 * d + 4);
    if n.saturating_mul(per_row) > MAX_INFORMATION_NODES {
        return Err(MixtureError::InvalidHyperparameter {
            name: "n_samples",
            value: n.to_string(),
            valid: "small enough for the observed information's scalar tape (about k (d^2 + 4d + 4) nodes per row, at most 10 million in all): pass a random subsample of the rows",
        });
    }
    let layout = Unconstrained::of(model);
    let theta = layout.from_model(model)?;
    let f = LogLikelihood::new(x, layout, 0.0);
    let (_, _, hessian) = admix_tape::hessian(&f, &theta);
    let fixed = k - 1;
    let keep: Vec<usize> = (0..theta.len()).filter(|&i| i != fixed).collect();
    let p = keep.len();
    let n = n as f64;
    let information = Array2::from_shape_fn((p, p), |(a, b)| -n * hessian[keep[a]][keep[b]]);
    let flat: Vec<f64> = information.iter().copied().collect();
    let covariance = invert_spd(&flat, p)
        .and_then(|inv| Array2::from_shape_vec((p, p), inv).ok())
        .ok_or(MixtureError::InformationNotPositiveDefinite)?;
    let diag = covariance.diag();
    let mean_standard_errors =
        Array2::from_shape_fn((k, d), |(j, l)| diag[fixed + j * d + l].max(0.0).sqrt());
    // w_i = softmax with the last logit fixed: dw_i / dlogit_j = w_i (delta_ij - w_j).
    let w = model.weights();
    let jac = Array2::from_shape_fn((k, fixed), |(i, j)| {
        w[i] * (f64::from(u8::from(i == j)) - w[j])
    });
    let logits = covariance.slice(ndarray::s![..fixed, ..fixed]);
    let cov_w = jac.dot(&logits).dot(&jac.t());
    let weight_standard_errors = cov_w.diag().mapv(|v| v.max(0.0).sqrt());
    Ok(ObservedInformation {
        information,
        covariance,
        mean_standard_errors,
        weight_standard_errors,
    })
}
