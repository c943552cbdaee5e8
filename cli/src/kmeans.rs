//! `admix kmeans`: K-means clustering.

use crate::data;
use crate::fit::DataArgs;
use admix::mixture::kmeans::{Algorithm, Distance, Init, KMeans};
use anyhow::{Context, Result};
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

/// Distance of `admix kmeans`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DistanceArg {
    Euclidean,
    Cosine,
}

/// Options of `admix kmeans`.
#[derive(Debug, clap::Args)]
pub struct KMeansArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Number of clusters.
    #[arg(short = 'k', long = "clusters", default_value_t = 2)]
    pub k: usize,
    /// Distance: squared Euclidean or cosine.
    #[arg(long, value_enum, default_value = "euclidean")]
    pub distance: DistanceArg,
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
    /// Relative tolerance on the centres' movement.
    #[arg(long, default_value_t = 1e-4, allow_negative_numbers = true)]
    pub tol: f64,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write centres, inertia and n_iter as JSON to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &KMeansArgs) -> Result<()> {
    let data = args.data.load()?;
    let init = match args.init.as_str() {
        "random" => Init::Random,
        "kmeans++" => Init::KMeansPlusPlus {
            extra_candidates: None,
        },
        file => Init::Given(
            data::load(file, None)
                .with_context(|| {
                    format!("--init {file}: not random, kmeans++ or a file of centres")
                })?
                .x,
        ),
    };
    let algorithm = match args.mini_batch {
        None => Algorithm::Lloyd,
        Some(batch_size) => Algorithm::MiniBatch {
            batch_size,
            steps_per_iteration: args.steps_per_iteration,
        },
    };
    let distance = match args.distance {
        DistanceArg::Euclidean => Distance::SquaredEuclidean,
        DistanceArg::Cosine => Distance::Cosine,
    };
    let start = Instant::now();
    let model = KMeans::params(args.k)
        .init(init)
        .distance(distance)
        .algorithm(algorithm)
        .n_init(args.n_init)
        .max_iter(args.max_iter)
        .tol(args.tol)
        .seed(args.seed)
        .fit(data.x.view())?;
    let seconds = start.elapsed().as_secs_f64();
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
