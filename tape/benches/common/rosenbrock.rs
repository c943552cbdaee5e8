//! Chained Rosenbrock, sum_i (1 - x_i)^2 + 100 (x_{i+1} - x_i^2)^2, three
//! ways: generic scalar code (for f64 and tape variables), its hand-written
//! adjoint (the closed-form gradient, the cheapest gradient there is), and
//! whole-vector array nodes. Shared by `benches/tape_scalar.rs` (top level) and
//! `tests/scalar.rs`.

#![allow(dead_code)] // each including target uses a part

use admix_dual::{Scalar, ScalarFn};
use admix_tape::{ArrayVar, Gradients, Tape, TapeError, Var};
use ndarray::Array1;

pub struct Rosenbrock;

impl ScalarFn for Rosenbrock {
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        x.windows(2)
            .map(|w| {
                let (a, b) = (S::one() - w[0], w[1] - w[0] * w[0]);
                a * a + b.scale(100.0) * b
            })
            .sum()
    }
}

/// The gradient by hand: d/dx_i gets -2 (1 - x_i) - 400 x_i b_i and
/// d/dx_{i+1} gets 200 b_i, with b_i = x_{i+1} - x_i^2. The second part is
/// carried in a register to the next step, so no entry is read back.
pub fn hand_gradient(x: &[f64]) -> Vec<f64> {
    let mut g = Vec::with_capacity(x.len());
    let mut carry = 0.0;
    for w in x.windows(2) {
        let b = w[1] - w[0] * w[0];
        g.push(carry + (-2.0 * (1.0 - w[0]) - 400.0 * w[0] * b));
        carry = 200.0 * b;
    }
    if !x.is_empty() {
        g.push(carry);
    }
    g
}

/// The same function with whole-vector nodes: heads x[..n-1], tails x[1..].
pub fn with_array_nodes<'t>(x: ArrayVar<'t>) -> Result<Var<'t, f64>, TapeError> {
    let n = x.shape()[0];
    let head = x.slice_axis(0, 0..n - 1)?;
    let tail = x.slice_axis(0, 1..n)?;
    let b = (tail - head.square())?;
    let a = (-head).offset(1.0);
    (a.square() + b.square().scale(100.0))?.sum().to_scalar()
}

/// Value and gradient through [`with_array_nodes`] on a fresh tape.
pub fn array_gradient(x: &Array1<f64>) -> (f64, Vec<f64>) {
    array_gradient_on(&mut Tape::new(), &mut Gradients::empty(), x)
}

/// The same on `tape`, cleared first, sweeping into `grads`: buffers of
/// the last recording and of the last sweep are reused, as in an
/// optimisation loop.
pub fn array_gradient_on(
    tape: &mut Tape,
    grads: &mut Gradients,
    x: &Array1<f64>,
) -> (f64, Vec<f64>) {
    tape.clear();
    let tape = &*tape;
    let xv = tape.array_var(x.clone());
    let y = with_array_nodes(xv).expect("a vector of length >= 2");
    tape.gradient_into(y, grads);
    let g = grads.wrt_array(xv);
    assert!(g.is_standard_layout(), "a vector's gradient is contiguous");
    (y.value(), g.into_raw_vec_and_offset().0)
}
