//! Seconds per Lloyd iteration (assign every row, move the centres) on
//! Gaussian blobs, against a naive loop over rows and centres on the same
//! data. Throughput is in point x centre pairs, so criterion's
//! "elem/s" inverts to nanoseconds per point x centre.
//!
//! Reference figure, same machine, 2 threads: scikit-learn's Lloyd
//! iteration at n=200k, d=16, k=16 takes 0.0102 s
//! (`scripts/bench_sklearn_kmeans.py`).

use admix_mixture::kmeans::{Distance, Lloyd};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ndarray::{Array2, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::hint::black_box;

/// `n` rows around `k` random means in [-0.25, 0.25]^d, unit standard deviation
/// (overlapping, as in the scikit-learn script, so Lloyd keeps moving).
fn blobs(n: usize, d: usize, k: usize, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let means = Array2::from_shape_fn((k, d), |_| rng.random_range(-0.25..0.25));
    Array2::from_shape_fn((n, d), |(i, j)| {
        means[[i % k, j]] + Distribution::<f64>::sample(&StandardNormal, &mut rng)
    })
}

/// One Lloyd iteration by direct differences, one thread, no tricks.
fn naive_step(x: ArrayView2<f64>, centres: &mut Array2<f64>) -> f64 {
    let (k, d) = centres.dim();
    let mut sums = Array2::<f64>::zeros((k, d));
    let mut counts = vec![0usize; k];
    let mut inertia = 0.0;
    for row in x.rows() {
        let mut best = (0, f64::INFINITY);
        for (c, centre) in centres.rows().into_iter().enumerate() {
            let dist: f64 = row.iter().zip(centre).map(|(a, b)| (a - b) * (a - b)).sum();
            if dist < best.1 {
                best = (c, dist);
            }
        }
        inertia += best.1;
        counts[best.0] += 1;
        sums.row_mut(best.0).zip_mut_with(&row, |s, v| *s += v);
    }
    for (c, mut centre) in centres.rows_mut().into_iter().enumerate() {
        if counts[c] > 0 {
            centre.assign(&(&sums.row(c) / counts[c] as f64));
        }
    }
    inertia
}

fn lloyd_iteration(c: &mut Criterion) {
    let mut group = c.benchmark_group("lloyd_iteration");
    group.sample_size(20);
    for (n, d, k) in [(200_000, 16, 16), (50_000, 64, 8)] {
        let x = blobs(n, d, k, 1);
        let start = x.select(Axis(0), &(0..k).map(|i| i * 7).collect::<Vec<_>>());
        let label = format!("n{n}_d{d}_k{k}");
        group.throughput(Throughput::Elements((n * k) as u64));
        let mut lloyd = Lloyd::new(x.view(), start.view(), Distance::SquaredEuclidean).unwrap();
        group.bench_function(BenchmarkId::new("admix", &label), |b| {
            b.iter(|| black_box(lloyd.step().unwrap()))
        });
        let mut centres = start.clone();
        group.bench_function(BenchmarkId::new("naive", &label), |b| {
            b.iter(|| black_box(naive_step(x.view(), &mut centres)))
        });
    }
    group.finish();
}

criterion_group!(benches, lloyd_iteration);
criterion_main!(benches);
