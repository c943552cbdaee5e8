//! `DualVec<T, N>`: a number with `N` tangent directions at once.

use crate::elementary::{self, Jet, Jet2};
use crate::forward_ops::{chain_rule_methods, constant_methods, forward_binary_ops};
use crate::Scalar;
use num_traits::{Float, FloatConst, FromPrimitive, Num, One, ToPrimitive, Zero};
use std::cmp::Ordering;
use std::fmt;
use std::iter::{Product, Sum};
use std::num::FpCategory;
use std::ops::{Add, Div, Mul, Neg, Rem, Sub};

/// A dual number with `N` tangents, `re + sum_i eps[i] ε_i` with all
/// `ε_i ε_j = 0`: one evaluation gives the value and `N` directional
/// derivatives, for instance `N` entries of a gradient.
///
/// Same rules and conventions as [`Dual`](crate::Dual), with the tangent
/// an array; it nests and implements [`Scalar`].
///
/// # Example
/// ```
/// use admix_dual::DualVec;
///
/// // f(x, y) = x^2 y at (3, 2): gradient (2xy, x^2) = (12, 9).
/// let x = DualVec::<f64, 2>::variable(3.0, 0);
/// let y = DualVec::<f64, 2>::variable(2.0, 1);
/// let f = x * x * y;
/// assert_eq!(f.re, 18.0);
/// assert_eq!(f.eps, [12.0, 9.0]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct DualVec<T, const N: usize> {
    /// The real (primal) part: the value of the function.
    pub re: T,
    /// The tangents: derivatives along the `N` seeded directions.
    pub eps: [T; N],
}

impl<T: Scalar, const N: usize> DualVec<T, N> {
    /// The dual number `re + sum_i eps[i] ε_i`.
    #[inline]
    pub fn new(re: T, eps: [T; N]) -> Self {
        Self { re, eps }
    }

    /// The independent variable along direction `i`: tangent `e_i`, so the
    /// result's `eps[i]` is the partial derivative in this variable.
    /// With `i >= N` the tangent is zero (a constant).
    #[inline]
    pub fn variable(re: T, i: usize) -> Self {
        Self::new(
            re,
            std::array::from_fn(|j| if j == i { T::one() } else { T::zero() }),
        )
    }

    /// The tangent `f(eps[i])` in every direction.
    #[inline]
    fn map_eps(self, f: impl Fn(T) -> T) -> [T; N] {
        std::array::from_fn(|i| f(self.eps[i]))
    }

    /// The tangent `f(self.eps[i], other.eps[i])` in every direction.
    #[inline]
    fn zip_eps(self, other: Self, f: impl Fn(T, T) -> T) -> [T; N] {
        std::array::from_fn(|i| f(self.eps[i], other.eps[i]))
    }

    /// Chain rule: the result of `f` with `f(re) = f0` and `f'(re) = f1`.
    #[inline]
    fn chain_rule(self, (f0, f1): Jet<T>) -> Self {
        Self::new(f0, self.map_eps(|e| e * f1))
    }

    /// Chain rule for `f(self, other)` with partial derivatives `fx`, `fy`.
    #[inline]
    fn chain_rule2(self, other: Self, (f0, fx, fy): Jet2<T>) -> Self {
        Self::new(f0, self.zip_eps(other, |a, b| a * fx + b * fy))
    }
}

impl<T: Scalar, const N: usize> From<T> for DualVec<T, N> {
    /// A constant: tangent zero.
    #[inline]
    fn from(re: T) -> Self {
        Self::new(re, [T::zero(); N])
    }
}

impl<T: Scalar, const N: usize> Default for DualVec<T, N> {
    fn default() -> Self {
        Self::zero()
    }
}

impl<T: Scalar, const N: usize> fmt::Display for DualVec<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match f.precision() {
            Some(p) => write!(f, "{:.*}", p, self.re)?,
            None => write!(f, "{}", self.re)?,
        }
        for (i, e) in self.eps.iter().enumerate() {
            match f.precision() {
                Some(p) => write!(f, " + {:.*}ε{}", p, e, i)?,
                None => write!(f, " + {}ε{}", e, i)?,
            }
        }
        Ok(())
    }
}

impl<T: Scalar, const N: usize> PartialEq for DualVec<T, N> {
    /// Compares real parts only, like every comparison of a dual.
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.re == other.re
    }
}

impl<T: Scalar, const N: usize> PartialOrd for DualVec<T, N> {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.re.partial_cmp(&other.re)
    }
}

