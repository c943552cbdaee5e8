//! `admix select`: choose the number of components (and covariance type) by BIC.

use crate::args::{DataArgs, FitSettings};
use crate::job;
use crate::plot::{self, Mark, Panel, Series};
use crate::progress::with_spinner;
use admix::mixture::gmm::CovarianceType;
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::PathBuf;

/// Options of `admix select`.
#[derive(Debug, clap::Args)]
pub struct SelectArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Range of component counts, as FIRST..LAST (inclusive), e.g. 1..10.
    #[arg(long = "k", default_value = "1..6")]
    pub range: String,
    /// One covariance type (full, tied, diag, spherical), or "all" for the four.
    #[arg(long = "covariance", default_value = "full")]
    pub covariance_choice: String,
    #[command(flatten)]
    pub settings: FitSettings,
    /// Write BIC and AIC against k to this SVG file.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// One fitted candidate (the JSON rows of `admix select --json`).
#[derive(Debug, Serialize)]
struct Candidate {
    k: usize,
    covariance: &'static str,
    bic: f64,
    aic: f64,
    mean_log_likelihood: f64,
    best: bool,
}

fn parse_range(text: &str) -> Result<std::ops::RangeInclusive<usize>> {
    let (a, b) = text
        .split_once("..")
        .with_context(|| format!("--k {text}: write a range as FIRST..LAST, e.g. 1..10"))?;
    let a: usize = a
        .trim()
        .parse()
        .with_context(|| format!("--k {text}: '{a}' is not a count"))?;
    let b: usize = b
        .trim_start_matches('=')
        .trim()
        .parse()
        .with_context(|| format!("--k {text}: '{b}' is not a count"))?;
    if a == 0 || b < a {
        bail!("--k {text}: need 1 <= FIRST <= LAST");
    }
    Ok(a..=b)
}

pub fn run(args: &SelectArgs) -> Result<()> {
    let data = job::agree(args.data.load())?;
    let range = parse_range(&args.range)?;
    let types: Vec<CovarianceType> = if args.covariance_choice == "all" {
        vec![
            CovarianceType::Full,
            CovarianceType::Tied,
            CovarianceType::Diag,
            CovarianceType::Spherical,
        ]
    } else {
        vec![args.covariance_choice.parse().map_err(|_| {
            anyhow::anyhow!(
                "--covariance {}: use full, tied, diag, spherical or all",
                args.covariance_choice
            )
        })?]
    };
    let mut rows = Vec::new();
    for &c in &types {
        for k in range.clone() {
            let name = c.name();
            let context = || format!("k = {k}, covariance {name}");
            let params = args
                .settings
                .params(k, Some(c))?
                .check()
                .with_context(context)?;
            let share = job::shard(data.data()?, params.task_rows());
            let shard = share.shard();
            let model = with_spinner(&format!("fitting k = {k}, {name}"), || {
                args.settings.threads.install(|| params.fit_shard(shard))
            })?
            .with_context(context)?;
            let criteria = job::criteria(&model, data.data()?)?;
            rows.push(Candidate {
                k,
                covariance: model.covariance_type().name(),
                bic: criteria.bic,
                aic: criteria.aic,
                mean_log_likelihood: criteria.score,
                best: false,
            });
        }
    }
    if let Some(best) = rows.iter_mut().min_by(|a, b| a.bic.total_cmp(&b.bic)) {
        best.best = true;
    }
    if !job::is_root() {
        return Ok(());
    }
    if let Some(path) = &args.plot {
        let mut panel = Panel::new(
            "model selection (lower is better)",
            "components k",
            "criterion",
        );
        for (i, &c) in types.iter().enumerate() {
            let name = c.name();
            let of = |f: fn(&Candidate) -> f64| -> Vec<(f64, f64)> {
                rows.iter()
                    .filter(|r| r.covariance == name)
                    .map(|r| (r.k as f64, f(r)))
                    .collect()
            };
            panel.series.push(
                Series::new(of(|r| r.bic), Mark::Line, plot::colour(i))
                    .labelled(format!("BIC {name}")),
            );
            panel.series.push(
                Series::new(of(|r| r.aic), Mark::Dashed, plot::colour(i))
                    .labelled(format!("AIC {name}")),
            );
        }
        if let Some(best) = rows.iter().find(|r| r.best) {
            panel.series.push(
                Series::new(vec![(best.k as f64, best.bic)], Mark::Dots, "#000000")
                    .labelled("best (BIC)"),
            );
        }
        plot::save(path, &[panel])?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!(
        "{:>4}  {:<10} {:>14} {:>14} {:>14}",
        "k", "covariance", "BIC", "AIC", "mean log-lik"
    );
    for r in &rows {
        println!(
            "{:>4}  {:<10} {:>14.3} {:>14.3} {:>14.6}{}",
            r.k,
            r.covariance,
            r.bic,
            r.aic,
            r.mean_log_likelihood,
            if r.best { "  <- best BIC" } else { "" }
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_inclusive_and_checked() {
        assert_eq!(parse_range("1..10").unwrap(), 1..=10);
        assert_eq!(parse_range("2..=3").unwrap(), 2..=3);
        assert!(parse_range("0..3").is_err());
        assert!(parse_range("5..3").is_err());
        assert!(parse_range("5").is_err());
    }
}
