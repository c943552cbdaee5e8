//! Glue for the teaching functions: the x^3 table, divided differences of
//! an expression against AD, and `admix diff` as a function returning a dict.

use admix::dual::demo::{cube_table as rust_cube_table, CUBE_POINTS};
use admix::dual::{derivative, DividedDifference, Scheme, Step};
use admix::expr::Expr;
use ndarray::Array2;
use numpy::{IntoPyArray, PyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

fn parse(src: &str, names: &[String]) -> PyResult<Expr> {
    Expr::parse(src, names).map_err(|e| PyValueError::new_err(e.to_string()))
}

fn array<'py>(py: Python<'py>, v: Vec<f64>) -> Bound<'py, PyArray1<f64>> {
    v.into_pyarray(py)
}

/// The lecture's table for f(x) = x^3 at x = 0.5, 2 and 10, steps 1e-1 ... 1e-16:
/// a dict of equally long arrays, one entry per row.
#[pyfunction]
fn cube_table(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let rows = rust_cube_table(&CUBE_POINTS);
    let column = |f: fn(&admix::dual::demo::CubeRow) -> f64| rows.iter().map(f).collect();
    let d = PyDict::new(py);
    d.set_item("x", array(py, column(|r| r.x)))?;
    d.set_item("h", array(py, column(|r| r.h)))?;
    d.set_item("forward_error", array(py, column(|r| r.forward_error)))?;
    d.set_item(
        "forward_truncation",
        array(py, column(|r| r.forward_truncation)),
    )?;
    d.set_item("central_error", array(py, column(|r| r.central_error)))?;
    d.set_item(
        "central_truncation",
        array(py, column(|r| r.central_truncation)),
    )?;
    d.set_item("ad_error", array(py, column(|r| r.ad_error)))?;
    Ok(d)
}

/// Forward and central differences of `f_expr` (in the variable `x`) at `x`
/// for each step in `hs`, and the derivative by a dual number.
#[pyfunction]
fn divided_differences<'py>(
    py: Python<'py>,
    f_expr: &str,
    x: f64,
    hs: Vec<f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let f = parse(f_expr, &["x".to_string()])?;
    if !x.is_finite() {
        return Err(PyValueError::new_err(format!(
            "x = {x}: pass a finite point"
        )));
    }
    let slopes = |scheme| -> PyResult<Vec<f64>> {
        hs.iter()
            .map(|&h| {
                DividedDifference::new(scheme, Step::Fixed(h))
                    .derivative(|v| f.eval_at(&[v]), x)
                    .map(|(_, slope)| slope)
                    .map_err(|e| PyValueError::new_err(format!("h = {h}: {e}")))
            })
            .collect()
    };
    let d = PyDict::new(py);
    d.set_item("h", array(py, hs.clone()))?;
    d.set_item("forward", array(py, slopes(Scheme::Forward)?))?;
    d.set_item("central", array(py, slopes(Scheme::Central)?))?;
    d.set_item("ad", derivative(|v| f.eval_at(&[v]), x).1)?;
    Ok(d)
}

/// Value, gradient by forward mode, reverse mode and central differences,
/// the Hessian if asked, and the evaluation trace ("forward" carries the
/// tangent along `wrt`, "reverse" the adjoints), as `admix diff --json`.
#[pyfunction]
#[pyo3(signature = (expr, at, hessian=false, trace=None, wrt=None))]
fn diff<'py>(
    py: Python<'py>,
    expr: &str,
    at: Vec<(String, f64)>,
    hessian: bool,
    trace: Option<&str>,
    wrt: Option<&str>,
) -> PyResult<Bound<'py, PyDict>> {
    let (names, x): (Vec<String>, Vec<f64>) = at.into_iter().unzip();
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(PyValueError::new_err(format!(
            "{} = {}: the point must be finite",
            names[i], x[i]
        )));
    }
    let e = parse(expr, &names)?;
    let ds = e
        .derivatives(&x, hessian)
        .map_err(|err| PyValueError::new_err(err.to_string()))?;
    let d = PyDict::new(py);
    d.set_item("value", ds.value)?;
    d.set_item("variables", ds.variables)?;
    let g = PyDict::new(py);
    g.set_item("forward", array(py, ds.gradient.forward))?;
    g.set_item("reverse", array(py, ds.gradient.reverse))?;
    g.set_item("central", array(py, ds.gradient.central))?;
    d.set_item("gradient", g)?;
    match ds.hessian {
        Some(rows) => {
            let n = rows.len();
            let flat: Vec<f64> = rows.into_iter().flatten().collect();
            let h = Array2::from_shape_vec((n, n), flat).expect("a square Hessian");
            d.set_item("hessian", h.into_pyarray(py))?;
        }
        None => d.set_item("hessian", py.None())?,
    }
    let rows = match trace {
        None => None,
        Some(_) if names.is_empty() => {
            return Err(PyValueError::new_err(
                "trace needs at least one variable in `at`",
            ))
        }
        Some("forward") => {
            let i = match wrt {
                None => 0,
                Some(w) => names.iter().position(|n| n == w).ok_or_else(|| {
                    PyValueError::new_err(format!("wrt = {w:?} is not a variable in `at`"))
                })?,
            };
            Some(e.forward_trace(&x, i))
        }
        Some("reverse") => Some(e.reverse_trace(&x)),
        Some(other) => {
            return Err(PyValueError::new_err(format!(
                "trace = {other:?} is invalid: use 'forward', 'reverse' or None"
            )))
        }
    };
    match rows {
        Some(rows) => {
            let list: Vec<Bound<'py, PyDict>> = rows
                .into_iter()
                .map(|r| {
                    let row = PyDict::new(py);
                    row.set_item("step", r.step)?;
                    row.set_item("value", r.value)?;
                    row.set_item("derivative", r.derivative)?;
                    Ok(row)
                })
                .collect::<PyResult<_>>()?;
            d.set_item("trace", list)?;
        }
        None => d.set_item("trace", py.None())?,
    }
    Ok(d)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(cube_table, m)?)?;
    m.add_function(wrap_pyfunction!(divided_differences, m)?)?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    Ok(())
}
