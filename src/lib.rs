//! admix: automatic differentiation (forward and reverse mode) and Gaussian
//! mixture models, re-exported from the member crates.

pub use admix_dual as dual;
pub use admix_mixture as mixture;
pub use admix_optim as optim;
pub use admix_tape as tape;

pub mod expr;
pub mod lessons;

/// The README's code, compiled and run as a doctest so that it stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
