//! `Dual<T>`: a number with one tangent direction, `re + eps ε` with `ε² = 0`.

use crate::dual_impls::dual_number_impls;
use crate::Scalar;
use std::fmt;
use std::ops::Div;

/// A dual number `re + eps ε` with `ε² = 0`: evaluating `f` on
/// `x + ε` gives `f(x) + f'(x) ε`, the value and the exact derivative.
///
/// Generic over its parts, so it nests: `Dual<Dual<f64>>` carries second
/// derivatives. Comparisons (`==`, `<`, `max`, ...) look at the real part
/// only. Conventions at points where a derivative does not exist are listed
/// in the crate docs.
///
/// Arithmetic works with another dual and with a plain `T` on the right,
/// and with an `f64` on the left (`2.0 * x`); an `f32` on the left only for
/// `Dual<f32>`, where the literal needs its type (`2.0_f32 * x`).
///
/// # Example
/// ```
/// use admix_dual::{Dual, Float};
///
/// let x = Dual::variable(2.0_f64);
/// let y = x.powi(3) + x.sin();
/// assert_eq!(y.re, 8.0 + 2.0_f64.sin());
/// assert_eq!(y.eps, 12.0 + 2.0_f64.cos());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Dual<T> {
    /// The real (primal) part: the value of the function.
    pub re: T,
    /// The tangent part: the derivative along the seeded direction.
    pub eps: T,
}

impl<T: Scalar> Dual<T> {
    /// The dual number `re + eps ε`.
    #[inline]
    pub fn new(re: T, eps: T) -> Self {
        Self { re, eps }
    }

    /// The independent variable `re + 1 ε` (seed of a derivative).
    #[inline]
    pub fn variable(re: T) -> Self {
        Self::new(re, T::one())
    }

    /// The tangent `f(eps)` (the one direction).
    #[inline]
    fn map_eps(self, f: impl Fn(T) -> T) -> T {
        f(self.eps)
    }

    /// The tangent `f(self.eps, other.eps)`.
    #[inline]
    fn zip_eps(self, other: Self, f: impl Fn(T, T) -> T) -> T {
        f(self.eps, other.eps)
    }

    /// `true` when the tangent is zero (a constant).
    #[inline]
    fn tangent_is_zero(&self) -> bool {
        self.eps.is_zero()
    }
}

impl<T: Scalar> From<T> for Dual<T> {
    /// A constant: tangent zero.
    #[inline]
    fn from(re: T) -> Self {
        Self::new(re, T::zero())
    }
}

impl<T: Scalar> fmt::Display for Dual<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match f.precision() {
            Some(p) => write!(f, "{:.*} + {:.*}ε", p, self.re, p, self.eps),
            None => write!(f, "{} + {}ε", self.re, self.eps),
        }
    }
}

impl<T: Scalar> Div for Dual<T> {
    type Output = Self;
    #[inline]
    fn div(self, rhs: Self) -> Self {
        // Quotient rule: (u/v)' = (u' - (u/v) v') / v.
        let re = self.re / rhs.re;
        Self::new(re, (self.eps - re * rhs.eps) / rhs.re)
    }
}

