//! The compiled part of the `admix` Python package: thin glue from numpy
//! arrays to the Rust core, one file per estimator. The scikit-learn
//! interface (parameter checks, fitted attributes, warnings) lives in the
//! Python package `admix/`.

mod ad;
mod gmm;
mod kmeans;
mod teaching;

use admix::mixture::{Data, MixtureError};
use numpy::PyReadonlyArray2;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Data rows from numpy: float64 or float32 (which stays float32 in the
/// core), read in place; the Python layer hands over C-ordered arrays.
#[derive(FromPyObject)]
enum Rows<'py> {
    F64(PyReadonlyArray2<'py, f64>),
    F32(PyReadonlyArray2<'py, f32>),
}

impl Rows<'_> {
    fn data(&self) -> Data<'_> {
        match self {
            Rows::F64(x) => x.as_array().into(),
            Rows::F32(x) => x.as_array().into(),
        }
    }
}

/// scikit-learn's advice when a covariance is ill-defined, so that code
/// matching on its message keeps working.
const ILL_DEFINED: &str = "Fitting the mixture model failed because some components have \
ill-defined empirical covariance (for instance caused by singleton or collapsed samples). \
Try to decrease the number of components, increase reg_covar, or scale the input data.";

/// Every core error is bad input or an ill-posed fit: `ValueError`, as in
/// scikit-learn, with the core's own advice.
fn value_error(e: MixtureError) -> PyErr {
    match e {
        MixtureError::NotPositiveDefinite { .. } => {
            PyValueError::new_err(format!("{ILL_DEFINED} ({e})"))
        }
        _ => PyValueError::new_err(e.to_string()),
    }
}

/// Runs `f` on a pool of `n_threads` threads (all cores when `None`).
fn with_threads<T: Send>(
    n_threads: Option<usize>,
    f: impl FnOnce() -> Result<T, MixtureError> + Send,
) -> PyResult<T> {
    match n_threads {
        None => f().map_err(value_error),
        Some(0) => Err(PyValueError::new_err(
            "n_threads = 0 is invalid: pass at least 1, or None for all cores",
        )),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| PyValueError::new_err(format!("cannot start {n} threads: {e}")))?;
            pool.install(f).map_err(value_error)
        }
    }
}

#[pymodule]
fn _admix(m: &Bound<'_, PyModule>) -> PyResult<()> {
    gmm::register(m)?;
    kmeans::register(m)?;
    ad::register(m)?;
    teaching::register(m)?;
    Ok(())
}
