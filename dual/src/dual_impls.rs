//! Everything `Dual` and `DualVec` share, written once. The two types
//! differ only in how they store tangents, which their `map_eps`, `zip_eps`
//! and `tangent_is_zero` hide; the arithmetic, both chain rules, the whole
//! `Float` surface and the `Scalar` contract are generated from those.
//! Division stays with each type: a vector dual multiplies by `1 / v` once
//! instead of dividing in every direction.

/// Implements the shared surface for the dual type `$ty` with generics
/// `$gen` (and `$ty32`, its `f32` version, for `f32` on the left).
macro_rules! dual_number_impls {
    ([$($gen:tt)*] $ty:ty; [$($gen32:tt)*] $ty32:ty) => {
        impl<$($gen)*> $ty {
            /// Chain rule: the result of `f` with `f(re) = f0` and `f'(re) = f1`.
            #[inline]
            fn chain_rule(self, (f0, f1): $crate::elementary::Jet<T>) -> Self {
                Self::new(f0, self.map_eps(|e| e * f1))
            }

            /// Chain rule for `f(self, other)` with partial derivatives `fx`, `fy`.
            #[inline]
            fn chain_rule2(self, other: Self, (f0, fx, fy): $crate::elementary::Jet2<T>) -> Self {
                Self::new(f0, self.zip_eps(other, |a, b| a * fx + b * fy))
            }
        }

        impl<$($gen)*> Default for $ty {
            fn default() -> Self {
                <Self as num_traits::Zero>::zero()
            }
        }

        impl<$($gen)*> PartialEq for $ty {
            /// Compares real parts only, like every comparison of a dual.
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                self.re == other.re
            }
        }

        impl<$($gen)*> PartialOrd for $ty {
            #[inline]
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                self.re.partial_cmp(&other.re)
            }
        }

        // ---- arithmetic with another dual ----

        impl<$($gen)*> std::ops::Neg for $ty {
            type Output = Self;
            #[inline]
            fn neg(self) -> Self {
                Self::new(-self.re, self.map_eps(|e| -e))
            }
        }

        impl<$($gen)*> std::ops::Add for $ty {
            type Output = Self;
            #[inline]
            fn add(self, rhs: Self) -> Self {
                Self::new(self.re + rhs.re, self.zip_eps(rhs, |a, b| a + b))
            }
        }

        impl<$($gen)*> std::ops::Sub for $ty {
            type Output = Self;
            #[inline]
            fn sub(self, rhs: Self) -> Self {
                Self::new(self.re - rhs.re, self.zip_eps(rhs, |a, b| a - b))
            }
        }

        impl<$($gen)*> std::ops::Mul for $ty {
            type Output = Self;
            #[inline]
            #[allow(clippy::suspicious_arithmetic_impl)] // the product rule adds
            fn mul(self, rhs: Self) -> Self {
                // Product rule: (uv)' = u'v + uv'.
                let (u, v) = (self.re, rhs.re);
                Self::new(u * v, self.zip_eps(rhs, |du, dv| du * v + u * dv))
            }
        }

        impl<$($gen)*> std::ops::Rem for $ty {
            type Output = Self;
            #[inline]
            fn rem(self, rhs: Self) -> Self {
                self.chain_rule2(rhs, $crate::elementary::rem(self.re, rhs.re))
            }
        }

        // ---- arithmetic with a plain real part (a constant) ----

        impl<$($gen)*> std::ops::Add<T> for $ty {
            type Output = Self;
            #[inline]
            fn add(self, rhs: T) -> Self {
                Self::new(self.re + rhs, self.eps)
            }
        }

        impl<$($gen)*> std::ops::Sub<T> for $ty {
            type Output = Self;
            #[inline]
            fn sub(self, rhs: T) -> Self {
                Self::new(self.re - rhs, self.eps)
            }
        }

        impl<$($gen)*> std::ops::Mul<T> for $ty {
            type Output = Self;
            #[inline]
            fn mul(self, rhs: T) -> Self {
                Self::new(self.re * rhs, self.map_eps(|e| e * rhs))
            }
        }

        impl<$($gen)*> std::ops::Div<T> for $ty {
            type Output = Self;
            #[inline]
            fn div(self, rhs: T) -> Self {
                Self::new(self.re / rhs, self.map_eps(|e| e / rhs))
            }
        }

        impl<$($gen)*> std::ops::Rem<T> for $ty {
            type Output = Self;
            #[inline]
            fn rem(self, rhs: T) -> Self {
                // d/dx (x mod c) = 1 wherever it exists.
                Self::new(self.re % rhs, self.eps)
            }
        }

        $crate::forward_ops::forward_binary_ops!([$($gen)*] $ty, T; [$($gen32)*] $ty32);

        impl<$($gen)*> std::iter::Sum for $ty {
            /// Starts from `-0.0` like the sum of `f64`s, so real parts agree bitwise.
            fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
                iter.fold(Self::from(T::neg_zero()), std::ops::Add::add)
            }
        }

        impl<'a, $($gen)*> std::iter::Sum<&'a $ty> for $ty {
            fn sum<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
                iter.copied().sum()
            }
        }

        impl<$($gen)*> std::iter::Product for $ty {
            fn product<I: Iterator<Item = Self>>(iter: I) -> Self {
                iter.fold(<Self as num_traits::One>::one(), std::ops::Mul::mul)
            }
        }

        impl<'a, $($gen)*> std::iter::Product<&'a $ty> for $ty {
            fn product<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
                iter.copied().product()
            }
        }

        // ---- the scalar contract ----

        impl<$($gen)*> $crate::Scalar for $ty {
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

        impl<$($gen)*> num_traits::Zero for $ty {
            #[inline]
            fn zero() -> Self {
                Self::from(T::zero())
            }
            #[inline]
            fn is_zero(&self) -> bool {
                self.re.is_zero() && self.tangent_is_zero()
            }
        }

        impl<$($gen)*> num_traits::One for $ty {
            #[inline]
            fn one() -> Self {
                Self::from(T::one())
            }
        }

        impl<$($gen)*> num_traits::Num for $ty {
            type FromStrRadixErr = T::FromStrRadixErr;
            fn from_str_radix(s: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
                T::from_str_radix(s, radix).map(Self::from)
            }
        }

        impl<$($gen)*> num_traits::ToPrimitive for $ty {
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

        impl<$($gen)*> num_traits::NumCast for $ty {
            fn from<P: num_traits::ToPrimitive>(n: P) -> Option<Self> {
                <T as num_traits::NumCast>::from(n).map(<Self as From<T>>::from)
            }
        }

        impl<$($gen)*> num_traits::FromPrimitive for $ty {
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

        impl<$($gen)*> num_traits::FloatConst for $ty {
            $crate::forward_ops::constant_methods!(E FRAC_1_PI FRAC_1_SQRT_2 FRAC_2_PI
                FRAC_2_SQRT_PI FRAC_PI_2 FRAC_PI_3 FRAC_PI_4 FRAC_PI_6 FRAC_PI_8 LN_10 LN_2
                LOG10_E LOG2_E PI SQRT_2 TAU LOG10_2 LOG2_10);
        }

        impl<$($gen)*> num_traits::Float for $ty {
            $crate::forward_ops::constant_methods!(nan infinity neg_infinity min_value
                min_positive_value max_value epsilon);

            #[inline]
            fn neg_zero() -> Self {
                Self::from(T::neg_zero())
            }

            $crate::forward_ops::chain_rule_methods!(recip sqrt cbrt exp exp2 exp_m1 ln ln_1p
                log2 log10 sin cos tan asin acos atan sinh cosh tanh asinh acosh atanh abs);

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
            fn classify(self) -> std::num::FpCategory {
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
                let (x, y) = (self.re, a.re);
                let tangent = self.zip_eps(a, |dx, dy| dx * y + x * dy);
                let partial = Self::new(x.mul_add(y, b.re), tangent);
                Self::new(partial.re, partial.zip_eps(b, |p, db| p + db))
            }
            #[inline]
            fn powi(self, n: i32) -> Self {
                self.chain_rule($crate::elementary::powi(self.re, n))
            }
            #[inline]
            fn powf(self, n: Self) -> Self {
                let (value, d_dx, d_dy) = $crate::elementary::powf(self.re, n.re);
                if n.tangent_is_zero() {
                    // Constant exponent: the power rule alone, defined also for x <= 0.
                    self.chain_rule((value, d_dx))
                } else {
                    self.chain_rule2(n, (value, d_dx, d_dy))
                }
            }
            fn log(self, base: Self) -> Self {
                self.chain_rule2(base, $crate::elementary::log(self.re, base.re))
            }
            fn hypot(self, other: Self) -> Self {
                self.chain_rule2(other, $crate::elementary::hypot(self.re, other.re))
            }
            fn atan2(self, other: Self) -> Self {
                self.chain_rule2(other, $crate::elementary::atan2(self.re, other.re))
            }
            fn abs_sub(self, other: Self) -> Self {
                self.chain_rule2(other, $crate::elementary::abs_sub(self.re, other.re))
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
    };
}

pub(crate) use dual_number_impls;
