//! `admix diff EXPR --emit c|rust`: the expression as straight-line source
//! code that computes its value and derivative(s).

use crate::diff::{parse_point, DiffArgs, TraceMode};
use admix::expr::{Expr, Language, Mode};
use anyhow::Result;

/// The language `--emit` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EmitLanguage {
    C,
    Rust,
}

/// Prints the emitted function. The variables are those of `--at` (their
/// values are not needed), or else the expression's free names in order of
/// first appearance.
pub fn run(args: &DiffArgs, language: EmitLanguage) -> Result<()> {
    let (names, _) = parse_point(&args.at)?;
    let expr = if names.is_empty() {
        Expr::parse_free(&args.expr)?
    } else {
        Expr::parse(&args.expr, &names)?
    };
    let language = match language {
        EmitLanguage::C => Language::C,
        EmitLanguage::Rust => Language::Rust,
    };
    let mode = match args.mode {
        TraceMode::Forward => Mode::Forward,
        TraceMode::Reverse => Mode::Reverse,
    };
    print!("{}", expr.emit(language, mode, "f"));
    Ok(())
}
