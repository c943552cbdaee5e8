//! `Dual<T>`: a number with one tangent direction, `re + eps ε` with `ε² = 0`.

use crate::elementary::{self, Jet, Jet2};
use crate::forward_ops::{chain_rule_methods, constant_methods, forward_binary_ops};
use crate::Scalar;
use num_traits::{Float, FloatConst, FromPrimitive, Num, One, ToPrimitive, Zero};
use std::cmp::Ordering;
use std::fmt;
use std::iter::{Product, Sum};
use std::num::FpCategory;
use std::ops::{Add, Div, Mul, Neg, Rem, Sub};

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

    /// Chain rule: the result of `f` with `f(re) = f0` and `f'(re) = f1`.
    #[inline]
    fn chain_rule(self, (f0, f1): Jet<T>) -> Self {
        Self::new(f0, self.eps * f1)
    }

    /// Chain rule for `f(self, other)` with partial derivatives `fx`, `fy`.
    #[inline]
    fn chain_rule2(self, other: Self, (f0, fx, fy): Jet2<T>) -> Self {
        Self::new(f0, self.eps * fx + other.eps * fy)
    }
}

impl<T: Scalar> From<T> for Dual<T> {
    /// A constant: tangent zero.
    #[inline]
    fn from(re: T) -> Self {
        Self::new(re, T::zero())
    }
}

impl<T: Scalar> Default for Dual<T> {
    fn default() -> Self {
        Self::zero()
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

impl<T: Scalar> PartialEq for Dual<T> {
    /// Compares real parts only, like every comparison of a dual.
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.re == other.re
    }
}

impl<T: Scalar> PartialOrd for Dual<T> {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.re.partial_cmp(&other.re)
    }
}

// ---- arithmetic with another dual ----

impl<T: Scalar> Neg for Dual<T> {
    type Output = Self;
    #[inline]
    fn neg(self) -> Self {
        Self::new(-self.re, -self.eps)
    }
}

impl<T: Scalar> Add for Dual<T> {
    type Output = Self;
    #[inline]
    fn add(self, rhs: Self) -> Self {
        Self::new(self.re + rhs.re, self.eps + rhs.eps)
    }
}

impl<T: Scalar> Sub for Dual<T> {
    type Output = Self;
    #[inline]
    fn sub(self, rhs: Self) -> Self {
        Self::new(self.re - rhs.re, self.eps - rhs.eps)
    }
}

impl<T: Scalar> Mul for Dual<T> {
    type Output = Self;
    #[inline]
    fn mul(self, rhs: Self) -> Self {
        // Product rule: (uv)' = u'v + uv'.
        Self::new(self.re * rhs.re, self.eps * rhs.re + self.re * rhs.eps)
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

impl<T: Scalar> Rem for Dual<T> {
    type Output = Self;
    #[inline]
    fn rem(self, rhs: Self) -> Self {
        self.chain_rule2(rhs, elementary::rem(self.re, rhs.re))
    }
}

// ---- arithmetic with a plain real part (a constant) ----

impl<T: Scalar> Add<T> for Dual<T> {
    type Output = Self;
    #[inline]
    fn add(self, rhs: T) -> Self {
        Self::new(self.re + rhs, self.eps)
    }
}

impl<T: Scalar> Sub<T> for Dual<T> {
    type Output = Self;
    #[inline]
    fn sub(self, rhs: T) -> Self {
        Self::new(self.re - rhs, self.eps)
    }
}

impl<T: Scalar> Mul<T> for Dual<T> {
    type Output = Self;
    #[inline]
    fn mul(self, rhs: T) -> Self {
        Self::new(self.re * rhs, self.eps * rhs)
    }
}

impl<T: Scalar> Div<T> for Dual<T> {
    type Output = Self;
    #[inline]
    fn div(self, rhs: T) -> Self {
        Self::new(self.re / rhs, self.eps / rhs)
    }
}

impl<T: Scalar> Rem<T> for Dual<T> {
    type Output = Self;
    #[inline]
    fn rem(self, rhs: T) -> Self {
        // d/dx (x mod c) = 1 wherever it exists.
        Self::new(self.re % rhs, self.eps)
    }
}

forward_binary_ops!([T: Scalar] Dual<T>, T; [] Dual<f32>);

impl<T: Scalar> Sum for Dual<T> {
    /// Starts from `-0.0` like the sum of `f64`s, so real parts agree bitwise.
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::from(T::neg_zero()), Add::add)
    }
}

