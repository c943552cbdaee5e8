//! `DualVec<T, N>`: a number with `N` tangent directions at once.

use crate::dual_impls::dual_number_impls;
use crate::Scalar;
use std::fmt;
use std::ops::Div;

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

    /// `true` when every tangent is zero (a constant).
    #[inline]
    fn tangent_is_zero(&self) -> bool {
        self.eps.iter().all(T::is_zero)
    }
}

impl<T: Scalar, const N: usize> From<T> for DualVec<T, N> {
    /// A constant: tangent zero.
    #[inline]
    fn from(re: T) -> Self {
        Self::new(re, [T::zero(); N])
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

dual_number_impls!([T: Scalar, const N: usize] DualVec<T, N>; [const N: usize] DualVec<f32, N>);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dual;
    use num_traits::Zero;

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
