//! `admix kmeans`: K-means clustering.

use crate::args::{DataArgs, Threads};
use crate::data;
use crate::job;
use admix::mixture::kmeans::{Algorithm, Distance, Init, KMeans};
use anyhow::{Context, Result};
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

/// Options of `admix kmeans`.
#[derive(Debug, clap::Args)]
pub struct KMeansArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Number of clusters.
    #[arg(short = 'k', long = "clusters", default_value_t = 2)]
    pub k: usize,
    /// Distance: euclidean (squared) or cosine.
    #[arg(long, default_value = "euclidean")]
    pub distance: Distance,
    /// Mini-batch K-means with this batch size (default: full-batch Lloyd).
    #[arg(long, value_name = "B")]
    pub mini_batch: Option<usize>,
    /// Mini-batch steps per iteration.
    #[arg(long, default_value_t = 1)]
    pub steps_per_iteration: usize,
    /// random, kmeans++, or a CSV / .npy file of starting centres (k rows).
    #[arg(long, default_value = "kmeans++")]
    pub init: String,
    /// Restarts; the lowest inertia is kept.
    #[arg(long, default_value_t = 1)]
    pub n_init: usize,
    /// Maximum number of iterations.
    #[arg(long, default_value_t = 300)]
    pub max_iter: usize,
    /// Relative tolerance. Lloyd stops when an iteration lowers the inertia
    /// by at most tol times its previous value (or changes no label);
    /// mini-batch stops when the centres move, summed squared over one
    /// iteration, by at most tol times the total variance of the data.
    #[arg(long, default_value_t = 1e-4, allow_negative_numbers = true)]
    pub tol: f64,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub threads: Threads,
    /// Write centres, inertia, n_iter, converged and fit_seconds as JSON to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &KMeansArgs) -> Result<()> {
    let data = job::agree(args.data.load())?;
    let init = job::agree(match args.init.parse::<Init>() {
        Ok(init) => Ok(init),
        Err(_) => data::load(&args.init, None, None)
            .with_context(|| {
                format!(
                    "--init {}: not random, kmeans++ or a file of centres",
                    args.init
                )
            })
            .map(|centres| Init::Given(centres.x.into_owned())),
    })?;
    let algorithm = match args.mini_batch {
        None => Algorithm::Lloyd,
        Some(batch_size) => Algorithm::MiniBatch {
            batch_size,
            steps_per_iteration: args.steps_per_iteration,
        },
    };
    let start = Instant::now();
    let params = KMeans::params(args.k)
        .init(init)
        .distance(args.distance)
        .algorithm(algorithm)
        .n_init(args.n_init)
        .max_iter(args.max_iter)
        .tol(args.tol)
        .seed(args.seed)
        .check()?;
    let share = job::shard(data.data()?, params.task_rows());
    let model = args.threads.install(|| params.fit_shard(share.shard()))??;
    let seconds = start.elapsed().as_secs_f64();
    // Every rank fits; rank 0 alone writes and prints.
    if !job::is_root() {
        return Ok(());
    }
    let centres: Vec<Vec<f64>> = model.centroids().outer_iter().map(|r| r.to_vec()).collect();
    let value = json!({
        "centres": centres,
        "inertia": model.inertia(),
        "n_iter": model.n_iter(),
        "converged": model.converged(),
        "fit_seconds": seconds,
    });
    if let Some(path) = &args.out {
        std::fs::write(path, serde_json::to_string_pretty(&value)?)
            .with_context(|| format!("cannot write '{}'", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!(
        "{} clusters, inertia {:.6}, {} iterations ({}), {:.3} s",
        args.k,
        model.inertia(),
        model.n_iter(),
        if model.converged() {
            "converged"
        } else {
            "not converged"
        },
        seconds
    );
    println!("centre ({})", data.columns.join(", "));
    for (j, c) in centres.iter().enumerate() {
        let c: Vec<String> = c.iter().map(|v| format!("{v:.4}")).collect();
        println!("{j:>6} {}", c.join(", "));
    }
    Ok(())
}
