//! Operator forwarding shared by the dual types: references, compound
//! assignment, and `f64`/`f32` on the left. The maths lives in the by-value
//! impls written out in each type's file; these impls only call them.

/// Forwards `Add`, `Sub`, `Mul`, `Div` and `Rem` for a dual type `$ty` whose
/// real part has type `$re` (the type must implement `From<$re>` and the
/// by-value operators with `Self` and with `$re`).
///
/// `f64` on the left works for every real part (through `Scalar::constant`),
/// `f32` on the left only for the `f32`-based type `$ty32`: with both for
/// every type, a float literal on the left (`2.0 * x`) would be ambiguous.
macro_rules! forward_binary_ops {
    ([$($gen:tt)*] $ty:ty, $re:ty; [$($gen32:tt)*] $ty32:ty) => {
        $crate::forward_ops::forward_binary_ops!(@op [$($gen)*] $ty, $re; [$($gen32)*] $ty32, Add, add, AddAssign, add_assign, commutes);
        $crate::forward_ops::forward_binary_ops!(@op [$($gen)*] $ty, $re; [$($gen32)*] $ty32, Sub, sub, SubAssign, sub_assign, ordered);
        $crate::forward_ops::forward_binary_ops!(@op [$($gen)*] $ty, $re; [$($gen32)*] $ty32, Mul, mul, MulAssign, mul_assign, commutes);
        $crate::forward_ops::forward_binary_ops!(@op [$($gen)*] $ty, $re; [$($gen32)*] $ty32, Div, div, DivAssign, div_assign, ordered);
        $crate::forward_ops::forward_binary_ops!(@op [$($gen)*] $ty, $re; [$($gen32)*] $ty32, Rem, rem, RemAssign, rem_assign, ordered);
    };
    // A constant on the left of `+` and `*` moves to the right, where the
    // by-value impl leaves the tangent alone or scales it (no product rule on
    // a zero tangent); `-`, `/` and `%` lift it to a dual instead.
    (@left commutes, $Op:ident, $op:ident, $ty:ty, $re:ty, $lhs:expr, $rhs:expr) => {
        std::ops::$Op::$op($rhs, $lhs)
    };
    (@left ordered, $Op:ident, $op:ident, $ty:ty, $re:ty, $lhs:expr, $rhs:expr) => {
        std::ops::$Op::$op(<$ty as From<$re>>::from($lhs), $rhs)
    };
    (@op [$($gen:tt)*] $ty:ty, $re:ty; [$($gen32:tt)*] $ty32:ty, $Op:ident, $op:ident, $OpAssign:ident, $op_assign:ident, $order:ident) => {
        impl<$($gen)*> std::ops::$Op<&$ty> for $ty {
            type Output = $ty;
            #[inline]
            fn $op(self, rhs: &$ty) -> $ty {
                std::ops::$Op::$op(self, *rhs)
            }
        }

        impl<$($gen)*> std::ops::$Op<$ty> for &$ty {
            type Output = $ty;
            #[inline]
            fn $op(self, rhs: $ty) -> $ty {
                std::ops::$Op::$op(*self, rhs)
            }
        }

        impl<$($gen)*> std::ops::$Op<&$ty> for &$ty {
            type Output = $ty;
            #[inline]
            fn $op(self, rhs: &$ty) -> $ty {
                std::ops::$Op::$op(*self, *rhs)
            }
        }

        impl<$($gen)*> std::ops::$OpAssign<$ty> for $ty {
            #[inline]
            fn $op_assign(&mut self, rhs: $ty) {
                *self = std::ops::$Op::$op(*self, rhs);
            }
        }

        impl<$($gen)*> std::ops::$OpAssign<&$ty> for $ty {
            #[inline]
            fn $op_assign(&mut self, rhs: &$ty) {
                *self = std::ops::$Op::$op(*self, *rhs);
            }
        }

        impl<$($gen)*> std::ops::$OpAssign<$re> for $ty {
            #[inline]
            fn $op_assign(&mut self, rhs: $re) {
                *self = std::ops::$Op::$op(*self, rhs);
            }
        }

        impl<$($gen)*> std::ops::$Op<$ty> for f64 {
            type Output = $ty;
            #[inline]
            fn $op(self, rhs: $ty) -> $ty {
                let lhs = <$re as $crate::Scalar>::constant(self);
                $crate::forward_ops::forward_binary_ops!(@left $order, $Op, $op, $ty, $re, lhs, rhs)
            }
        }

        impl<$($gen32)*> std::ops::$Op<$ty32> for f32 {
            type Output = $ty32;
            #[inline]
            fn $op(self, rhs: $ty32) -> $ty32 {
                $crate::forward_ops::forward_binary_ops!(@left $order, $Op, $op, $ty32, f32, self, rhs)
            }
        }
    };
}

pub(crate) use forward_binary_ops;

/// Inside an `impl Float` block: one method per elementary function, each
/// handing the value and derivative from [`crate::elementary`] to the
/// type's `chain_rule`.
macro_rules! chain_rule_methods {
    ($($f:ident)*) => {
        $(
            #[inline]
            fn $f(self) -> Self {
                self.chain_rule($crate::elementary::$f(self.re))
            }
        )*
    };
}

pub(crate) use chain_rule_methods;

/// Inside an `impl Float` or `impl FloatConst` block: constants with zero
/// tangent, taken from the real part's type `T`.
macro_rules! constant_methods {
    ($($c:ident)*) => {
        $(
            #[inline]
            fn $c() -> Self {
                Self::from(T::$c())
            }
        )*
    };
}

pub(crate) use constant_methods;
