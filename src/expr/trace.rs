//! The evaluation trace with tangents (forward mode) or adjoints (reverse
//! mode), the way the dual program and the reverse sweep are taught.

use super::{Expr, Op};
use admix_dual::Dual;
use admix_tape::{Tape, Var};
use serde::Serialize;

/// One step of the trace: `w4 = sin(w1)`, its value, and its tangent or
/// adjoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceRow {
    /// The step written out, `w3 = w1*w2`.
    pub step: String,
    /// The value of the step.
    pub value: f64,
    /// Forward: `dw/dx` along the chosen variable. Reverse: the adjoint
    /// `df/dw`. None for a constant in reverse mode, which the tape does
    /// not record.
    pub derivative: Option<f64>,
}

impl Expr {
    /// Values and tangents `dw_i/dx_wrt` of every step: the dual program.
    ///
    /// # Panics
    /// If `x` does not hold one value per variable or `wrt` is out of range.
    #[track_caller]
    pub fn forward_trace(&self, x: &[f64], wrt: usize) -> Vec<TraceRow> {
        let args: Vec<Dual<f64>> = x
            .iter()
            .enumerate()
            .map(|(i, &xi)| Dual::new(xi, if i == wrt { 1.0 } else { 0.0 }))
            .collect();
        let w = self.eval_steps(&args);
        (0..w.len())
            .map(|i| TraceRow {
                step: self.describe(i),
                value: w[i].re,
                derivative: Some(w[i].eps),
            })
            .collect()
    }

    /// Values and adjoints `df/dw_i` of every step: the reverse sweep.
    ///
    /// # Panics
    /// If `x` does not hold one value per variable.
    #[track_caller]
    pub fn reverse_trace(&self, x: &[f64]) -> Vec<TraceRow> {
        let tape = Tape::new();
        // Every step a node of its own: the tape would otherwise fold a
        // step into the one using it, and form no adjoint for it.
        let w = self.eval_steps_each(&tape.vars(x), Var::to_node);
        let adjoints = tape.gradient(w[self.output()]);
        (0..w.len())
            .map(|i| TraceRow {
                step: self.describe(i),
                value: w[i].value(),
                derivative: match self.steps()[i].op {
                    Op::Const(_) => None,
                    _ => Some(adjoints.wrt(w[i])),
                },
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// f = x*y + sin(x) at (1.5, 2), derived by hand:
    /// tangents along x: w3' = y = 2, w4' = cos(x), w5' = 2 + cos(1.5);
    /// adjoints: w5 = 1, w4 = 1, w3 = 1, w2 = x = 1.5, w1 = y + cos(x).
    #[test]
    fn matches_the_hand_computed_lecture_example() {
        let f = Expr::parse("x*y + sin(x)", &["x", "y"]).unwrap();
        let (x, y) = (1.5_f64, 2.0_f64);
        let forward: Vec<f64> = f
            .forward_trace(&[x, y], 0)
            .iter()
            .map(|r| r.derivative.unwrap())
            .collect();
        assert_eq!(forward, [1.0, 0.0, y, x.cos(), y + x.cos()]);
        let reverse = f.reverse_trace(&[x, y]);
        let adjoints: Vec<f64> = reverse.iter().map(|r| r.derivative.unwrap()).collect();
        assert_eq!(adjoints, [y + x.cos(), x, 1.0, 1.0, 1.0]);
        assert_eq!(reverse[3].step, "w4 = sin(w1)");
        assert_eq!(reverse[4].value, x * y + x.sin());
    }

    #[test]
    fn constants_have_no_adjoint_but_a_zero_tangent() {
        let f = Expr::parse("2*x", &["x"]).unwrap();
        assert_eq!(f.reverse_trace(&[3.0])[1].derivative, None);
        assert_eq!(f.forward_trace(&[3.0], 0)[1].derivative, Some(0.0));
    }
}
