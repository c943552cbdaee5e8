//! Seconds per EM iteration (one `statistics` pass plus `m_step`) from given
//! parameters, at the sizes of issue 5: n=200k d=16 k=16 and n=50k d=64 k=8,
//! full and diag covariances. The same data and starting parameters are used
//! by `scripts/bench_sklearn.py` for scikit-learn.
//!
//! Run: `cargo bench -p admix-mixture --bench em -- --warm-up-time 1 --measurement-time 5`

use admix_mixture::gmm::{CovarianceType, Covariances, GaussianMixture, GaussianMixtureModel};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ndarray::{Array1, Array2, Array3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Data from `k` unit-variance blobs with centres uniform in [-5, 5]^d, and a
/// starting model whose means are those centres moved by 0.5.
fn problem(
    n: usize,
    d: usize,
    k: usize,
    ctype: CovarianceType,
) -> (Array2<f64>, GaussianMixtureModel) {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let centres = Array2::from_shape_simple_fn((k, d), || rng.random_range(-5.0..5.0));
    let mut x = Array2::zeros((n, d));
    for (i, mut row) in x.outer_iter_mut().enumerate() {
        for (l, v) in row.iter_mut().enumerate() {
            let z: f64 = rng.sample(StandardNormal);
            *v = centres[[i % k, l]] + z;
        }
    }
    let means = centres.mapv(|c| c + 0.5);
    let covariances = match ctype {
        CovarianceType::Full => Covariances::Full(Array3::from_shape_fn((k, d, d), |(_, a, b)| {
            if a == b {
                1.0
            } else {
                0.0
            }
        })),
        _ => Covariances::Diag(Array2::ones((k, d))),
    };
    let model = GaussianMixtureModel::new(Array1::from_elem(k, 1.0 / k as f64), means, covariances)
        .unwrap();
    (x, model)
}

fn em_iteration(c: &mut Criterion) {
    let mut group = c.benchmark_group("em_iteration");
    group.sample_size(10);
    for (n, d, k) in [(200_000, 16, 16), (50_000, 64, 8)] {
        for ctype in [CovarianceType::Full, CovarianceType::Diag] {
            let (x, model) = problem(n, d, k, ctype);
            let id = BenchmarkId::new(ctype.name(), format!("n{n}_d{d}_k{k}"));
            group.bench_with_input(id, &x, |b, x| {
                b.iter(|| {
                    let stats = model.statistics(x.view(), None).unwrap();
                    model.m_step(&stats, 1e-6).unwrap()
                })
            });
        }
    }
    group.finish();
}

/// A whole fit of 20 iterations (tol 0) from given means, as the issue states
/// the comparison; divide by 20 for seconds per iteration.
fn fit_20_iterations(c: &mut Criterion) {
    let mut group = c.benchmark_group("fit_20_iterations");
    group.sample_size(10);
    let (n, d, k) = (200_000, 16, 16);
    for ctype in [CovarianceType::Full, CovarianceType::Diag] {
        let (x, model) = problem(n, d, k, ctype);
        let params = GaussianMixture::params(k)
            .covariance_type(ctype)
            .means_init(model.means().clone())
            .tol(0.0)
            .max_iter(20);
        let id = BenchmarkId::new(ctype.name(), format!("n{n}_d{d}_k{k}"));
        group.bench_with_input(id, &x, |b, x| b.iter(|| params.fit(x.view()).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, em_iteration, fit_20_iterations);
criterion_main!(benches);
