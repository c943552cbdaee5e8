//! Drivers: evaluate a function on the right dual type and read off
//! derivatives.
//!
//! Each driver takes a closure on a concrete dual type; a function written
//! once generically (`fn f<S: Scalar>(x: &[S]) -> S`) or a [`ScalarFn`] /
//! [`VectorFn`] fits as `|x| f(x)` or `|x| f.eval(x)`.
//!
//! [`ScalarFn`]: crate::ScalarFn
//! [`VectorFn`]: crate::VectorFn

use crate::{Dual, DualError, DualVec, Scalar};
use std::convert::Infallible;

/// Tangent width of [`gradient`] and [`jacobian`]: directions carried per
/// evaluation. Measured in the top-level `benches/forward.rs`: 16 is fastest for 16 and 64
/// variables (several fixed-width passes beat one pass of 32 or more, and
/// beat a heap-allocated dynamic dual); below 16 variables
/// [`gradient_of`](crate::gradient_of) picks a narrower width.
pub const DEFAULT_WIDTH: usize = 16;

/// The number type [`gradient`] and [`jacobian`] evaluate a function on.
pub type GradientDual<T> = DualVec<T, DEFAULT_WIDTH>;

/// The number type [`hessian`] and [`second_derivative`] evaluate a function on.
pub type HessianDual<T> = Dual<Dual<T>>;

/// The value `f(x)` and the derivative `f'(x)` of `f: R -> R`.
///
/// # Example
/// ```
/// use admix_dual::derivative;
///
/// let (value, slope) = derivative(|x| x * x * x, 2.0_f64);
/// assert_eq!((value, slope), (8.0, 12.0));
/// ```
pub fn derivative<T, F>(f: F, x: T) -> (T, T)
where
    T: Scalar,
    F: FnOnce(Dual<T>) -> Dual<T>,
{
    let y = f(Dual::variable(x));
    (y.re, y.eps)
}

/// The value, first and second derivatives `(f(x), f'(x), f''(x))` of
/// `f: R -> R`, exact, by nested duals.
///
/// # Example
/// ```
/// use admix_dual::{second_derivative, Float};
///
/// // f = sin: f'' = -sin.
/// let (value, d1, d2) = second_derivative(|x| x.sin(), 0.5_f64);
/// assert_eq!(value, 0.5_f64.sin());
/// assert_eq!(d1, 0.5_f64.cos());
/// assert_eq!(d2, -0.5_f64.sin());
/// ```
pub fn second_derivative<T, F>(f: F, x: T) -> (T, T, T)
where
    T: Scalar,
    F: FnOnce(HessianDual<T>) -> HessianDual<T>,
{
    let y = f(Dual::new(Dual::variable(x), Dual::from(T::one())));
    (y.re.re, y.re.eps, y.eps.eps)
}

/// The value and gradient of `f: R^n -> R`, exact, in `ceil(n / 16)`
/// evaluations on [`GradientDual`] (a [`DualVec`] of width
/// [`DEFAULT_WIDTH`]).
///
/// # Example
/// ```
/// use admix_dual::{gradient, Scalar, ScalarFn};
///
/// fn rosenbrock<S: Scalar>(x: &[S]) -> S {
///     let (a, b) = (S::one(), S::constant(100.0));
///     (a - x[0]).powi(2) + b * (x[1] - x[0] * x[0]).powi(2)
/// }
/// let (value, grad) = gradient(|x| rosenbrock(x), &[1.0, 2.0]);
/// assert_eq!(value, 100.0);
/// assert_eq!(grad, vec![-400.0, 200.0]);
///
/// // The same with a `ScalarFn`, as an optimiser holds it:
/// struct Rosenbrock;
/// impl ScalarFn for Rosenbrock {
///     fn eval<S: Scalar>(&self, x: &[S]) -> S {
///         rosenbrock(x)
///     }
/// }
/// let f = Rosenbrock;
/// assert_eq!(gradient(|x| f.eval(x), &[1.0, 2.0]).1, grad);
/// ```
pub fn gradient<T, F>(f: F, x: &[T]) -> (T, Vec<T>)
where
    T: Scalar,
    F: Fn(&[GradientDual<T>]) -> GradientDual<T>,
{
    gradient_with_width(f, x)
}

