//! Gradient-based optimisers fed by forward mode, reverse mode or divided
//! differences, and Newton's method for equations.
//!
//! Write a cost once over [`Scalar`](admix_dual::Scalar), pick where its
//! derivatives come from with one setting, and run a solver:
//!
//! ```
//! use admix_dual::{Scalar, ScalarFn};
//! use admix_optim::{Criterion, Derivatives, Lbfgs, Minimizer, Objective, Status, Stop};
//!
//! // f(x, y) = (x - 1)^2 + 10 (y + 2)^2
//! struct Bowl;
//! impl ScalarFn for Bowl {
//!     fn eval<S: Scalar>(&self, x: &[S]) -> S {
//!         (x[0] - S::one()).powi(2) + (x[1] + S::constant(2.0)).powi(2).scale(10.0)
//!     }
//! }
//!
//! let problem = Objective::new(Bowl, Derivatives::Reverse);
//! let report = Minimizer::new(Lbfgs::new().history(5)?)
//!     .stop(Stop::new().gradient_norm(1e-9)?)
//!     .minimize(problem, &[0.0, 0.0])?;
//! assert_eq!(report.status, Status::Converged(Criterion::GradientNorm));
//! assert!((report.x[1] + 2.0).abs() < 1e-9);
//! println!("{} iterations, {} gradients", report.iterations, report.counts.gradient);
//! # Ok::<(), admix_optim::OptimError>(())
//! ```
//!
//! # Pieces
//!
//! - Problems: the small traits [`CostFunction`], [`Gradient`], [`Hessian`];
//!   [`Objective`] (a `ScalarFn` with a [`Derivatives`] source: forward,
//!   reverse, divided differences); [`FnProblem`] (hand-written gradient
//!   closures); [`CostGradFn`] (one closure returning both, as an array-tape
//!   objective does). Every problem is seen through [`Counted`].
//! - Solvers, one per file, each an explicit [`Solver`] loop body (`init`,
//!   `next_iter`) over a plain [`State`]: [`GradientDescent`] (fixed step or
//!   [`Backtracking`]), [`Momentum`] (heavy ball or Nesterov), [`Adam`],
//!   [`Lbfgs`] (with a [`StrongWolfe`] search), [`Newton`] (modified
//!   Cholesky). Fixed-step methods and Adam accept mini-batch gradients
//!   through [`Gradient::next_batch`].
//! - Running: [`Minimizer`] with [`Stop`] rules and an observer returning
//!   [`Control`]; the [`Report`] gives the [`Status`] (which rule stopped
//!   the run), the final and the best parameters, evaluation [`Counts`] and
//!   one [`Record`] per iteration.
//! - Equations: [`NewtonRoot`] for `f(x) = 0` and square systems, with
//!   derivatives by forward mode or by hand; [`RootReport`] and
//!   [`RootStatus`].
//! - Bad settings are rejected when built ([`OptimError::InvalidSetting`]
//!   names the valid range); numerical trouble during a run is a status,
//!   never a panic.

#![forbid(unsafe_code)]

mod adam;
mod backtracking;
mod counted;
mod derivatives;
mod error;
mod gradient_descent;
mod lbfgs;
pub mod linalg;
mod minimizer;
mod momentum;
mod newton;
mod problem;
mod report;
mod roots;
mod state;
mod stop;
pub mod test_functions;
mod wolfe;

pub use adam::Adam;
pub use backtracking::Backtracking;
pub use counted::{Counted, Counts};
pub use derivatives::{Derivatives, Objective};
pub use error::OptimError;
pub use gradient_descent::GradientDescent;
pub use lbfgs::Lbfgs;
pub use minimizer::{Control, Minimizer, Solver};
pub use momentum::Momentum;
pub use newton::Newton;
pub use problem::{CostFunction, CostGradFn, FnProblem, Gradient, Hessian};
pub use report::{Criterion, NonFinite, Record, Report, Status};
pub use roots::{NewtonRoot, RootReport, RootStatus};
pub use state::State;
pub use stop::Stop;
pub use wolfe::StrongWolfe;
