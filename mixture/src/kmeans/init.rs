//! Seedings that pick rows of the data as first centres: uniform random
//! rows and greedy k-means++.

use super::assign::chunk_rows;
use super::prepare::Prepared;
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
    let mut candidate_dists = vec![0.0; n];
    sq_dists_to(data, chosen[0], &mut closest);
    while chosen.len() < k {
        let contributions = data.weights.iter().zip(&closest).map(|(w, d)| w * d);
        prefix_sums(contributions, &mut cumulative);
        if cumulative[n - 1] <= 0.0 {
            // Every row of positive weight sits on a chosen centre: draw by weight.
            prefix_sums(data.weights.iter().copied(), &mut cumulative);
        }
        let mut best = (usize::MAX, f64::INFINITY);
        for _ in 0..n_candidates {
            let candidate = draw(&cumulative, rng);
            sq_dists_to(data, candidate, &mut candidate_dists);
            let potential = potential_with(data, &closest, &candidate_dists);
            if potential < best.1 {
                best = (candidate, potential);
            }
        }
        sq_dists_to(data, best.0, &mut candidate_dists);
        for (c, &d) in closest.iter_mut().zip(&candidate_dists) {
            *c = c.min(d);
        }
        chosen.push(best.0);
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

/// `out[i] = ||x_i - x_row||^2`, by differences.
fn sq_dists_to(data: &Prepared, row: usize, out: &mut [f64]) {
    let d = data.n_features();
    let centre = &data.rows()[row * d..(row + 1) * d];
    out.par_chunks_mut(chunk_rows(d))
        .zip(data.rows().par_chunks(chunk_rows(d) * d))
        .for_each(|(out, x)| {
            for (o, xi) in out.iter_mut().zip(x.chunks_exact(d)) {
                *o = xi.iter().zip(centre).map(|(a, b)| (a - b) * (a - b)).sum();
            }
        });
}

/// Weighted sum of `min(closest, candidate)`, summed chunk by chunk in
/// index order so that it does not depend on the number of threads.
fn potential_with(data: &Prepared, closest: &[f64], candidate: &[f64]) -> f64 {
    let chunk = chunk_rows(data.n_features());
    let partial: Vec<f64> = closest
        .par_chunks(chunk)
        .zip(candidate.par_chunks(chunk))
        .zip(data.weights.par_chunks(chunk))
        .map(|((a, b), w)| {
            a.iter()
                .zip(b)
                .zip(w)
                .map(|((a, b), w)| w * a.min(*b))
                .sum::<f64>()
        })
        .collect();
    partial.iter().sum()
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