impl<'a, T: Scalar> Sum<&'a Dual<T>> for Dual<T> {
    fn sum<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
        iter.copied().sum()
    }
}

impl<T: Scalar> Product for Dual<T> {
    fn product<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::one(), Mul::mul)
    }
}

impl<'a, T: Scalar> Product<&'a Dual<T>> for Dual<T> {
    fn product<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
        iter.copied().product()
    }
}

// ---- the scalar contract ----

impl<T: Scalar> Scalar for Dual<T> {
    #[inline]
    fn constant(value: f64) -> Self {
        Self::from(T::constant(value))
    }

    #[inline]
    fn value_f64(&self) -> f64 {
        self.re.value_f64()
    }

    /// Scales every part: a constant factor has no tangent to multiply.
    #[inline]
    fn scale(self, c: f64) -> Self {
        Self::new(self.re.scale(c), self.eps.scale(c))
    }
}

// ---- num-traits plumbing ----

impl<T: Scalar> Zero for Dual<T> {
    #[inline]
    fn zero() -> Self {
        Self::from(T::zero())
    }
    #[inline]
    fn is_zero(&self) -> bool {
        self.re.is_zero() && self.eps.is_zero()
    }
}

impl<T: Scalar> One for Dual<T> {
    #[inline]
    fn one() -> Self {
        Self::from(T::one())
    }
}

impl<T: Scalar> Num for Dual<T> {
    type FromStrRadixErr = T::FromStrRadixErr;
    fn from_str_radix(s: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
        T::from_str_radix(s, radix).map(Self::from)
    }
}

impl<T: Scalar> ToPrimitive for Dual<T> {
    fn to_i64(&self) -> Option<i64> {
        self.re.to_i64()
    }
    fn to_u64(&self) -> Option<u64> {
        self.re.to_u64()
    }
    fn to_f32(&self) -> Option<f32> {
        self.re.to_f32()
    }
    fn to_f64(&self) -> Option<f64> {
        self.re.to_f64()
    }
}

impl<T: Scalar> num_traits::NumCast for Dual<T> {
    fn from<N: ToPrimitive>(n: N) -> Option<Self> {
        <T as num_traits::NumCast>::from(n).map(<Self as From<T>>::from)
    }
}

impl<T: Scalar> FromPrimitive for Dual<T> {
    fn from_i64(n: i64) -> Option<Self> {
        T::from_i64(n).map(Self::from)
    }
    fn from_u64(n: u64) -> Option<Self> {
        T::from_u64(n).map(Self::from)
    }
    fn from_f32(n: f32) -> Option<Self> {
        T::from_f32(n).map(Self::from)
    }
    fn from_f64(n: f64) -> Option<Self> {
        T::from_f64(n).map(Self::from)
    }
}

impl<T: Scalar> FloatConst for Dual<T> {
    constant_methods!(E FRAC_1_PI FRAC_1_SQRT_2 FRAC_2_PI FRAC_2_SQRT_PI FRAC_PI_2 FRAC_PI_3
        FRAC_PI_4 FRAC_PI_6 FRAC_PI_8 LN_10 LN_2 LOG10_E LOG2_E PI SQRT_2 TAU LOG10_2 LOG2_10);
}

impl<T: Scalar> Float for Dual<T> {
    constant_methods!(nan infinity neg_infinity min_value min_positive_value max_value epsilon);

    #[inline]
    fn neg_zero() -> Self {
        Self::from(T::neg_zero())
    }

    chain_rule_methods!(recip sqrt cbrt exp exp2 exp_m1 ln ln_1p log2 log10 sin cos tan
        asin acos atan sinh cosh tanh asinh acosh atanh abs);