dual_number_impls!([T: Scalar] Dual<T>; [] Dual<f32>);

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use num_traits::Float;

    fn generic_cube<S: Scalar>(x: S) -> S {
        x * x * x
    }

    #[test]
    fn product_and_quotient_rules() {
        let x = Dual::variable(3.0_f64);
        let p = x * x;
        assert_eq!((p.re, p.eps), (9.0, 6.0));
        // d/dx (1 / x) = -1 / x^2
        let q = Dual::from(1.0) / x;
        assert_relative_eq!(q.eps, -1.0 / 9.0, max_relative = 1e-15);
    }

    #[test]
    fn plain_scalars_on_both_sides() {
        let x = Dual::variable(2.0_f64);
        let y = 3.0 * x - x / 4.0 + 1.0 - (10.0 - x);
        assert_eq!(y.re, 6.0 - 0.5 + 1.0 - 8.0);
        assert_eq!(y.eps, 3.0 - 0.25 + 1.0);
        let z = 2.0_f32 * Dual::variable(1.5_f32);
        assert_eq!((z.re, z.eps), (3.0, 2.0));
        let mut z = x;
        z *= 2.0;
        z += x;
        assert_eq!((z.re, z.eps), (6.0, 3.0));
        // A constant on the left of * and + scales or keeps the tangent: no
        // 0 * inf from a product rule on its zero tangent.
        let big = Dual::new(f64::INFINITY, 1.0);
        assert_eq!(((2.0 * big).re, (2.0 * big).eps), (f64::INFINITY, 2.0));
        assert_eq!(
            (1.0 + Dual::new(2.0_f64, -0.0)).eps.to_bits(),
            (-0.0_f64).to_bits()
        );
        assert_eq!((2.0_f32 * Dual::new(f32::INFINITY, 1.0)).eps, 2.0);
    }

    #[test]
    fn nested_duals_give_second_derivatives() {
        // x = 2 + ε1 + ε2: the ε1ε2 part of x^3 is 6x = 12.
        let x = Dual::new(Dual::variable(2.0_f64), Dual::from(1.0));
        let y = generic_cube(x);
        assert_eq!(y.re.re, 8.0);
        assert_eq!(y.re.eps, 12.0);
        assert_eq!(y.eps.re, 12.0);
        assert_eq!(y.eps.eps, 12.0);
    }

    #[test]
    fn comparisons_use_the_real_part() {
        let a = Dual::new(1.0_f64, 5.0);
        let b = Dual::new(1.0_f64, -5.0);
        assert_eq!(a, b);
        assert!(Dual::from(0.5) < a);
        assert_eq!(a.max(Dual::from(0.0)).eps, 5.0);
        assert_eq!(Dual::from(f64::NAN).max(a).eps, 5.0);
    }

    #[test]
    fn conventions_at_kinks() {
        let zero = Dual::variable(0.0_f64);
        assert_eq!(zero.abs().eps, 1.0);
        assert_eq!((-zero).abs().eps, 1.0); // -(+0) = -0: signum -1, times tangent -1
        assert_eq!(zero.signum().eps, 0.0);
        assert_eq!(zero.sqrt().eps, f64::INFINITY);
        assert_eq!(Dual::variable(1.0_f64).asin().eps, f64::INFINITY);
        assert_eq!(zero.powi(0).eps, 0.0);
        assert_eq!(zero.hypot(Dual::from(0.0)).eps, 0.0);
        // The rest of the table in the crate docs.
        let one = Dual::variable(1.0_f64);
        assert_eq!(zero.cbrt().eps, f64::INFINITY);
        assert_eq!(one.acos().eps, f64::NEG_INFINITY);
        assert_eq!(Dual::variable(-1.0_f64).asin().eps, f64::INFINITY);
        assert_eq!(one.acosh().eps, f64::INFINITY);
        assert_eq!(
            (one.atanh().re, one.atanh().eps),
            (f64::INFINITY, f64::INFINITY)
        );
        for log in [Dual::ln, Dual::log2, Dual::log10] {
            assert_eq!(
                (log(zero).re, log(zero).eps),
                (f64::NEG_INFINITY, f64::INFINITY)
            );
        }
        assert_eq!(zero.atan2(Dual::from(0.0)).eps, 0.0);
        assert_eq!(Dual::from(0.0).atan2(zero).eps, 0.0);
        for step in [Dual::floor, Dual::ceil, Dual::round, Dual::trunc] {
            assert_eq!(step(Dual::variable(2.5)).eps, 0.0);
        }
        assert_eq!(Dual::variable(2.5).fract().eps, 1.0);
        assert_eq!((Dual::variable(2.5) % 1.0).eps, 1.0);
        let other = Dual::new(0.0, 7.0);
        assert_eq!((zero.max(other).eps, zero.min(other).eps), (1.0, 1.0));
        // x^y at x = 0: d/dy = 0; a constant exponent needs no logarithm.
        let y = Dual::variable(2.0_f64);
        assert_eq!(Dual::from(0.0).powf(y).eps, 0.0);
        assert_eq!(Dual::variable(-2.0_f64).powf(Dual::from(3.0)).eps, 12.0);
    }

    #[test]
    fn non_finite_values_propagate() {
        let x = Dual::variable(f64::NAN);
        assert!(x.sin().re.is_nan() && x.sin().eps.is_nan());
        let y = Dual::variable(f64::INFINITY);
        assert_eq!(y.exp().re, f64::INFINITY);
        assert!(Dual::variable(-1.0_f64).ln().re.is_nan());
    }

    #[test]
    fn sum_and_product() {
        let xs = [Dual::variable(2.0_f64), Dual::from(3.0)];
        let s: Dual<f64> = xs.iter().sum();
        let p: Dual<f64> = xs.iter().product();
        assert_eq!((s.re, s.eps), (5.0, 1.0));
        assert_eq!((p.re, p.eps), (6.0, 3.0));
    }
}
