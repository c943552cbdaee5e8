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

use super::assign::{Assignment, ClusterSums};
use super::distances::PackedCentres;
use super::params::Distance;
use super::prepare::{Batch, Chunks, Prepared, Scratch};
use crate::MixtureError;
use ndarray::{Array1, Array2};
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
) -> Result<MiniBatchFit, MixtureError> {
    let (k, d) = centres.dim();
    let n = data.n_samples();
    // Batches larger than the data only repeat rows: clip them.
    let b = settings.batch_size.min(n);
    let mut batch = Batch {
        d,
        x: vec![0.0; b * d],
        sq_norms: vec![0.0; b],
        weights: vec![0.0; b],
    };
    let mut assignment = Assignment::new(batch.n_chunks(), k, d);
    let mut packed = PackedCentres::new(centres.view());
    let mut seen = vec![0.0; k];
    let threshold = settings.tol * total_variance(data)?;
    let mut scratch = Scratch::default();
    for iter in 0..settings.max_iter {
        let mut movement = 0.0;
        for _ in 0..settings.steps_per_iteration {
            for r in 0..b {
                let i = rng.random_range(0..n);
                let row = data.rows(i..i + 1, &mut scratch)?;
                batch.x[r * d..(r + 1) * d].copy_from_slice(row.x);
                batch.sq_norms[r] = row.sq_norms[0];
                batch.weights[r] = row.weight(0);
            }
            assignment.pass(&batch, &packed, data.distance)?;
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
            return Ok(MiniBatchFit {
                centres,
                n_iter: iter + 1,
                converged: true,
            });
        }
    }
    Ok(MiniBatchFit {
        centres,
        n_iter: settings.max_iter,
        converged: false,
    })
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

/// Mean squared distance of the prepared rows to their mean (rows summed
/// in index order).
fn total_variance(data: &Prepared) -> Result<f64, MixtureError> {
    let n = data.n_samples() as f64;
    let mut sums = Array1::<f64>::zeros(data.n_features());
    let mut sum_sq_norms = 0.0;
    data.for_each_chunk(|chunk| {
        for (row, &sq) in chunk.x.chunks_exact(sums.len()).zip(chunk.sq_norms) {
            for (s, &v) in sums.iter_mut().zip(row) {
                *s += v;
            }
            sum_sq_norms += sq;
        }
    })?;
    let mean = sums / n;
    Ok((sum_sq_norms / n - mean.dot(&mean)).max(0.0))
}
