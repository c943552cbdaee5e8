//! "The evils of hard assignments": K-means against a full-covariance
//! Gaussian mixture on overlapping, elongated clusters of different
//! widths. `admix teach hard-assignments` draws the three labellings.
//!
//! Run: `cargo run --release -p admix --example hard_assignments`

use admix::lessons::hard_assignments::{compare, render};

fn main() -> Result<(), admix::mixture::MixtureError> {
    print!("{}", render(&compare()?));
    Ok(())
}
