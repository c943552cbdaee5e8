//! Seedings that pick rows of the data as first centres: uniform random
//! rows and greedy k-means++.
//!
//! k-means++ needs every row's distance to the chosen centres, so it runs on
//! rows gathered in memory: all of them when there are at most
//! [`SEED_SAMPLE_ROWS`] (or 32 per cluster, if more), else a seeded uniform
//! sample of that many rows of positive weight, as scikit-learn's
//! `MiniBatchKMeans` seeds on `init_size` rows. Spark's k-means|| would
//! need several passes over the data and a weighted re-clustering; a
//! sample costs one read of its rows and keeps the result of small data
//! exactly what seeding all rows gives.

use super::distances::{all_centres, PackedCentres};
use super::prepare::{chunk_rows, Prepared, Scratch};
use crate::distributed::Shard;
use crate::MixtureError;
use ndarray::{Array2, Axis};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Rows k-means++ seeds on at most (unless 32 per cluster is more): with
/// `d` features they take `8 d` bytes each, and `8 (2 + candidates)` bytes
/// of distances.
pub const SEED_SAMPLE_ROWS: usize = 16384;

/// Prepared rows held in memory for seeding, with their squared norms and weights.
struct Sample {
    x: Array2<f64>,
    sq_norms: Vec<f64>,
    weights: Vec<f64>,
}

impl Sample {
    /// The prepared rows `rows` (increasing) of `data`.
    fn gather(data: &Prepared, rows: &[usize]) -> Result<Self, MixtureError> {
        let (d, longest) = (data.n_features(), chunk_rows(data.n_features()));
        let mut sample = Sample {
            x: Array2::zeros((rows.len(), d)),
            sq_norms: Vec::with_capacity(rows.len()),
            weights: Vec::with_capacity(rows.len()),
        };
        let mut scratch = Scratch::default();
        let mut values = Vec::with_capacity(rows.len() * d);
        let mut at = 0;
        while at < rows.len() {
            // A run of consecutive rows is read at once.
            let mut end = at + 1;
            while end < rows.len() && rows[end] == rows[end - 1] + 1 && end - at < longest {
                end += 1;
            }
            let chunk = data.rows(rows[at]..rows[end - 1] + 1, &mut scratch)?;
            values.extend_from_slice(chunk.x);
            sample.sq_norms.extend_from_slice(chunk.sq_norms);
            sample
                .weights
                .extend((0..end - at).map(|i| chunk.weight(i)));
            at = end;
        }
        sample.x = Array2::from_shape_vec((rows.len(), d), values).expect("rows of d values");
        Ok(sample)
    }

    /// Rows already prepared, of weight 1.
    fn of_rows(x: Array2<f64>) -> Self {
        let sq_norms = x.rows().into_iter().map(|r| r.dot(&r)).collect();
        let weights = vec![1.0; x.nrows()];
        Sample {
            x,
            sq_norms,
            weights,
        }
    }

    fn n_samples(&self) -> usize {
        self.x.nrows()
    }

    fn n_features(&self) -> usize {
        self.x.ncols()
    }

    fn rows(&self) -> &[f64] {
        self.x.as_slice().expect("standard layout")
    }
}

/// The rows of positive weight whose ranks among them are `ranks`, in the
/// order of `ranks`.
fn positive_rows(data: &Prepared, ranks: &[usize]) -> Vec<usize> {
    let Some(weights) = data.weights() else {
        return ranks.to_vec();
    };
    let mut wanted: Vec<(usize, usize)> = ranks.iter().enumerate().map(|(p, &r)| (r, p)).collect();
    wanted.sort_unstable();
    let mut rows = vec![0; ranks.len()];
    let mut next = wanted.iter().peekable();
    let positive = weights.iter().enumerate().filter(|(_, &w)| w > 0.0);
    for (rank, (i, _)) in positive.enumerate() {
        while let Some(&&(r, p)) = next.peek() {
            if r != rank {
                break;
            }
            rows[p] = i;
            next.next();
        }
    }
    rows
}

