//! Glue for the lecture's items (issue 17): the emitted derivative programs
//! of `admix diff --emit` and the numbers of `admix teach LESSON`, from
//! `admix::expr` and `admix::lessons` so that Python and the program agree.

use admix::expr::{Expr, Language, Mode};
use admix::lessons::{hard_assignments, means_only, modes, noisy};
use ndarray::Array2;
use numpy::IntoPyArray;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// `expr` as a self-contained function `name` in C or Rust that computes
/// the value and, forward, one directional derivative or, reverse, the
/// gradient. The variables are `variables`, or else the expression's names
/// in order of appearance.
#[pyfunction]
#[pyo3(signature = (expr, language, mode, name, variables=None))]
fn emit(
    expr: &str,
    language: &str,
    mode: &str,
    name: &str,
    variables: Option<Vec<String>>,
) -> PyResult<String> {
    let language = match language {
        "c" => Language::C,
        "rust" => Language::Rust,
        other => {
            return Err(PyValueError::new_err(format!(
                "language = {other:?} is invalid: use 'c' or 'rust'"
            )))
        }
    };
    let mode = match mode {
        "forward" => Mode::Forward,
        "reverse" => Mode::Reverse,
        other => {
            return Err(PyValueError::new_err(format!(
                "mode = {other:?} is invalid: use 'forward' or 'reverse'"
            )))
        }
    };
    let valid = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(PyValueError::new_err(format!(
            "name = {name:?} is not an identifier: use letters, digits and '_', not starting with a digit"
        )));
    }
    let parsed = match variables {
        Some(names) => Expr::parse(expr, &names),
        None => Expr::parse_free(expr),
    };
    let e = parsed.map_err(|err| PyValueError::new_err(err.to_string()))?;
    Ok(e.emit(language, mode, name))
}

/// One table of `admix teach modes` as a dict of equally long arrays.
fn costs<'py>(py: Python<'py>, rows: &[modes::ModeCost]) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let count = |f: fn(&modes::ModeCost) -> usize| -> Vec<usize> { rows.iter().map(f).collect() };
    let secs = |f: fn(&modes::ModeCost) -> f64| -> Vec<f64> { rows.iter().map(f).collect() };
    d.set_item("size", count(|r| r.size).into_pyarray(py))?;
    d.set_item(
        "forward_sweeps",
        count(|r| r.forward_sweeps).into_pyarray(py),
    )?;
    d.set_item(
        "reverse_sweeps",
        count(|r| r.reverse_sweeps).into_pyarray(py),
    )?;
    d.set_item(
        "forward_seconds",
        secs(|r| r.forward_seconds).into_pyarray(py),
    )?;
    d.set_item(
        "reverse_seconds",
        secs(|r| r.reverse_seconds).into_pyarray(py),
    )?;
    Ok(d)
}

/// Forward against reverse mode for each size (default the lesson's).
#[pyfunction]
#[pyo3(signature = (sizes=None))]
fn lesson_modes(py: Python<'_>, sizes: Option<Vec<usize>>) -> PyResult<Bound<'_, PyDict>> {
    let sizes = sizes.unwrap_or_else(|| modes::SIZES.to_vec());
    if let Some(&bad) = sizes.iter().find(|&&s| s == 0) {
        return Err(PyValueError::new_err(format!(
            "size {bad} is invalid: pass sizes of at least 1"
        )));
    }
    let (f, g) = py.detach(|| {
        (
            modes::many_to_one_costs(&sizes),
            modes::one_to_many_costs(&sizes),
        )
    });
    let d = PyDict::new(py);
    d.set_item("many_to_one", costs(py, &f)?)?;
    d.set_item("one_to_many", costs(py, &g)?)?;
    Ok(d)
}

/// The noisy-derivative cases, one dict each.
#[pyfunction]
fn lesson_noisy(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyDict>>> {
    noisy::cases()
        .into_iter()
        .map(|case| {
            let d = PyDict::new(py);
            d.set_item("name", case.name)?;
            d.set_item("x", case.x)?;
            d.set_item("exact", case.exact)?;
            d.set_item("ad", case.ad)?;
            let (h, slope): (Vec<f64>, Vec<f64>) = case.differences.into_iter().unzip();
            d.set_item("h", h.into_pyarray(py))?;
            d.set_item("central", slope.into_pyarray(py))?;
            Ok(d)
        })
        .collect()
}

/// The data, the start and true means, and the means after each iteration.
#[pyfunction]
fn lesson_means_only(py: Python<'_>, iterations: usize) -> PyResult<Bound<'_, PyDict>> {
    let err = |e: admix::mixture::MixtureError| PyValueError::new_err(e.to_string());
    let x = means_only::data().map_err(err)?;
    let paths = means_only::mean_paths(&x, iterations).map_err(err)?;
    let flat: Vec<f64> = paths.iter().flatten().copied().collect();
    let means = Array2::from_shape_vec((paths.len(), 2), flat).expect("two means per iteration");
    let d = PyDict::new(py);
    d.set_item("x", x.column(0).to_owned().into_pyarray(py))?;
    d.set_item("means", means.into_pyarray(py))?;
    d.set_item(
        "start_means",
        means_only::START_MEANS.to_vec().into_pyarray(py),
    )?;
    d.set_item(
        "true_means",
        means_only::TRUE_MEANS.to_vec().into_pyarray(py),
    )?;
    Ok(d)
}

/// The samples, true labels, each method's labels and their agreement.
#[pyfunction]
fn lesson_hard_assignments(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let c = py
        .detach(hard_assignments::compare)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let agreement = |labels| hard_assignments::Comparison::agreement(labels, &c.truth);
    let d = PyDict::new(py);
    d.set_item("kmeans_agreement", agreement(&c.kmeans))?;
    d.set_item("gmm_agreement", agreement(&c.gmm))?;
    d.set_item("x", c.x.into_pyarray(py))?;
    d.set_item("truth", c.truth.into_pyarray(py))?;
    d.set_item("kmeans", c.kmeans.into_pyarray(py))?;
    d.set_item("gmm", c.gmm.into_pyarray(py))?;
    Ok(d)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(emit, m)?)?;
    m.add_function(wrap_pyfunction!(lesson_modes, m)?)?;
    m.add_function(wrap_pyfunction!(lesson_noisy, m)?)?;
    m.add_function(wrap_pyfunction!(lesson_means_only, m)?)?;
    m.add_function(wrap_pyfunction!(lesson_hard_assignments, m)?)?;
    Ok(())
}
