//! Drivers for functions written once as a [`ScalarFn`] or [`VectorFn`]:
//! because such a function is generic, the driver picks the number type,
//! here the tangent width that fits the number of variables.

use crate::{
    gradient_with_width, hessian, jacobian_with_width, DualError, Scalar, ScalarFn, VectorFn,
};

/// Calls `$run::<W, _, _>(|v| $f.eval(v), $x)` with the smallest width
/// `W` in 1, 2, 4, 8, 16 that covers `x.len()` (16 beyond), the fastest
/// choice measured by the top-level `benches/forward.rs`.
macro_rules! with_width_for {
    ($run:ident, $f:expr, $x:expr) => {
        match $x.len() {
            0 | 1 => $run::<1, _, _>(|v| $f.eval(v), $x),
            2 => $run::<2, _, _>(|v| $f.eval(v), $x),
            3 | 4 => $run::<4, _, _>(|v| $f.eval(v), $x),
            5..=8 => $run::<8, _, _>(|v| $f.eval(v), $x),
            _ => $run::<16, _, _>(|v| $f.eval(v), $x),
        }
    };
}

/// The value and exact gradient of a [`ScalarFn`], by vector duals whose
/// width fits `x.len()` (one evaluation up to 16 variables, then one per
/// 16).
///
/// # Example
/// ```
/// use admix_dual::{gradient_of, Scalar, ScalarFn};
///
/// struct Sphere;
/// impl ScalarFn for Sphere {
///     fn eval<S: Scalar>(&self, x: &[S]) -> S {
///         x.iter().map(|&xi| xi * xi).sum()
///     }
/// }
/// let (value, grad) = gradient_of(&Sphere, &[1.0, 2.0, 3.0]);
/// assert_eq!(value, 14.0);
/// assert_eq!(grad, vec![2.0, 4.0, 6.0]);
/// ```
pub fn gradient_of<T: Scalar, F: ScalarFn>(f: &F, x: &[T]) -> (T, Vec<T>) {
    with_width_for!(gradient_with_width, f, x)
}

/// The values and exact Jacobian (`m` rows of `n`) of a [`VectorFn`], by
/// forward columns with a tangent width that fits `x.len()`.
///
/// # Errors
/// [`DualError::OutputLengthChanged`] if two evaluations return different
/// numbers of outputs.
///
/// # Example
/// ```
/// use admix_dual::{jacobian_of, Scalar, VectorFn};
///
/// struct Product;
/// impl VectorFn for Product {
///     fn eval<S: Scalar>(&self, x: &[S]) -> Vec<S> {
///         vec![x[0] * x[1], x[0] / x[1]]
///     }
/// }
/// let (values, jac) = jacobian_of(&Product, &[2.0, 4.0])?;
/// assert_eq!(values, vec![8.0, 0.5]);
/// assert_eq!(jac, vec![vec![4.0, 2.0], vec![0.25, -0.125]]);
/// # Ok::<(), admix_dual::DualError>(())
/// ```
pub fn jacobian_of<T: Scalar, F: VectorFn>(
    f: &F,
    x: &[T],
) -> Result<(Vec<T>, Vec<Vec<T>>), DualError> {
    with_width_for!(jacobian_with_width, f, x)
}

/// The value, exact gradient and exact Hessian of a [`ScalarFn`], by nested
/// duals (see [`hessian`]).
///
/// # Example
/// ```
/// use admix_dual::{hessian_of, Scalar, ScalarFn};
///
/// struct Cubic;
/// impl ScalarFn for Cubic {
///     fn eval<S: Scalar>(&self, x: &[S]) -> S {
///         x[0] * x[0] * x[0] + x[0] * x[1]
///     }
/// }
/// let (_, grad, hess) = hessian_of(&Cubic, &[2.0, 5.0]);
/// assert_eq!(grad, vec![17.0, 2.0]);
/// assert_eq!(hess, vec![vec![12.0, 1.0], vec![1.0, 0.0]]);
/// ```
pub fn hessian_of<T: Scalar, F: ScalarFn>(f: &F, x: &[T]) -> (T, Vec<T>, Vec<Vec<T>>) {
    hessian(|v| f.eval(v), x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradient;

    struct Wide;
    impl ScalarFn for Wide {
        fn eval<S: Scalar>(&self, x: &[S]) -> S {
            x.iter()
                .enumerate()
                .map(|(i, &xi)| xi.sin().scale(i as f64 + 1.0))
                .sum::<S>()
                * x.iter().copied().product::<S>()
        }
    }

    #[test]
    fn every_width_gives_the_fixed_width_result() {
        for n in [0, 1, 2, 3, 5, 8, 9, 16, 17, 40] {
            let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.01 * i as f64).collect();
            let (value, grad) = gradient_of(&Wide, &x);
            let (value16, grad16) = gradient(|v| Wide.eval(v), &x);
            assert_eq!(value, value16);
            assert_eq!(grad, grad16);
        }
    }
}
