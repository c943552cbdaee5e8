//! A wrapper that counts evaluations and checks their shapes.

use std::cell::Cell;

use crate::{CostFunction, Gradient, Hessian, OptimError};

/// How many times each part of a problem was evaluated.
///
/// A combined cost-and-gradient call counts once in each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Cost evaluations.
    pub cost: usize,
    /// Gradient evaluations.
    pub gradient: usize,
    /// Hessian evaluations.
    pub hessian: usize,
}

impl Counts {
    /// The larger of the cost and gradient counts: what the `max_evaluations`
    /// stopping rule bounds.
    pub fn evaluations(&self) -> usize {
        self.cost.max(self.gradient)
    }
}

/// A problem whose evaluations are counted and whose gradients and Hessians
/// are checked to have the right length.
///
/// The solvers see every problem through this wrapper; it implements the
/// same traits as the problem it wraps.
#[derive(Debug)]
pub struct Counted<P> {
    problem: P,
    cost: Cell<usize>,
    gradient: Cell<usize>,
    hessian: Cell<usize>,
}

impl<P> Counted<P> {
    /// Wraps `problem` with all counts at zero.
    pub fn new(problem: P) -> Self {
        Self {
            problem,
            cost: Cell::new(0),
            gradient: Cell::new(0),
            hessian: Cell::new(0),
        }
    }

    /// The counts so far.
    pub fn counts(&self) -> Counts {
        Counts {
            cost: self.cost.get(),
            gradient: self.gradient.get(),
            hessian: self.hessian.get(),
        }
    }

    /// The wrapped problem.
    pub fn inner(&self) -> &P {
        &self.problem
    }

    /// Unwraps the problem.
    pub fn into_inner(self) -> P {
        self.problem
    }
}

fn bump(counter: &Cell<usize>) {
    counter.set(counter.get() + 1);
}

impl<P: CostFunction> CostFunction for Counted<P> {
    fn cost(&self, x: &[f64]) -> Result<f64, OptimError> {
        bump(&self.cost);
        self.problem.cost(x)
    }
}

impl<P: Gradient> Gradient for Counted<P> {
    fn gradient(&self, x: &[f64]) -> Result<Vec<f64>, OptimError> {
        bump(&self.gradient);
        let g = self.problem.gradient(x)?;
        OptimError::check_len("gradient", x.len(), g.len())?;
        Ok(g)
    }

    fn cost_and_gradient(&self, x: &[f64]) -> Result<(f64, Vec<f64>), OptimError> {
        bump(&self.cost);
        bump(&self.gradient);
        let (f, g) = self.problem.cost_and_gradient(x)?;
        OptimError::check_len("gradient", x.len(), g.len())?;
        Ok((f, g))
    }

    fn next_batch(&mut self, iteration: usize) -> Result<(), OptimError> {
        self.problem.next_batch(iteration)
    }
}

impl<P: Hessian> Hessian for Counted<P> {
    fn hessian(&self, x: &[f64]) -> Result<Vec<f64>, OptimError> {
        bump(&self.hessian);
        let h = self.problem.hessian(x)?;
        OptimError::check_len("Hessian", x.len() * x.len(), h.len())?;
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FnProblem;

    #[test]
    fn counts_each_kind_and_checks_lengths() {
        let p = FnProblem::new(|x: &[f64]| x[0] * x[0], |_: &[f64]| vec![1.0, 2.0]);
        let c = Counted::new(p);
        c.cost(&[1.0]).unwrap();
        c.cost(&[2.0]).unwrap();
        assert!(matches!(
            c.gradient(&[1.0]),
            Err(OptimError::DimensionMismatch {
                expected: 1,
                found: 2,
                ..
            })
        ));
        c.cost_and_gradient(&[1.0]).unwrap_err();
        let n = c.counts();
        assert_eq!((n.cost, n.gradient, n.hessian), (3, 2, 0));
        assert_eq!(n.evaluations(), 3);
    }
}
