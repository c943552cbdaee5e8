//! `admix predict`, `admix score` and `admix sample`: use a saved model.

use crate::args::{DataArgs, Threads};
use crate::blocks::{for_each_block, in_whole, BLOCK_ROWS};
use crate::model_io::load_model;
use admix::mixture::distributed::share;
use admix::mixture::gmm::{GaussianMixture, GaussianMixtureModel};
use admix::mixture::{Data, RowBuffer};
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
    let model = crate::job::agree(load_model(&args.model))?;
    let data = crate::job::agree(args.data.load())?;
    let x = data.data()?;
    args.threads.install(|| {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        if crate::job::is_distributed() && x.nrows() > 0 {
            write_predictions_job(&model, x, args.proba, args.json, &mut out)
        } else {
            write_predictions(&model, x, args.proba, args.json, &mut out)
        }
    })?
}

/// Writes `admix predict`'s output (labels, or probabilities with `proba`;
/// CSV, or JSON with `json`) block by block, each block's rows written before
/// the next is computed: memory stays at one block whatever the file's size.
pub fn write_predictions(
    model: &GaussianMixtureModel,
    x: Data,
    proba: bool,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    write_head(model, proba, json, out)?;
    for_each_block(x, |start, block| {
        write_block(model, start, block, proba, json, out)
    })?;
    write_tail(json, out)
}

/// [`write_predictions`] over the job's processes: each predicts the blocks
/// of its own share of the rows and sends each block's text, in row order,
/// to rank 0, which writes it; rank 0 holds one block at a time, and the
/// output is byte for byte the one process's.
fn write_predictions_job(
    model: &GaussianMixtureModel,
    x: Data,
    proba: bool,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    let comm = crate::job::comm();
    let root = crate::job::is_root();
    let n = x.nrows();
    let task_rows = GaussianMixture::params(1).check()?.task_rows();
    if root {
        write_head(model, proba, json, out)?;
    }
    let mut buffer = RowBuffer::default();
    for owner in 0..comm.size() {
        let rows = share(n, task_rows, owner, comm.size());
        for start in rows.clone().step_by(BLOCK_ROWS) {
            let mut text = Vec::new();
            if owner == comm.rank() {
                let end = rows.end.min(start + BLOCK_ROWS);
                let block = x.rows(start..end, &mut buffer).map_err(anyhow::Error::from);
                let written =
                    block.and_then(|b| write_block(model, start, b.into(), proba, json, &mut text));
                crate::job::agree(written)?;
            } else {
                crate::job::agree(Ok(()))?;
            }
            let text = crate::job::bytes_from(owner, &text);
            if root {
                out.write_all(&text)?;
            }
        }
    }
    if root {
        write_tail(json, out)?;
    }
    Ok(())
}

/// The header of the predictions (CSV) or the start of their JSON object.
fn write_head(
    model: &GaussianMixtureModel,
    proba: bool,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    match (proba, json) {
        (true, true) => out.write_all(b"{\"proba\":[")?,
        (true, false) => {
            let header = (0..model.n_components()).map(|j| format!("p{j}"));
            writeln!(out, "{}", csv_row(header))?
        }
        (false, true) => out.write_all(b"{\"labels\":[")?,
        (false, false) => writeln!(out, "label")?,
    }
    Ok(())
}

/// The predictions of `block`, whose first row is row `start` of the data
/// (in JSON, every row but the data's first follows a comma).
fn write_block(
    model: &GaussianMixtureModel,
    start: usize,
    block: Data,
    proba: bool,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    if proba {
        let p = model.predict_proba(block).map_err(|e| in_whole(e, start))?;
        for (i, row) in p.outer_iter().enumerate() {
            if json {
                out.write_all(if start + i == 0 { b"[" } else { b",[" })?;
                for (j, v) in row.iter().enumerate() {
                    out.write_all(if j == 0 { b"" } else { b"," })?;
                    serde_json::to_writer(&mut *out, v)?;
                }
                out.write_all(b"]")?;
            } else {
                writeln!(out, "{}", csv_row(row.iter().map(|v| format!("{v:.6e}"))))?;
            }
        }
    } else {
        let labels = model.predict(block).map_err(|e| in_whole(e, start))?;
        for (i, l) in labels.iter().enumerate() {
            if json {
                write!(out, "{}{l}", if start + i == 0 { "" } else { "," })?;
            } else {
                writeln!(out, "{l}")?;
            }
        }
    }
    Ok(())
}

/// The end of the JSON object; flushes.
fn write_tail(json: bool, out: &mut impl Write) -> Result<()> {
    if json {
        out.write_all(b"]}\n")?;
    }
    out.flush().context("cannot write the predictions")
}

/// Mean log-likelihood, BIC and AIC, in one streaming pass.
pub fn score(args: &ScoreArgs) -> Result<()> {
    let model = crate::job::agree(load_model(&args.model))?;
    let data = crate::job::agree(args.data.load())?;
    let x = data.data()?;
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

pub fn sample(args: &SampleArgs) -> Result<()> {
    let model = load_model(&args.model)?;
    if args.n == 0 {
        bail!("-n 0: ask for at least one sample");
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    write_samples(&model, args.n, args.seed, args.json, &mut out)
}

/// Writes `admix sample`'s output one row at a time as the rows are drawn,
/// so memory stays at one row whatever `n` is. JSON lists the labels after
/// the samples: they are drawn a second time from the same seed rather than
/// kept.
pub fn write_samples(
    model: &GaussianMixtureModel,
    n: usize,
    seed: u64,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    let mut row = vec![0.0; model.n_features()];
    let mut sampler = model.sampler(seed)?;
    let mut again = model.sampler(seed)?;
    let mut written = || -> std::io::Result<()> {
        if json {
            out.write_all(b"{\"samples\":[")?;
            for i in 0..n {
                sampler.draw(&mut row);
                out.write_all(if i == 0 { b"[" } else { b",[" })?;
                for (c, v) in row.iter().enumerate() {
                    if c > 0 {
                        out.write_all(b",")?;
                    }
                    serde_json::to_writer(&mut *out, v)?;
                }
                out.write_all(b"]")?;
            }
            out.write_all(b"],\"labels\":[")?;
            for i in 0..n {
                let label = again.draw(&mut row);
                write!(out, "{}{label}", if i == 0 { "" } else { "," })?;
            }
            out.write_all(b"]}\n")?;
        } else {
            let header = (0..row.len())
                .map(|i| format!("x{i}"))
                .chain(["label".to_string()]);
            writeln!(out, "{}", csv_row(header))?;
            for _ in 0..n {
                let label = sampler.draw(&mut row);
                for v in &row {
                    write!(out, "{v},")?;
                }
                writeln!(out, "{label}")?;
            }
        }
        out.flush()
    };
    written().context("cannot write the samples")
}
