//! Reverse-mode automatic differentiation on a tape, with whole-array
//! (ndarray) nodes and user-defined adjoint rules.
//!
//! A function written once against [`admix_dual::Scalar`] records itself
//! when evaluated on [`Var`]s; one reverse sweep over the [`Tape`] gives the
//! gradient. Arrays ([`ArrayVar`]) are recorded one node per whole-array
//! operation, which keeps models over large data sets small on the tape.
//!
//! - Drivers: [`gradient`] / [`gradient_with`] (value and gradient),
//!   [`jacobian`] / [`jacobian_with`] (one reverse sweep per output),
//!   [`hvp`] / [`hessian`] (forward-over-reverse on [`admix_dual::Dual`]);
//!   the workspaces [`GradientTape`] and [`HessianTape`] keep their memory
//!   across calls in optimisation loops.
//! - Sparse derivatives: [`sparse_jacobian`] and [`sparse_hessian`] (pattern
//!   from the recording, colouring, one pass per colour), with the
//!   workspaces [`SparseJacobian`] and [`SparseHessian`] that keep pattern
//!   and colouring across calls; results are [`SparseMatrix`] (faer's
//!   compressed rows, re-exported as [`faer`]).
//! - Tape level: [`Tape::gradient`], [`Tape::vjp`], [`Tape::jacobian`],
//!   [`Tape::clear`].
//! - Arrays: [`Tape::array_var`], [`Tape::array_const`], the methods of
//!   [`ArrayVar`], and [`Tape::custom`] with a [`CustomOp`] for operations
//!   with a hand-written adjoint.
//!
//! There is no global tape: tapes are values, one per thread or task.
//! Constants (`Var::constant`, `zero()`, `Scalar::constant`) belong to no
//! tape and record nothing.
//!
//! # Example
//! ```
//! use admix_dual::Scalar;
//! use admix_tape::Tape;
//!
//! fn f<S: Scalar>(x: &[S]) -> S {
//!     x[0] * x[1].sin() + x[0].powi(3).scale(2.0)
//! }
//!
//! let tape = Tape::new();
//! let x = tape.vars(&[1.5, 0.5]);
//! let y = f(&x);
//! let g = tape.gradient(y);
//! assert_eq!(g.wrt(x[0]), 0.5_f64.sin() + 6.0 * 1.5 * 1.5);
//! assert_eq!(g.wrt(x[1]), 1.5 * 0.5_f64.cos());
//! ```

#![forbid(unsafe_code)]

mod array;
mod drivers;
mod error;
mod float;
mod gradients;
mod ops;
mod second_order;
mod sparse;
mod tape;
mod var;

pub use array::{ArrayVar, CustomOp};
pub use drivers::{gradient, gradient_with, jacobian, jacobian_with, GradientTape};
pub use error::TapeError;
pub use faer;
pub use gradients::Gradients;
pub use second_order::{hessian, hessian_with, hvp, hvp_with, HessianTape};
pub use sparse::{sparse_hessian, sparse_jacobian, SparseHessian, SparseJacobian, SparseMatrix};
pub use tape::Tape;
pub use var::Var;
