//! Second derivatives by forward-over-reverse: the tape records over dual
//! numbers, so one reverse sweep returns the gradient in the real parts of
//! the adjoints and a Hessian-vector product in their tangent parts.
//!
//! # Reference
//! Griewank and Walther, *Evaluating Derivatives*, 2nd ed., SIAM 2008,
//! chapter 5 (second-order adjoints).

use crate::{GradientTape, TapeError, Var};
use admix_dual::{Dual, Scalar, ScalarFn};

/// Value, gradient and Hessian-vector product `H(x) v` of `f` at `x`, exact
/// to round-off, at the cost of about one gradient on dual numbers.
///
/// ```text
/// record f on x + v eps, sweep back with seed 1:
///   adjoint of x_i = df/dx_i + (H v)_i eps
/// ```
///
/// # Errors
/// [`TapeError::LengthMismatch`] when `v` and `x` differ in length.
///
/// # Example
/// ```
/// use admix_dual::{Scalar, ScalarFn};
///
/// struct F; // f = x0^2 x1: H = [[2 x1, 2 x0], [2 x0, 0]]
/// impl ScalarFn for F {
///     fn eval<S: Scalar>(&self, x: &[S]) -> S {
///         x[0] * x[0] * x[1]
///     }
/// }
/// let (value, grad, hv) = admix_tape::hvp(&F, &[3.0, 2.0], &[1.0, 0.0])?;
/// assert_eq!(value, 18.0);
/// assert_eq!(grad, vec![12.0, 9.0]);
/// assert_eq!(hv, vec![4.0, 6.0]);
/// # Ok::<(), admix_tape::TapeError>(())
/// ```
pub fn hvp<F: ScalarFn + ?Sized>(
    f: &F,
    x: &[f64],
    v: &[f64],
) -> Result<(f64, Vec<f64>, Vec<f64>), TapeError> {
    hvp_with(|xs| f.eval(xs), x, v)
}

/// [`hvp`] for a closure over tape variables on dual numbers.
///
/// # Errors
/// [`TapeError::LengthMismatch`] when `v` and `x` differ in length.
pub fn hvp_with<T, F>(f: F, x: &[T], v: &[T]) -> Result<(T, Vec<T>, Vec<T>), TapeError>
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, Dual<T>>]) -> Var<'t, Dual<T>>,
{
    if v.len() != x.len() {
        return Err(TapeError::LengthMismatch {
            what: "hvp direction",
            expected: x.len(),
            found: v.len(),
        });
    }
    let mut work = HessianTape::new();
    Ok(work.hvp_with(f, x, v))
}

/// Value, gradient and Hessian (`n` rows of `n`) of `f` at `x`: one
/// forward-over-reverse sweep per row, `n` in all (nested forward mode needs
/// `n (n + 1) / 2` evaluations).
///
/// # Example
/// ```
/// use admix_dual::{Scalar, ScalarFn};
///
/// struct F; // f = x0^2 x1 + x1^3: H = [[2 x1, 2 x0], [2 x0, 6 x1]]
/// impl ScalarFn for F {
///     fn eval<S: Scalar>(&self, x: &[S]) -> S {
///         x[0] * x[0] * x[1] + x[1].powi(3)
///     }
/// }
/// let (_, _, h) = admix_tape::hessian(&F, &[1.0, 2.0]);
/// assert_eq!(h, vec![vec![4.0, 2.0], vec![2.0, 12.0]]);
/// ```
pub fn hessian<F: ScalarFn + ?Sized>(f: &F, x: &[f64]) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
    hessian_with(|xs| f.eval(xs), x)
}

/// [`hessian`] for a closure over tape variables on dual numbers.
pub fn hessian_with<T, F>(f: F, x: &[T]) -> (T, Vec<T>, Vec<Vec<T>>)
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, Dual<T>>]) -> Var<'t, Dual<T>>,
{
    let n = x.len();
    let mut work = HessianTape::new();
    let mut e = vec![T::zero(); n];
    if n == 0 {
        return (f(&[]).value().re, Vec::new(), Vec::new());
    }
    let mut value = T::zero();
    let mut grad = vec![T::zero(); n];
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        e[i] = T::one();
        let (v, g, row) = work.hvp_with(&f, x, &e);
        e[i] = T::zero();
        (value, grad) = (v, g);
        rows.push(row);
    }
    (value, grad, rows)
}

/// A reusable workspace for Hessian-vector products (as [`GradientTape`]
/// for gradients): Newton-CG and trust-region loops call it many times.
#[derive(Debug, Default)]
pub struct HessianTape<T: Scalar = f64> {
    work: GradientTape<Dual<T>>,
    args: Vec<Dual<T>>,
    adjoints: Vec<Dual<T>>,
}

impl<T: Scalar> HessianTape<T> {
    /// An empty workspace.
    pub fn new() -> Self {
        Self {
            work: GradientTape::new(),
            args: Vec::new(),
            adjoints: Vec::new(),
        }
    }

    /// Value, gradient and `H(x) v` of `f` at `x`.
    ///
    /// # Panics
    /// When `v` and `x` differ in length.
    #[track_caller]
    pub fn hvp<F: ScalarFn + ?Sized>(&mut self, f: &F, x: &[T], v: &[T]) -> (T, Vec<T>, Vec<T>) {
        self.hvp_with(|xs| f.eval(xs), x, v)
    }

    /// Value, gradient and `H(x) v` of a closure over dual tape variables.
    ///
    /// # Panics
    /// When `v` and `x` differ in length.
    #[track_caller]
    pub fn hvp_with<F>(&mut self, f: F, x: &[T], v: &[T]) -> (T, Vec<T>, Vec<T>)
    where
        F: for<'t> Fn(&[Var<'t, Dual<T>>]) -> Var<'t, Dual<T>>,
    {
        assert_eq!(
            v.len(),
            x.len(),
            "hvp: the direction must have one entry per input"
        );
        self.args.clear();
        self.args
            .extend(x.iter().zip(v).map(|(&xi, &vi)| Dual::new(xi, vi)));
        self.adjoints.clear();
        self.adjoints.resize(x.len(), Dual::from(T::zero()));
        let y = self.work.gradient_into(f, &self.args, &mut self.adjoints);
        let grad = self.adjoints.iter().map(|a| a.re).collect();
        let hv = self.adjoints.iter().map(|a| a.eps).collect();
        (y.re, grad, hv)
    }
}
