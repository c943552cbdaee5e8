//! `admix predict`, `admix score` and `admix sample`: use a saved model.

use crate::fit::{load_model, DataArgs};
use anyhow::Result;
use serde_json::json;
use std::path::PathBuf;

/// Options of `admix predict`.
#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    /// A model JSON file written by `admix fit --out`.
    pub model: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Print the probability of every component instead of the label.
    #[arg(long)]
    pub proba: bool,
    /// Print JSON instead of CSV.
    #[arg(long)]
    pub json: bool,
}

/// Options of `admix score`.
#[derive(Debug, clap::Args)]
pub struct ScoreArgs {
    /// A model JSON file written by `admix fit --out`.
    pub model: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Options of `admix sample`.
#[derive(Debug, clap::Args)]
pub struct SampleArgs {
    /// A model JSON file written by `admix fit --out`.
    pub model: PathBuf,
    /// How many samples.
    #[arg(short = 'n', long, default_value_t = 100)]
    pub n: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print JSON instead of CSV.
    #[arg(long)]
    pub json: bool,
}

fn csv_row(values: impl IntoIterator<Item = String>) -> String {
    values.into_iter().collect::<Vec<_>>().join(",")
}

pub fn predict(args: &PredictArgs) -> Result<()> {
    let model = load_model(&args.model)?;
    let x = args.data.load()?.x;
    if args.proba {
        let p = model.predict_proba(x.view())?;
        let rows: Vec<Vec<f64>> = p.outer_iter().map(|r| r.to_vec()).collect();
        if args.json {
            println!("{}", json!({ "proba": rows }));
        } else {
            println!(
                "{}",
                csv_row((0..model.n_components()).map(|j| format!("p{j}")))
            );
            for r in rows {
                println!("{}", csv_row(r.iter().map(|v| format!("{v:.6e}"))));
            }
        }
    } else {
        let labels = model.predict(x.view())?;
        if args.json {
            println!("{}", json!({ "labels": labels.to_vec() }));
        } else {
            println!("label");
            for l in labels {
                println!("{l}");
            }
        }
    }
    Ok(())
}

pub fn score(args: &ScoreArgs) -> Result<()> {
    let model = load_model(&args.model)?;
    let x = args.data.load()?.x;
    let criteria = model.criteria(x.view())?;
    let (score, bic, aic) = (criteria.score, criteria.bic, criteria.aic);
    if args.json {
        println!(
            "{}",
            json!({ "mean_log_likelihood": score, "bic": bic, "aic": aic, "n_samples": x.nrows() })
        );
    } else {
        println!(
            "mean log-likelihood {score:.6}   BIC {bic:.3}   AIC {aic:.3}   samples {}",
            x.nrows()
        );
    }
    Ok(())
}

pub fn sample(args: &SampleArgs) -> Result<()> {
    let model = load_model(&args.model)?;
    let (x, labels) = model.sample(args.n, args.seed)?;
    if args.json {
        let rows: Vec<Vec<f64>> = x.outer_iter().map(|r| r.to_vec()).collect();
        println!("{}", json!({ "samples": rows, "labels": labels.to_vec() }));
    } else {
        let header = (0..x.ncols())
            .map(|i| format!("x{i}"))
            .chain(["label".to_string()]);
        println!("{}", csv_row(header));
        for (row, l) in x.outer_iter().zip(&labels) {
            println!(
                "{}",
                csv_row(row.iter().map(|v| v.to_string()).chain([l.to_string()]))
            );
        }
    }
    Ok(())
}
