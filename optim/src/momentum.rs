//! Gradient descent with heavy-ball or Nesterov momentum.

use crate::{Counted, Gradient, OptimError, Solver, State, Status};

/// Momentum gradient descent with a fixed learning rate, in the form that
/// needs the gradient at the iterate only:
///
/// ```text
/// v <- beta v + g
/// heavy ball: x <- x - rate v
/// Nesterov:   x <- x - rate (g + beta v)
/// ```
///
/// Accepts stochastic gradients ([`Gradient::next_batch`] is called before
/// each new iterate is evaluated).
///
/// # Reference
/// Polyak (1964) for the heavy ball; Sutskever, Martens, Dahl and Hinton,
/// "On the importance of initialization and momentum in deep learning"
/// (ICML 2013) and Bengio, Boulanger-Lewandowski and Pascanu, "Advances in
/// optimizing recurrent networks" (ICASSP 2013) for this form of Nesterov's
/// method.
#[derive(Clone, Debug, PartialEq)]
pub struct Momentum {
    rate: f64,
    beta: f64,
    nesterov: bool,
    velocity: Vec<f64>,
}

impl Momentum {
    /// Heavy-ball momentum with learning rate `rate > 0` and momentum
    /// `beta` in [0, 1).
    pub fn new(rate: f64, beta: f64) -> Result<Self, OptimError> {
        Ok(Self {
            rate: OptimError::check_positive("rate", rate)?,
            beta: OptimError::check_unit("beta", beta)?,
            nesterov: false,
            velocity: Vec::new(),
        })
    }

    /// Nesterov's accelerated gradient instead of the heavy ball.
    pub fn nesterov(mut self, nesterov: bool) -> Self {
        self.nesterov = nesterov;
        self
    }

    /// The velocity after the last step.
    pub fn velocity(&self) -> &[f64] {
        &self.velocity
    }
}

impl<P: Gradient> Solver<P> for Momentum {
    fn init(&mut self, problem: &mut Counted<P>, x0: Vec<f64>) -> Result<State, OptimError> {
        self.velocity = vec![0.0; x0.len()];
        problem.next_batch(0)?;
        State::start(problem, x0)
    }

    fn next_iter(
        &mut self,
        problem: &mut Counted<P>,
        state: &mut State,
    ) -> Result<Option<Status>, OptimError> {
        let mut x = state.x.clone();
        for ((xi, vi), gi) in x.iter_mut().zip(&mut self.velocity).zip(&state.gradient) {
            *vi = self.beta * *vi + gi;
            let step = if self.nesterov {
                gi + self.beta * *vi
            } else {
                *vi
            };
            *xi -= self.rate * step;
        }
        problem.next_batch(state.iteration + 1)?;
        let (cost, gradient) = problem.cost_and_gradient(&x)?;
        state.accept(x, cost, gradient, self.rate);
        Ok(None)
    }
}