/// `k` distinct rows of positive weight, uniformly, prepared; the caller
/// has checked that there are at least `k` of them.
pub(crate) fn random_rows(
    data: &Prepared,
    shard: Option<&Shard<'_>>,
    k: usize,
    rng: &mut ChaCha8Rng,
) -> Result<Array2<f64>, MixtureError> {
    if let Some(shard) = shard {
        let rows = rand::seq::index::sample(rng, shard.total_rows(), k).into_vec();
        return data.to_prepared(shard.gather_rows(&rows)?.view());
    }
    let ranks = rand::seq::index::sample(rng, data.n_positive(), k).into_vec();
    let rows = positive_rows(data, &ranks);
    let mut centres = Array2::zeros((k, data.n_features()));
    let mut scratch = Scratch::default();
    for (mut centre, &i) in centres.rows_mut().into_iter().zip(&rows) {
        centre.assign(&ndarray::ArrayView1::from(
            data.rows(i..i + 1, &mut scratch)?.x,
        ));
    }
    Ok(centres)
}

/// k-means++ ([`greedy_kmeans_plus_plus`]) on all rows of `data` or on a
/// seeded sample of them (see the module's documentation); returns the
/// prepared centres.
///
/// With a `shard` (unweighted; `data` its rows), the rows are chosen by
/// their global indices and gathered from every process, so the seeds do not
/// depend on how the rows are shared.
pub(crate) fn kmeans_plus_plus(
    data: &Prepared,
    shard: Option<&Shard<'_>>,
    k: usize,
    n_candidates: usize,
    rng: &mut ChaCha8Rng,
) -> Result<Array2<f64>, MixtureError> {
    let size = SEED_SAMPLE_ROWS.max(32 * k);
    if let Some(shard) = shard {
        let n = shard.total_rows();
        let rows: Vec<usize> = if n <= size {
            (0..n).collect()
        } else {
            let mut rows = rand::seq::index::sample(rng, n, size).into_vec();
            rows.sort_unstable();
            rows
        };
        let x = data.to_prepared(shard.gather_rows(&rows)?.view())?;
        let sample = Sample::of_rows(x);
        let chosen = greedy_kmeans_plus_plus(&sample, k, n_candidates, rng);
        return Ok(sample.x.select(Axis(0), &chosen));
    }
    let rows: Vec<usize> = if data.n_samples() <= size {
        (0..data.n_samples()).collect()
    } else if data.n_positive() <= size {
        positive_rows(data, &(0..data.n_positive()).collect::<Vec<_>>())
    } else {
        let mut ranks = rand::seq::index::sample(rng, data.n_positive(), size).into_vec();
        ranks.sort_unstable();
        positive_rows(data, &ranks)
    };
    let sample = Sample::gather(data, &rows)?;
    let chosen = greedy_kmeans_plus_plus(&sample, k, n_candidates, rng);
    Ok(sample.x.select(Axis(0), &chosen))
}

