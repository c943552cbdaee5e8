//! EM driven by hand over partitions of the data, as another engine (Spark,
//! Ray, Dask) would run it: each partition computes its sufficient
//! statistics under the current model, ships them (here as JSON), the
//! driver merges them and takes the M-step. The loop is exact EM; only the
//! order of the sums differs from `GaussianMixture::fit`, so the models
//! agree to rounding.
//!
//! Run with `cargo run --release -p admix --example partitioned_em`.

use admix::mixture::gmm::{CovarianceType, GaussianMixture, GmmInit, SufficientStats};
use admix::mixture::synthetic::overlapping_blobs;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let x = overlapping_blobs(30_000, 4, 3, 7)?;
    // Uneven partitions, as a cluster's data would be.
    let partitions = [
        x.slice(ndarray::s![..9_000, ..]),
        x.slice(ndarray::s![9_000.., ..]),
    ];
    let params = GaussianMixture::params(3)
        .covariance_type(CovarianceType::Full)
        .init(GmmInit::RandomFromData)
        .seed(1);
    // The start: what EM starts from (a driver could as well make its own).
    let mut model = params.clone().max_iter(0).fit(x.view())?;
    let mut previous = f64::NEG_INFINITY;
    for iteration in 0..200 {
        // On the workers: statistics of each partition, serialised to ship.
        let shipped: Vec<String> = partitions
            .iter()
            .map(|part| -> Result<String, Box<dyn std::error::Error>> {
                Ok(serde_json::to_string(
                    &model.statistics(part.view(), None)?,
                )?)
            })
            .collect::<Result<_, _>>()?;
        // On the driver: merge, then the M-step.
        let mut total: Option<SufficientStats> = None;
        for text in &shipped {
            let stats: SufficientStats = serde_json::from_str(text)?;
            match &mut total {
                Some(t) => t.merge(&stats)?,
                None => total = Some(stats),
            }
        }
        let total = total.expect("at least one partition");
        let ll = total.mean_log_likelihood();
        model = model.m_step(&total, 1e-6)?;
        if (ll - previous).abs() < 1e-3 {
            println!("converged after {iteration} iterations: mean log-likelihood {ll:.6}");
            break;
        }
        previous = ll;
    }
    let direct = params.fit(x.view())?;
    println!(
        "by hand:              mean log-likelihood {:.6}",
        model.score(x.view())?
    );
    println!(
        "GaussianMixture::fit: mean log-likelihood {:.6}",
        direct.score(x.view())?
    );
    println!("weights by hand {:.4}", model.weights());
    println!("weights by fit  {:.4}", direct.weights());
    Ok(())
}
