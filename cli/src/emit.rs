//! `admix diff EXPR --emit c|rust`: the expression as straight-line source
//! code that computes its value and derivative(s).

use crate::diff::{parse_point, DiffArgs, TraceMode};
use admix::expr::{Expr, ExprError, Language, Mode};
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
        parse_with_free_names(&args.expr)?
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

/// Parses `src`, taking each unknown name as the next variable.
fn parse_with_free_names(src: &str) -> Result<Expr, ExprError> {
    let mut names: Vec<String> = Vec::new();
    loop {
        match Expr::parse(src, &names) {
            Err(ExprError::UnknownVariable { name, .. }) => names.push(name),
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_names_become_variables_in_order_of_appearance() {
        let f = parse_with_free_names("b*sin(a) + b + pi").unwrap();
        assert_eq!(f.variables(), ["b", "a"]);
        assert!(parse_with_free_names("sin(").is_err());
    }
}