    // ---- predicates and queries: real part ----
    fn is_nan(self) -> bool {
        self.re.is_nan()
    }
    fn is_infinite(self) -> bool {
        self.re.is_infinite()
    }
    fn is_finite(self) -> bool {
        self.re.is_finite()
    }
    fn is_normal(self) -> bool {
        self.re.is_normal()
    }
    fn classify(self) -> FpCategory {
        self.re.classify()
    }
    fn is_sign_positive(self) -> bool {
        self.re.is_sign_positive()
    }
    fn is_sign_negative(self) -> bool {
        self.re.is_sign_negative()
    }
    fn integer_decode(self) -> (u64, i16, i8) {
        self.re.integer_decode()
    }

    // ---- piecewise constant: derivative zero (see crate docs) ----
    fn floor(self) -> Self {
        Self::from(self.re.floor())
    }
    fn ceil(self) -> Self {
        Self::from(self.re.ceil())
    }
    fn round(self) -> Self {
        Self::from(self.re.round())
    }
    fn trunc(self) -> Self {
        Self::from(self.re.trunc())
    }
    fn signum(self) -> Self {
        Self::from(self.re.signum())
    }
    fn fract(self) -> Self {
        // x - trunc(x): derivative 1.
        Self::new(self.re.fract(), self.eps)
    }

    // ---- linear in the argument ----
    fn to_degrees(self) -> Self {
        let scale = T::constant(180.0) / T::PI();
        Self::new(self.re.to_degrees(), self.eps * scale)
    }
    fn to_radians(self) -> Self {
        let scale = T::PI() / T::constant(180.0);
        Self::new(self.re.to_radians(), self.eps * scale)
    }

    // ---- several arguments ----
    #[inline]
    fn mul_add(self, a: Self, b: Self) -> Self {
        // (x a + b)' = x' a + x a' + b'.
        Self::new(
            self.re.mul_add(a.re, b.re),
            self.eps * a.re + self.re * a.eps + b.eps,
        )
    }
    #[inline]
    fn powi(self, n: i32) -> Self {
        self.chain_rule(elementary::powi(self.re, n))
    }
    #[inline]
    fn powf(self, n: Self) -> Self {
        let (value, d_dx, d_dy) = elementary::powf(self.re, n.re);
        if n.eps.is_zero() {
            // Constant exponent: the power rule alone, defined also for x <= 0.
            self.chain_rule((value, d_dx))
        } else {
            self.chain_rule2(n, (value, d_dx, d_dy))
        }
    }
    fn log(self, base: Self) -> Self {
        self.chain_rule2(base, elementary::log(self.re, base.re))
    }
    fn hypot(self, other: Self) -> Self {
        self.chain_rule2(other, elementary::hypot(self.re, other.re))
    }
    fn atan2(self, other: Self) -> Self {
        self.chain_rule2(other, elementary::atan2(self.re, other.re))
    }
    fn abs_sub(self, other: Self) -> Self {
        self.chain_rule2(other, elementary::abs_sub(self.re, other.re))
    }
    #[inline]
    fn sin_cos(self) -> (Self, Self) {
        let (s, c) = self.re.sin_cos();
        (Self::new(s, self.eps * c), Self::new(c, -self.eps * s))
    }
    /// The larger argument's value (exactly `T::max`) and derivative; a NaN
    /// loses as in `f64::max`; on a tie the derivative of `self`.
    #[inline]
    fn max(self, other: Self) -> Self {
        let pick = if self.re.is_nan() || other.re > self.re {
            other
        } else {
            self
        };
        Self::new(self.re.max(other.re), pick.eps)
    }
    /// The smaller argument's value (exactly `T::min`) and derivative; a NaN
    /// loses as in `f64::min`; on a tie the derivative of `self`.
    #[inline]
    fn min(self, other: Self) -> Self {
        let pick = if self.re.is_nan() || other.re < self.re {
            other
        } else {
            self
        };
        Self::new(self.re.min(other.re), pick.eps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

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
