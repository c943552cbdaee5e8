//! Value and first derivative of every elementary function.
//!
//! Each dual type asks this table for `(f(x), f'(x))` (or the partial
//! derivatives of a two-argument function) at its real part and applies the
//! chain rule to its own tangent; the maths is written once, here.
//!
//! Conventions where a derivative does not exist: see the crate docs.

use crate::Scalar;

/// `(f(x), f'(x))`.
pub(crate) type Jet<T> = (T, T);

/// `(f(x, y), df/dx, df/dy)`.
pub(crate) type Jet2<T> = (T, T, T);

#[inline]
pub(crate) fn recip<T: Scalar>(x: T) -> Jet<T> {
    let r = x.recip();
    (r, -r * r)
}

#[inline]
pub(crate) fn sqrt<T: Scalar>(x: T) -> Jet<T> {
    let s = x.sqrt();
    (s, (s + s).recip())
}

#[inline]
pub(crate) fn cbrt<T: Scalar>(x: T) -> Jet<T> {
    let c = x.cbrt();
    (c, (c.scale(3.0) * c).recip())
}

#[inline]
pub(crate) fn powi<T: Scalar>(x: T, n: i32) -> Jet<T> {
    let derivative = match n {
        0 => T::zero(),
        // n - 1 overflows: fall back to the real power.
        i32::MIN => x.powf(T::constant(f64::from(n) - 1.0)).scale(f64::from(n)),
        _ => x.powi(n - 1).scale(f64::from(n)),
    };
    (x.powi(n), derivative)
}

/// `x^y` with both partial derivatives.
#[inline]
pub(crate) fn powf<T: Scalar>(x: T, y: T) -> Jet2<T> {
    let value = x.powf(y);
    let d_dx = if y.is_zero() {
        T::zero()
    } else {
        y * x.powf(y - T::one())
    };
    let d_dy = if value.is_zero() {
        T::zero()
    } else {
        value * x.ln()
    };
    (value, d_dx, d_dy)
}

#[inline]
pub(crate) fn exp<T: Scalar>(x: T) -> Jet<T> {
    let e = x.exp();
    (e, e)
}

#[inline]
pub(crate) fn exp2<T: Scalar>(x: T) -> Jet<T> {
    let e = x.exp2();
    (e, e * T::LN_2())
}

#[inline]
pub(crate) fn exp_m1<T: Scalar>(x: T) -> Jet<T> {
    (x.exp_m1(), x.exp())
}

#[inline]
pub(crate) fn ln<T: Scalar>(x: T) -> Jet<T> {
    (x.ln(), x.recip())
}

#[inline]
pub(crate) fn ln_1p<T: Scalar>(x: T) -> Jet<T> {
    (x.ln_1p(), (T::one() + x).recip())
}

#[inline]
pub(crate) fn log2<T: Scalar>(x: T) -> Jet<T> {
    (x.log2(), (x * T::LN_2()).recip())
}

#[inline]
pub(crate) fn log10<T: Scalar>(x: T) -> Jet<T> {
    (x.log10(), (x * T::LN_10()).recip())
}

/// `log_base(x)` with partial derivatives in `x` and `base`.
#[inline]
pub(crate) fn log<T: Scalar>(x: T, base: T) -> Jet2<T> {
    let value = x.log(base);
    let ln_base = base.ln();
    (value, (x * ln_base).recip(), -value / (base * ln_base))
}

#[inline]
pub(crate) fn sin<T: Scalar>(x: T) -> Jet<T> {
    x.sin_cos()
}

#[inline]
pub(crate) fn cos<T: Scalar>(x: T) -> Jet<T> {
    let (s, c) = x.sin_cos();
    (c, -s)
}

#[inline]
pub(crate) fn tan<T: Scalar>(x: T) -> Jet<T> {
    let t = x.tan();
    (t, T::one() + t * t)
}

/// `sqrt(1 - x^2)` without cancellation near `|x| = 1`.
#[inline]
fn sqrt_one_minus_square<T: Scalar>(x: T) -> T {
    ((T::one() - x) * (T::one() + x)).sqrt()
}

#[inline]
pub(crate) fn asin<T: Scalar>(x: T) -> Jet<T> {
    (x.asin(), sqrt_one_minus_square(x).recip())
}

#[inline]
pub(crate) fn acos<T: Scalar>(x: T) -> Jet<T> {
    (x.acos(), -sqrt_one_minus_square(x).recip())
}

#[inline]
pub(crate) fn atan<T: Scalar>(x: T) -> Jet<T> {
    (x.atan(), (T::one() + x * x).recip())
}

/// `atan2(y, x)` with partial derivatives in `y` and `x`.
#[inline]
pub(crate) fn atan2<T: Scalar>(y: T, x: T) -> Jet2<T> {
    let value = y.atan2(x);
    let r = y.hypot(x);
    if r.is_zero() {
        return (value, T::zero(), T::zero());
    }
    // d/dy = x / r^2, d/dx = -y / r^2, divided twice by r so r^2 cannot overflow.
    (value, x / r / r, -y / r / r)
}

/// `hypot(x, y)` with partial derivatives in `x` and `y`.
#[inline]
pub(crate) fn hypot<T: Scalar>(x: T, y: T) -> Jet2<T> {
    let h = x.hypot(y);
    if h.is_zero() {
        return (h, T::zero(), T::zero());
    }
    (h, x / h, y / h)
}

#[inline]
pub(crate) fn sinh<T: Scalar>(x: T) -> Jet<T> {
    (x.sinh(), x.cosh())
}

#[inline]
pub(crate) fn cosh<T: Scalar>(x: T) -> Jet<T> {
    (x.cosh(), x.sinh())
}

#[inline]
pub(crate) fn tanh<T: Scalar>(x: T) -> Jet<T> {
    // sech^2 x = 4e / (1 + e)^2 with e = exp(-2|x|): accurate in relative
    // terms everywhere, unlike 1 - tanh^2 (cancels for large |x|), and never
    // overflows at any order, unlike 1 / cosh^2 (cosh^2 overflows past 355).
    let e = (-(x.abs() + x.abs())).exp();
    let four = T::constant(4.0);
    (x.tanh(), four * e / ((T::one() + e) * (T::one() + e)))
}

#[inline]
pub(crate) fn asinh<T: Scalar>(x: T) -> Jet<T> {
    // 1 / sqrt(x^2 + 1) = 1 / hypot(x, 1), which does not overflow.
    (x.asinh(), x.hypot(T::one()).recip())
}

#[inline]
pub(crate) fn acosh<T: Scalar>(x: T) -> Jet<T> {
    (x.acosh(), ((x - T::one()) * (x + T::one())).sqrt().recip())
}

#[inline]
pub(crate) fn atanh<T: Scalar>(x: T) -> Jet<T> {
    (x.atanh(), ((T::one() - x) * (T::one() + x)).recip())
}

#[inline]
pub(crate) fn abs<T: Scalar>(x: T) -> Jet<T> {
    (x.abs(), x.signum())
}

/// `x % y` (truncated remainder, `x - trunc(x / y) * y`) with partial derivatives.
#[inline]
pub(crate) fn rem<T: Scalar>(x: T, y: T) -> Jet2<T> {
    (x % y, T::one(), -(x / y).trunc())
}

/// The positive difference `max(x - y, 0)` with partial derivatives.
#[inline]
pub(crate) fn abs_sub<T: Scalar>(x: T, y: T) -> Jet2<T> {
    if x > y {
        (x.abs_sub(y), T::one(), -T::one())
    } else {
        (x.abs_sub(y), T::zero(), T::zero())
    }
}
