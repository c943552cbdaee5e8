//! Glue for `admix.KMeans`: a fit function, and predictions from the
//! centres alone (so a pickled estimator needs nothing but its arrays).

use crate::{with_threads, Rows};
use admix::mixture::kmeans::{Algorithm, Init, KMeans, KMeansModel};
use admix::mixture::MixtureError;
use ndarray::{ArrayView2, Zip};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// What a fit returns: centres, inertia, iterations, converged.
type Fitted<'py> = (Bound<'py, PyArray2<f64>>, f64, usize, bool);

/// Lloyd or mini-batch K-means from k-means++ (`init = "k-means++"`),
/// random rows (`"random"`) or given centres.
#[pyfunction]
#[pyo3(signature = (x, sample_weight, n_clusters, init, centres, n_init, max_iter, tol, seed,
    batch_size, n_threads))]
#[allow(clippy::too_many_arguments)]
fn kmeans_fit<'py>(
    py: Python<'py>,
    x: Rows<'py>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    n_clusters: usize,
    init: &str,
    centres: Option<PyReadonlyArray2<'py, f64>>,
    n_init: usize,
    max_iter: usize,
    tol: f64,
    seed: u64,
    batch_size: Option<usize>,
    n_threads: Option<usize>,
) -> PyResult<Fitted<'py>> {
    let init = match (init, centres) {
        (_, Some(c)) => Init::Given(c.as_array().to_owned()),
        ("k-means++", None) => Init::KMeansPlusPlus {
            extra_candidates: None,
        },
        ("random", None) => Init::Random,
        (other, None) => {
            return Err(PyValueError::new_err(format!(
                "init = {other:?} is invalid: use 'k-means++', 'random' or an array of centres"
            )))
        }
    };
    let mut p = KMeans::params(n_clusters)
        .init(init)
        .n_init(n_init)
        .max_iter(max_iter)
        .tol(tol)
        .seed(seed);
    if let Some(rows) = batch_size {
        p = p.algorithm(Algorithm::MiniBatch {
            batch_size: rows,
            steps_per_iteration: 1,
        });
    }
    let x = x.data();
    let w = sample_weight.as_ref().map(|w| w.as_array());
    let model = py.detach(|| {
        with_threads(n_threads, || match w {
            None => p.fit(x),
            Some(w) => p.fit_weighted(x, w),
        })
    })?;
    Ok((
        model.centroids().to_owned().into_pyarray(py),
        model.inertia(),
        model.n_iter(),
        model.converged(),
    ))
}

/// The model with these centres: Lloyd from the given centres, stopped
/// before its first step, on the centres themselves. The core has no
/// constructor from centres; this goes through its public fit.
fn from_centres(centres: ArrayView2<f64>) -> Result<KMeansModel, MixtureError> {
    KMeans::params(centres.nrows())
        .init(Init::Given(centres.to_owned()))
        .max_iter(0)
        .fit(centres)
}

/// Index of the nearest centre of every row.
#[pyfunction]
#[pyo3(signature = (centres, x, n_threads=None))]
fn kmeans_predict<'py>(
    py: Python<'py>,
    centres: PyReadonlyArray2<'py, f64>,
    x: Rows<'py>,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let (c, x) = (centres.as_array(), x.data());
    let labels = py.detach(|| with_threads(n_threads, || from_centres(c)?.predict(x)))?;
    Ok(labels.mapv(|v| v as i64).into_pyarray(py))
}

/// Euclidean distance of every row to every centre (scikit-learn's
/// `transform`; the core gives squared distances).
#[pyfunction]
#[pyo3(signature = (centres, x, n_threads=None))]
fn kmeans_transform<'py>(
    py: Python<'py>,
    centres: PyReadonlyArray2<'py, f64>,
    x: Rows<'py>,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (c, x) = (centres.as_array(), x.data());
    let d = py.detach(|| {
        with_threads(n_threads, || {
            let mut d = from_centres(c)?.transform(x)?;
            Zip::from(&mut d).par_for_each(|v| *v = v.sqrt());
            Ok(d)
        })
    })?;
    Ok(d.into_pyarray(py))
}

/// Sum of squared distances of the rows to their nearest centre.
#[pyfunction]
#[pyo3(signature = (centres, x, n_threads=None))]
fn kmeans_inertia(
    py: Python<'_>,
    centres: PyReadonlyArray2<'_, f64>,
    x: Rows<'_>,
    n_threads: Option<usize>,
) -> PyResult<f64> {
    let (c, x) = (centres.as_array(), x.data());
    py.detach(|| with_threads(n_threads, || from_centres(c)?.score(x)))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(kmeans_fit, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_predict, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_transform, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_inertia, m)?)?;
    Ok(())
}
