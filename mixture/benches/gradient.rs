//! One gradient of the full-covariance log-likelihood against one EM
//! iteration on the same data (n = 100_000, d = 16, k = 16), and the fused
//! data term against the composed array operations.
//!
//! EM and the gradient fit are timed through their public entry points at
//! two iteration counts from the same warm start; the difference divided by
//! the extra iterations is the cost of one iteration, free of set-up:
//!
//! ```text
//! per EM iteration  = (em/6 - em/1) / 5
//! per gradient      = (adam/6 - adam/1) / 5     (full batch: one gradient per Adam step)
//! ```
//!
//! Measured on the 2-core development machine: 46.5 ms per EM iteration,
//! 42.5 ms per gradient (ratio 0.91); at n = 10_000 the composed data term
//! costs 3.4x the fused node.

use admix_mixture::gmm::{CovarianceType, Covariances, GaussianMixture, GaussianMixtureModel};
use admix_mixture::gradient::{tape_log_likelihood, DataTerm, Method, Unconstrained};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ndarray::Array2;

/// `n` rows in `d` dimensions from `k` equally likely unit-variance blobs
/// whose centres are themselves drawn from N(0, I / 4): neighbouring blobs
/// overlap, so EM needs many iterations.
fn blobs(n: usize, d: usize, k: usize, seed: u64) -> Array2<f64> {
    let wide = GaussianMixtureModel::new(
        ndarray::array![1.0],
        Array2::zeros((1, d)),
        Covariances::Spherical(ndarray::array![0.25]),
    )
    .expect("a valid model");
    let (centres, _) = wide.sample(k, seed).expect("k > 0");
    let model = GaussianMixtureModel::new(
        ndarray::Array1::from_elem(k, 1.0 / k as f64),
        centres,
        Covariances::Spherical(ndarray::Array1::ones(k)),
    )
    .expect("a valid model");
    model.sample(n, seed + 1).expect("n > 0").0
}

/// A fitted-looking starting model: three EM iterations from k-means.
fn start(x: &Array2<f64>, k: usize) -> GaussianMixtureModel {
    GaussianMixture::params(k)
        .max_iter(3)
        .fit(x.view())
        .expect("EM on synthetic blobs")
}

fn iteration_cost(c: &mut Criterion) {
    let (n, d, k) = (100_000, 16, 16);
    let x = blobs(n, d, k, 1);
    let model = start(&x, k);
    let mut group = c.benchmark_group("full_n100k_d16_k16");
    group.sample_size(10);
    for iters in [1, 6] {
        let em = GaussianMixture::params(k)
            .warm_start(&model)
            .max_iter(iters)
            .tol(0.0)
            .check()
            .unwrap();
        group.bench_with_input(BenchmarkId::new("em", iters), &iters, |b, _| {
            b.iter(|| em.fit(x.view()).unwrap())
        });
        let adam = GaussianMixture::params(k)
            .max_iter(iters)
            .tol(0.0)
            .gradient(Method::Adam)
            .learning_rate(1e-3)
            .check()
            .unwrap();
        group.bench_with_input(BenchmarkId::new("adam", iters), &iters, |b, _| {
            b.iter(|| adam.fit_from(x.view(), &model).unwrap())
        });
    }
    let layout = Unconstrained::of(&model);
    let theta = layout.from_model(&model).unwrap();
    group.bench_function("tape_log_likelihood_fused", |b| {
        b.iter(|| tape_log_likelihood(x.view(), &layout, &theta, 1e-6, DataTerm::Fused).unwrap())
    });
    group.finish();
}

fn data_term_forms(c: &mut Criterion) {
    let (n, d, k) = (10_000, 16, 16);
    let x = blobs(n, d, k, 2);
    let model = start(&x, k);
    let layout = Unconstrained::new(CovarianceType::Full, k, d);
    let theta = layout.from_model(&model).unwrap();
    let mut group = c.benchmark_group("data_term_n10k_d16_k16");
    group.sample_size(10);
    for form in [DataTerm::Composed, DataTerm::Fused] {
        group.bench_function(format!("{form:?}"), |b| {
            b.iter(|| tape_log_likelihood(x.view(), &layout, &theta, 1e-6, form).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, iteration_cost, data_term_forms);
criterion_main!(benches);
