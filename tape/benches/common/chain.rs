//! The sin/cos/mul chain: `acc = sin(acc * x_i)` for even i, `cos(acc * x_i)`
//! for odd i, from `acc = 1`. Every step calls an elementary function, so it
//! measures what recording and sweeping add to a libm call. Shared by
//! `benches/tape_scalar.rs` and `benches/tape_profile.rs` (top level).

use admix_dual::{Scalar, ScalarFn};

pub struct Chain;

impl ScalarFn for Chain {
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        let mut acc = S::one();
        for (i, &xi) in x.iter().enumerate() {
            acc = if i % 2 == 0 {
                (acc * xi).sin()
            } else {
                (acc * xi).cos()
            };
        }
        acc
    }
}
