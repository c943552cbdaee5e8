//! The classic demonstration of EM: the Old Faithful geyser (272 eruptions:
//! duration in minutes, waiting time to the next in minutes) falls into
//! short and long eruptions. Fit a two-component Gaussian mixture with full
//! covariances, choose the number of components by BIC, and compare with
//! K-means (EM with hard assignments and equal spherical clusters).
//!
//! Run with `cargo run --release -p admix --example old_faithful`.

use admix::mixture::gmm::{CovarianceType, GaussianMixture, GaussianMixtureModel};
use admix::mixture::kmeans::{Init, KMeans};
use ndarray::Array2;
use std::error::Error;

/// The data set, compiled into the example.
const FAITHFUL: &str = include_str!("../data/faithful.csv");

/// Reads `eruptions,waiting` rows after the header line.
fn parse(csv: &str) -> Result<Array2<f64>, Box<dyn Error>> {
    let mut values = Vec::new();
    let mut rows = 0;
    for (number, line) in csv.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != 2 {
            return Err(format!("line {}: expected 2 fields, got {line:?}", number + 1).into());
        }
        for field in fields {
            values.push(
                field
                    .trim()
                    .parse::<f64>()
                    .map_err(|e| format!("line {}: {field:?}: {e}", number + 1))?,
            );
        }
        rows += 1;
    }
    Ok(Array2::from_shape_vec((rows, 2), values)?)
}

/// Component indices in order of increasing eruption duration, so the
/// short eruptions print first whatever order the fit found.
fn by_duration(model: &GaussianMixtureModel) -> Vec<usize> {
    let mut order: Vec<usize> = (0..model.n_components()).collect();
    order.sort_by(|&a, &b| model.means()[[a, 0]].total_cmp(&model.means()[[b, 0]]));
    order
}

fn main() -> Result<(), Box<dyn Error>> {
    let x = parse(FAITHFUL)?;
    println!(
        "Old Faithful: {} eruptions, columns eruptions (min), waiting (min)\n",
        x.nrows()
    );

    let model = GaussianMixture::params(2)
        .covariance_type(CovarianceType::Full)
        .seed(0)
        .fit(x.view())?;
    println!(
        "EM, 2 components, full covariance: {} iterations, converged: {}, mean log-likelihood {:.4}",
        model.n_iter(),
        model.converged(),
        model.score(x.view())?
    );
    for (rank, j) in by_duration(&model).into_iter().enumerate() {
        let mean = model.means().row(j);
        let cov = model.covariances().component(j, 2);
        println!(
            "  component {}: weight {:.4}  mean ({:.4}, {:.4})",
            rank + 1,
            model.weights()[j],
            mean[0],
            mean[1]
        );
        println!(
            "               covariance [[{:.4}, {:.4}], [{:.4}, {:.4}]]",
            cov[[0, 0]],
            cov[[0, 1]],
            cov[[1, 0]],
            cov[[1, 1]]
        );
    }
    println!(
        "  (R's mixtools and mclust report weights 0.356 / 0.644 and means\n   (2.04, 54.5) / (4.29, 80.0) on the same data)\n"
    );

    println!("Model choice by BIC (lower is better), full covariance:");
    let mut best = (0, f64::INFINITY);
    for k in 1..=4 {
        let fitted = GaussianMixture::params(k)
            .covariance_type(CovarianceType::Full)
            .n_init(3)
            .seed(0)
            .fit(x.view())?;
        let bic = fitted.bic(x.view())?;
        println!("  k = {k}: BIC {bic:>9.2}");
        if bic < best.1 {
            best = (k, bic);
        }
    }
    println!("  best: k = {}\n", best.0);

    let kmeans = KMeans::params(2)
        .init(Init::KMeansPlusPlus {
            extra_candidates: None,
        })
        .n_init(5)
        .seed(0)
        .fit(x.view())?;
    let centres = kmeans.centroids();
    let mut order = [0, 1];
    order.sort_by(|&a, &b| centres[[a, 0]].total_cmp(&centres[[b, 0]]));
    println!(
        "K-means, k = 2 (k-means++, 5 restarts): inertia {:.2} after {} iterations",
        kmeans.inertia(),
        kmeans.n_iter()
    );
    for (rank, j) in order.into_iter().enumerate() {
        println!(
            "  centre {}: ({:.4}, {:.4})",
            rank + 1,
            centres[[j, 0]],
            centres[[j, 1]]
        );
    }
    let labels = kmeans.predict(x.view())?;
    let gmm_labels = model.predict(x.view())?;
    // Component numbers are arbitrary: count agreement up to relabelling.
    let same = labels
        .iter()
        .zip(&gmm_labels)
        .filter(|(a, b)| a == b)
        .count();
    let agree = same.max(x.nrows() - same);
    println!(
        "  K-means and EM put {agree} of {} eruptions in the same group",
        x.nrows()
    );
    Ok(())
}