/// [`gradient`] with an explicit tangent width `W`: `ceil(n / W)`
/// evaluations on `DualVec<T, W>`.
///
/// # Example
/// ```
/// use admix_dual::gradient_with_width;
///
/// let (_, grad) = gradient_with_width::<4, _, _>(|x| x[0] * x[1] * x[2], &[1.0, 2.0, 3.0]);
/// assert_eq!(grad, vec![6.0, 3.0, 2.0]);
/// ```
pub fn gradient_with_width<const W: usize, T, F>(f: F, x: &[T]) -> (T, Vec<T>)
where
    T: Scalar,
    F: Fn(&[DualVec<T, W>]) -> DualVec<T, W>,
{
    let mut grad = Vec::with_capacity(x.len());
    let value = for_each_chunk(x, |args| {
        let y = f(args);
        let width = (x.len() - grad.len()).min(W);
        grad.extend_from_slice(&y.eps[..width]);
        Ok::<T, Infallible>(y.re)
    });
    match value {
        Ok(value) => (value, grad),
        Err(never) => match never {},
    }
}

/// Evaluates `eval` once per chunk of `W` variables (once if `x` is empty),
/// the chunk's variables seeded with unit tangents, all others constant.
/// Returns the last evaluation's result, or the first error.
fn for_each_chunk<const W: usize, T: Scalar, R, E>(
    x: &[T],
    mut eval: impl FnMut(&[DualVec<T, W>]) -> Result<R, E>,
) -> Result<R, E> {
    const { assert!(W > 0, "a dual vector needs at least one tangent direction") };
    let mut args: Vec<DualVec<T, W>> = x.iter().map(|&xi| DualVec::from(xi)).collect();
    if x.is_empty() {
        return eval(&args);
    }
    let mut result = None;
    for start in (0..x.len()).step_by(W) {
        let end = (start + W).min(x.len());
        for (i, arg) in args[start..end].iter_mut().enumerate() {
            *arg = DualVec::variable(x[start + i], i);
        }
        result = Some(eval(&args)?);
        for (arg, &xi) in args[start..end].iter_mut().zip(&x[start..end]) {
            *arg = DualVec::from(xi);
        }
    }
    Ok(result.expect("x is not empty, so there was at least one chunk"))
}

/// The value of `f: R^n -> R` and its derivative along `v`
/// (`grad f(x) . v`), in one evaluation.
///
/// # Errors
/// [`DualError::LengthMismatch`] if `v` and `x` differ in length.
///
/// # Example
/// ```
/// use admix_dual::directional_derivative;
///
/// let f = |x: &[_]| x[0] * x[1];
/// let (value, slope) = directional_derivative(f, &[2.0, 3.0], &[1.0, -1.0])?;
/// assert_eq!((value, slope), (6.0, 3.0 - 2.0));
/// # Ok::<(), admix_dual::DualError>(())
/// ```
pub fn directional_derivative<T, F>(f: F, x: &[T], v: &[T]) -> Result<(T, T), DualError>
where
    T: Scalar,
    F: FnOnce(&[Dual<T>]) -> Dual<T>,
{
    let args = seed_direction(x, v)?;
    let y = f(&args);
    Ok((y.re, y.eps))
}

/// Jacobian-vector product: the values `F(x)` of `F: R^n -> R^m` and
/// `J(x) v`, in one evaluation.
///
/// # Errors
/// [`DualError::LengthMismatch`] if `v` and `x` differ in length.
///
/// # Example
/// ```
/// use admix_dual::jvp;
///
/// // F(x, y) = (x y, x + y): J = [[y, x], [1, 1]].
/// let f = |x: &[_]| vec![x[0] * x[1], x[0] + x[1]];
/// let (values, jv) = jvp(f, &[2.0, 3.0], &[1.0, 0.0])?;
/// assert_eq!(values, vec![6.0, 5.0]);
/// assert_eq!(jv, vec![3.0, 1.0]);
/// # Ok::<(), admix_dual::DualError>(())
/// ```
pub fn jvp<T, F>(f: F, x: &[T], v: &[T]) -> Result<(Vec<T>, Vec<T>), DualError>
where
    T: Scalar,
    F: FnOnce(&[Dual<T>]) -> Vec<Dual<T>>,
{
    let args = seed_direction(x, v)?;
    Ok(f(&args).into_iter().map(|y| (y.re, y.eps)).unzip())
}

fn seed_direction<T: Scalar>(x: &[T], v: &[T]) -> Result<Vec<Dual<T>>, DualError> {
    if v.len() != x.len() {
        return Err(DualError::LengthMismatch {
            what: "direction v",
            expected: x.len(),
            found: v.len(),
        });
    }
    Ok(x.iter()
        .zip(v)
        .map(|(&xi, &vi)| Dual::new(xi, vi))
        .collect())
}

