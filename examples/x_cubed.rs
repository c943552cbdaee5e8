//! The lecture's demonstration: the error of divided differences of
//! f(x) = x^3 against the step h, next to automatic differentiation's.
//!
//! Run with `cargo run --release -p admix --example x_cubed`.

use admix::dual::demo::{cube_table, render_cube_table, CUBE_POINTS};

fn main() {
    print!("{}", render_cube_table(&cube_table(&CUBE_POINTS)));
}
