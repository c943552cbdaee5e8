//! `admix predict`, `admix score` and `admix sample`: use a saved model.

use crate::args::{DataArgs, Threads};
use crate::model_io::load_model;
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::io::Write;
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
    #[command(flatten)]
    pub threads: Threads,
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
    #[command(flatten)]
    pub threads: Threads,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Options of `admix sample`.
#[derive(Debug, clap::Args)]
pub struct SampleArgs {
    /// A model JSON file written by `admix fit --out`.
    pub model: PathBuf,
    /// How many samples (written as they are drawn: any number fits the disk
    /// or the pipe, not memory).
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
    let data = args.data.load()?;
    let x = data.view()?;
    if args.proba {
        let p = args.threads.install(|| model.predict_proba(x))??;
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
        let labels = args.threads.install(|| model.predict(x))??;
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
    let model = crate::job::agree(load_model(&args.model))?;
    let data = crate::job::agree(args.data.load())?;
    let x = data.view()?;
    let criteria = args.threads.install(|| crate::job::criteria(&model, x))??;
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

/// Writes the samples one row at a time as they are drawn, so memory stays
/// at one row whatever `-n` is. JSON lists the labels after the samples:
/// they are drawn a second time from the same seed rather than kept.
pub fn sample(args: &SampleArgs) -> Result<()> {
    let model = load_model(&args.model)?;
    if args.n == 0 {
        bail!("-n 0: ask for at least one sample");
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut row = vec![0.0; model.n_features()];
    let mut sampler = model.sampler(args.seed)?;
    let mut again = model.sampler(args.seed)?;
    let written = (|| -> std::io::Result<()> {
        if args.json {
            out.write_all(b"{\"samples\":[")?;
            for i in 0..args.n {
                sampler.draw(&mut row);
                out.write_all(if i == 0 { b"[" } else { b",[" })?;
                for (c, v) in row.iter().enumerate() {
                    if c > 0 {
                        out.write_all(b",")?;
                    }
                    serde_json::to_writer(&mut out, v)?;
                }
                out.write_all(b"]")?;
            }
            out.write_all(b"],\"labels\":[")?;
            for i in 0..args.n {
                let label = again.draw(&mut row);
                write!(out, "{}{label}", if i == 0 { "" } else { "," })?;
            }
            out.write_all(b"]}\n")?;
        } else {
            let header = (0..row.len())
                .map(|i| format!("x{i}"))
                .chain(["label".to_string()]);
            writeln!(out, "{}", csv_row(header))?;
            for _ in 0..args.n {
                let label = sampler.draw(&mut row);
                for v in &row {
                    write!(out, "{v},")?;
                }
                writeln!(out, "{label}")?;
            }
        }
        out.flush()
    })();
    written.context("cannot write the samples")
}
