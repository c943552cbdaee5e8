//! Forward-mode automatic differentiation with dual numbers, and divided differences.
//!
//! Write a function once against [`Scalar`], then evaluate it on `f64` for
//! its value or on a [`Dual`] for its value and exact derivative:
//!
//! ```
//! use admix_dual::{Dual, Scalar};
//!
//! fn f<S: Scalar>(x: S) -> S {
//!     x.powi(3) - S::constant(2.0) * x.exp()
//! }
//!
//! let y = f(Dual::variable(1.5_f64));
//! assert_eq!(y.re, f(1.5_f64));
//! assert!((y.eps - (3.0 * 1.5 * 1.5 - 2.0 * 1.5_f64.exp())).abs() < 1e-12);
//! ```
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

pub mod demo;
mod divided;
mod drivers;
mod dual;
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