// ---- arithmetic with another dual ----

impl<T: Scalar, const N: usize> Neg for DualVec<T, N> {
    type Output = Self;
    #[inline]
    fn neg(self) -> Self {
        Self::new(-self.re, self.map_eps(|e| -e))
    }
}

impl<T: Scalar, const N: usize> Add for DualVec<T, N> {
    type Output = Self;
    #[inline]
    fn add(self, rhs: Self) -> Self {
        Self::new(self.re + rhs.re, self.zip_eps(rhs, |a, b| a + b))
    }
}

impl<T: Scalar, const N: usize> Sub for DualVec<T, N> {
    type Output = Self;
    #[inline]
    fn sub(self, rhs: Self) -> Self {
        Self::new(self.re - rhs.re, self.zip_eps(rhs, |a, b| a - b))
    }
}

impl<T: Scalar, const N: usize> Mul for DualVec<T, N> {
    type Output = Self;
    #[inline]
    #[allow(clippy::suspicious_arithmetic_impl)] // the product rule adds
    fn mul(self, rhs: Self) -> Self {
        // Product rule: (uv)' = u'v + uv'.
        let (u, v) = (self.re, rhs.re);
        Self::new(u * v, self.zip_eps(rhs, |du, dv| du * v + u * dv))
    }
}

impl<T: Scalar, const N: usize> Div for DualVec<T, N> {
    type Output = Self;
    #[inline]
    #[allow(clippy::suspicious_arithmetic_impl)] // the quotient rule multiplies
    fn div(self, rhs: Self) -> Self {
        // Quotient rule: (u/v)' = (u' - (u/v) v') / v.
        let re = self.re / rhs.re;
        let inv = rhs.re.recip();
        Self::new(re, self.zip_eps(rhs, |du, dv| (du - re * dv) * inv))
    }
}

impl<T: Scalar, const N: usize> Rem for DualVec<T, N> {
    type Output = Self;
    #[inline]
    fn rem(self, rhs: Self) -> Self {
        self.chain_rule2(rhs, elementary::rem(self.re, rhs.re))
    }
}

// ---- arithmetic with a plain real part (a constant) ----

impl<T: Scalar, const N: usize> Add<T> for DualVec<T, N> {
    type Output = Self;
    #[inline]
    fn add(self, rhs: T) -> Self {
        Self::new(self.re + rhs, self.eps)
    }
}

impl<T: Scalar, const N: usize> Sub<T> for DualVec<T, N> {
    type Output = Self;
    #[inline]
    fn sub(self, rhs: T) -> Self {
        Self::new(self.re - rhs, self.eps)
    }
}

impl<T: Scalar, const N: usize> Mul<T> for DualVec<T, N> {
    type Output = Self;
    #[inline]
    fn mul(self, rhs: T) -> Self {
        Self::new(self.re * rhs, self.map_eps(|e| e * rhs))
    }
}

impl<T: Scalar, const N: usize> Div<T> for DualVec<T, N> {
    type Output = Self;
    #[inline]
    fn div(self, rhs: T) -> Self {
        Self::new(self.re / rhs, self.map_eps(|e| e / rhs))
    }
}

impl<T: Scalar, const N: usize> Rem<T> for DualVec<T, N> {
    type Output = Self;
    #[inline]
    fn rem(self, rhs: T) -> Self {
        // d/dx (x mod c) = 1 wherever it exists.
        Self::new(self.re % rhs, self.eps)
    }
}

forward_binary_ops!([T: Scalar, const N: usize] DualVec<T, N>, T; [const N: usize] DualVec<f32, N>);

impl<T: Scalar, const N: usize> Sum for DualVec<T, N> {
    /// Starts from `-0.0` like the sum of `f64`s, so real parts agree bitwise.
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::from(T::neg_zero()), Add::add)
    }
}

impl<'a, T: Scalar, const N: usize> Sum<&'a DualVec<T, N>> for DualVec<T, N> {
    fn sum<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
        iter.copied().sum()
    }
}

impl<T: Scalar, const N: usize> Product for DualVec<T, N> {
    fn product<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::one(), Mul::mul)
    }
}

impl<'a, T: Scalar, const N: usize> Product<&'a DualVec<T, N>> for DualVec<T, N> {
    fn product<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
        iter.copied().product()
    }
}

// ---- the scalar contract ----

impl<T: Scalar, const N: usize> Scalar for DualVec<T, N> {
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
        Self::new(self.re.scale(c), self.map_eps(|e| e.scale(c)))
    }
}

