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
}

impl<T> Scalar for T where
    T: Float + FloatConst + FromPrimitive + NumAssign + Sum + Product + Debug + Display
{
}
