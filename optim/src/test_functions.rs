//! Standard test problems with known minimisers, written once over
//! [`Scalar`] and also given hand-written gradients and Hessians.
//!
//! The hand-written derivatives make each one a [`Hessian`] problem on its
//! own, independent of any AD, so they can check the AD gradient sources.

use admix_dual::{Scalar, ScalarFn, VectorFn};

use crate::{CostFunction, Gradient, Hessian, OptimError};

/// Implements the problem traits for a test function from its `ScalarFn`
/// and its hand-written `grad` and `hess` methods.
macro_rules! problem_from_parts {
    ($t:ty) => {
        impl CostFunction for $t {
            fn cost(&self, x: &[f64]) -> Result<f64, OptimError> {
                Ok(self.eval(x))
            }
        }
        impl Gradient for $t {
            fn gradient(&self, x: &[f64]) -> Result<Vec<f64>, OptimError> {
                Ok(self.grad(x))
            }
        }
        impl Hessian for $t {
            fn hessian(&self, x: &[f64]) -> Result<Vec<f64>, OptimError> {
                Ok(self.hess(x))
            }
        }
    };
}

/// Rosenbrock's function in `n >= 2` dimensions, minimum 0 at `(1, ..., 1)`:
///
/// ```text
/// f(x) = sum_{i < n-1} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rosenbrock;

impl ScalarFn for Rosenbrock {
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        x.windows(2)
            .map(|w| (w[1] - w[0] * w[0]).powi(2).scale(100.0) + (S::one() - w[0]).powi(2))
            .sum()
    }
}

impl Rosenbrock {
    fn grad(&self, x: &[f64]) -> Vec<f64> {
        let mut g = vec![0.0; x.len()];
        for i in 0..x.len().saturating_sub(1) {
            let t = x[i + 1] - x[i] * x[i];
            g[i] += -400.0 * x[i] * t - 2.0 * (1.0 - x[i]);
            g[i + 1] += 200.0 * t;
        }
        g
    }

    fn hess(&self, x: &[f64]) -> Vec<f64> {
        let n = x.len();
        let mut h = vec![0.0; n * n];
        for i in 0..n.saturating_sub(1) {
            h[i * n + i] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
            h[(i + 1) * n + i + 1] += 200.0;
            h[i * n + i + 1] = -400.0 * x[i];
            h[(i + 1) * n + i] = -400.0 * x[i];
        }
        h
    }
}

problem_from_parts!(Rosenbrock);

/// Beale's function, minimum 0 at `(3, 0.5)`:
///
/// ```text
/// f(x, y) = (1.5 - x + x y)^2 + (2.25 - x + x y^2)^2 + (2.625 - x + x y^3)^2
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Beale;

const BEALE_C: [f64; 3] = [1.5, 2.25, 2.625];

impl ScalarFn for Beale {
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        let (a, b) = (x[0], x[1]);
        (1..=3)
            .map(|k| (S::constant(BEALE_C[k - 1]) - a + a * b.powi(k as i32)).powi(2))
            .sum()
    }
}

impl Beale {
    fn grad(&self, x: &[f64]) -> Vec<f64> {
        let (a, b) = (x[0], x[1]);
        let mut g = vec![0.0; 2];
        for k in 1..=3 {
            let r = BEALE_C[k - 1] - a + a * b.powi(k as i32);
            g[0] += 2.0 * r * (b.powi(k as i32) - 1.0);
            g[1] += 2.0 * r * k as f64 * a * b.powi(k as i32 - 1);
        }
        g
    }

    fn hess(&self, x: &[f64]) -> Vec<f64> {
        let (a, b) = (x[0], x[1]);
        let mut h = vec![0.0; 4];
        for k in 1..=3 {
            let kf = k as f64;
            let r = BEALE_C[k - 1] - a + a * b.powi(k as i32);
            let (ra, rb) = (b.powi(k as i32) - 1.0, kf * a * b.powi(k as i32 - 1));
            let rab = kf * b.powi(k as i32 - 1);
            let rbb = kf * (kf - 1.0) * a * b.powi(k as i32 - 2);
            h[0] += 2.0 * ra * ra;
            h[1] += 2.0 * (ra * rb + r * rab);
            h[3] += 2.0 * (rb * rb + r * rbb);
        }
        h[2] = h[1];
        h
    }
}

