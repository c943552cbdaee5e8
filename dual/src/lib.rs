//! Forward-mode automatic differentiation with dual numbers, and divided differences.

mod function;
mod scalar;

pub use function::{ScalarFn, VectorFn};
pub use scalar::Scalar;
