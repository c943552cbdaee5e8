//! Glue for `admix.GaussianMixture`: one fit function and the fitted model
//! as a Python object. Arrays arrive as read-only numpy views (no copy for
//! C-ordered float64) and every computation runs without the GIL.

use crate::{value_error, with_threads, Rows};
use admix::mixture::gmm::{
    CovarianceType, Covariances, GaussianMixture, GaussianMixtureModel, GmmInit,
};
use admix::mixture::gradient::Method;
use admix::mixture::MixtureError;
use ndarray::{Array1, ArrayD, Ix1, Ix2, Ix3};
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyArrayDyn, PyReadonlyArray1, PyReadonlyArray2,
    PyReadonlyArrayDyn,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Samples and the component each came from.
type Samples<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<i64>>);

/// A fitted (or loaded) Gaussian mixture.
#[pyclass(module = "admix._admix", frozen)]
pub struct GmmModel {
    model: GaussianMixtureModel,
}

fn covariance_type(name: &str) -> PyResult<CovarianceType> {
    match name {
        "full" => Ok(CovarianceType::Full),
        "tied" => Ok(CovarianceType::Tied),
        "diag" => Ok(CovarianceType::Diag),
        "spherical" => Ok(CovarianceType::Spherical),
        _ => Err(PyValueError::new_err(format!(
            "covariance_type = {name:?} is invalid: use 'full', 'tied', 'diag' or 'spherical'"
        ))),
    }
}

fn init(name: &str) -> PyResult<GmmInit> {
    match name {
        "kmeans" => Ok(GmmInit::KMeans),
        "k-means++" => Ok(GmmInit::KMeansPlusPlus),
        "random" => Ok(GmmInit::Random),
        "random_from_data" => Ok(GmmInit::RandomFromData),
        _ => Err(PyValueError::new_err(format!(
            "init_params = {name:?} is invalid: use 'kmeans', 'k-means++', 'random' or 'random_from_data'"
        ))),
    }
}

/// Covariance-like array in the shape of its type: (k, d, d), (d, d), (k, d) or (k).
fn covariances(t: CovarianceType, a: ArrayD<f64>) -> PyResult<Covariances> {
    let shape = a.shape().to_vec();
    let wrong = |_| {
        PyValueError::new_err(format!(
            "covariances of shape {shape:?} do not fit covariance_type {:?}: pass (k, d, d) for full, (d, d) for tied, (k, d) for diag, (k,) for spherical",
            t.name()
        ))
    };
    Ok(match t {
        CovarianceType::Full => Covariances::Full(a.into_dimensionality::<Ix3>().map_err(wrong)?),
        CovarianceType::Tied => Covariances::Tied(a.into_dimensionality::<Ix2>().map_err(wrong)?),
        CovarianceType::Diag => Covariances::Diag(a.into_dimensionality::<Ix2>().map_err(wrong)?),
        CovarianceType::Spherical => {
            Covariances::Spherical(a.into_dimensionality::<Ix1>().map_err(wrong)?)
        }
    })
}

fn method(name: &str) -> PyResult<Option<Method>> {
    match name {
        "em" => Ok(None),
        _ => name.parse().map(Some).map_err(|_| {
            PyValueError::new_err(format!(
                "method = {name:?} is invalid: use 'em', 'lbfgs', 'adam' or 'gd'"
            ))
        }),
    }
}

fn to_py<'py>(py: Python<'py>, c: &Covariances) -> Bound<'py, PyArrayDyn<f64>> {
    c.view().to_owned().into_pyarray(py)
}

fn labels(l: Array1<usize>) -> Array1<i64> {
    l.mapv(|v| v as i64)
}

/// Fits by EM (`method = "em"`) or a gradient method, from the given starting
/// parameters where there are some.
#[pyfunction]
#[pyo3(signature = (x, sample_weight, n_components, covariance_type, tol, reg_covar, max_iter,
    n_init, init_params, weights_init, means_init, covariances_init, seed, params, method_name,
    batch_size, n_threads))]
#[allow(clippy::too_many_arguments)]
fn gmm_fit(
    py: Python<'_>,
    x: Rows<'_>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
    n_components: usize,
    covariance_type: &str,
    tol: f64,
    reg_covar: f64,
    max_iter: usize,
    n_init: usize,
    init_params: &str,
    weights_init: Option<PyReadonlyArray1<'_, f64>>,
    means_init: Option<PyReadonlyArray2<'_, f64>>,
    covariances_init: Option<PyReadonlyArrayDyn<'_, f64>>,
    seed: u64,
    params: &str,
    method_name: &str,
    batch_size: Option<usize>,
    n_threads: Option<usize>,
) -> PyResult<GmmModel> {
    let t = self::covariance_type(covariance_type)?;
    let mut p = GaussianMixture::params(n_components)
        .covariance_type(t)
        .tol(tol)
        .reg_covar(reg_covar)
        .max_iter(max_iter)
        .n_init(n_init)
        .init(init(init_params)?)
        .seed(seed)
        .updates(params.parse().map_err(value_error)?);
    if let Some(w) = weights_init {
        p = p.weights_init(w.as_array().to_owned());
    }
    if let Some(m) = means_init {
        p = p.means_init(m.as_array().to_owned());
    }
    if let Some(c) = covariances_init {
        p = p.covariances_init(covariances(t, c.as_array().to_owned())?);
    }
    let gradient = method(method_name)?;
    if gradient.is_none() {
        if let Some(rows) = batch_size {
            p = p.task_rows(rows);
        }
    }
    let x = x.data();
    let w = sample_weight.as_ref().map(|w| w.as_array());
    let model = py.detach(|| {
        with_threads(n_threads, || match (gradient, w) {
            (None, None) => p.fit(x),
            (None, Some(w)) => p.check()?.fit_weighted(x, w),
            (Some(m), None) => {
                let mut g = p.gradient(m);
                if let Some(rows) = batch_size {
                    g = g.mini_batch(rows);
                }
                Ok(g.fit(x)?.model)
            }
            (Some(_), Some(_)) => Err(MixtureError::InvalidHyperparameter {
                name: "sample_weight",
                value: "given".into(),
                valid: "None with a gradient method: fit weighted data with method='em'",
            }),
        })
    })?;
    Ok(GmmModel { model })
}

