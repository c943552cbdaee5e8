//! A cost written once over `Scalar`, with its derivatives from the source
//! the user picks.

use std::cell::RefCell;

use admix_dual::{DividedDifference, ScalarFn, Scheme, Step};
use admix_tape::GradientTape;

use crate::{CostFunction, Gradient, Hessian, OptimError};

/// Where gradients and Hessians come from.
///
/// | source | gradient | Hessian | accuracy |
/// | --- | --- | --- | --- |
/// | `Forward` | vector duals, `ceil(n/8)` passes | nested duals | round-off |
/// | `Reverse` | one tape recording and sweep | forward over reverse, `n` sweeps | round-off |
/// | `Divided(dd)` | `dd`'s stencil, 1-4 evaluations per variable | five-point differences of that gradient | truncation + round-off |
///
/// Forward mode is exact to round-off and cheapest for few parameters;
/// reverse mode costs a small multiple of one cost evaluation whatever the
/// number of parameters, so it wins for many.
/// Divided differences need only `f64` evaluations; central differences
/// (the default [`DividedDifference`]) are accurate to about 1e-10
/// relative on smooth costs, forward differences to about 1e-8.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Derivatives {
    /// Forward-mode AD with vector dual numbers.
    Forward,
    /// Reverse-mode AD on a tape (reused from call to call).
    Reverse,
    /// Divided differences with this scheme and step.
    Divided(DividedDifference),
}

/// A [`ScalarFn`] cost with derivatives from a chosen [`Derivatives`]
/// source: a problem for every solver, from one generic function.
///
/// # Example
/// ```
/// use admix_dual::{Scalar, ScalarFn};
/// use admix_optim::{Derivatives, Lbfgs, Minimizer, Objective};
///
/// struct Bowl;
/// impl ScalarFn for Bowl {
///     fn eval<S: Scalar>(&self, x: &[S]) -> S {
///         (x[0] - S::one()).powi(2) + (x[1] + S::one()).powi(2).scale(3.0)
///     }
/// }
///
/// let problem = Objective::new(Bowl, Derivatives::Forward);
/// let report = Minimizer::new(Lbfgs::new()).minimize(problem, &[0.0, 0.0])?;
/// assert!((report.x[0] - 1.0).abs() < 1e-6 && (report.x[1] + 1.0).abs() < 1e-6);
/// # Ok::<(), admix_optim::OptimError>(())
/// ```
#[derive(Debug)]
pub struct Objective<F> {
    f: F,
    derivatives: Derivatives,
    /// The reverse-mode workspace, kept so that its memory is reused.
    tape: RefCell<GradientTape>,
}

impl<F: ScalarFn> Objective<F> {
    /// The cost `f` with derivatives from `derivatives`.
    pub fn new(f: F, derivatives: Derivatives) -> Self {
        Self {
            f,
            derivatives,
            tape: RefCell::new(GradientTape::new()),
        }
    }

    /// The derivative source.
    pub fn derivatives(&self) -> Derivatives {
        self.derivatives
    }

    /// The cost function.
    pub fn function(&self) -> &F {
        &self.f
    }
}

impl<F: ScalarFn> CostFunction for Objective<F> {
    fn cost(&self, x: &[f64]) -> Result<f64, OptimError> {
        Ok(self.f.eval(x))
    }
}

impl<F: ScalarFn> Gradient for Objective<F> {
    fn gradient(&self, x: &[f64]) -> Result<Vec<f64>, OptimError> {
        Ok(self.cost_and_gradient(x)?.1)
    }

    fn cost_and_gradient(&self, x: &[f64]) -> Result<(f64, Vec<f64>), OptimError> {
        match self.derivatives {
            // A tangent width that fits the number of variables: 2 for a
            // 2-D problem, not 16.
            Derivatives::Forward => Ok(admix_dual::gradient_of(&self.f, x)),
            Derivatives::Reverse => Ok(self.tape.borrow_mut().gradient(&self.f, x)),
            Derivatives::Divided(dd) => Ok(dd.gradient(|x| self.f.eval(x), x)?),
        }
    }
}

impl<F: ScalarFn> Hessian for Objective<F> {
    fn hessian(&self, x: &[f64]) -> Result<Vec<f64>, OptimError> {
        let rows = match self.derivatives {
            Derivatives::Forward => admix_dual::hessian(|x| self.f.eval(x), x).2,
            Derivatives::Reverse => admix_tape::hessian(&self.f, x).2,
            Derivatives::Divided(dd) => {
                // Differencing a differenced gradient loses accuracy twice:
                // the outer difference is five-point with its own (larger)
                // step, so that a forward-difference gradient still gives
                // a usable Hessian (~1e-5 relative; ~1e-8 from central).
                dd.gradient(|x| self.f.eval(x), x)?; // checks the step once
                let grad = |x: &[f64]| {
                    let g = dd.gradient(|x| self.f.eval(x), x).map(|(_, g)| g);
                    g.unwrap_or_else(|_| vec![f64::NAN; x.len()])
                };
                DividedDifference::new(Scheme::FivePoint, Step::Auto)
                    .jacobian(grad, x)?
                    .1
            }
        };
        let n = x.len();
        let mut h: Vec<f64> = rows.into_iter().flatten().collect();
        // Differences give a slightly asymmetric matrix: use its symmetric part.
        for i in 0..n {
            for j in 0..i {
                let mean = 0.5 * (h[i * n + j] + h[j * n + i]);
                h[i * n + j] = mean;
                h[j * n + i] = mean;
            }
        }
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use admix_dual::{DualVec, Scalar};
    use std::cell::Cell;

    /// Records the size of the number type it is evaluated on.
    struct Probe(Cell<usize>);

    impl ScalarFn for Probe {
        fn eval<S: Scalar>(&self, x: &[S]) -> S {
            self.0.set(std::mem::size_of::<S>());
            x[0] * x[1]
        }
    }

    /// A 2-D problem is evaluated on duals of width 2, not 16.
    #[test]
    fn forward_mode_uses_the_width_the_problem_needs() {
        let f = Objective::new(Probe(Cell::new(0)), Derivatives::Forward);
        let (value, grad) = f.cost_and_gradient(&[3.0, 5.0]).unwrap();
        assert_eq!((value, grad), (15.0, vec![5.0, 3.0]));
        assert_eq!(f.function().0.get(), std::mem::size_of::<DualVec<f64, 2>>());
    }
}
