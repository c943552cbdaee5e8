//! Adam: adaptive moment estimation with bias correction.

use crate::{Counted, Gradient, OptimError, Solver, State, Status};

/// Adam, with bias-corrected first and second moment estimates:
///
/// ```text
/// m <- b1 m + (1 - b1) g          v <- b2 v + (1 - b2) g^2
/// m^ = m / (1 - b1^t)             v^ = v / (1 - b2^t)
/// x <- x - rate m^ / (sqrt(v^) + eps)
/// ```
///
/// Accepts stochastic gradients ([`Gradient::next_batch`] is called before
/// each new iterate is evaluated). Defaults: `b1 = 0.9`, `b2 = 0.999`,
/// `eps = 1e-8`.
///
/// # Reference
/// Kingma and Ba, "Adam: A method for stochastic optimization", ICLR 2015,
/// Algorithm 1.
///
/// # Example
/// ```
/// use admix_optim::{Adam, FnProblem, Minimizer, Stop};
///
/// let bowl = FnProblem::new(|x: &[f64]| x[0] * x[0], |x: &[f64]| vec![2.0 * x[0]]);
/// let report = Minimizer::new(Adam::new(0.1)?.beta1(0.8)?)
///     .stop(Stop::new().gradient_norm(1e-6)?.max_iterations(5000))
///     .minimize(bowl, &[3.0])?;
/// assert!(report.x[0].abs() < 1e-3);
/// # Ok::<(), admix_optim::OptimError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Adam {
    rate: f64,
    beta1: f64,
    beta2: f64,
    epsilon: f64,
    m: Vec<f64>,
    v: Vec<f64>,
}

impl Adam {
    /// Adam with learning rate `rate > 0` and the default moments.
    pub fn new(rate: f64) -> Result<Self, OptimError> {
        Ok(Self {
            rate: OptimError::check_positive("rate", rate)?,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            m: Vec::new(),
            v: Vec::new(),
        })
    }

    /// The first-moment decay, in [0, 1).
    pub fn beta1(mut self, beta1: f64) -> Result<Self, OptimError> {
        self.beta1 = OptimError::check_unit("beta1", beta1)?;
        Ok(self)
    }

    /// The second-moment decay, in [0, 1).
    pub fn beta2(mut self, beta2: f64) -> Result<Self, OptimError> {
        self.beta2 = OptimError::check_unit("beta2", beta2)?;
        Ok(self)
    }

    /// The denominator guard, > 0.
    pub fn epsilon(mut self, epsilon: f64) -> Result<Self, OptimError> {
        self.epsilon = OptimError::check_positive("epsilon", epsilon)?;
        Ok(self)
    }

    /// The first-moment estimate (before bias correction).
    pub fn first_moment(&self) -> &[f64] {
        &self.m
    }

    /// The second-moment estimate (before bias correction).
    pub fn second_moment(&self) -> &[f64] {
        &self.v
    }
}

impl<P: Gradient> Solver<P> for Adam {
    fn init(&mut self, problem: &mut Counted<P>, x0: Vec<f64>) -> Result<State, OptimError> {
        self.m = vec![0.0; x0.len()];
        self.v = vec![0.0; x0.len()];
        problem.next_batch(0)?;
        State::start(problem, x0)
    }

    fn next_iter(
        &mut self,
        problem: &mut Counted<P>,
        state: &mut State,
    ) -> Result<Option<Status>, OptimError> {
        let t = (state.iteration + 1) as f64;
        let correct1 = 1.0 - self.beta1.powf(t);
        let correct2 = 1.0 - self.beta2.powf(t);
        let mut x = state.x.clone();
        for (((xi, mi), vi), gi) in x
            .iter_mut()
            .zip(&mut self.m)
            .zip(&mut self.v)
            .zip(&state.gradient)
        {
            *mi = self.beta1 * *mi + (1.0 - self.beta1) * gi;
            *vi = self.beta2 * *vi + (1.0 - self.beta2) * gi * gi;
            let m_hat = *mi / correct1;
            let v_hat = *vi / correct2;
            *xi -= self.rate * m_hat / (v_hat.sqrt() + self.epsilon);
        }
        problem.next_batch(state.iteration + 1)?;
        let (cost, gradient) = problem.cost_and_gradient(&x)?;
        state.accept(x, cost, gradient, self.rate);
        Ok(None)
    }
}
