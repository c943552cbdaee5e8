//! The command-line program's pieces: argument parsing, data I/O and plots.
//! Every computation it shows lives in the library crates.

pub mod compare;
pub mod data;
pub mod demo;
pub mod diff;
pub mod fit;
pub mod kmeans;
pub mod model_cmds;
pub mod plot;
pub mod select;
