//! The lecture's demonstrations as functions that return their numbers:
//! the examples print them, and `admix teach` prints and draws them.
//!
//! - [`modes`]: forward against reverse mode for the whole Jacobian of
//!   F: R^n -> R and G: R -> R^m.
//! - [`noisy`]: when a divided difference is as good as AD (table lookup,
//!   stochastic simulation).
//! - [`means_only`]: EM that learns only the two means of a 1-D mixture.
//! - [`hard_assignments`]: K-means against a full-covariance mixture on
//!   overlapping elongated clusters.

pub mod hard_assignments;
pub mod means_only;
pub mod modes;
pub mod noisy;
