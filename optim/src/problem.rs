//! What a solver asks of a problem: small, fallible, single-purpose traits.
//!
//! Parameters are `&[f64]`; a gradient is a `Vec<f64>` with one entry per
//! parameter; a Hessian is a row-major `n * n` `Vec<f64>`. Methods take
//! `&self`, so a problem can be shared; mini-batch problems change their batch
//! in [`Gradient::next_batch`], the one method that takes `&mut self`.

use crate::OptimError;

/// A cost (objective) to minimise.
pub trait CostFunction {
    /// The cost at `x`.
    fn cost(&self, x: &[f64]) -> Result<f64, OptimError>;
}

/// A cost with its gradient.
pub trait Gradient: CostFunction {
    /// The gradient at `x`, one entry per parameter.
    fn gradient(&self, x: &[f64]) -> Result<Vec<f64>, OptimError>;

    /// Cost and gradient together. Override it when both come from one pass
    /// (reverse mode, a hand-written adjoint): line searches call this.
    fn cost_and_gradient(&self, x: &[f64]) -> Result<(f64, Vec<f64>), OptimError> {
        Ok((self.cost(x)?, self.gradient(x)?))
    }

    /// Called by the solvers that accept a stochastic gradient (gradient
    /// descent with a fixed step, momentum, Nesterov, Adam) before iteration
    /// `iteration` (counted from 0), and never by the others. A mini-batch
    /// problem draws its next batch here (from its own seeded generator);
    /// full-batch problems keep the default, which does nothing.
    ///
    /// # Example
    /// ```
    /// use admix_optim::{Adam, CostFunction, Gradient, Minimizer, OptimError, Stop};
    ///
    /// /// Mean of 1/2 (w - d_i)^2 over a batch of 2 of the 6 data, cycled.
    /// struct MeanFit {
    ///     data: Vec<f64>,
    ///     batch: usize,
    /// }
    /// impl MeanFit {
    ///     fn batch(&self) -> &[f64] {
    ///         &self.data[2 * self.batch..2 * self.batch + 2]
    ///     }
    /// }
    /// impl CostFunction for MeanFit {
    ///     fn cost(&self, w: &[f64]) -> Result<f64, OptimError> {
    ///         Ok(self.batch().iter().map(|d| 0.5 * (w[0] - d).powi(2)).sum::<f64>() / 2.0)
    ///     }
    /// }
    /// impl Gradient for MeanFit {
    ///     fn gradient(&self, w: &[f64]) -> Result<Vec<f64>, OptimError> {
    ///         Ok(vec![self.batch().iter().map(|d| w[0] - d).sum::<f64>() / 2.0])
    ///     }
    ///     fn next_batch(&mut self, iteration: usize) -> Result<(), OptimError> {
    ///         self.batch = iteration % 3;
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let mut fit = MeanFit { data: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], batch: 0 };
    /// let report = Minimizer::new(Adam::new(0.05)?)
    ///     .stop(Stop::new().gradient_norm(0.0)?.max_iterations(3000))
    ///     .minimize(&mut fit, &[0.0])?;
    /// // Noisy batches keep Adam near the full-data mean 3.5.
    /// assert!((report.x[0] - 3.5).abs() < 0.2);
    /// # Ok::<(), admix_optim::OptimError>(())
    /// ```
    fn next_batch(&mut self, iteration: usize) -> Result<(), OptimError> {
        let _ = iteration;
        Ok(())
    }
}

/// A cost with gradient and Hessian (Newton's method).
pub trait Hessian: Gradient {
    /// The Hessian at `x`, row-major `n * n`.
    fn hessian(&self, x: &[f64]) -> Result<Vec<f64>, OptimError>;
}

