//! Reading models: a saved model file, and the start of a fit given by hand
//! (any subset of weights, means and covariances or precisions).

use admix::mixture::gmm::{CovarianceType, Covariances, GaussianMixtureModel, GmmParams};
use anyhow::{bail, Context, Result};
use ndarray::{Array1, Array2, Array3};
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::path::Path;

/// Reads a model JSON file.
pub fn load_model(path: &Path) -> Result<GaussianMixtureModel> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read model file '{}'", path.display()))?;
    GaussianMixtureModel::from_json(&text)
        .with_context(|| format!("'{}' is not a valid model file", path.display()))
}

/// The fields an `--init` file may hold: those of a model file, every one
/// optional (scikit-learn's `weights_init`, `means_init`, `precisions_init`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InitJson {
    covariance_type: Option<CovarianceType>,
    weights: Option<Vec<f64>>,
    means: Option<Vec<Vec<f64>>>,
    covariances: Option<serde_json::Value>,
    precisions: Option<serde_json::Value>,
    // The fit history of a saved model: allowed, not used by a start.
    #[serde(rename = "converged")]
    _converged: Option<IgnoredAny>,
    #[serde(rename = "n_iter")]
    _n_iter: Option<IgnoredAny>,
    #[serde(rename = "lower_bound")]
    _lower_bound: Option<IgnoredAny>,
    #[serde(rename = "log_likelihood_trace")]
    _log_likelihood_trace: Option<IgnoredAny>,
}

/// A checked partial start of a fit.
#[derive(Debug, Clone, PartialEq)]
pub struct InitFile {
    pub covariance_type: CovarianceType,
    pub weights: Option<Array1<f64>>,
    pub means: Option<Array2<f64>>,
    pub covariances: Option<Covariances>,
}

impl InitFile {
    /// Reads `path` as the start of a `k`-component fit whose covariance
    /// type is `flag` (`--covariance`) if given, else the file's, else full.
    pub fn read(path: &Path, k: usize, flag: Option<CovarianceType>) -> Result<InitFile> {
        let shown = path.display();
        if !path.exists() {
            bail!(
                "--init {shown}: no such file, and not kmeans, kmeans++, random or random_from_data"
            );
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("--init {shown}: cannot read the file"))?;
        Self::parse(&text, k, flag).with_context(|| format!("--init {shown}"))
    }

    /// Parses and checks the text of an init file (see [`InitFile::read`]).
    pub fn parse(text: &str, k: usize, flag: Option<CovarianceType>) -> Result<InitFile> {
        let file: InitJson = serde_json::from_str(text).context(
            "not a start: a JSON object with any of covariance_type, weights, means, covariances, precisions",
        )?;
        let covariance_type = match (file.covariance_type, flag) {
            (Some(a), Some(b)) if a != b => {
                bail!("covariance_type is {a} but --covariance is {b}: make them agree or drop one")
            }
            (a, b) => a.or(b).unwrap_or_default(),
        };
        let weights = file.weights.map(|w| check_weights(w, k)).transpose()?;
        let means = file.means.map(|m| check_means(m, k)).transpose()?;
        let d = means.as_ref().map(Array2::ncols);
        let covariances = match (file.covariances, file.precisions) {
            (Some(_), Some(_)) => bail!("give covariances or precisions, not both"),
            (Some(c), None) => Some(shaped(c, covariance_type, k, d, "covariances")?),
            (None, Some(p)) => Some(
                shaped(p, covariance_type, k, d, "precisions")?
                    .inverse()
                    .context("precisions")?,
            ),
            (None, None) => None,
        };
        if let Some(c) = &covariances {
            // The same check the fit makes, here so that the error names the field.
            c.inverse().context("covariances")?;
        }
        if weights.is_none() && means.is_none() && covariances.is_none() {
            bail!("it sets none of weights, means, covariances, precisions");
        }
        Ok(InitFile {
            covariance_type,
            weights,
            means,
            covariances,
        })
    }

    /// Hyperparameters `p` starting from what the file gives.
    pub fn apply(self, mut p: GmmParams) -> GmmParams {
        p = p.covariance_type(self.covariance_type);
        if let Some(w) = self.weights {
            p = p.weights_init(w);
        }
        if let Some(m) = self.means {
            p = p.means_init(m);
        }
        if let Some(c) = self.covariances {
            p = p.covariances_init(c);
        }
        p
    }
}