// ---- num-traits plumbing ----

impl<T: Scalar, const N: usize> Zero for DualVec<T, N> {
    #[inline]
    fn zero() -> Self {
        Self::from(T::zero())
    }
    #[inline]
    fn is_zero(&self) -> bool {
        self.re.is_zero() && self.eps.iter().all(T::is_zero)
    }
}

impl<T: Scalar, const N: usize> One for DualVec<T, N> {
    #[inline]
    fn one() -> Self {
        Self::from(T::one())
    }
}

impl<T: Scalar, const N: usize> Num for DualVec<T, N> {
    type FromStrRadixErr = T::FromStrRadixErr;
    fn from_str_radix(s: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
        T::from_str_radix(s, radix).map(Self::from)
    }
}

impl<T: Scalar, const N: usize> ToPrimitive for DualVec<T, N> {
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

impl<T: Scalar, const N: usize> num_traits::NumCast for DualVec<T, N> {
    fn from<P: ToPrimitive>(n: P) -> Option<Self> {
        <T as num_traits::NumCast>::from(n).map(<Self as From<T>>::from)
    }
}

impl<T: Scalar, const N: usize> FromPrimitive for DualVec<T, N> {
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

impl<T: Scalar, const N: usize> FloatConst for DualVec<T, N> {
    constant_methods!(E FRAC_1_PI FRAC_1_SQRT_2 FRAC_2_PI FRAC_2_SQRT_PI FRAC_PI_2 FRAC_PI_3
        FRAC_PI_4 FRAC_PI_6 FRAC_PI_8 LN_10 LN_2 LOG10_E LOG2_E PI SQRT_2 TAU LOG10_2 LOG2_10);
}

impl<T: Scalar, const N: usize> Float for DualVec<T, N> {
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
        Self::new(self.re.to_degrees(), self.map_eps(|e| e * scale))
    }
    fn to_radians(self) -> Self {
        let scale = T::PI() / T::constant(180.0);
        Self::new(self.re.to_radians(), self.map_eps(|e| e * scale))
    }

    // ---- several arguments ----
    #[inline]
    fn mul_add(self, a: Self, b: Self) -> Self {
        // (x a + b)' = x' a + x a' + b'.
        let eps = std::array::from_fn(|i| self.eps[i] * a.re + self.re * a.eps[i] + b.eps[i]);
        Self::new(self.re.mul_add(a.re, b.re), eps)
    }
    #[inline]
    fn powi(self, n: i32) -> Self {
        self.chain_rule(elementary::powi(self.re, n))
    }
    #[inline]
    fn powf(self, n: Self) -> Self {
        let (value, d_dx, d_dy) = elementary::powf(self.re, n.re);
        if n.eps.iter().all(T::is_zero) {
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
        (
            Self::new(s, self.map_eps(|e| e * c)),
            Self::new(c, self.map_eps(|e| -e * s)),
        )
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
    use crate::Dual;

    fn mixed<S: Scalar>(x: S, y: S) -> S {
        (x * y).sin() / (S::one() + y * y).sqrt() + x.powf(y) - y.atan2(x)
    }

    #[test]
    fn each_direction_matches_a_scalar_dual() {
        let (x, y) = (1.3_f64, 0.7_f64);
        let v = mixed(DualVec::<f64, 2>::variable(x, 0), DualVec::variable(y, 1));
        let dx = mixed(Dual::variable(x), Dual::from(y));
        let dy = mixed(Dual::from(x), Dual::variable(y));
        assert_eq!(v.re, dx.re);
        approx::assert_relative_eq!(v.eps[0], dx.eps, max_relative = 1e-14);
        approx::assert_relative_eq!(v.eps[1], dy.eps, max_relative = 1e-14);
    }

    #[test]
    fn seed_out_of_range_is_a_constant() {
        let c = DualVec::<f64, 3>::variable(2.0, 3);
        assert_eq!(c.eps, [0.0; 3]);
        assert!(!c.is_zero() && DualVec::<f64, 3>::zero().is_zero());
    }

    #[test]
    fn plain_scalars_on_the_left() {
        let x = DualVec::<f64, 2>::variable(4.0, 1);
        let y = 1.0 / x - 2.0 * x;
        assert_eq!(y.re, 0.25 - 8.0);
        assert_eq!(y.eps, [0.0, -1.0 / 16.0 - 2.0]);
        let z = 3.0_f32 * DualVec::<f32, 1>::variable(1.0, 0);
        assert_eq!(z.eps, [3.0]);
    }
}
