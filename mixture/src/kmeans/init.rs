//! Seedings that pick rows of the data as first centres: uniform random
//! rows and greedy k-means++.

use super::assign::chunk_rows;
use super::distances::{all_centres, PackedCentres};
use super::prepare::Prepared;
use ndarray::Axis;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// `k` distinct rows of positive weight, uniformly; the caller has checked
/// that there are at least `k` of them.
pub(crate) fn random_rows(data: &Prepared, k: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let eligible: Vec<usize> = (0..data.n_samples())
        .filter(|&i| data.weights[i] > 0.0)
        .collect();
    rand::seq::index::sample(rng, eligible.len(), k)
        .into_iter()
        .map(|j| eligible[j])
        .collect()
}

/// Greedy k-means++: the first centre is drawn with probability
/// proportional to weight; each next one is the candidate, among
/// `n_candidates` drawn with probability proportional to weight times the
/// squared distance to the nearest chosen centre, that most lowers the
/// potential (the weighted sum of those squared distances).
///
/// Returns the indices of the chosen rows.
pub(crate) fn kmeans_plus_plus(
    data: &Prepared,
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
fn sq_dists_to_rows(data: &Prepared, rows: &[usize], out: &mut [f64]) {
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
fn potentials_with(data: &Prepared, closest: &[f64], candidates: &[f64], m: usize) -> Vec<f64> {
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
        let data = Prepared::new(x.view(), None, Distance::SquaredEuclidean, None).unwrap();
        for seed in 0..20 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let chosen = kmeans_plus_plus(&data, 3, 3, &mut rng);
            let mut groups: Vec<usize> = chosen.iter().map(|&i| [0, 0, 1, 1, 2][i]).collect();
            groups.sort();
            assert_eq!(groups, vec![0, 1, 2], "seed {seed} chose {chosen:?}");
        }
    }
}
