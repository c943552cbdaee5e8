//! The `num_traits` surface of [`Var`] (`Float`, `FloatConst`, casts), so
//! that it is an [`admix_dual::Scalar`] (implemented here too). Each elementary function computes
//! its value and first derivative and hands both to `Var::chain`.

use crate::var::Curves;
use crate::Var;
use admix_dual::Scalar;
use num_traits::{Float, FloatConst, FromPrimitive, Num, NumCast, One, ToPrimitive, Zero};
use std::num::FpCategory;

impl<T: Scalar> Scalar for Var<'_, T> {
    #[inline]
    fn constant(value: f64) -> Self {
        Var::constant(T::constant(value))
    }

    #[inline]
    fn value_f64(&self) -> f64 {
        self.value().value_f64()
    }

    /// One node with partial `c`, or none for a constant.
    #[inline]
    fn scale(self, c: f64) -> Self {
        self.chain_linear(self.value().scale(c), T::constant(c))
    }
}

impl<T: Scalar> Zero for Var<'_, T> {
    fn zero() -> Self {
        Var::constant(T::zero())
    }
    fn is_zero(&self) -> bool {
        self.value().is_zero()
    }
}

impl<T: Scalar> One for Var<'_, T> {
    fn one() -> Self {
        Var::constant(T::one())
    }
}

impl<T: Scalar> Num for Var<'_, T> {
    type FromStrRadixErr = T::FromStrRadixErr;
    fn from_str_radix(s: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
        T::from_str_radix(s, radix).map(Var::constant)
    }
}

impl<T: Scalar> ToPrimitive for Var<'_, T> {
    fn to_i64(&self) -> Option<i64> {
        self.value().to_i64()
    }
    fn to_u64(&self) -> Option<u64> {
        self.value().to_u64()
    }
    fn to_f64(&self) -> Option<f64> {
        self.value().to_f64()
    }
}

impl<T: Scalar> NumCast for Var<'_, T> {
    fn from<N: ToPrimitive>(n: N) -> Option<Self> {
        <T as NumCast>::from(n).map(Var::constant)
    }
}

impl<T: Scalar> FromPrimitive for Var<'_, T> {
    fn from_i64(n: i64) -> Option<Self> {
        T::from_i64(n).map(Var::constant)
    }
    fn from_u64(n: u64) -> Option<Self> {
        T::from_u64(n).map(Var::constant)
    }
    fn from_f32(n: f32) -> Option<Self> {
        T::from_f32(n).map(Var::constant)
    }
    fn from_f64(n: f64) -> Option<Self> {
        T::from_f64(n).map(Var::constant)
    }
}

/// Forwards `FloatConst` constants as tape-free constants.
macro_rules! forward_consts {
    ($($name:ident),*) => {
        impl<T: Scalar> FloatConst for Var<'_, T> {
            $(fn $name() -> Self { Var::constant(T::$name()) })*
        }
    };
}

forward_consts!(
    E,
    FRAC_1_PI,
    FRAC_1_SQRT_2,
    FRAC_2_PI,
    FRAC_2_SQRT_PI,
    FRAC_PI_2,
    FRAC_PI_3,
    FRAC_PI_4,
    FRAC_PI_6,
    FRAC_PI_8,
    LN_10,
    LN_2,
    LOG10_E,
    LOG2_E,
    PI,
    SQRT_2
);