/// The values `F(x)` and the Jacobian of `F: R^n -> R^m` as `m` rows of
/// `n` entries (`jac[i][j] = dF_i / dx_j`), exact, by forward columns:
/// `ceil(n / 16)` evaluations on [`GradientDual`].
///
/// # Errors
/// [`DualError::OutputLengthChanged`] if two evaluations return different
/// numbers of outputs.
///
/// # Example
/// ```
/// use admix_dual::{jacobian, Scalar, VectorFn};
///
/// // Polar to Cartesian: J = [[cos t, -r sin t], [sin t, r cos t]].
/// struct Polar;
/// impl VectorFn for Polar {
///     fn eval<S: Scalar>(&self, x: &[S]) -> Vec<S> {
///         vec![x[0] * x[1].cos(), x[0] * x[1].sin()]
///     }
/// }
/// let (values, jac) = jacobian(|x| Polar.eval(x), &[2.0, 0.0])?;
/// assert_eq!(values, vec![2.0, 0.0]);
/// assert_eq!(jac, vec![vec![1.0, 0.0], vec![0.0, 2.0]]);
/// # Ok::<(), admix_dual::DualError>(())
/// ```
pub fn jacobian<T, F>(f: F, x: &[T]) -> Result<(Vec<T>, Vec<Vec<T>>), DualError>
where
    T: Scalar,
    F: Fn(&[GradientDual<T>]) -> Vec<GradientDual<T>>,
{
    jacobian_with_width(f, x)
}

/// [`jacobian`] with an explicit tangent width `W`: `ceil(n / W)`
/// evaluations on `DualVec<T, W>`.
///
/// # Errors
/// [`DualError::OutputLengthChanged`] if two evaluations return different
/// numbers of outputs.
///
/// # Example
/// ```
/// use admix_dual::jacobian_with_width;
///
/// let (_, jac) = jacobian_with_width::<2, _, _>(|x| vec![x[0] * x[2], x[1]], &[1.0, 2.0, 3.0])?;
/// assert_eq!(jac, vec![vec![3.0, 0.0, 1.0], vec![0.0, 1.0, 0.0]]);
/// # Ok::<(), admix_dual::DualError>(())
/// ```
pub fn jacobian_with_width<const W: usize, T, F>(
    f: F,
    x: &[T],
) -> Result<(Vec<T>, Vec<Vec<T>>), DualError>
where
    T: Scalar,
    F: Fn(&[DualVec<T, W>]) -> Vec<DualVec<T, W>>,
{
    let n = x.len();
    let mut jac: Option<Vec<Vec<T>>> = None;
    let mut done = 0;
    let values = for_each_chunk(x, |args| {
        let ys = f(args);
        let rows = jac.get_or_insert_with(|| vec![Vec::with_capacity(n); ys.len()]);
        if rows.len() != ys.len() {
            return Err(DualError::OutputLengthChanged {
                first: rows.len(),
                later: ys.len(),
            });
        }
        let width = (n - done).min(W);
        for (row, y) in rows.iter_mut().zip(&ys) {
            row.extend_from_slice(&y.eps[..width]);
        }
        done += width;
        Ok(ys.iter().map(|y| y.re).collect::<Vec<T>>())
    });
    Ok((values?, jac.unwrap_or_default()))
}

