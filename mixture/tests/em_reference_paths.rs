//! EM against the slow loop implementation of `common` on every path of the
//! fused kernel (full covariances with many components, k d >= d(d+1)/2, and
//! with few; tied with and without sample weights; diag; spherical), at
//! narrow and wide d, over chunk and task boundaries, and with every update
//! mask.

mod common;

use admix_mixture::gmm::{CovarianceType, Covariances, GaussianMixture};
use approx::assert_relative_eq;
use common::*;
use ndarray::{Array1, Array2, Array3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, StandardNormal};

/// `n` samples from `k` correlated Gaussians in `d` dimensions, component
/// `i % k` for sample `i`, with centres drawn from N(0, 3^2) per coordinate
/// (returned too) and each covariance `L L^T` with `L` the identity plus a
/// random lower triangle of size 0.3 / sqrt(d).
fn blobs(n: usize, k: usize, d: usize, seed: u64) -> (Array2<f64>, Array2<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let wide = Normal::new(0.0, 3.0).unwrap();
    let centres = Array2::from_shape_fn((k, d), |_| wide.sample(&mut rng));
    let off = 0.3 / (d as f64).sqrt();
    let factors: Vec<Array2<f64>> = (0..k)
        .map(|_| {
            Array2::from_shape_fn((d, d), |(a, b)| match a.cmp(&b) {
                std::cmp::Ordering::Equal => 1.0,
                std::cmp::Ordering::Greater => {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    off * z
                }
                std::cmp::Ordering::Less => 0.0,
            })
        })
        .collect();
    let mut x = Array2::zeros((n, d));
    for i in 0..n {
        let j = i % k;
        let z: Array1<f64> = (0..d)
            .map(|_| -> f64 { StandardNormal.sample(&mut rng) })
            .collect();
        let row = &centres.row(j) + &factors[j].dot(&z);
        x.row_mut(i).assign(&row);
    }
    (x, centres)
}

/// A deliberately rough start of the given type: the true centres moved by
/// 0.5 in every coordinate, unequal weights, covariances (1 + j / 4) I
/// (tied: 1.3 I).
fn start(ctype: CovarianceType, centres: &Array2<f64>) -> (Array1<f64>, Array2<f64>, Covariances) {
    let (k, d) = centres.dim();
    let raw: Array1<f64> = (0..k).map(|j| 1.0 + j as f64).collect();
    let w = &raw / raw.sum();
    let m = centres + 0.5;
    let var = |j: usize| 1.0 + 0.25 * j as f64;
    let c = match ctype {
        CovarianceType::Full => Covariances::Full(Array3::from_shape_fn((k, d, d), |(j, a, b)| {
            if a == b {
                var(j)
            } else {
                0.0
            }
        })),
        CovarianceType::Tied => Covariances::Tied(Array2::from_diag_elem(d, 1.3)),
        CovarianceType::Diag => Covariances::Diag(Array2::from_shape_fn((k, d), |(j, _)| var(j))),
        CovarianceType::Spherical => Covariances::Spherical((0..k).map(var).collect()),
    };
    (w, m, c)
}

/// Runs `iterations` EM iterations from `(w, m, c)` with the library (in
/// tasks of `batch` rows) and with the loops, and compares the parameters and
/// every iteration's mean log-likelihood.
#[allow(clippy::too_many_arguments)]
fn compare(
    label: &str,
    x: &Array2<f64>,
    sample_weight: Option<&[f64]>,
    (w, m, c): (Array1<f64>, Array2<f64>, Covariances),
    updates: &str,
    iterations: usize,
    batch: usize,
    tol: f64,
) {
    let ctype = c.covariance_type();
    let params = GaussianMixture::params(w.len())
        .covariance_type(ctype)
        .weights_init(w.clone())
        .means_init(m.clone())
        .covariances_init(c.clone())
        .updates(updates.parse().unwrap())
        .max_iter(iterations)
        .tol(0.0)
        .task_rows(batch)
        .check()
        .unwrap();
    let model = match sample_weight {
        Some(s) => params
            .fit_weighted(x.view(), ndarray::ArrayView1::from(s))
            .unwrap(),
        None => params.fit(x.view()).unwrap(),
    };
    let (mut nw, mut nm, mut nc) = (w, m, c);
    let mut lls = Vec::new();
    for _ in 0..iterations {
        let (w1, m1, c1, ll) =
            naive_em_step_with(x, sample_weight, &nw, &nm, &nc, ctype, 1e-6, updates);
        (nw, nm, nc) = (w1, m1, c1);
        lls.push(ll);
    }
    let diffs = [
        max_rel_diff(model.weights().view().into_dyn(), nw.view().into_dyn()),
        max_rel_diff(model.means().view().into_dyn(), nm.view().into_dyn()),
        max_rel_diff(model.covariances().view(), nc.view()),
    ];
    assert!(
        diffs.iter().all(|v| *v < tol),
        "{label}: relative differences of weights, means, covariances {diffs:?}"
    );
    assert_eq!(model.n_iter(), iterations, "{label}");
    assert_eq!(model.log_likelihood_trace().len(), lls.len(), "{label}");
    for (got, want) in model.log_likelihood_trace().iter().zip(&lls) {
        assert_relative_eq!(*got, *want, max_relative = tol);
    }
}

