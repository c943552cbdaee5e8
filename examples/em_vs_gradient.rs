//! EM against gradient methods (L-BFGS, Adam, gradient descent) from the
//! same starting parameters: final mean log-likelihood, iterations, data
//! passes, wall time, time to reach EM's final log-likelihood (within 1e-6
//! relative), the distance between the matched models and the gradient-norm
//! certificate of each. `adam-mb` is Adam on mini-batches of a tenth of the
//! data (its iterations count mini-batch steps).
//!
//! Run with `cargo run --release -p admix --example em_vs_gradient -- [faithful|iris|synthetic] [max_iter]`.
//! `synthetic` is the benchmark data: n = 100_000, d = 16, k = 16 blobs.

use admix::mixture::gmm::GaussianMixture;
use admix::mixture::gradient::{compare, gradient_norm, Method};
use admix::mixture::Progress;
use ndarray::Array2;
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let name = args.first().map_or("faithful", String::as_str);
    let max_iter = args.get(1).map_or(Ok(1000), |s| s.parse())?;
    let (x, k) = match name {
        "faithful" => (numeric_csv(include_str!("../data/faithful.csv")), 2),
        "iris" => (numeric_csv(include_str!("../data/iris.csv")), 3),
        "synthetic" => (
            admix::mixture::synthetic::overlapping_blobs(100_000, 16, 16, 1).expect("valid sizes"),
            16,
        ),
        other => {
            return Err(format!("unknown data set {other:?}: faithful, iris or synthetic").into())
        }
    };
    println!(
        "{name}: n = {}, d = {}, k = {k}, full covariances, tol 1e-10, max_iter {max_iter}",
        x.nrows(),
        x.ncols()
    );
    println!(
        "{:<7} {:>16} {:>6} {:>8} {:>9} {:>14} {:>10} {:>10}",
        "method", "mean log-lik", "iters", "passes", "time", "time to EM's", "distance", "|grad|"
    );
    // Mini-batches of a tenth of the data (at least 32 rows): ten Adam
    // steps per pass.
    let batch = (x.nrows() / 10).max(32);
    let runs = [
        (Method::Lbfgs, None),
        (Method::Adam, None),
        (Method::GradientDescent, None),
        (Method::Adam, Some(batch)),
    ];
    for (i, (method, mini_batch)) in runs.into_iter().enumerate() {
        let mut params = GaussianMixture::params(k)
            .tol(1e-10)
            .max_iter(max_iter)
            .gradient(method);
        if let Some(rows) = mini_batch {
            params = params.mini_batch(rows);
        }
        let params = params.check()?;
        let cmp = compare(&params, x.view())?;
        let target = cmp.em.trace.last().map_or(f64::NAN, |p| p.log_likelihood);
        if i == 0 {
            row(
                "em",
                &cmp.em.trace,
                target,
                f64::NAN,
                gradient_norm(&cmp.em.model, x.view())?,
            );
        }
        let label = match mini_batch {
            Some(_) => format!("{method}-mb"),
            None => method.to_string(),
        };
        row(
            &label,
            &cmp.gradient.trace,
            target,
            cmp.matching.mean_distance,
            cmp.gradient.gradient_norm,
        );
    }
    Ok(())
}

/// One line of the table for a trace that should reach `target`.
fn row(label: &str, trace: &[Progress], target: f64, distance: f64, grad: f64) {
    let last = trace.last().expect("a trace has its start");
    let reached = trace
        .iter()
        .find(|p| p.log_likelihood >= target - 1e-6 * target.abs())
        .map_or("not reached".to_string(), |p| secs(p.elapsed));
    println!(
        "{label:<7} {:>16.10} {:>6} {:>8.1} {:>9} {:>14} {:>10.2e} {:>10.2e}",
        last.log_likelihood,
        last.iteration,
        last.passes,
        secs(last.elapsed),
        reached,
        distance,
        grad
    );
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// The numeric columns of a CSV text with a header line.
fn numeric_csv(text: &str) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').filter_map(|f| f.trim().parse().ok()).collect())
        .collect();
    let d = rows[0].len();
    Array2::from_shape_vec((rows.len(), d), rows.concat()).expect("rectangular data")
}