fn check_weights(w: Vec<f64>, k: usize) -> Result<Array1<f64>> {
    if w.len() != k {
        bail!("weights has {} values for {k} components (-k)", w.len());
    }
    if let Some((j, v)) = w.iter().enumerate().find(|(_, v)| v.is_nan() || **v < 0.0) {
        bail!("weights[{j}] = {v}: weights must be at least 0");
    }
    let sum: f64 = w.iter().sum();
    if (sum - 1.0).abs() > 1e-8 {
        bail!("weights sum to {sum}: they must sum to 1");
    }
    Ok(Array1::from(w))
}

fn check_means(m: Vec<Vec<f64>>, k: usize) -> Result<Array2<f64>> {
    if m.len() != k {
        bail!("means has {} rows for {k} components (-k)", m.len());
    }
    let means = rows(m, "means")?;
    if let Some(((j, i), v)) = means.indexed_iter().find(|(_, v)| !v.is_finite()) {
        bail!("means[{j}][{i}] = {v}: means must be finite");
    }
    Ok(means)
}

/// Rows of one non-zero length as a matrix.
fn rows(r: Vec<Vec<f64>>, what: &str) -> Result<Array2<f64>> {
    let width = r.first().map_or(0, Vec::len);
    if width == 0 {
        bail!("{what} needs rows of at least one number");
    }
    if let Some(i) = r.iter().position(|row| row.len() != width) {
        bail!(
            "{what}[{i}] has {} numbers but {what}[0] has {width}",
            r[i].len()
        );
    }
    let n = r.len();
    Ok(Array2::from_shape_vec((n, width), r.concat())?)
}

