//! Forward against reverse mode for a whole Jacobian: F: R^n -> R needs n
//! forward sweeps but one reverse sweep; G: R -> R^m needs one forward
//! sweep but m reverse sweeps. `admix teach modes` draws the same numbers.
//!
//! Run: `cargo run --release -p admix --example modes`

use admix::lessons::modes::{many_to_one_costs, one_to_many_costs, render, SIZES};

fn main() {
    println!("F: R^n -> R, F(x) = sum sin(x_i) x_(i+1): the gradient");
    println!("{}", render("n", &many_to_one_costs(&SIZES)));
    println!("G: R -> R^m, G_j(t) = sin(j t) exp(-t / j): the m derivatives");
    println!("{}", render("m", &one_to_many_costs(&SIZES)));
    println!("Reverse mode suits R^n -> R; forward mode suits R -> R^m.");
}
