//! Reverse-mode automatic differentiation on a tape.