/// EM iterations continuing a previous fit (scikit-learn's `warm_start`):
/// the convergence test of the first iteration compares with the previous
/// fit's last lower bound, so repeated one-iteration fits converge as
/// scikit-learn's do. The core's `warm_start` restarts that test; this loop
/// goes through the public `statistics` and `m_step` instead. Returns the
/// model, the lower bound of every iteration and whether it converged.
#[pyfunction]
#[pyo3(signature = (start, x, sample_weight, max_iter, tol, reg_covar, previous, n_threads))]
#[allow(clippy::too_many_arguments)]
fn gmm_continue(
    py: Python<'_>,
    start: &GmmModel,
    x: Rows<'_>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
    max_iter: usize,
    tol: f64,
    reg_covar: f64,
    previous: f64,
    n_threads: Option<usize>,
) -> PyResult<(GmmModel, Vec<f64>, bool)> {
    let x = x.data();
    let w = sample_weight.as_ref().map(|w| w.as_array());
    let (model, bounds, converged) = py.detach(|| {
        with_threads(n_threads, || {
            let mut model = start.model.clone();
            let mut bounds = Vec::new();
            let mut previous = previous;
            for _ in 0..max_iter {
                let stats = model.statistics(x, w)?;
                let current = stats.mean_log_likelihood();
                model = model.m_step(&stats, reg_covar)?;
                bounds.push(current);
                if (current - previous).abs() < tol {
                    return Ok((model, bounds, true));
                }
                previous = current;
            }
            Ok((model, bounds, false))
        })
    })?;
    Ok((GmmModel { model }, bounds, converged))
}

/// Reads a model file written by `admix fit --out` (or `to_json`).
#[pyfunction]
fn gmm_from_json(text: &str) -> PyResult<GmmModel> {
    GaussianMixtureModel::from_json(text)
        .map(|model| GmmModel { model })
        .map_err(value_error)
}

#[pymethods]
impl GmmModel {
    fn to_json(&self) -> String {
        self.model.to_json()
    }

    #[getter]
    fn covariance_type(&self) -> &'static str {
        self.model.covariance_type().name()
    }

    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.model.weights().clone().into_pyarray(py)
    }

    #[getter]
    fn means<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        self.model.means().clone().into_pyarray(py)
    }

    #[getter]
    fn covariances<'py>(&self, py: Python<'py>) -> Bound<'py, PyArrayDyn<f64>> {
        to_py(py, self.model.covariances())
    }

    #[getter]
    fn precisions<'py>(&self, py: Python<'py>) -> Bound<'py, PyArrayDyn<f64>> {
        to_py(py, &self.model.precisions())
    }

    #[getter]
    fn precisions_cholesky<'py>(&self, py: Python<'py>) -> Bound<'py, PyArrayDyn<f64>> {
        to_py(py, self.model.precisions_cholesky())
    }

    #[getter]
    fn converged(&self) -> bool {
        self.model.converged()
    }

    #[getter]
    fn n_iter(&self) -> usize {
        self.model.n_iter()
    }

    /// Mean log-likelihood at the start of every iteration.
    #[getter]
    fn lower_bounds(&self) -> Vec<f64> {
        self.model.log_likelihood_trace().to_vec()
    }

    #[getter]
    fn n_parameters(&self) -> usize {
        self.model.n_parameters()
    }

    #[pyo3(signature = (x, n_threads=None))]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: Rows<'py>,
        n_threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let x = x.data();
        let l = py.detach(|| with_threads(n_threads, || self.model.predict(x)))?;
        Ok(labels(l).into_pyarray(py))
    }

    #[pyo3(signature = (x, n_threads=None))]
    fn predict_proba<'py>(
        &self,
        py: Python<'py>,
        x: Rows<'py>,
        n_threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let x = x.data();
        let p = py.detach(|| with_threads(n_threads, || self.model.predict_proba(x)))?;
        Ok(p.into_pyarray(py))
    }

    #[pyo3(signature = (x, n_threads=None))]
    fn score_samples<'py>(
        &self,
        py: Python<'py>,
        x: Rows<'py>,
        n_threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let x = x.data();
        let s = py.detach(|| with_threads(n_threads, || self.model.score_samples(x)))?;
        Ok(s.into_pyarray(py))
    }

    /// `n` samples and the component of each.
    fn sample<'py>(&self, py: Python<'py>, n: usize, seed: u64) -> PyResult<Samples<'py>> {
        let (x, c) = py
            .detach(|| self.model.sample(n, seed))
            .map_err(value_error)?;
        Ok((x.into_pyarray(py), labels(c).into_pyarray(py)))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<GmmModel>()?;
    m.add_function(wrap_pyfunction!(gmm_fit, m)?)?;
    m.add_function(wrap_pyfunction!(gmm_continue, m)?)?;
    m.add_function(wrap_pyfunction!(gmm_from_json, m)?)?;
    Ok(())
}