problem_from_parts!(Beale);

/// Booth's function, minimum 0 at `(1, 3)`:
///
/// ```text
/// f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Booth;

impl ScalarFn for Booth {
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        (x[0] + x[1].scale(2.0) - S::constant(7.0)).powi(2)
            + (x[0].scale(2.0) + x[1] - S::constant(5.0)).powi(2)
    }
}

impl Booth {
    fn grad(&self, x: &[f64]) -> Vec<f64> {
        let a = x[0] + 2.0 * x[1] - 7.0;
        let b = 2.0 * x[0] + x[1] - 5.0;
        vec![2.0 * a + 4.0 * b, 4.0 * a + 2.0 * b]
    }

    fn hess(&self, _x: &[f64]) -> Vec<f64> {
        vec![10.0, 8.0, 8.0, 10.0]
    }
}

problem_from_parts!(Booth);

/// Himmelblau's function, minimum 0 at four points (see
/// [`Himmelblau::MINIMA`]):
///
/// ```text
/// f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Himmelblau;

impl Himmelblau {
    /// The four minimisers (to 6 decimals, except the exact `(3, 2)`).
    pub const MINIMA: [[f64; 2]; 4] = [
        [3.0, 2.0],
        [-2.805118, 3.131312],
        [-3.779310, -3.283186],
        [3.584428, -1.848126],
    ];

    fn grad(&self, x: &[f64]) -> Vec<f64> {
        let a = x[0] * x[0] + x[1] - 11.0;
        let b = x[0] + x[1] * x[1] - 7.0;
        vec![4.0 * x[0] * a + 2.0 * b, 2.0 * a + 4.0 * x[1] * b]
    }

    fn hess(&self, x: &[f64]) -> Vec<f64> {
        let a = x[0] * x[0] + x[1] - 11.0;
        let b = x[0] + x[1] * x[1] - 7.0;
        let off = 4.0 * (x[0] + x[1]);
        vec![
            4.0 * a + 8.0 * x[0] * x[0] + 2.0,
            off,
            off,
            4.0 * b + 8.0 * x[1] * x[1] + 2.0,
        ]
    }
}

impl ScalarFn for Himmelblau {
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        (x[0] * x[0] + x[1] - S::constant(11.0)).powi(2)
            + (x[0] + x[1] * x[1] - S::constant(7.0)).powi(2)
    }
}

problem_from_parts!(Himmelblau);

/// A diagonal quadratic `f(x) = 1/2 sum_i d_i (x_i - 1)^2`, minimum 0 at
/// `(1, ..., 1)`, with curvatures `d_i` spread geometrically from 1 to the
/// condition number.
#[derive(Clone, Debug, PartialEq)]
pub struct Quadratic {
    curvatures: Vec<f64>,
}

impl Quadratic {
    /// `n` curvatures from 1 to `condition` (geometric spacing); `n >= 1`,
    /// `condition >= 1`.
    pub fn new(n: usize, condition: f64) -> Result<Self, OptimError> {
        if !(condition >= 1.0 && condition.is_finite()) {
            return Err(OptimError::InvalidSetting {
                name: "condition",
                value: condition,
                valid: "finite and >= 1",
            });
        }
        if n == 0 {
            return Err(OptimError::EmptyStart);
        }
        let curvatures = (0..n)
            .map(|i| {
                let t = if n == 1 {
                    0.0
                } else {
                    i as f64 / (n - 1) as f64
                };
                condition.powf(t)
            })
            .collect();
        Ok(Self { curvatures })
    }

    /// The curvatures `d_i` (the Hessian's diagonal).
    pub fn curvatures(&self) -> &[f64] {
        &self.curvatures
    }

    fn grad(&self, x: &[f64]) -> Vec<f64> {
        x.iter()
            .zip(&self.curvatures)
            .map(|(xi, d)| d * (xi - 1.0))
            .collect()
    }

    fn hess(&self, x: &[f64]) -> Vec<f64> {
        let n = x.len();
        let mut h = vec![0.0; n * n];
        for (i, d) in self.curvatures.iter().enumerate() {
            h[i * n + i] = *d;
        }
        h
    }
}

