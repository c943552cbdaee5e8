//! Newton's method for minimisation, safeguarded for indefinite Hessians.

use crate::linalg::{all_finite, axpy, cholesky_solve, dot, modified_cholesky};
use crate::{
    Backtracking, Counted, Gradient, Hessian, NonFinite, OptimError, Solver, State, Status,
};

/// Newton's method: solve `(H + tau I) d = -g`, with `tau = 0` when the
/// Hessian `H` is positive definite and otherwise the smallest shift of a
/// doubling sequence that makes it so (modified Cholesky), then a
/// backtracking Armijo search from the full step `alpha = 1`.
///
/// The full step is evaluated with cost and gradient together, so a step
/// accepted at once costs one cost-and-gradient and one Hessian evaluation.
/// Near a minimiser with a positive definite Hessian the full step is always
/// accepted and convergence is quadratic.
///
/// # Reference
/// Nocedal and Wright, Numerical Optimization (2nd ed.), Algorithm 3.2 (line
/// search Newton with modification) and Algorithm 3.3 (Cholesky with added
/// multiple of the identity).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Newton {
    line_search: Backtracking,
    shift: f64,
}

impl Newton {
    /// Newton's method with the default [`Backtracking`] search.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the backtracking settings.
    pub fn line_search(mut self, line_search: Backtracking) -> Self {
        self.line_search = line_search;
        self
    }

    /// The shift `tau` added to the Hessian's diagonal at the last step (0
    /// when it was positive definite).
    pub fn last_shift(&self) -> f64 {
        self.shift
    }
}

impl<P: Hessian> Solver<P> for Newton {
    fn init(&mut self, problem: &mut Counted<P>, x0: Vec<f64>) -> Result<State, OptimError> {
        self.shift = 0.0;
        State::start(problem, x0)
    }

    fn next_iter(
        &mut self,
        problem: &mut Counted<P>,
        state: &mut State,
    ) -> Result<Option<Status>, OptimError> {
        let n = state.x.len();
        let h = problem.hessian(&state.x)?;
        if !all_finite(&h) {
            return Ok(Some(Status::NonFinite(NonFinite::Hessian)));
        }
        let Some((l, shift)) = modified_cholesky(&h, n) else {
            return Ok(Some(Status::NonFinite(NonFinite::Hessian)));
        };
        self.shift = shift;
        let mut d: Vec<f64> = state.gradient.iter().map(|g| -g).collect();
        cholesky_solve(&l, n, &mut d);
        // The full step, with its gradient in the same evaluation.
        let mut x = state.x.clone();
        axpy(1.0, &d, &mut x);
        let (cost, gradient) = problem.cost_and_gradient(&x)?;
        let slope = dot(&d, &state.gradient);
        if cost.is_finite() && cost <= state.cost + self.line_search.sufficient_decrease() * slope {
            state.accept(x, cost, gradient, 1.0);
            return Ok(None);
        }
        let rho = self.line_search.shrink();
        let found =
            self.line_search
                .search(problem, &state.x, state.cost, &state.gradient, &d, rho)?;
        let Some((alpha, x, cost)) = found else {
            return Ok(Some(Status::LineSearchFailed));
        };
        let gradient = problem.gradient(&x)?;
        state.accept(x, cost, gradient, alpha);
        Ok(None)
    }
}