/// A problem from two closures: cost and gradient (hand-written
/// derivatives).
///
/// # Example
/// ```
/// use admix_optim::{FnProblem, Gradient};
///
/// let sphere = FnProblem::new(
///     |x: &[f64]| x.iter().map(|v| v * v).sum(),
///     |x: &[f64]| x.iter().map(|v| 2.0 * v).collect(),
/// );
/// assert_eq!(sphere.gradient(&[1.0, -2.0])?, vec![2.0, -4.0]);
/// # Ok::<(), admix_optim::OptimError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FnProblem<C, G> {
    cost: C,
    gradient: G,
}

impl<C, G> FnProblem<C, G>
where
    C: Fn(&[f64]) -> f64,
    G: Fn(&[f64]) -> Vec<f64>,
{
    /// The problem with cost `cost` and gradient `gradient`.
    pub fn new(cost: C, gradient: G) -> Self {
        Self { cost, gradient }
    }
}

impl<C, G> CostFunction for FnProblem<C, G>
where
    C: Fn(&[f64]) -> f64,
{
    fn cost(&self, x: &[f64]) -> Result<f64, OptimError> {
        Ok((self.cost)(x))
    }
}

impl<C, G> Gradient for FnProblem<C, G>
where
    C: Fn(&[f64]) -> f64,
    G: Fn(&[f64]) -> Vec<f64>,
{
    fn gradient(&self, x: &[f64]) -> Result<Vec<f64>, OptimError> {
        Ok((self.gradient)(x))
    }
}

/// A problem from one closure that returns cost and gradient together, as a
/// reverse-mode (array tape) objective does.
///
/// A call to [`CostFunction::cost`] still runs the whole closure and drops
/// the gradient; the solvers here ask for cost alone only in backtracking
/// line searches.
///
/// # Example
/// ```
/// use admix_optim::{CostFunction, CostGradFn};
///
/// let sphere = CostGradFn::new(|x: &[f64]| {
///     (x.iter().map(|v| v * v).sum(), x.iter().map(|v| 2.0 * v).collect())
/// });
/// assert_eq!(sphere.cost(&[3.0, 4.0])?, 25.0);
/// # Ok::<(), admix_optim::OptimError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct CostGradFn<F> {
    f: F,
}

impl<F> CostGradFn<F>
where
    F: Fn(&[f64]) -> (f64, Vec<f64>),
{
    /// The problem whose cost and gradient at `x` are `f(x)`.
    pub fn new(f: F) -> Self {
        Self { f }
    }
}

impl<F> CostFunction for CostGradFn<F>
where
    F: Fn(&[f64]) -> (f64, Vec<f64>),
{
    fn cost(&self, x: &[f64]) -> Result<f64, OptimError> {
        Ok((self.f)(x).0)
    }
}

impl<F> Gradient for CostGradFn<F>
where
    F: Fn(&[f64]) -> (f64, Vec<f64>),
{
    fn gradient(&self, x: &[f64]) -> Result<Vec<f64>, OptimError> {
        Ok((self.f)(x).1)
    }

    fn cost_and_gradient(&self, x: &[f64]) -> Result<(f64, Vec<f64>), OptimError> {
        Ok((self.f)(x))
    }
}

/// A borrowed problem is a problem: pass `&mut problem` to keep ownership
/// (mutable, so that [`Gradient::next_batch`] still reaches it).
impl<P: CostFunction + ?Sized> CostFunction for &mut P {
    fn cost(&self, x: &[f64]) -> Result<f64, OptimError> {
        (**self).cost(x)
    }
}

impl<P: Gradient + ?Sized> Gradient for &mut P {
    fn gradient(&self, x: &[f64]) -> Result<Vec<f64>, OptimError> {
        (**self).gradient(x)
    }

    fn cost_and_gradient(&self, x: &[f64]) -> Result<(f64, Vec<f64>), OptimError> {
        (**self).cost_and_gradient(x)
    }

    fn next_batch(&mut self, iteration: usize) -> Result<(), OptimError> {
        (**self).next_batch(iteration)
    }
}

impl<P: Hessian + ?Sized> Hessian for &mut P {
    fn hessian(&self, x: &[f64]) -> Result<Vec<f64>, OptimError> {
        (**self).hessian(x)
    }
}