impl ScalarFn for Quadratic {
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        x.iter()
            .zip(&self.curvatures)
            .map(|(&xi, &d)| (xi - S::one()).powi(2).scale(0.5 * d))
            .sum()
    }
}

problem_from_parts!(Quadratic);

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    /// Central-difference gradient, the slow obvious way.
    fn numeric_gradient(f: &impl ScalarFn, x: &[f64]) -> Vec<f64> {
        (0..x.len())
            .map(|i| {
                let h = 1e-6 * x[i].abs().max(1.0);
                let (mut up, mut down) = (x.to_vec(), x.to_vec());
                up[i] += h;
                down[i] -= h;
                (f.eval(&up) - f.eval(&down)) / (2.0 * h)
            })
            .collect()
    }

    /// Checks the hand-written gradient against central differences of the
    /// cost, and the Hessian against central differences of the gradient.
    /// Central differences with h ~ 1e-6 are accurate to about 1e-8
    /// relative on these polynomials, hence the 1e-6 tolerance.
    fn check<P: Hessian + ScalarFn>(p: &P, x: &[f64]) {
        let g = p.gradient(x).unwrap();
        for (a, b) in g.iter().zip(numeric_gradient(p, x)) {
            assert_relative_eq!(*a, b, epsilon = 1e-6, max_relative = 1e-6);
        }
        let n = x.len();
        let h = p.hessian(x).unwrap();
        for i in 0..n {
            let step = 1e-6 * x[i].abs().max(1.0);
            let (mut up, mut down) = (x.to_vec(), x.to_vec());
            up[i] += step;
            down[i] -= step;
            let (gu, gd) = (p.gradient(&up).unwrap(), p.gradient(&down).unwrap());
            for j in 0..n {
                let numeric = (gu[j] - gd[j]) / (2.0 * step);
                assert_relative_eq!(h[j * n + i], numeric, epsilon = 1e-5, max_relative = 1e-6);
            }
        }
    }

    #[test]
    fn hand_written_derivatives_match_differences() {
        check(&Rosenbrock, &[-1.2, 1.0, 0.7, 2.0]);
        check(&Beale, &[1.1, -0.7]);
        check(&Booth, &[0.3, 2.0]);
        check(&Himmelblau, &[-1.0, 0.5]);
        check(&Quadratic::new(3, 100.0).unwrap(), &[0.0, 2.0, -1.0]);
    }

    #[test]
    fn stated_minima_are_minima() {
        assert_eq!(Rosenbrock.eval(&[1.0_f64; 5]), 0.0);
        assert_eq!(Beale.eval(&[3.0_f64, 0.5]), 0.0);
        assert_eq!(Booth.eval(&[1.0_f64, 3.0]), 0.0);
        for m in Himmelblau::MINIMA {
            assert!(Himmelblau.eval(&m) < 1e-9, "{m:?}");
        }
        let q = Quadratic::new(4, 1e6).unwrap();
        assert_eq!(q.curvatures()[3], 1e6);
        assert_eq!(q.eval(&[1.0_f64; 4]), 0.0);
    }
}

/// A system of equations with a sparse Jacobian: -u'' + u^3 = 1 on (0, 1),
/// u = 0 at both ends, on `n` interior points of spacing h = 1 / (n + 1),
/// times h^2:
///
/// ```text
/// r_i = 2 u_i - u_{i-1} - u_{i+1} + h^2 (u_i^3 - 1)
/// ```
///
/// Its Jacobian is tridiagonal for any n: the test case of sparse
/// Jacobians and of Newton's method with a sparse solve.
#[derive(Debug, Clone, Copy)]
pub struct BoundaryValueProblem;

impl VectorFn for BoundaryValueProblem {
    fn eval<S: Scalar>(&self, u: &[S]) -> Vec<S> {
        let n = u.len();
        let h2 = ((n + 1) as f64).powi(-2);
        (0..n)
            .map(|i| {
                let mut r = u[i].scale(2.0) + (u[i].powi(3) - S::one()).scale(h2);
                if i > 0 {
                    r -= u[i - 1];
                }
                if i + 1 < n {
                    r -= u[i + 1];
                }
                r
            })
            .collect()
    }
}