/// The value, gradient and Hessian of `f: R^n -> R`, exact, by nested duals
/// ([`HessianDual`]): one evaluation per entry of the upper triangle,
/// `n (n + 1) / 2` in all. The Hessian is returned as `n` rows of `n`.
///
/// # Example
/// ```
/// use admix_dual::{hessian, Float};
///
/// // f = x^2 y + y^3: H = [[2y, 2x], [2x, 6y]].
/// let (value, grad, hess) = hessian(|x| x[0] * x[0] * x[1] + x[1].powi(3), &[1.0, 2.0]);
/// assert_eq!(value, 10.0);
/// assert_eq!(grad, vec![4.0, 13.0]);
/// assert_eq!(hess, vec![vec![4.0, 2.0], vec![2.0, 12.0]]);
/// ```
pub fn hessian<T, F>(f: F, x: &[T]) -> (T, Vec<T>, Vec<Vec<T>>)
where
    T: Scalar,
    F: Fn(&[HessianDual<T>]) -> HessianDual<T>,
{
    let n = x.len();
    let constant = |xi: T| Dual::from(Dual::from(xi));
    let mut args: Vec<HessianDual<T>> = x.iter().map(|&xi| constant(xi)).collect();
    if n == 0 {
        return (f(&args).re.re, Vec::new(), Vec::new());
    }
    let mut value = T::zero();
    let mut grad = vec![T::zero(); n];
    let mut hess = vec![vec![T::zero(); n]; n];
    for i in 0..n {
        for j in i..n {
            // Inner tangent along x_i, outer along x_j: the eps.eps part is
            // d^2 f / dx_i dx_j.
            args[i].re.eps = T::one();
            args[j].eps.re = T::one();
            let y = f(&args);
            args[i].re.eps = T::zero();
            args[j].eps.re = T::zero();
            value = y.re.re;
            grad[i] = y.re.eps;
            hess[i][j] = y.eps.eps;
            hess[j][i] = y.eps.eps;
        }
    }
    (value, grad, hess)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wide<S: Scalar>(x: &[S]) -> S {
        // f = sum_i (i + 1) x_i^2 + prod_i x_i: gradient known in closed form.
        let squares: S = x
            .iter()
            .enumerate()
            .map(|(i, &xi)| xi.scale(i as f64 + 1.0) * xi)
            .sum();
        squares + x.iter().copied().product()
    }

    fn wide_gradient(x: &[f64]) -> Vec<f64> {
        (0..x.len())
            .map(|i| {
                let others: f64 = (0..x.len()).filter(|&j| j != i).map(|j| x[j]).product();
                2.0 * (i as f64 + 1.0) * x[i] + others
            })
            .collect()
    }

    #[test]
    fn gradient_is_the_same_for_every_width_and_length() {
        for n in [0, 1, 7, 8, 9, 17, 33] {
            let x: Vec<f64> = (0..n).map(|i| 0.9 + 0.03 * i as f64).collect();
            let expected = wide_gradient(&x);
            let (v1, g1) = gradient_with_width::<1, _, _>(wide, &x);
            let (v3, g3) = gradient_with_width::<3, _, _>(wide, &x);
            let (v16, g16) = gradient(wide, &x);
            assert_eq!(v1, wide(&x));
            assert_eq!((v3, v16), (v1, v1));
            for k in 0..n {
                approx::assert_relative_eq!(g1[k], expected[k], max_relative = 1e-14);
                assert_eq!((g3[k], g16[k]), (g1[k], g1[k]));
            }
        }
    }

    #[test]
    fn jacobian_rows_are_gradients() {
        let x: Vec<f64> = (0..11).map(|i| 1.0 + 0.1 * i as f64).collect();
        let (values, jac) = jacobian(|x| vec![wide(x), x[3] * x[10]], &x).unwrap();
        assert_eq!(values, vec![wide(&x), x[3] * x[10]]);
        let g = wide_gradient(&x);
        for k in 0..x.len() {
            approx::assert_relative_eq!(jac[0][k], g[k], max_relative = 1e-14);
        }
        let mut second = vec![0.0; 11];
        (second[3], second[10]) = (x[10], x[3]);
        assert_eq!(jac[1], second);
    }

    #[test]
    fn jacobian_with_changing_output_length_is_an_error() {
        let x = vec![1.0_f64; DEFAULT_WIDTH + 1];
        // The first chunk sees x[0] seeded, the second does not.
        let result = jacobian(|x| vec![x[0]; 1 + x[0].eps[0] as usize], &x);
        assert_eq!(
            result.unwrap_err(),
            DualError::OutputLengthChanged { first: 2, later: 1 }
        );
    }

    #[test]
    fn direction_of_wrong_length_is_an_error() {
        let err = directional_derivative(|x| x[0], &[1.0, 2.0], &[1.0]).unwrap_err();
        assert_eq!(
            err,
            DualError::LengthMismatch {
                what: "direction v",
                expected: 2,
                found: 1
            }
        );
        assert!(err.to_string().contains("one entry per variable"));
        assert!(jvp(|x| x.to_vec(), &[1.0], &[]).is_err());
    }

    #[test]
    fn hessian_of_an_empty_input_is_empty() {
        let (value, grad, hess) = hessian(|_| Dual::from(Dual::from(3.0)), &[]);
        assert_eq!((value, grad.len(), hess.len()), (3.0, 0, 0));
    }
}
