//! When divided differences are just as good: AD differentiates the code as
//! written, and the derivative of a table lookup or of a Monte Carlo count
//! is 0, while a divided difference with a well-chosen step sees the slope
//! of the quantity the code stands for.
//!
//! Run: `cargo run --release -p admix --example noisy_derivative`

use admix::lessons::noisy::{cases, render};

fn main() {
    print!("{}", render(&cases()));
    println!();
    println!("A step wider than the table spacing, or one that lets many samples");
    println!("cross the threshold (same random numbers on both sides), recovers the slope.");
}
