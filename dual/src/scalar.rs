//! The one scalar trait that generic numeric code is written against.

use num_traits::{Float, FloatConst, FromPrimitive, NumAssign};
use std::fmt::{Debug, Display};
use std::iter::{Product, Sum};

/// A real number type: `f64`, `f32`, every dual type of this crate, and the
/// reverse-mode variables of `admix-tape`.
///
/// Write a function once against `Scalar` and evaluate it on whichever type
/// the caller needs: plain values, derivatives by forward mode, or a recording
/// for reverse mode.
///
/// `Send`/`Sync` are not required, because a tape variable borrows its tape;
/// the plain and dual types are `Send + Sync` whenever their parts are.
///
/// Implemented for `f64`, `f32`, [`Dual`](crate::Dual),
/// [`DualVec`](crate::DualVec) here and for the tape variables of
/// `admix-tape`. Another `Float` type joins with an empty
/// `impl Scalar for MyFloat {}`: every method has a default, and the
/// defaults are right for any type whose constants cost nothing to multiply.
///
/// # Example
/// ```
/// use admix_dual::Scalar;
///
/// fn rosenbrock<S: Scalar>(x: &[S]) -> S {
///     let one = S::one();
///     let hundred = S::constant(100.0);
///     x.windows(2)
///         .map(|w| hundred * (w[1] - w[0] * w[0]).powi(2) + (one - w[0]).powi(2))
///         .sum()
/// }
///
/// assert_eq!(rosenbrock(&[1.0_f64, 1.0, 1.0]), 0.0);
/// assert_eq!(rosenbrock(&[0.0_f32, 0.0]), 1.0);
/// ```
pub trait Scalar:
    Float + FloatConst + FromPrimitive + NumAssign + Sum + Product + Debug + Display
{
    /// The constant `value` in this type (no derivative part, no tape entry).
    fn constant(value: f64) -> Self {
        // Every Scalar converts from any finite or non-finite f64: f32 rounds,
        // duals take it as their real part.
        Self::from_f64(value).unwrap_or_else(Self::nan)
    }

    /// The real (primal) value as `f64`, dropping all derivative information.
    fn value_f64(&self) -> f64 {
        self.to_f64().unwrap_or(f64::NAN)
    }

    /// `self * c` for a constant `c`: the same value as
    /// `S::constant(c) * self`, but a dual scales its parts instead of
    /// applying the product rule to a zero tangent (IEEE arithmetic cannot
    /// drop `0 * x`), which makes constant coefficients in generic code
    /// cost what they cost on `f64`.
    #[inline]
    fn scale(self, c: f64) -> Self {
        self * Self::constant(c)
    }
}

impl Scalar for f64 {
    #[inline]
    fn constant(value: f64) -> Self {
        value
    }

    #[inline]
    fn value_f64(&self) -> f64 {
        *self
    }
}

impl Scalar for f32 {}