impl<T: Scalar> Float for Var<'_, T> {
    fn nan() -> Self {
        Var::constant(T::nan())
    }
    fn infinity() -> Self {
        Var::constant(T::infinity())
    }
    fn neg_infinity() -> Self {
        Var::constant(T::neg_infinity())
    }
    fn neg_zero() -> Self {
        Var::constant(T::neg_zero())
    }
    fn min_value() -> Self {
        Var::constant(T::min_value())
    }
    fn min_positive_value() -> Self {
        Var::constant(T::min_positive_value())
    }
    fn epsilon() -> Self {
        Var::constant(T::epsilon())
    }
    fn max_value() -> Self {
        Var::constant(T::max_value())
    }
    fn is_nan(self) -> bool {
        self.value().is_nan()
    }
    fn is_infinite(self) -> bool {
        self.value().is_infinite()
    }
    fn is_finite(self) -> bool {
        self.value().is_finite()
    }
    fn is_normal(self) -> bool {
        self.value().is_normal()
    }
    fn classify(self) -> FpCategory {
        self.value().classify()
    }
    fn integer_decode(self) -> (u64, i16, i8) {
        self.value().integer_decode()
    }
    fn is_sign_positive(self) -> bool {
        self.value().is_sign_positive()
    }
    fn is_sign_negative(self) -> bool {
        self.value().is_sign_negative()
    }

    // Piecewise constant: derivative zero.
    fn floor(self) -> Self {
        self.chain_linear(self.value().floor(), T::zero())
    }
    fn ceil(self) -> Self {
        self.chain_linear(self.value().ceil(), T::zero())
    }
    fn round(self) -> Self {
        self.chain_linear(self.value().round(), T::zero())
    }
    fn trunc(self) -> Self {
        self.chain_linear(self.value().trunc(), T::zero())
    }
    fn signum(self) -> Self {
        self.chain_linear(self.value().signum(), T::zero())
    }
    fn fract(self) -> Self {
        self.chain_linear(self.value().fract(), T::one())
    }
    /// Derivative signum(x): +-1 at +-0 (the sign of the zero), as in
    /// `admix_dual`.
    fn abs(self) -> Self {
        let x = self.value();
        self.chain_linear(x.abs(), x.signum())
    }

    #[track_caller]
    fn mul_add(self, a: Self, b: Self) -> Self {
        self * a + b
    }
    fn recip(self) -> Self {
        let v = self.value().recip();
        self.chain(v, -v * v)
    }
    /// d x^n = n x^(n-1) dx; zero for n = 0 (no 0 * inf at x = 0).
    fn powi(self, n: i32) -> Self {
        let x = self.value();
        let d = if n == 0 {
            T::zero()
        } else {
            x.powi(n - 1).scale(<f64 as From<i32>>::from(n))
        };
        if n == 0 || n == 1 {
            return self.chain_linear(x.powi(n), d);
        }
        self.chain(x.powi(n), d)
    }
    /// d x^y = y x^(y-1) dx + x^y ln(x) dy; the dy part is taken as 0 where
    /// x^y = 0 (its limit from x > 0).
    #[track_caller]
    fn powf(self, n: Self) -> Self {
        let (x, y) = (self.value(), n.value());
        let v = x.powf(y);
        let dx = if y.is_zero() {
            T::zero()
        } else {
            y * x.powf(y - T::one())
        };
        if n.is_constant() {
            return self.chain(v, dx);
        }
        let dy = if v.is_zero() { T::zero() } else { v * x.ln() };
        self.chain2(n, move || v, dx, dy, Curves::FULL)
    }
    fn sqrt(self) -> Self {
        let v = self.value().sqrt();
        self.chain(v, (v + v).recip())
    }
    fn exp(self) -> Self {
        let v = self.value().exp();
        self.chain(v, v)
    }
    fn exp2(self) -> Self {
        let v = self.value().exp2();
        self.chain(v, v * T::LN_2())
    }
    fn ln(self) -> Self {
        let x = self.value();
        self.chain(x.ln(), x.recip())
    }
    #[track_caller]
    fn log(self, base: Self) -> Self {
        self.ln() / base.ln()
    }
    fn log2(self) -> Self {
        let x = self.value();
        self.chain(x.log2(), (x * T::LN_2()).recip())
    }
    fn log10(self) -> Self {
        let x = self.value();
        self.chain(x.log10(), (x * T::LN_10()).recip())
    }
    fn to_degrees(self) -> Self {
        let k = T::constant(180.0) / T::PI();
        self.chain_linear(self.value().to_degrees(), k)
    }
    fn to_radians(self) -> Self {
        let k = T::PI() / T::constant(180.0);
        self.chain_linear(self.value().to_radians(), k)
    }
    /// The larger argument itself (NaN loses, as in `f64::max`).
    fn max(self, other: Self) -> Self {
        if self.value() >= other.value() || other.value().is_nan() {
            self
        } else {
            other
        }
    }
    /// The smaller argument itself (NaN loses, as in `f64::min`).
    fn min(self, other: Self) -> Self {
        if self.value() <= other.value() || other.value().is_nan() {
            self
        } else {
            other
        }
    }
    #[track_caller]
    fn abs_sub(self, other: Self) -> Self {
        (self - other).max(Self::zero())
    }
    fn cbrt(self) -> Self {
        let v = self.value().cbrt();
        self.chain(v, (v.scale(3.0) * v).recip())
    }
    /// d hypot(x, y) = (x dx + y dy) / hypot(x, y); both partials 0 at
    /// the origin, as in `admix_dual`.
    #[track_caller]
    fn hypot(self, other: Self) -> Self {
        let (x, y) = (self.value(), other.value());
        let v = x.hypot(y);
        if v.is_zero() {
            return self.chain2(other, move || v, T::zero(), T::zero(), Curves::FULL);
        }
        self.chain2(other, move || v, x / v, y / v, Curves::FULL)
    }
    /// Two libm calls, not one `sincos`: the value, which the next
    /// operation waits for, comes out of `sin` alone while `cos` (the
    /// derivative) runs beside the next step. LLVM merges the pair into
    /// `sincos` unless the argument of the second call is opaque; the
    /// chain benchmark records 10% faster this way.
    fn sin(self) -> Self {
        let x = self.value();
        let s = x.sin();
        let c = std::hint::black_box(x).cos();
        self.chain(s, c)
    }
    /// Two calls, the value first, as in `sin`.
    fn cos(self) -> Self {
        let x = self.value();
        let c = x.cos();
        let s = std::hint::black_box(x).sin();
        self.chain(c, -s)
    }
    fn tan(self) -> Self {
        let v = self.value().tan();
        self.chain(v, T::one() + v * v)
    }
    fn asin(self) -> Self {
        let x = self.value();
        self.chain(x.asin(), (T::one() - x * x).sqrt().recip())
    }
    fn acos(self) -> Self {
        let x = self.value();
        self.chain(x.acos(), -(T::one() - x * x).sqrt().recip())
    }
    fn atan(self) -> Self {
        let x = self.value();
        self.chain(x.atan(), (T::one() + x * x).recip())
    }
    /// atan2(y, x): d = (x dy - y dx) / (x^2 + y^2); both partials 0 at
    /// the origin, as in `admix_dual`.
    #[track_caller]
    fn atan2(self, other: Self) -> Self {
        let (y, x) = (self.value(), other.value());
        let r2 = x * x + y * y;
        if r2.is_zero() {
            return self.chain2(other, || y.atan2(x), T::zero(), T::zero(), Curves::FULL);
        }
        self.chain2(other, || y.atan2(x), x / r2, -y / r2, Curves::FULL)
    }
    fn sin_cos(self) -> (Self, Self) {
        let (s, c) = self.value().sin_cos();
        (self.chain(s, c), self.chain(c, -s))
    }
    fn exp_m1(self) -> Self {
        let x = self.value();
        self.chain(x.exp_m1(), x.exp())
    }
    fn ln_1p(self) -> Self {
        let x = self.value();
        self.chain(x.ln_1p(), (T::one() + x).recip())
    }
    fn sinh(self) -> Self {
        let x = self.value();
        self.chain(x.sinh(), x.cosh())
    }
    fn cosh(self) -> Self {
        let x = self.value();
        self.chain(x.cosh(), x.sinh())
    }
    fn tanh(self) -> Self {
        // sech^2 x = 4e / (1 + e)^2 with e = exp(-2|x|): relative accuracy
        // at every x, where 1 - tanh^2 cancels (as in admix-dual).
        let x = self.value();
        let e = (-(x.abs() + x.abs())).exp();
        let partial = e.scale(4.0) / ((T::one() + e) * (T::one() + e));
        self.chain(x.tanh(), partial)
    }
    fn asinh(self) -> Self {
        let x = self.value();
        self.chain(x.asinh(), (x * x + T::one()).sqrt().recip())
    }
    fn acosh(self) -> Self {
        let x = self.value();
        self.chain(x.acosh(), (x * x - T::one()).sqrt().recip())
    }
    fn atanh(self) -> Self {
        let x = self.value();
        self.chain(x.atanh(), (T::one() - x * x).recip())
    }
}
