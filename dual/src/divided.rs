//! Divided differences: derivatives from function values alone.
//!
//! A [`DividedDifference`] (a [`Scheme`] and a [`Step`]) returns the same
//! shapes as the forward-mode drivers (`(value, slope)`, `(value,
//! gradient)`, `(values, jacobian)`), so a caller can swap it for automatic
//! differentiation. Unlike AD it is approximate: truncation error shrinks
//! with the step, round-off error grows as it shrinks.
//!
//! # Reference
//! J. Nocedal, S. J. Wright, *Numerical Optimization*, 2nd ed., section 8.1;
//! W. H. Press et al., *Numerical Recipes*, 3rd ed., section 5.7.

use crate::{DualError, ScalarFn, VectorFn};

/// Which function values a divided difference combines.
///
/// ```text
/// Forward    (f(x+h) - f(x)) / h                              error O(h)
/// Backward   (f(x) - f(x-h)) / h                              error O(h)
/// Central    (f(x+h) - f(x-h)) / (2h)                         error O(h^2)
/// FivePoint  (f(x-2h) - 8f(x-h) + 8f(x+h) - f(x+2h)) / (12h)  error O(h^4)
/// ```
///
/// `FivePoint` is Richardson extrapolation of two central differences
/// (steps h and 2h), written out as one stencil.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Scheme {
    /// One-sided, ahead of `x`: one extra evaluation per variable.
    Forward,
    /// One-sided, behind `x`: one extra evaluation per variable.
    Backward,
    /// Symmetric: two evaluations per variable.
    #[default]
    Central,
    /// Fourth-order symmetric stencil: four evaluations per variable.
    FivePoint,
}

impl Scheme {
    /// `(k, w)` pairs and divisor `d`: `f'(x) ~ sum w f(x + k h) / (d h)`.
    fn stencil(self) -> (&'static [(f64, f64)], f64) {
        match self {
            Scheme::Forward => (&[(1.0, 1.0), (0.0, -1.0)], 1.0),
            Scheme::Backward => (&[(0.0, 1.0), (-1.0, -1.0)], 1.0),
            Scheme::Central => (&[(1.0, 1.0), (-1.0, -1.0)], 2.0),
            Scheme::FivePoint => (&[(-2.0, 1.0), (-1.0, -8.0), (1.0, 8.0), (2.0, -1.0)], 12.0),
        }
    }

    /// The relative step that balances truncation against round-off for a
    /// function computed to machine precision:
    /// `eps^(1/(p+1))` for a scheme of order `p`.
    ///
    /// ```text
    /// Forward, Backward   sqrt(eps)  ~ 1.5e-8
    /// Central             eps^(1/3)  ~ 6.1e-6
    /// FivePoint           eps^(1/5)  ~ 7.4e-4
    /// ```
    pub fn relative_step(self) -> f64 {
        let order = match self {
            Scheme::Forward | Scheme::Backward => 1.0,
            Scheme::Central => 2.0,
            Scheme::FivePoint => 4.0,
        };
        f64::EPSILON.powf(1.0 / (order + 1.0))
    }
}

/// How the step `h` is chosen for each variable.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Step {
    /// The textbook rule `h = scheme.relative_step() * max(|x|, 1)`,
    /// rounded so that `x + h` and `x` differ by exactly `h`.
    #[default]
    Auto,
    /// This step for every variable, used as given (must be positive and
    /// finite).
    Fixed(f64),
}

impl Step {
    /// The step for a variable at `x` under `scheme`.
    ///
    /// # Errors
    /// [`DualError::InvalidStep`] for a fixed step that is not positive and
    /// finite. An automatic step at a non-finite `x` is not an error: it
    /// gives a NaN derivative.
    pub fn at(self, scheme: Scheme, x: f64) -> Result<f64, DualError> {
        match self {
            Step::Fixed(h) if h > 0.0 && h.is_finite() => Ok(h),
            Step::Fixed(h) => Err(DualError::InvalidStep { step: h }),
            Step::Auto => {
                let h = scheme.relative_step() * x.abs().max(1.0);
                // (x + h) - x is exact, so the step divided by is the step taken.
                Ok((x + h) - x)
            }
        }
    }
}

/// Derivatives by divided differences: a [`Scheme`] and a [`Step`].
///
/// The default (central differences, automatic step) is accurate to about
/// `eps^(2/3)` relative, some 1e-10, on smooth functions.
///
/// # Example
/// ```
/// use admix_dual::{DividedDifference, Scheme, Step};
///
/// let dd = DividedDifference::default();
/// let (value, slope) = dd.derivative(|x| x.exp(), 1.0)?;
/// assert_eq!(value, 1.0_f64.exp());
/// assert!((slope - 1.0_f64.exp()).abs() < 1e-9);
///
/// let forward = DividedDifference::new(Scheme::Forward, Step::Fixed(1e-3));
/// let (_, grad) = forward.gradient(|x| x[0] * x[1], &[2.0, 3.0])?;
/// assert!((grad[0] - 3.0).abs() < 1e-12 && (grad[1] - 2.0).abs() < 1e-12);
/// # Ok::<(), admix_dual::DualError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct DividedDifference {
    /// Which function values are combined.
    pub scheme: Scheme,
    /// How the step is chosen.
    pub step: Step,
}

