//! First and second derivatives of an expression by every method admix has.

use super::Expr;
use admix_dual::{DividedDifference, DualError, Scheme, Step};
use serde::Serialize;

/// The gradient of one expression at one point, by each method, side by
/// side (the JSON schema of `admix diff --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GradientsByMethod {
    /// Forward mode: vector duals.
    pub forward: Vec<f64>,
    /// Reverse mode: one sweep over a tape.
    pub reverse: Vec<f64>,
    /// Central divided differences with the textbook step.
    pub central: Vec<f64>,
}

/// Value, gradients and (optionally) Hessian of an expression at a point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DerivativeReport {
    /// The expression's value.
    pub value: f64,
    /// The variable names, in the order of the gradient entries.
    pub variables: Vec<String>,
    /// One gradient per method.
    pub gradient: GradientsByMethod,
    /// The Hessian by nested duals, as rows, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hessian: Option<Vec<Vec<f64>>>,
}

impl Expr {
    /// Value, gradient by every method, and the Hessian if `with_hessian`.
    ///
    /// # Errors
    /// Only if a divided difference cannot pick a step at `x` (non-finite `x`).
    ///
    /// # Panics
    /// If `x` does not hold one value per variable.
    #[track_caller]
    pub fn derivatives(
        &self,
        x: &[f64],
        with_hessian: bool,
    ) -> Result<DerivativeReport, DualError> {
        let (value, forward) = admix_dual::gradient(|v| self.eval_at(v), x);
        let (_, reverse) = admix_tape::gradient(self, x);
        let (_, central) =
            DividedDifference::new(Scheme::Central, Step::Auto).gradient(|v| self.eval_at(v), x)?;
        let hessian = with_hessian.then(|| admix_dual::hessian(|v| self.eval_at(v), x).2);
        Ok(DerivativeReport {
            value,
            variables: self.variables.clone(),
            gradient: GradientsByMethod {
                forward,
                reverse,
                central,
            },
            hessian,
        })
    }
}
