//! Limited-memory BFGS with a strong Wolfe line search.

use std::collections::VecDeque;

use crate::linalg::{axpy, dot, norm};
use crate::{Counted, Gradient, OptimError, Solver, State, Status, StrongWolfe};

/// One curvature pair `s = x_{k+1} - x_k`, `y = g_{k+1} - g_k`, with
/// `rho = 1 / y.s`.
#[derive(Clone, Debug, PartialEq)]
struct Pair {
    s: Vec<f64>,
    y: Vec<f64>,
    rho: f64,
}

/// L-BFGS: a quasi-Newton method that keeps the last `m` curvature pairs
/// and applies the inverse Hessian approximation by the two-loop recursion,
/// scaled by `gamma = s.y / y.y` of the newest pair. Each step comes from a
/// [`StrongWolfe`] line search that first tries the full step (alpha = 1;
/// `1 / |g|` on the first iteration).
///
/// If a search fails with a non-empty history, the history is dropped and
/// one steepest-descent search is tried before reporting
/// [`Status::LineSearchFailed`].
///
/// Requires a smooth cost with a deterministic gradient (no mini-batches).
/// Default history `m = 10`.
///
/// # Reference
/// Nocedal and Wright, Numerical Optimization (2nd ed.), Algorithms 7.4 and
/// 7.5; Liu and Nocedal, Mathematical Programming 45 (1989).
#[derive(Clone, Debug, PartialEq)]
pub struct Lbfgs {
    history: usize,
    line_search: StrongWolfe,
    pairs: VecDeque<Pair>,
}

impl Default for Lbfgs {
    fn default() -> Self {
        Self {
            history: 10,
            line_search: StrongWolfe::default(),
            pairs: VecDeque::new(),
        }
    }
}

impl Lbfgs {
    /// L-BFGS with history 10 and the default [`StrongWolfe`] search.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of curvature pairs kept, >= 1.
    pub fn history(mut self, m: usize) -> Result<Self, OptimError> {
        if m == 0 {
            return Err(OptimError::InvalidSetting {
                name: "history",
                value: 0.0,
                valid: ">= 1 (typically 3 to 20)",
            });
        }
        self.history = m;
        Ok(self)
    }

    /// Replaces the line search settings.
    pub fn line_search(mut self, line_search: StrongWolfe) -> Self {
        self.line_search = line_search;
        self
    }

    /// The line search settings.
    pub fn line_search_settings(&self) -> &StrongWolfe {
        &self.line_search
    }

    /// How many curvature pairs are stored now.
    pub fn stored_pairs(&self) -> usize {
        self.pairs.len()
    }

    /// The search direction `-H g` by the two-loop recursion.
    fn direction(&self, g: &[f64]) -> Vec<f64> {
        let mut q: Vec<f64> = g.iter().map(|v| -v).collect();
        let mut alphas = Vec::with_capacity(self.pairs.len());
        for pair in self.pairs.iter().rev() {
            let a = pair.rho * dot(&pair.s, &q);
            axpy(-a, &pair.y, &mut q);
            alphas.push(a);
        }
        if let Some(newest) = self.pairs.back() {
            let gamma = 1.0 / (newest.rho * dot(&newest.y, &newest.y));
            q.iter_mut().for_each(|v| *v *= gamma);
        }
        for (pair, a) in self.pairs.iter().zip(alphas.iter().rev()) {
            let b = pair.rho * dot(&pair.y, &q);
            axpy(a - b, &pair.s, &mut q);
        }
        q
    }

    fn remember(&mut self, state: &State) {
        let mut pair = if self.pairs.len() == self.history {
            self.pairs
                .pop_front()
                .unwrap_or_else(|| empty_pair(state.x.len()))
        } else {
            empty_pair(state.x.len())
        };
        for i in 0..state.x.len() {
            pair.s[i] = state.x[i] - state.prev_x[i];
            pair.y[i] = state.gradient[i] - state.prev_gradient[i];
        }
        let sy = dot(&pair.s, &pair.y);
        // Strong Wolfe steps give s.y > 0 in exact arithmetic; skip pairs
        // that round-off made useless.
        if sy > f64::EPSILON * norm(&pair.s) * norm(&pair.y) {
            pair.rho = 1.0 / sy;
            self.pairs.push_back(pair);
        }
    }
}

fn empty_pair(n: usize) -> Pair {
    Pair {
        s: vec![0.0; n],
        y: vec![0.0; n],
        rho: 0.0,
    }
}

impl<P: Gradient> Solver<P> for Lbfgs {
    fn init(&mut self, problem: &mut Counted<P>, x0: Vec<f64>) -> Result<State, OptimError> {
        self.pairs.clear();
        State::start(problem, x0)
    }

    fn next_iter(
        &mut self,
        problem: &mut Counted<P>,
        state: &mut State,
    ) -> Result<Option<Status>, OptimError> {
        loop {
            let d = self.direction(&state.gradient);
            let quasi_newton = !self.pairs.is_empty();
            let slope = dot(&d, &state.gradient);
            if quasi_newton && !(slope.is_finite() && slope < 0.0) {
                // Round-off broke descent: restart from steepest descent.
                self.pairs.clear();
                continue;
            }
            let alpha = if quasi_newton {
                1.0
            } else {
                (1.0 / norm(&d)).min(1.0)
            };
            let found = self.line_search.search(
                problem,
                &state.x,
                state.cost,
                &state.gradient,
                &d,
                alpha,
            )?;
            match found {
                Some(point) => {
                    state.accept(point.x, point.cost, point.gradient, point.alpha);
                    self.remember(state);
                    return Ok(None);
                }
                None if quasi_newton => self.pairs.clear(),
                None => return Ok(Some(Status::LineSearchFailed)),
            }
        }
    }
}
