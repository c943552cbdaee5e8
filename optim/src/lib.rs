//! Gradient-based optimisers fed by forward mode, reverse mode or divided
//! differences, and Newton's method for equations.
//!
//! A problem implements the small traits [`CostFunction`], [`Gradient`] and
//! [`Hessian`] (or is built from closures with [`FnProblem`] and
//! [`CostGradFn`]). A solver ([`GradientDescent`], [`Momentum`], [`Adam`],
//! [`Lbfgs`], [`Newton`]) is run by a [`Minimizer`] with [`Stop`] rules and
//! an optional observer; the [`Report`] says why it stopped and holds one
//! [`Record`] per iteration.
//!
//! ```
//! use admix_optim::{FnProblem, Lbfgs, Minimizer, Status, Criterion, Stop};
//!
//! // f(x, y) = (x - 1)^2 + 10 (y + 2)^2
//! let problem = FnProblem::new(
//!     |x: &[f64]| (x[0] - 1.0).powi(2) + 10.0 * (x[1] + 2.0).powi(2),
//!     |x: &[f64]| vec![2.0 * (x[0] - 1.0), 20.0 * (x[1] + 2.0)],
//! );
//! let report = Minimizer::new(Lbfgs::new().history(5)?)
//!     .stop(Stop::new().gradient_norm(1e-9)?)
//!     .minimize(problem, &[0.0, 0.0])?;
//! assert_eq!(report.status, Status::Converged(Criterion::GradientNorm));
//! assert!((report.x[1] + 2.0).abs() < 1e-9);
//! # Ok::<(), admix_optim::OptimError>(())
//! ```

mod adam;
mod backtracking;
mod counted;
mod derivatives;
mod error;
mod gradient_descent;
mod lbfgs;
mod linalg;
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
