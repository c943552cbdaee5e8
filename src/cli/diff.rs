//! `admix diff`: derivatives of an expression by forward mode, reverse mode
//! and divided differences, side by side.

use admix::expr::Expr;
use anyhow::{bail, Context, Result};

/// Options of `admix diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The expression, for example "x^3" or "x*y + sin(x)".
    pub expr: String,
    /// The point: comma-separated name=value pairs, for example x=1.5,y=2.
    #[arg(long, default_value = "")]
    pub at: String,
    /// Also print the Hessian (nested dual numbers).
    #[arg(long)]
    pub hessian: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Parses `x=1.5,y=2` into names and values, in the order given.
pub fn parse_point(at: &str) -> Result<(Vec<String>, Vec<f64>)> {
    let mut names = Vec::new();
    let mut values = Vec::new();
    for pair in at.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = pair
            .split_once('=')
            .with_context(|| format!("'{pair}' in --at is not name=value (for example x=1.5)"))?;
        let value: f64 = value
            .trim()
            .parse()
            .with_context(|| format!("'{value}' in --at {pair} is not a number"))?;
        if !value.is_finite() {
            bail!("--at {pair}: the point must be finite");
        }
        names.push(name.trim().to_string());
        values.push(value);
    }
    Ok((names, values))
}

pub fn run(args: &DiffArgs) -> Result<()> {
    let (names, x) = parse_point(&args.at)?;
    let expr = Expr::parse(&args.expr, &names)?;
    let d = expr.derivatives(&x, args.hessian)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&d)?);
        return Ok(());
    }
    let point: Vec<String> = names
        .iter()
        .zip(&x)
        .map(|(n, v)| format!("{n} = {v}"))
        .collect();
    println!("f = {}   at {}", expr.source(), point.join(", "));
    println!("value  {:.17e}", d.value);
    println!();
    println!(
        "{:<10} {:>25} {:>25}",
        "gradient", "forward (dual)", "central difference"
    );
    for (i, name) in names.iter().enumerate() {
        println!(
            "{:<10} {:>25.17e} {:>25.17e}",
            format!("d/d{name}"),
            d.gradient.forward[i],
            d.gradient.central[i]
        );
    }
    if let Some(h) = &d.hessian {
        println!();
        println!("hessian (nested duals)");
        for row in h {
            let cells: Vec<String> = row.iter().map(|v| format!("{v:>25.17e}")).collect();
            println!("{}", cells.join(" "));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_parse_in_order_and_reject_nonsense() {
        let (names, values) = parse_point("x=1.5, y = -2").unwrap();
        assert_eq!(names, ["x", "y"]);
        assert_eq!(values, [1.5, -2.0]);
        assert!(parse_point("x").is_err());
        assert!(parse_point("x=abc").is_err());
        assert!(parse_point("x=nan").is_err());
        assert_eq!(parse_point("").unwrap().0.len(), 0);
    }
}