impl DividedDifference {
    /// A divided difference with this scheme and step rule.
    pub fn new(scheme: Scheme, step: Step) -> Self {
        Self { scheme, step }
    }

    /// The value `f(x)` and an approximation of `f'(x)` for `f: R -> R`.
    ///
    /// # Errors
    /// [`DualError::InvalidStep`] for a fixed step that is not positive and finite.
    pub fn derivative(&self, f: impl Fn(f64) -> f64, x: f64) -> Result<(f64, f64), DualError> {
        let (value, grad) = self.gradient(|x| f(x[0]), &[x])?;
        Ok((value, grad[0]))
    }

    /// The value `f(x)` and an approximation of the gradient of
    /// `f: R^n -> R`. A [`ScalarFn`](crate::ScalarFn) fits as
    /// `|x| f.eval(x)`.
    ///
    /// # Errors
    /// [`DualError::InvalidStep`] for a fixed step that is not positive and finite.
    pub fn gradient(
        &self,
        f: impl Fn(&[f64]) -> f64,
        x: &[f64],
    ) -> Result<(f64, Vec<f64>), DualError> {
        let (values, jac) = self.jacobian(|x| vec![f(x)], x)?;
        let grad = jac.into_iter().next().unwrap_or_default();
        Ok((values[0], grad))
    }

    /// [`gradient`](Self::gradient) of a [`ScalarFn`] evaluated on `f64`:
    /// the same call shape as [`gradient_of`](crate::gradient_of), so
    /// either can serve as an optimiser's gradient source.
    ///
    /// # Errors
    /// [`DualError::InvalidStep`] for a fixed step that is not positive and finite.
    ///
    /// # Example
    /// ```
    /// use admix_dual::{gradient_of, DividedDifference, Scalar, ScalarFn};
    ///
    /// struct Sphere;
    /// impl ScalarFn for Sphere {
    ///     fn eval<S: Scalar>(&self, x: &[S]) -> S {
    ///         x.iter().map(|&xi| xi * xi).sum()
    ///     }
    /// }
    /// let x = [1.0, -2.0];
    /// let (_, exact) = gradient_of(&Sphere, &x);
    /// let (_, approx) = DividedDifference::default().gradient_of(&Sphere, &x)?;
    /// assert!((exact[1] - approx[1]).abs() < 1e-9);
    /// # Ok::<(), admix_dual::DualError>(())
    /// ```
    pub fn gradient_of<F: ScalarFn>(&self, f: &F, x: &[f64]) -> Result<(f64, Vec<f64>), DualError> {
        self.gradient(|v| f.eval(v), x)
    }

    /// [`jacobian`](Self::jacobian) of a [`VectorFn`] evaluated on `f64`.
    ///
    /// # Errors
    /// As [`jacobian`](Self::jacobian).
    pub fn jacobian_of<F: VectorFn>(
        &self,
        f: &F,
        x: &[f64],
    ) -> Result<(Vec<f64>, Vec<Vec<f64>>), DualError> {
        self.jacobian(|v| f.eval(v), x)
    }

