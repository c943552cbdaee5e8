//! Forward-mode automatic differentiation with dual numbers, and divided differences.
//!
//! Write a function once against [`Scalar`], then evaluate it on `f64` for
//! its value, or hand it to a driver for exact derivatives:
//!
//! ```
//! use admix_dual::{gradient, hessian, DividedDifference, Scalar};
//!
//! fn rosenbrock<S: Scalar>(x: &[S]) -> S {
//!     let hundred = S::constant(100.0);
//!     (S::one() - x[0]).powi(2) + hundred * (x[1] - x[0] * x[0]).powi(2)
//! }
//!
//! let x = [0.5, 1.0];
//! assert_eq!(rosenbrock(&x), 56.5);
//!
//! let (value, grad) = gradient(rosenbrock, &x);
//! assert_eq!(value, 56.5);
//! assert_eq!(grad, vec![-151.0, 150.0]);
//!
//! let (_, _, hess) = hessian(rosenbrock, &x);
//! assert_eq!(hess, vec![vec![-98.0, -200.0], vec![-200.0, 200.0]]);
//!
//! // The same gradient by central differences: close, not exact.
//! let (_, approx) = DividedDifference::default().gradient(rosenbrock, &x)?;
//! assert!((approx[0] - grad[0]).abs() < 1e-6);
//! # Ok::<(), admix_dual::DualError>(())
//! ```
//!
//! # What is here
//!
//! - Number types: [`Dual`] (one tangent; nests, `Dual<Dual<f64>>` for
//!   second derivatives) and [`DualVec`] (`N` tangents at once). Both
//!   implement [`Scalar`], so generic code runs on them unchanged, and their
//!   real parts are bitwise the `f64` results.
//! - Drivers on closures: [`derivative`], [`second_derivative`],
//!   [`gradient`], [`directional_derivative`], [`jvp`], [`jacobian`],
//!   [`hessian`]; on a [`ScalarFn`] / [`VectorFn`] (the tangent width then
//!   fits the number of variables): [`gradient_of`], [`jacobian_of`],
//!   [`hessian_of`].
//! - Divided differences with the same return shapes, to swap in for AD:
//!   [`DividedDifference`] ([`Scheme`] and [`Step`]).
//! - [`demo`]: the lecture's `x^3` table, finite differences against AD.
//!
//! # Conventions where a derivative does not exist
//!
//! No function here panics; NaN and infinity propagate through values and
//! tangents as IEEE arithmetic says (a zero tangent times an infinite
//! derivative is NaN). At kinks and branch points:
//!
//! ```text
//! abs      at +-0        derivative signum(x) = +-1 (the sign of the zero)
//! signum, floor, ceil, round, trunc   derivative 0 everywhere
//! fract, x % c           derivative 1
//! sqrt, cbrt at 0        derivative +inf
//! asin, acos at +-1      derivative +inf, -inf;  acosh at 1: +inf
//! atanh at +-1           value +-inf, derivative +inf
//! ln, log2, log10 at +0  value -inf, derivative +inf
//! hypot, atan2 at (0,0)  both partial derivatives 0
//! max, min on a tie      the derivative of `self` (first argument)
//! powf x^y               d/dy = 0 where x^y = 0; a constant exponent uses
//!                        the power rule alone, so x <= 0 works as for f64
//! powi x^0               derivative 0, also at x = 0
//! ```

#![forbid(unsafe_code)]

pub mod demo;
mod divided;
mod drivers;
mod dual;
mod dual_impls;
mod dual_vec;
mod elementary;
mod error;
mod fn_drivers;
mod forward_ops;
mod function;
mod scalar;

pub use divided::{DividedDifference, Scheme, Step};
pub use drivers::{
    derivative, directional_derivative, gradient, gradient_with_width, hessian, jacobian,
    jacobian_with_width, jvp, second_derivative, GradientDual, HessianDual, DEFAULT_WIDTH,
};
pub use dual::Dual;
pub use dual_vec::DualVec;
pub use error::DualError;
pub use fn_drivers::{gradient_of, hessian_of, jacobian_of};
pub use function::{ScalarFn, VectorFn};
pub use scalar::Scalar;

/// Re-exported so that callers need no direct dependency: import
/// [`Float`] to call `sin`, `powi`, ... on a concrete dual type.
pub use num_traits;
pub use num_traits::{Float, FloatConst};
