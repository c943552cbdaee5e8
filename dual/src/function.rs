//! Functions written once, generically, for drivers that pick the number type.

use crate::Scalar;

/// A scalar function of several variables, `f: R^n -> R`, written once for
/// every [`Scalar`] type.
///
/// Closures cannot be generic over their argument type, so code that must
/// evaluate one function on `f64`, on duals and on tape variables (an
/// optimiser that lets the user choose how derivatives are computed) takes a
/// `ScalarFn` instead.
///
/// # Example
/// ```
/// use admix_dual::{Scalar, ScalarFn};
///
/// struct Sphere;
/// impl ScalarFn for Sphere {
///     fn eval<S: Scalar>(&self, x: &[S]) -> S {
///         x.iter().map(|&xi| xi * xi).sum()
///     }
/// }
/// assert_eq!(Sphere.eval(&[3.0_f64, 4.0]), 25.0);
/// ```
pub trait ScalarFn {
    /// The value of the function at `x`.
    fn eval<S: Scalar>(&self, x: &[S]) -> S;
}

/// A vector function `F: R^n -> R^m`, written once for every [`Scalar`] type
/// (Jacobians, Newton's method for systems).
pub trait VectorFn {
    /// The `m` outputs of the function at `x`.
    fn eval<S: Scalar>(&self, x: &[S]) -> Vec<S>;
}

impl<F: ScalarFn + ?Sized> ScalarFn for &F {
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        (**self).eval(x)
    }
}

impl<F: VectorFn + ?Sized> VectorFn for &F {
    fn eval<S: Scalar>(&self, x: &[S]) -> Vec<S> {
        (**self).eval(x)
    }
}