/// The covariances (or precisions) `value` in the shape of `t` for `k`
/// components, of dimension `d` when the means fix it.
fn shaped(
    value: serde_json::Value,
    t: CovarianceType,
    k: usize,
    d: Option<usize>,
    what: &str,
) -> Result<Covariances> {
    let shape = match t {
        CovarianceType::Full => "k arrays of d rows of d numbers",
        CovarianceType::Tied => "d rows of d numbers",
        CovarianceType::Diag => "k rows of d numbers",
        CovarianceType::Spherical => "k numbers",
    };
    let wrong = |e: serde_json::Error| anyhow::anyhow!("{what} of type {t} must be {shape} ({e})");
    let square = |m: Array2<f64>, name: String| -> Result<Array2<f64>> {
        let (r, c) = m.dim();
        if r != c || d.is_some_and(|d| d != r) {
            bail!(
                "{name} is {r} x {c} but must be {0} x {0} (the means' dimension)",
                d.unwrap_or(c)
            );
        }
        Ok(m)
    };
    let c = match t {
        CovarianceType::Full => {
            let mats: Vec<Vec<Vec<f64>>> = serde_json::from_value(value).map_err(wrong)?;
            if mats.len() != k {
                bail!("{what} has {} matrices for {k} components (-k)", mats.len());
            }
            let mut flat = Vec::new();
            let mut size = d;
            for (j, m) in mats.into_iter().enumerate() {
                let m = square(rows(m, &format!("{what}[{j}]"))?, format!("{what}[{j}]"))?;
                if size.is_some_and(|s| s != m.nrows()) {
                    bail!("{what}[{j}] is not the size of {what}[0]");
                }
                size = Some(m.nrows());
                flat.extend(m.iter().copied());
            }
            let s = size.unwrap_or(0);
            Covariances::Full(Array3::from_shape_vec((k, s, s), flat)?)
        }
        CovarianceType::Tied => {
            let m: Vec<Vec<f64>> = serde_json::from_value(value).map_err(wrong)?;
            Covariances::Tied(square(rows(m, what)?, what.to_string())?)
        }
        CovarianceType::Diag => {
            let m: Vec<Vec<f64>> = serde_json::from_value(value).map_err(wrong)?;
            if m.len() != k {
                bail!("{what} has {} rows for {k} components (-k)", m.len());
            }
            let m = rows(m, what)?;
            if d.is_some_and(|d| d != m.ncols()) {
                bail!(
                    "{what} rows have {} numbers but the means have {}",
                    m.ncols(),
                    d.unwrap_or(0)
                );
            }
            Covariances::Diag(m)
        }
        CovarianceType::Spherical => {
            let v: Vec<f64> = serde_json::from_value(value).map_err(wrong)?;
            if v.len() != k {
                bail!("{what} has {} values for {k} components (-k)", v.len());
            }
            Covariances::Spherical(Array1::from(v))
        }
    };
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn error(text: &str, k: usize, flag: Option<CovarianceType>) -> String {
        format!(
            "{:#}",
            InitFile::parse(text, k, flag).expect_err("an error")
        )
    }

    #[test]
    fn any_subset_of_the_parameters_is_a_start() {
        let s = InitFile::parse(r#"{"means": [[0, 1], [5, 6]]}"#, 2, None).unwrap();
        assert_eq!(s.means, Some(array![[0.0, 1.0], [5.0, 6.0]]));
        assert_eq!((s.weights, s.covariances), (None, None));
        assert_eq!(s.covariance_type, CovarianceType::Full);
        let s = InitFile::parse(r#"{"weights": [0.25, 0.75]}"#, 2, None).unwrap();
        assert_eq!(s.weights, Some(array![0.25, 0.75]));
        // The type comes from --covariance when the file does not say.
        let s = InitFile::parse(
            r#"{"covariances": [1.0, 2.0]}"#,
            2,
            Some(CovarianceType::Spherical),
        )
        .unwrap();
        assert_eq!(
            s.covariances,
            Some(Covariances::Spherical(array![1.0, 2.0]))
        );
        // A model file written by `admix fit --out` is a start too.
        let s = InitFile::parse(
            r#"{"covariance_type": "diag", "weights": [1], "means": [[1, 2]],
                "covariances": [[1, 4]], "converged": true, "n_iter": 1, "lower_bound": [-3]}"#,
            1,
            None,
        )
        .unwrap();
        assert_eq!(s.covariance_type, CovarianceType::Diag);
    }

    #[test]
    fn precisions_are_inverted_to_covariances() {
        // [[4, 2], [2, 3]]^-1 = [[3, -2], [-2, 4]] / 8.
        let s = InitFile::parse(
            r#"{"covariance_type": "tied", "precisions": [[0.375, -0.25], [-0.25, 0.5]]}"#,
            3,
            None,
        )
        .unwrap();
        let Some(Covariances::Tied(c)) = s.covariances else {
            panic!("tied covariances")
        };
        for (a, b) in c.iter().zip(&[4.0, 2.0, 2.0, 3.0]) {
            assert!((a - b).abs() < 1e-14, "{c}");
        }
    }

    #[test]
    fn shape_and_value_errors_name_the_field() {
        let full = Some(CovarianceType::Full);
        let cases: &[(&str, &str)] = &[
            (
                r#"{"weights": [1]}"#,
                "weights has 1 values for 2 components",
            ),
            (r#"{"weights": [0.5, 0.6]}"#, "weights sum to 1.1"),
            (r#"{"weights": [1.5, -0.5]}"#, "weights[1] = -0.5"),
            (
                r#"{"means": [[1, 2]]}"#,
                "means has 1 rows for 2 components",
            ),
            (
                r#"{"means": [[1, 2], [3]]}"#,
                "means[1] has 1 numbers but means[0] has 2",
            ),
            (
                r#"{"means": [[], []]}"#,
                "means needs rows of at least one number",
            ),
            (
                r#"{"means": [[1, 2], [3, 4]], "covariances": [[[1, 0], [0, 1]], [[1]]]}"#,
                "covariances[1] is 1 x 1 but must be 2 x 2",
            ),
            (
                r#"{"covariances": [[[1, 0], [0, 1]]]}"#,
                "covariances has 1 matrices for 2 components",
            ),
            (
                r#"{"covariances": [[[1, 0], [0, 1]], [[1, 0], [0, -1]]]}"#,
                "covariances: covariance of component 1 is not positive definite",
            ),
            (
                r#"{"covariances": [[1, 2], [3, 4]]}"#,
                "covariances of type full must be k arrays of d rows of d numbers",
            ),
            (
                r#"{"covariances": [[[1]], [[1]]], "precisions": [[[1]], [[1]]]}"#,
                "covariances or precisions, not both",
            ),
            (r#"{"mean": [[1], [2]]}"#, "unknown field `mean`"),
            (
                r#"{"converged": true}"#,
                "none of weights, means, covariances",
            ),
            (
                r#"{"covariance_type": "tied", "means": [[1], [2]]}"#,
                "covariance_type is tied but --covariance is full",
            ),
            (r#"{"weights": [0.5,"#, "not a start"),
        ];
        for (text, want) in cases {
            let e = error(text, 2, full);
            assert!(e.contains(want), "{text}: {e}");
        }
        let e = error(
            r#"{"covariance_type": "diag", "means": [[1, 2], [3, 4]], "covariances": [[1], [2]]}"#,
            2,
            None,
        );
        assert!(
            e.contains("covariances rows have 1 numbers but the means have 2"),
            "{e}"
        );
    }
}
