//! Reverse-mode automatic differentiation on a tape, with whole-array
//! (ndarray) nodes and user-defined adjoint rules.
//!
//! A function written once against [`admix_dual::Scalar`] records itself
//! when evaluated on [`Var`]s; one reverse sweep over the [`Tape`] gives the
//! gradient. Arrays ([`ArrayVar`]) are recorded one node per whole-array
//! operation, which keeps models over large data sets small on the tape.
//!
//! # Example
//! ```
//! use admix_dual::Scalar;
//! use admix_tape::Tape;
//!
//! fn f<S: Scalar>(x: &[S]) -> S {
//!     x[0] * x[1].sin() + S::constant(2.0) * x[0].powi(3)
//! }
//!
//! let tape = Tape::new();
//! let x = tape.vars(&[1.5, 0.5]);
//! let y = f(&x);
//! let g = tape.gradient(y);
//! assert_eq!(g.wrt(x[0]), 0.5_f64.sin() + 6.0 * 1.5 * 1.5);
//! assert_eq!(g.wrt(x[1]), 1.5 * 0.5_f64.cos());
//! ```

mod array;
mod drivers;
mod error;
mod float;
mod gradients;
mod ops;
mod second_order;
mod tape;
mod var;

pub use array::{ArrayVar, CustomOp};
pub use drivers::{gradient, gradient_with, jacobian, jacobian_with, GradientTape};
pub use error::TapeError;
pub use gradients::Gradients;
pub use second_order::{hessian, hessian_with, hvp, hvp_with, HessianTape};
pub use tape::Tape;
pub use var::Var;
