//! Gradient descent with a fixed step or a backtracking line search.

use crate::linalg::axpy;
use crate::{Backtracking, Counted, Gradient, OptimError, Solver, State, Status};

/// How gradient descent picks its step length.
#[derive(Clone, Copy, Debug, PartialEq)]
enum StepRule {
    /// `x <- x - rate g`; works with stochastic gradients.
    Fixed(f64),
    /// Backtracking from `initial` on the Armijo condition.
    Backtracking { initial: f64, search: Backtracking },
}

/// Steepest descent, `x <- x - alpha g`.
///
/// With a fixed step it accepts stochastic gradients: it calls
/// [`Gradient::next_batch`] before evaluating each new iterate. With
/// backtracking every step decreases the cost (full-batch problems only).
///
/// # Example
/// ```
/// use admix_optim::{FnProblem, GradientDescent, Minimizer};
///
/// let bowl = FnProblem::new(|x: &[f64]| x[0] * x[0], |x: &[f64]| vec![2.0 * x[0]]);
/// let report = Minimizer::new(GradientDescent::fixed(0.25)?).minimize(bowl, &[3.0])?;
/// assert!(report.converged());
/// # Ok::<(), admix_optim::OptimError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradientDescent {
    rule: StepRule,
}

impl GradientDescent {
    /// A fixed step length (learning rate) `rate > 0`.
    pub fn fixed(rate: f64) -> Result<Self, OptimError> {
        Ok(Self {
            rule: StepRule::Fixed(OptimError::check_positive("rate", rate)?),
        })
    }

    /// Backtracking (Armijo) line search starting every iteration from
    /// `initial > 0`, with the default [`Backtracking`] settings.
    pub fn backtracking(initial: f64) -> Result<Self, OptimError> {
        Ok(Self {
            rule: StepRule::Backtracking {
                initial: OptimError::check_positive("initial", initial)?,
                search: Backtracking::default(),
            },
        })
    }

    /// Replaces the backtracking settings (ignored with a fixed step).
    pub fn line_search(mut self, search: Backtracking) -> Self {
        if let StepRule::Backtracking { initial, .. } = self.rule {
            self.rule = StepRule::Backtracking { initial, search };
        }
        self
    }
}

impl<P: Gradient> Solver<P> for GradientDescent {
    fn init(&mut self, problem: &mut Counted<P>, x0: Vec<f64>) -> Result<State, OptimError> {
        if let StepRule::Fixed(_) = self.rule {
            problem.next_batch(0)?;
        }
        State::start(problem, x0)
    }

    fn next_iter(
        &mut self,
        problem: &mut Counted<P>,
        state: &mut State,
    ) -> Result<Option<Status>, OptimError> {
        match self.rule {
            StepRule::Fixed(rate) => {
                let mut x = state.x.clone();
                axpy(-rate, &state.gradient, &mut x);
                problem.next_batch(state.iteration + 1)?;
                let (cost, gradient) = problem.cost_and_gradient(&x)?;
                state.accept(x, cost, gradient, rate);
            }
            StepRule::Backtracking { initial, search } => {
                let d: Vec<f64> = state.gradient.iter().map(|g| -g).collect();
                let found =
                    search.search(problem, &state.x, state.cost, &state.gradient, &d, initial)?;
                let Some((alpha, x, cost)) = found else {
                    return Ok(Some(Status::LineSearchFailed));
                };
                let gradient = problem.gradient(&x)?;
                state.accept(x, cost, gradient, alpha);
            }
        }
        Ok(None)
    }
}