/// Seeded sample weights, uniform in [0, 2) with every fifth one 0: no
/// pattern repeats between chunks, so a weight paired with the wrong row shows.
fn sample_weights(n: usize) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    (0..n)
        .map(|i| {
            let u: f64 = rng.random_range(0.0..2.0);
            if i % 5 == 0 {
                0.0
            } else {
                u
            }
        })
        .collect()
}

/// Every kernel path, unweighted and weighted, in tasks of 300 rows (each
/// split into chunks of 128, 128 and 44) over 700 rows, three iterations.
/// The loops and the kernel differ by rounding in sums over hundreds of
/// rows and in d x d inverses: measured at most 1.5e-14 relative (full,
/// d = 40), so 1e-11 leaves a wide margin and still catches any wrong term.
#[test]
fn every_kernel_path_matches_the_loop_implementation() {
    let n = 700;
    // (type, k, d): full with k d >= d(d+1)/2 takes the triangle path, with
    // k d < d(d+1)/2 the few-components path.
    let cases = [
        (CovarianceType::Full, 4, 5),
        (CovarianceType::Full, 2, 8),
        (CovarianceType::Full, 3, 40),
        (CovarianceType::Tied, 3, 8),
        (CovarianceType::Tied, 3, 40),
        (CovarianceType::Diag, 3, 40),
        (CovarianceType::Spherical, 3, 40),
    ];
    let sw = sample_weights(n);
    for (ctype, k, d) in cases {
        let (x, centres) = blobs(n, k, d, (k * 100 + d) as u64);
        for weighted in [false, true] {
            let label = format!("{ctype} k = {k} d = {d} weighted = {weighted}");
            let s = weighted.then_some(sw.as_slice());
            compare(&label, &x, s, start(ctype, &centres), "wmc", 3, 300, 1e-11);
        }
    }
}

/// The task size does not matter: one task of every row (the default) and
/// tasks smaller than a chunk give the loops' result too.
#[test]
fn task_sizes_above_and_below_a_chunk_match_the_loop_implementation() {
    let (x, centres) = blobs(500, 2, 8, 7);
    for batch in [4096, 50, 129] {
        for ctype in ALL_TYPES {
            let label = format!("{ctype} batch = {batch}");
            compare(
                &label,
                &x,
                None,
                start(ctype, &centres),
                "wmc",
                2,
                batch,
                1e-11,
            );
        }
    }
}

/// Partial updates: every non-empty subset of "wmc" for every type gives the
/// loops' result with the same mask (the parameters left out keep their
/// values; covariances are taken around the kept means when "m" is left out).
#[test]
fn every_update_mask_matches_the_loop_implementation() {
    let x = three_blobs(300, 5);
    let sw = sample_weights(300);
    for mask in ["w", "m", "c", "wm", "wc", "mc", "wmc"] {
        for ctype in ALL_TYPES {
            for weighted in [false, true] {
                let label = format!("{ctype} updates = {mask} weighted = {weighted}");
                let s = weighted.then_some(sw.as_slice());
                compare(&label, &x, s, rough_start(ctype), mask, 2, 4096, 1e-11);
            }
        }
    }
}
