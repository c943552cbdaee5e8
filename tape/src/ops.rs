//! Arithmetic operators on [`Var`]: each computes its value and local
//! partials by hand and hands them to `Var::chain2`, which folds them into a
//! pending result (see [`Var`]); macros only forward the variants
//! (references, assignment, mixed with plain numbers). All are
//! `inline(always)`: a `Var` is five words, and an operator call that is
//! not inlined passes it through memory (Rosenbrock recorded twice as slowly).

use crate::tape::Curvature;
use crate::var::Curves;
use crate::Var;
use admix_dual::Scalar;
use std::iter::{Product, Sum};
use std::ops::{
    Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, RemAssign, Sub, SubAssign,
};

impl<'t, T: Scalar> Add for Var<'t, T> {
    type Output = Self;
    #[inline(always)]
    #[track_caller]
    fn add(self, rhs: Self) -> Self {
        // Computed before the pushes: measured faster on Rosenbrock than
        // late (the product's late value pays off only before a libm call).
        let value = self.value() + rhs.value();
        self.chain2(rhs, move || value, T::one(), T::one(), Curves::LINEAR)
    }
}

impl<'t, T: Scalar> Sub for Var<'t, T> {
    type Output = Self;
    #[inline(always)]
    #[track_caller]
    fn sub(self, rhs: Self) -> Self {
        let value = self.value() - rhs.value();
        self.chain2(rhs, move || value, T::one(), -T::one(), Curves::LINEAR)
    }
}

impl<'t, T: Scalar> Mul for Var<'t, T> {
    type Output = Self;
    /// Product rule: d(ab) = b da + a db.
    #[inline(always)]
    #[track_caller]
    fn mul(self, rhs: Self) -> Self {
        // Linear in each factor alone: only the mixed second derivative.
        let curves = Curves::new(Curvature::Cross, Curvature::Linear, Curvature::Linear);
        // Computed late (see `Var::chain2`): in `sin(acc * x)` the product
        // then reaches the libm call without a trip through the stack.
        self.chain2(
            rhs,
            || self.value() * rhs.value(),
            rhs.value(),
            self.value(),
            curves,
        )
    }
}

impl<'t, T: Scalar> Div for Var<'t, T> {
    type Output = Self;
    /// Quotient rule: d(a/b) = da / b - (a/b) db / b.
    #[inline(always)]
    #[track_caller]
    fn div(self, rhs: Self) -> Self {
        let inv = rhs.value().recip();
        let value = self.value() / rhs.value();
        // Linear in the numerator alone, curved in the denominator.
        let curves = Curves::new(Curvature::Full, Curvature::Linear, Curvature::Full);
        self.chain2(rhs, move || value, inv, -value * inv, curves)
    }
}

impl<'t, T: Scalar> Rem for Var<'t, T> {
    type Output = Self;
    /// a % b = a - trunc(a/b) b, so d(a % b) = da - trunc(a/b) db.
    #[inline(always)]
    #[track_caller]
    fn rem(self, rhs: Self) -> Self {
        let q = (self.value() / rhs.value()).trunc();
        let value = self.value() % rhs.value();
        // Piecewise linear: trunc(a/b) is locally constant.
        self.chain2(rhs, move || value, T::one(), -q, Curves::LINEAR)
    }
}

impl<'t, T: Scalar> Neg for Var<'t, T> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        self.chain_linear(-self.value(), -T::one())
    }
}

/// Forwards `Var op T`, `T op Var` (for f64), references and `op=`.
macro_rules! forward_binop {
    ($Op:ident, $op:ident, $OpAssign:ident, $op_assign:ident) => {
        impl<'t, T: Scalar> $Op<T> for Var<'t, T> {
            type Output = Self;
            #[inline(always)]
            #[track_caller]
            fn $op(self, rhs: T) -> Self {
                $Op::$op(self, Var::constant(rhs))
            }
        }
        impl<'t> $Op<Var<'t, f64>> for f64 {
            type Output = Var<'t, f64>;
            #[inline(always)]
            #[track_caller]
            fn $op(self, rhs: Var<'t, f64>) -> Var<'t, f64> {
                $Op::$op(Var::constant(self), rhs)
            }
        }
        impl<'t, T: Scalar> $Op<&Var<'t, T>> for Var<'t, T> {
            type Output = Self;
            #[inline(always)]
            #[track_caller]
            fn $op(self, rhs: &Var<'t, T>) -> Self {
                $Op::$op(self, *rhs)
            }
        }
        impl<'t, T: Scalar> $Op<Var<'t, T>> for &Var<'t, T> {
            type Output = Var<'t, T>;
            #[inline(always)]
            #[track_caller]
            fn $op(self, rhs: Var<'t, T>) -> Var<'t, T> {
                $Op::$op(*self, rhs)
            }
        }
        impl<'t, T: Scalar> $Op<&Var<'t, T>> for &Var<'t, T> {
            type Output = Var<'t, T>;
            #[inline(always)]
            #[track_caller]
            fn $op(self, rhs: &Var<'t, T>) -> Var<'t, T> {
                $Op::$op(*self, *rhs)
            }
        }
        impl<'t, T: Scalar> $OpAssign for Var<'t, T> {
            #[inline(always)]
            #[track_caller]
            fn $op_assign(&mut self, rhs: Self) {
                *self = $Op::$op(*self, rhs);
            }
        }
        impl<'t, T: Scalar> $OpAssign<T> for Var<'t, T> {
            #[inline(always)]
            #[track_caller]
            fn $op_assign(&mut self, rhs: T) {
                *self = $Op::$op(*self, rhs);
            }
        }
    };
}

forward_binop!(Add, add, AddAssign, add_assign);
forward_binop!(Sub, sub, SubAssign, sub_assign);
forward_binop!(Mul, mul, MulAssign, mul_assign);
forward_binop!(Div, div, DivAssign, div_assign);
forward_binop!(Rem, rem, RemAssign, rem_assign);

impl<'t, T: Scalar> Sum for Var<'t, T> {
    #[inline(always)]
    #[track_caller]
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.reduce(Add::add)
            .unwrap_or_else(|| Var::constant(T::zero()))
    }
}

impl<'a, 't, T: Scalar> Sum<&'a Var<'t, T>> for Var<'t, T> {
    #[inline(always)]
    #[track_caller]
    fn sum<I: Iterator<Item = &'a Var<'t, T>>>(iter: I) -> Self {
        iter.copied().sum()
    }
}

impl<'t, T: Scalar> Product for Var<'t, T> {
    #[inline(always)]
    #[track_caller]
    fn product<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.reduce(Mul::mul)
            .unwrap_or_else(|| Var::constant(T::one()))
    }
}

impl<'a, 't, T: Scalar> Product<&'a Var<'t, T>> for Var<'t, T> {
    #[inline(always)]
    #[track_caller]
    fn product<I: Iterator<Item = &'a Var<'t, T>>>(iter: I) -> Self {
        iter.copied().product()
    }
}
