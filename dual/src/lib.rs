//! Forward-mode automatic differentiation with dual numbers, and divided differences.

mod scalar;

pub use scalar::Scalar;
