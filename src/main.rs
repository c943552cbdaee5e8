//! The `admix` command-line program.

fn main() {
    println!("admix {}", env!("CARGO_PKG_VERSION"));
}
