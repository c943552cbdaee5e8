//! Gradient-based optimisers fed by forward mode, reverse mode or divided differences.