    /// The values `F(x)` and an approximation of the Jacobian of
    /// `F: R^n -> R^m` as `m` rows of `n` entries, one column per variable.
    ///
    /// # Errors
    /// [`DualError::InvalidStep`] for a fixed step that is not positive and
    /// finite; [`DualError::OutputLengthChanged`] if two evaluations return
    /// different numbers of outputs.
    pub fn jacobian(
        &self,
        f: impl Fn(&[f64]) -> Vec<f64>,
        x: &[f64],
    ) -> Result<(Vec<f64>, Vec<Vec<f64>>), DualError> {
        let f0 = f(x);
        let mut jac = vec![Vec::with_capacity(x.len()); f0.len()];
        let mut point = x.to_vec();
        let (stencil, divisor) = self.scheme.stencil();
        for i in 0..x.len() {
            let h = self.step.at(self.scheme, x[i])?;
            let mut column = vec![0.0; f0.len()];
            for &(k, weight) in stencil {
                let fk = if k == 0.0 {
                    f0.clone()
                } else {
                    point[i] = x[i] + k * h;
                    let fk = f(&point);
                    point[i] = x[i];
                    fk
                };
                if fk.len() != f0.len() {
                    return Err(DualError::OutputLengthChanged {
                        first: f0.len(),
                        later: fk.len(),
                    });
                }
                for (c, v) in column.iter_mut().zip(&fk) {
                    *c += weight * v;
                }
            }
            for (row, c) in jac.iter_mut().zip(column) {
                row.push(c / (divisor * h));
            }
        }
        Ok((f0, jac))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    /// Error of each scheme on exp at 0.5 (exact derivative exp(0.5)).
    fn error(scheme: Scheme, h: f64) -> f64 {
        let dd = DividedDifference::new(scheme, Step::Fixed(h));
        let (_, slope) = dd.derivative(f64::exp, 0.5).unwrap();
        (slope - 0.5_f64.exp()).abs()
    }

    #[test]
    fn truncation_error_shrinks_with_the_order_of_the_scheme() {
        // Halving h divides the error by about 2^order while truncation dominates.
        for (scheme, order, h) in [
            (Scheme::Forward, 1, 1e-3),
            (Scheme::Backward, 1, 1e-3),
            (Scheme::Central, 2, 1e-2),
            (Scheme::FivePoint, 4, 1e-1),
        ] {
            let ratio = error(scheme, h) / error(scheme, h / 2.0);
            assert_relative_eq!(ratio, 2f64.powi(order), max_relative = 0.05);
        }
    }

    #[test]
    fn forward_difference_of_a_cube_has_the_known_truncation_error() {
        // ((x+h)^3 - x^3)/h - 3x^2 = 3xh + h^2; h = 0.25 and x = 2 are exact.
        let dd = DividedDifference::new(Scheme::Forward, Step::Fixed(0.25));
        let (value, slope) = dd.derivative(|x| x * x * x, 2.0).unwrap();
        assert_eq!(value, 8.0);
        assert_eq!(slope - 12.0, 3.0 * 2.0 * 0.25 + 0.0625);
        let back = DividedDifference::new(Scheme::Backward, Step::Fixed(0.25));
        assert_eq!(
            back.derivative(|x| x * x * x, 2.0).unwrap().1 - 12.0,
            -1.5 + 0.0625
        );
    }

    #[test]
    fn automatic_steps_follow_the_textbook_rule() {
        assert_relative_eq!(Step::Auto.at(Scheme::Forward, 0.0).unwrap(), 2f64.powi(-26));
        let h = Step::Auto.at(Scheme::Central, 1e4).unwrap();
        // Rounding x + h moves h by at most ulp(1e4) / h ~ 3e-11 relative.
        assert_relative_eq!(h, f64::EPSILON.cbrt() * 1e4, max_relative = 1e-10);
        assert_eq!((1e4 + h) - 1e4, h);
        // Expected relative accuracy about eps^(p/(p+1)), with a safety factor.
        for (scheme, best) in [
            (Scheme::Forward, 1e-7),
            (Scheme::Central, 1e-9),
            (Scheme::FivePoint, 1e-11),
        ] {
            let dd = DividedDifference::new(scheme, Step::Auto);
            let (_, g) = dd
                .gradient(|x| x[0].sin() * x[1].exp(), &[0.3, -0.2])
                .unwrap();
            assert_relative_eq!(g[0], 0.3_f64.cos() * (-0.2_f64).exp(), max_relative = best);
            assert_relative_eq!(g[1], 0.3_f64.sin() * (-0.2_f64).exp(), max_relative = best);
        }
    }

    #[test]
    fn jacobian_by_columns() {
        let dd = DividedDifference::default();
        let (values, jac) = dd
            .jacobian(|x| vec![x[0] * x[1], x[0] + 2.0 * x[1]], &[2.0, 3.0])
            .unwrap();
        assert_eq!(values, vec![6.0, 8.0]);
        let expected = [[3.0, 2.0], [1.0, 2.0]];
        for (row, want) in jac.iter().zip(expected) {
            assert_relative_eq!(row.as_slice(), want.as_slice(), max_relative = 1e-9);
        }
    }

    #[test]
    fn bad_steps_and_shapes_are_errors() {
        for h in [0.0, -1e-3, f64::NAN, f64::INFINITY] {
            let dd = DividedDifference::new(Scheme::Central, Step::Fixed(h));
            assert!(matches!(
                dd.derivative(f64::sin, 1.0),
                Err(DualError::InvalidStep { .. })
            ));
        }
        let dd = DividedDifference::default();
        let changing = |x: &[f64]| vec![0.0; if x[0] == 1.0 { 1 } else { 2 }];
        assert_eq!(
            dd.jacobian(changing, &[1.0]).unwrap_err(),
            DualError::OutputLengthChanged { first: 1, later: 2 }
        );
    }

    #[test]
    fn non_finite_points_give_nan_not_panics() {
        let dd = DividedDifference::default();
        let (value, slope) = dd.derivative(|x| x * x, f64::NAN).unwrap();
        assert!(value.is_nan() && slope.is_nan());
        let (_, slope) = dd.derivative(|x| x * x, f64::INFINITY).unwrap();
        assert!(slope.is_nan());
    }
}