/// Greedy k-means++: the first centre is drawn with probability
/// proportional to weight; each next one is the candidate, among
/// `n_candidates` drawn with probability proportional to weight times the
/// squared distance to the nearest chosen centre, that most lowers the
/// potential (the weighted sum of those squared distances).
///
/// Returns the indices of the chosen rows.
fn greedy_kmeans_plus_plus(
    data: &Sample,
    k: usize,
    n_candidates: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<usize> {
    let n = data.n_samples();
    let mut cumulative = vec![0.0; n];
    prefix_sums(data.weights.iter().copied(), &mut cumulative);
    let mut chosen = vec![draw(&cumulative, rng)];
    let mut closest = vec![0.0; n];
    sq_dists_to_rows(data, &chosen, &mut closest);
    let mut candidates = Vec::with_capacity(n_candidates);
    let mut candidate_dists = vec![0.0; n * n_candidates];
    while chosen.len() < k {
        let contributions = data.weights.iter().zip(&closest).map(|(w, d)| w * d);
        prefix_sums(contributions, &mut cumulative);
        if cumulative[n - 1] <= 0.0 {
            // Every row of positive weight sits on a chosen centre: draw by weight.
            prefix_sums(data.weights.iter().copied(), &mut cumulative);
        }
        candidates.clear();
        candidates.extend((0..n_candidates).map(|_| draw(&cumulative, rng)));
        sq_dists_to_rows(data, &candidates, &mut candidate_dists);
        let potentials = potentials_with(data, &closest, &candidate_dists, n_candidates);
        let mut best = 0;
        for (c, &p) in potentials.iter().enumerate() {
            if p < potentials[best] {
                best = c;
            }
        }
        for (c, d) in closest
            .iter_mut()
            .zip(candidate_dists.chunks_exact(n_candidates))
        {
            *c = c.min(d[best]);
        }
        chosen.push(candidates[best]);
    }
    chosen
}

/// Writes the running sums of `values` into `out`, in index order.
fn prefix_sums(values: impl Iterator<Item = f64>, out: &mut [f64]) {
    let mut acc = 0.0;
    for (o, v) in out.iter_mut().zip(values) {
        acc += v;
        *o = acc;
    }
}

/// An index drawn with probability proportional to its increment of
/// `cumulative` (never one with a zero increment).
fn draw(cumulative: &[f64], rng: &mut ChaCha8Rng) -> usize {
    let total = cumulative[cumulative.len() - 1];
    let r = rng.random::<f64>() * total;
    let last_positive = cumulative.partition_point(|&s| s < total);
    cumulative.partition_point(|&s| s <= r).min(last_positive)
}

/// `out[i * m + c] = ||x_i - x_rows[c]||^2` for the `m` rows `rows`, through
/// the assignment kernel (exactly 0 for a row against itself, since squared
/// norms and dot products are summed in the same order).
fn sq_dists_to_rows(data: &Sample, rows: &[usize], out: &mut [f64]) {
    let (d, m) = (data.n_features(), rows.len());
    let packed = PackedCentres::new(data.x.select(Axis(0), rows).view());
    let chunk = chunk_rows(d);
    out.par_chunks_mut(chunk * m)
        .zip(data.rows().par_chunks(chunk * d))
        .zip(data.sq_norms.par_chunks(chunk))
        .for_each(|((out, x), sq_norms)| {
            all_centres(x, &packed, out);
            for (row, &sq) in out.chunks_exact_mut(m).zip(sq_norms) {
                for v in row {
                    *v = (sq + *v).max(0.0);
                }
            }
        });
}

/// For each of `m` candidates, the weighted sum over rows of
/// `min(closest, candidate distance)`, summed chunk by chunk in index order
/// so that it does not depend on the number of threads.
fn potentials_with(data: &Sample, closest: &[f64], candidates: &[f64], m: usize) -> Vec<f64> {
    let chunk = chunk_rows(data.n_features());
    let partial: Vec<Vec<f64>> = closest
        .par_chunks(chunk)
        .zip(candidates.par_chunks(chunk * m))
        .zip(data.weights.par_chunks(chunk))
        .map(|((closest, candidates), weights)| {
            let mut sums = vec![0.0; m];
            for ((&a, b), &w) in closest.iter().zip(candidates.chunks_exact(m)).zip(weights) {
                for (s, &b) in sums.iter_mut().zip(b) {
                    *s += w * a.min(b);
                }
            }
            sums
        })
        .collect();
    let mut total = vec![0.0; m];
    for part in &partial {
        for (t, p) in total.iter_mut().zip(part) {
            *t += p;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kmeans::params::Distance;
    use ndarray::Array2;
    use rand::SeedableRng;

    #[test]
    fn draw_never_picks_a_zero_increment() {
        let cumulative = [0.0, 0.0, 1.0, 1.0, 3.0, 3.0];
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..200 {
            let i = draw(&cumulative, &mut rng);
            assert!(i == 2 || i == 4, "picked {i}");
        }
    }

    #[test]
    fn greedy_candidates_avoid_a_point_already_chosen() {
        // Two tight groups and a far outlier: after the first centre, the
        // far group or the outlier must be picked, never a near duplicate.
        let x = Array2::from_shape_vec((5, 1), vec![0.0, 0.01, 10.0, 10.01, 100.0]).unwrap();
        let data = Prepared::new(x.view().into(), None, Distance::SquaredEuclidean, None).unwrap();
        let sample = Sample::gather(&data, &[0, 1, 2, 3, 4]).unwrap();
        for seed in 0..20 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let chosen = greedy_kmeans_plus_plus(&sample, 3, 3, &mut rng);
            let mut groups: Vec<usize> = chosen.iter().map(|&i| [0, 0, 1, 1, 2][i]).collect();
            groups.sort();
            assert_eq!(groups, vec![0, 1, 2], "seed {seed} chose {chosen:?}");
        }
    }
}
