//! Mini-batch K-means: centres move towards the means of small random
//! batches, each with a learning rate that falls as its cluster sees more
//! weight.
//!
//! ```text
//! c <- (n_c c + s_c) / (n_c + b_c),   n_c <- n_c + b_c
//! ```
//! where `b_c` and `s_c` are the weight and weighted row sum of the batch
//! rows nearest `c`, and `n_c` is the weight `c` has seen so far.
//!
//! # Reference
//! Sculley, Web-scale k-means clustering, WWW 2010.

use super::assign::{Assignment, ClusterSums, Rows};
use super::distances::PackedCentres;
use super::params::Distance;
use super::prepare::Prepared;
use ndarray::{Array2, Axis};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Settings of a mini-batch run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MiniBatchSettings {
    pub batch_size: usize,
    pub steps_per_iteration: usize,
    pub tol: f64,
    pub max_iter: usize,
}

/// Result of a mini-batch run: prepared centres, iterations, convergence.
pub(crate) struct MiniBatchFit {
    pub centres: Array2<f64>,
    pub n_iter: usize,
    pub converged: bool,
}

/// Runs mini-batch iterations from `centres` (prepared space). Stops when
/// the squared centre movement summed over one iteration is at most `tol`
/// times the total variance of the data, or after `max_iter` iterations.
pub(crate) fn mini_batch(
    data: &Prepared,
    mut centres: Array2<f64>,
    settings: MiniBatchSettings,
    rng: &mut ChaCha8Rng,
) -> MiniBatchFit {
    let (k, d) = centres.dim();
    let n = data.n_samples();
    // Batches larger than the data only repeat rows: clip them.
    let b = settings.batch_size.min(n);
    let mut batch_x = vec![0.0; b * d];
    let mut batch_sq_norms = vec![0.0; b];
    let mut batch_weights = vec![0.0; b];
    let mut assignment = Assignment::new(b, k, d);
    let mut packed = PackedCentres::new(centres.view());
    let mut seen = vec![0.0; k];
    let threshold = settings.tol * total_variance(data);
    let x = data.rows();
    for iter in 0..settings.max_iter {
        let mut movement = 0.0;
        for _ in 0..settings.steps_per_iteration {
            for r in 0..b {
                let i = rng.random_range(0..n);
                batch_x[r * d..(r + 1) * d].copy_from_slice(&x[i * d..(i + 1) * d]);
                batch_sq_norms[r] = data.sq_norms[i];
                batch_weights[r] = data.weights[i];
            }
            let rows = Rows {
                x: &batch_x,
                sq_norms: &batch_sq_norms,
                weights: &batch_weights,
                distance: data.distance,
            };
            assignment.pass(rows, &packed);
            update_centres(
                &mut centres,
                &mut seen,
                &assignment.total,
                data.distance,
                &mut movement,
            );
            packed.repack(centres.view());
        }
        if movement <= threshold {
            return MiniBatchFit {
                centres,
                n_iter: iter + 1,
                converged: true,
            };
        }
    }
    MiniBatchFit {
        centres,
        n_iter: settings.max_iter,
        converged: false,
    }
}

/// One mini-batch step: moves every centre to the weighted mean of what it
/// has seen and the batch rows nearest it (`total`, from an assignment pass),
/// adds their weight to `seen`, and adds the squared movement of each centre
/// to `movement`. Cosine centres are scaled back to unit length.
pub(crate) fn update_centres(
    centres: &mut Array2<f64>,
    seen: &mut [f64],
    total: &ClusterSums,
    distance: Distance,
    movement: &mut f64,
) {
    let d = centres.ncols();
    let mut previous = vec![0.0; d];
    for (c, mut centre) in centres.rows_mut().into_iter().enumerate() {
        let bw = total.weights[c];
        if bw <= 0.0 {
            continue;
        }
        let sums = &total.sums[c * d..(c + 1) * d];
        let after = seen[c] + bw;
        previous.copy_from_slice(centre.as_slice().expect("rows are contiguous"));
        for (m, &s) in centre.iter_mut().zip(sums) {
            *m = (seen[c] * *m + s) / after;
        }
        if distance == Distance::Cosine {
            let norm = centre.dot(&centre).sqrt();
            if norm > 0.0 {
                centre /= norm;
            } else {
                // Opposite rows cancelled out: keep the old direction.
                centre.iter_mut().zip(&previous).for_each(|(m, &p)| *m = p);
            }
        }
        *movement += centre
            .iter()
            .zip(&previous)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>();
        seen[c] = after;
    }
}

/// Mean squared distance of the prepared rows to their mean.
fn total_variance(data: &Prepared) -> f64 {
    let mean = data.x.mean_axis(Axis(0)).expect("data has rows");
    let mean_sq_norm = data.sq_norms.iter().sum::<f64>() / data.n_samples() as f64;
    (mean_sq_norm - mean.dot(&mean)).max(0.0)
}
