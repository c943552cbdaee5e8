//! `admix diff`: derivatives of an expression by forward mode, reverse mode
//! and divided differences, side by side.

use crate::plot::{self, Mark, Panel, Series};
use admix::expr::{Expr, StepRow};
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
    /// Also print, for each variable, the error of forward and central
    /// differences against the step h = 1e-1 ... 1e-16.
    #[arg(long)]
    pub steps: bool,
    /// Write the log-log picture of those errors to this SVG file (implies --steps).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<std::path::PathBuf>,
    /// Print the evaluation as elementary steps with each step's tangent
    /// (forward) or adjoint (reverse).
    #[arg(long, value_enum)]
    pub trace: Option<TraceMode>,
    /// The variable whose tangent the forward trace carries (default: the first).
    #[arg(long, value_name = "NAME")]
    pub wrt: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Print the expression as a self-contained function in this language,
    /// one statement per elementary step, instead of evaluating it.
    #[arg(long, value_enum, value_name = "LANGUAGE")]
    pub emit: Option<crate::emit::EmitLanguage>,
    /// The derivative program --emit writes: forward (tangents) or reverse (adjoints).
    #[arg(long, value_enum, default_value = "forward")]
    pub mode: TraceMode,
}

/// Which sweep `--trace` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceMode {
    Forward,
    Reverse,
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
    if let Some(language) = args.emit {
        return crate::emit::run(args, language);
    }
    let (names, x) = parse_point(&args.at)?;
    let expr = Expr::parse(&args.expr, &names)?;
    let d = expr.derivatives(&x, args.hessian)?;
    let wrt = match &args.wrt {
        None => 0,
        Some(name) => names
            .iter()
            .position(|n| n == name)
            .with_context(|| format!("--wrt {name}: no such variable in --at"))?,
    };
    let trace = match args.trace {
        Some(_) if names.is_empty() => bail!("--trace needs at least one variable in --at"),
        Some(TraceMode::Forward) => Some(expr.forward_trace(&x, wrt)),
        Some(TraceMode::Reverse) => Some(expr.reverse_trace(&x)),
        None => None,
    };
    let steps = args.steps || args.plot.is_some();
    let tables: Vec<Vec<StepRow>> = if steps {
        (0..names.len()).map(|i| expr.step_errors(&x, i)).collect()
    } else {
        Vec::new()
    };
    if let Some(path) = &args.plot {
        let panels: Vec<Panel> = names
            .iter()
            .zip(&tables)
            .map(|(name, rows)| step_panel(&format!("d/d{name} of {}", expr.source()), rows))
            .collect();
        plot::save(path, &panels)?;
    }
    if args.json {
        let mut value = serde_json::to_value(&d)?;
        if steps {
            value["steps"] = serde_json::to_value(&tables)?;
        }
        if let Some(rows) = &trace {
            value["trace"] = serde_json::to_value(rows)?;
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
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
        "{:<10} {:>25} {:>25} {:>25}",
        "gradient", "forward (dual)", "reverse (tape)", "central difference"
    );
    for (i, name) in names.iter().enumerate() {
        println!(
            "{:<10} {:>25.17e} {:>25.17e} {:>25.17e}",
            format!("d/d{name}"),
            d.gradient.forward[i],
            d.gradient.reverse[i],
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
    if let (Some(rows), Some(mode)) = (&trace, args.trace) {
        println!();
        let heading = match mode {
            TraceMode::Forward => format!("tangent dw/d{}", names[wrt]),
            TraceMode::Reverse => "adjoint df/dw".to_string(),
        };
        println!("{:<24} {:>25} {:>25}", "step", "value", heading);
        for r in rows {
            let derivative = r
                .derivative
                .map_or("(constant)".into(), |d| format!("{d:.17e}"));
            println!("{:<24} {:>25.17e} {:>25}", r.step, r.value, derivative);
        }
    }
    for (name, rows) in names.iter().zip(&tables) {
        println!();
        println!("divided differences of d/d{name} against h (error vs forward mode)");
        println!(
            "{:>7}  {:>13}  {:>13}",
            "h", "forward error", "central error"
        );
        for r in rows {
            println!(
                "{:>7.0e}  {:>13.3e}  {:>13.3e}",
                r.h, r.forward_error, r.central_error
            );
        }
    }
    Ok(())
}

/// A log-log panel of divided-difference errors against the step.
pub fn step_panel(title: &str, rows: &[StepRow]) -> Panel {
    let line = |f: fn(&StepRow) -> f64| rows.iter().map(|r| (r.h, f(r))).collect();
    let mut panel = Panel::new(title, "step h", "absolute error");
    panel.log_x = true;
    panel.log_y = true;
    panel.series = vec![
        Series::new(line(|r| r.forward_error), Mark::Line, plot::colour(0))
            .labelled("forward difference"),
        Series::new(line(|r| r.central_error), Mark::Line, plot::colour(1))
            .labelled("central difference"),
    ];
    panel
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
