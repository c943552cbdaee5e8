//! Saving and loading a fitted mixture as JSON (schema on
//! [`GaussianMixtureModel::to_json`]).

use super::covariance::{CovarianceType, Covariances};
use super::model::GaussianMixtureModel;
use crate::MixtureError;
use ndarray::{Array1, Array2, Array3};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    covariance_type: CovarianceType,
    weights: Vec<f64>,
    means: Vec<Vec<f64>>,
    covariances: serde_json::Value,
    converged: bool,
    n_iter: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    log_likelihood_trace: Option<Vec<f64>>,
    #[serde(default)]
    lower_bound: Option<LowerBound>,
}

/// `lower_bound` as written now (the final mean log-likelihood) or by older
/// versions (the per-iteration trace, now `log_likelihood_trace`).
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum LowerBound {
    Final(f64),
    Trace(Vec<f64>),
}

fn invalid(reason: impl Into<String>) -> MixtureError {
    MixtureError::InvalidModelFile {
        reason: reason.into(),
    }
}

/// Rows of equal length as a 2-D array.
fn matrix(rows: Vec<Vec<f64>>, what: &str) -> Result<Array2<f64>, MixtureError> {
    let r = rows.len();
    let c = rows.first().map_or(0, Vec::len);
    if rows.iter().any(|row| row.len() != c) {
        return Err(invalid(format!("{what} has rows of different lengths")));
    }
    Array2::from_shape_vec((r, c), rows.into_iter().flatten().collect())
        .map_err(|e| invalid(format!("{what}: {e}")))
}

fn parse<T: serde::de::DeserializeOwned>(
    v: serde_json::Value,
    what: &str,
) -> Result<T, MixtureError> {
    serde_json::from_value(v).map_err(|e| invalid(format!("{what}: {e}")))
}

impl GaussianMixtureModel {
    /// The model as JSON: one object whose arrays are nested row by row, as
    /// `json.dumps` of scikit-learn's attributes would give.
    ///
    /// ```text
    /// {
    ///   "covariance_type": "full" | "tied" | "diag" | "spherical",
    ///   "weights":     [k numbers, summing to 1],
    ///   "means":       [k arrays of d numbers],
    ///   "covariances": full [k][d][d] | tied [d][d] | diag [k][d] | spherical [k],
    ///   "converged":   true | false,
    ///   "n_iter":      integer >= 0,
    ///   "log_likelihood_trace": [n_iter numbers],
    ///   "lower_bound": number (final mean log-likelihood) | null
    /// }
    /// ```
    ///
    /// Files of older versions, whose "lower_bound" is the list of n_iter
    /// numbers (now "log_likelihood_trace"), load too (without a lower bound).
    ///
    /// Precisions are not stored: loading recomputes them from the covariances.
    pub fn to_json(&self) -> String {
        let covariances = match &self.covariances {
            Covariances::Full(c) => serde_json::json!(c
                .outer_iter()
                .map(|m| m.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>())
                .collect::<Vec<_>>()),
            Covariances::Tied(c) | Covariances::Diag(c) => {
                serde_json::json!(c.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>())
            }
            Covariances::Spherical(c) => serde_json::json!(c.to_vec()),
        };
        let file = ModelFile {
            covariance_type: self.covariance_type(),
            weights: self.weights.to_vec(),
            means: self.means.outer_iter().map(|r| r.to_vec()).collect(),
            covariances,
            converged: self.converged(),
            n_iter: self.n_iter(),
            log_likelihood_trace: Some(self.log_likelihood_trace().to_vec()),
            lower_bound: self.lower_bound().map(LowerBound::Final),
        };
        serde_json::to_string_pretty(&file).expect("finite numbers serialise")
    }

    /// A model from JSON in the schema of [`to_json`](Self::to_json); unknown
    /// fields, truncated text, wrong shapes, bad weights or non-positive-definite
    /// covariances give an error, as [`GaussianMixtureModel::new`] checks.
    pub fn from_json(text: &str) -> Result<Self, MixtureError> {
        let file: ModelFile = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let means = matrix(file.means, "means")?;
        let covariances = match file.covariance_type {
            CovarianceType::Full => {
                let mats: Vec<Vec<Vec<f64>>> = parse(file.covariances, "covariances")?;
                let k = mats.len();
                let mats = mats
                    .into_iter()
                    .map(|m| matrix(m, "covariances"))
                    .collect::<Result<Vec<_>, _>>()?;
                let d = mats.first().map_or(0, |m| m.ncols());
                if mats.iter().any(|m| m.dim() != (d, d)) {
                    return Err(invalid(
                        "full covariances must be k square matrices of one size",
                    ));
                }
                let flat: Vec<f64> = mats.iter().flat_map(|m| m.iter().copied()).collect();
                Covariances::Full(
                    Array3::from_shape_vec((k, d, d), flat).map_err(|e| invalid(e.to_string()))?,
                )
            }
            CovarianceType::Tied => Covariances::Tied(matrix(
                parse(file.covariances, "covariances")?,
                "covariances",
            )?),
            CovarianceType::Diag => Covariances::Diag(matrix(
                parse(file.covariances, "covariances")?,
                "covariances",
            )?),
            CovarianceType::Spherical => Covariances::Spherical(Array1::from(parse::<Vec<f64>>(
                file.covariances,
                "covariances",
            )?)),
        };
        let (trace, lower_bound) = match (file.log_likelihood_trace, file.lower_bound) {
            (Some(trace), Some(LowerBound::Final(last))) => (trace, Some(last)),
            (Some(trace), None) => (trace, None),
            (None, Some(LowerBound::Trace(trace))) => (trace, None),
            (None, None) if file.n_iter == 0 => (Vec::new(), None),
            _ => {
                return Err(invalid(
                    "give log_likelihood_trace (a list) and lower_bound (a number or null), \
                     or only lower_bound as a list (older files)",
                ))
            }
        };
        if trace.len() != file.n_iter {
            return Err(invalid(format!(
                "log_likelihood_trace has {} values but n_iter is {}",
                trace.len(),
                file.n_iter
            )));
        }
        let model = GaussianMixtureModel::new(Array1::from(file.weights), means, covariances)?;
        Ok(model.with_fit_history(file.converged, trace, lower_bound))
    }
}
