//! `admix compare`: EM against a gradient method from the same start.

use crate::args::{DataArgs, FitSettings, Fitter};
use crate::job;
use crate::plot::{self, Mark, Panel, Series};
use crate::progress::with_spinner;
use admix::mixture::gmm::CovarianceType;
use admix::mixture::gradient::{compare_shard, Comparison};
use admix::mixture::Progress;
use anyhow::{bail, Result};
use serde_json::json;
use std::path::PathBuf;

/// Options of `admix compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Number of components.
    #[arg(short = 'k', long = "components", default_value_t = 2)]
    pub k: usize,
    /// Covariance structure: full, tied, diag or spherical (default: the
    /// --init file's, else full).
    #[arg(long)]
    pub covariance: Option<CovarianceType>,
    /// The gradient method set against EM: lbfgs, adam or gd.
    #[arg(long, default_value = "lbfgs")]
    pub method: Fitter,
    #[command(flatten)]
    pub settings: FitSettings,
    /// Write log-likelihood against iteration and against time to this SVG file.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &CompareArgs) -> Result<()> {
    let Fitter::Gradient(method) = args.method else {
        bail!("--method em: compare sets EM against lbfgs, adam or gd");
    };
    let data = job::agree(args.data.load())?;
    let params = args
        .settings
        .gradient_params(args.k, args.covariance, method)?;
    let share = job::shard(data.data()?, params.gmm().task_rows());
    let shard = share.shard();
    let cmp = with_spinner("fitting by EM and by gradient", || {
        args.settings
            .threads
            .install(|| compare_shard(&params, shard))
    })??;
    // Every rank has the comparison; rank 0 alone writes and prints.
    if !job::is_root() {
        return Ok(());
    }
    let name = method.name();
    if let Some(path) = &args.plot {
        plot::save(path, &panels(&cmp, name))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&to_json(&cmp, name))?);
    } else {
        print!("{}", render(&cmp, name));
    }
    Ok(())
}

fn trace_json(trace: &[Progress]) -> serde_json::Value {
    trace
        .iter()
        .map(|p| {
            json!({
                "iteration": p.iteration,
                "passes": p.passes,
                "seconds": p.elapsed.as_secs_f64(),
                "log_likelihood": p.log_likelihood,
            })
        })
        .collect()
}

/// The JSON of `admix compare --json`.
pub fn to_json(cmp: &Comparison, method: &str) -> serde_json::Value {
    json!({
        "method": method,
        "em": {
            "trace": trace_json(&cmp.em.trace),
            "seconds": cmp.em.elapsed.as_secs_f64(),
            "n_iter": cmp.em.model.n_iter(),
            "converged": cmp.em.model.converged(),
        },
        "gradient": {
            "trace": trace_json(&cmp.gradient.trace),
            "seconds": cmp.gradient.elapsed.as_secs_f64(),
            "iterations": cmp.gradient.iterations,
            "status": format!("{:?}", cmp.gradient.status),
            "gradient_norm": cmp.gradient.gradient_norm,
        },
        "matching": {
            "permutation": cmp.matching.permutation,
            "mean_distance": cmp.matching.mean_distance,
            "max_weight_difference": cmp.matching.max_weight_difference,
            "max_covariance_difference": cmp.matching.max_covariance_difference,
        },
    })
}

/// The comparison as a text table.
pub fn render(cmp: &Comparison, method: &str) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let last = |t: &[Progress]| t.last().map_or(f64::NAN, |p| p.log_likelihood);
    let _ = writeln!(
        out,
        "{:<10} {:>10} {:>10} {:>12} {:>22}",
        "method", "iterations", "passes", "seconds", "mean log-likelihood"
    );
    let _ = writeln!(
        out,
        "{:<10} {:>10} {:>10.1} {:>12.4} {:>22.10}",
        "em",
        cmp.em.model.n_iter(),
        cmp.em.trace.last().map_or(0.0, |p| p.passes),
        cmp.em.elapsed.as_secs_f64(),
        last(&cmp.em.trace)
    );
    let _ = writeln!(
        out,
        "{:<10} {:>10} {:>10.1} {:>12.4} {:>22.10}",
        method,
        cmp.gradient.iterations,
        cmp.gradient.trace.last().map_or(0.0, |p| p.passes),
        cmp.gradient.elapsed.as_secs_f64(),
        last(&cmp.gradient.trace)
    );
    let _ = writeln!(
        out,
        "{method} stopped: {:?}; gradient norm at its fit {:.3e}",
        cmp.gradient.status, cmp.gradient.gradient_norm
    );
    let _ = writeln!(
        out,
        "after matching components: mean distance between means {:.3e}, weights differ by at most {:.3e}, covariances by {:.3e}",
        cmp.matching.mean_distance, cmp.matching.max_weight_difference, cmp.matching.max_covariance_difference
    );
    out
}

/// Log-likelihood against iteration and against wall time, both methods.
pub fn panels(cmp: &Comparison, method: &str) -> Vec<Panel> {
    let by = |t: &[Progress], x: fn(&Progress) -> f64| -> Vec<(f64, f64)> {
        t.iter().map(|p| (x(p), p.log_likelihood)).collect()
    };
    let panel = |title: &str, axis: &str, x: fn(&Progress) -> f64| {
        let mut p = Panel::new(title, axis, "mean log-likelihood");
        p.series = vec![
            Series::new(by(&cmp.em.trace, x), Mark::Line, plot::colour(0)).labelled("EM"),
            Series::new(by(&cmp.gradient.trace, x), Mark::Line, plot::colour(1)).labelled(method),
        ];
        p
    };
    vec![
        panel("against iteration", "iteration", |p| p.iteration as f64),
        panel("against wall time", "seconds", |p| p.elapsed.as_secs_f64()),
    ]
}
