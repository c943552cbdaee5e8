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

use admix_mixture::gmm::{CovarianceType, GaussianMixture, GaussianMixtureModel};
use admix_mixture::gradient::{tape_log_likelihood, DataTerm, Method, Unconstrained};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ndarray::Array2;

/// A fitted-looking starting model: three EM iterations from k-means.
fn start(x: &Array2<f64>, k: usize) -> GaussianMixtureModel {
    GaussianMixture::params(k)
        .max_iter(3)
        .fit(x.view())
        .expect("EM on synthetic blobs")
}

fn iteration_cost(c: &mut Criterion) {
    let (n, d, k) = (100_000, 16, 16);
    let x = admix_mixture::synthetic::overlapping_blobs(n, d, k, 1).expect("valid sizes");
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
    let x = admix_mixture::synthetic::overlapping_blobs(n, d, k, 2).expect("valid sizes");
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
