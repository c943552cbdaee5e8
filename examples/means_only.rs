//! "Learn means only": 1-D, two components, weights 1/2 and variances 1
//! fixed, EM updates the means alone. `admix teach means-only` draws the
//! means against the iteration and writes the files of the CLI recipe.
//!
//! Run: `cargo run --release -p admix --example means_only`

use admix::lessons::means_only::{data, mean_paths, render, TRUE_MEANS};

fn main() -> Result<(), admix::mixture::MixtureError> {
    let x = data()?;
    println!(
        "{} points from N({}, 1) and N({}, 1)",
        x.nrows(),
        TRUE_MEANS[0],
        TRUE_MEANS[1]
    );
    print!("{}", render(&mean_paths(&x, 20)?));
    Ok(())
}
