//! Plain timing loop for profilers (`perf record`) and for the FLOP rate:
//! runs EM iterations at the sizes of `em.rs` and prints seconds per
//! iteration and GFLOP/s (full: 4 n k d^2 flops per iteration).
//!
//! Run: `cargo bench -p admix-mixture --bench em_loop -- [full|diag] [n d k] [iterations]`

use admix_mixture::gmm::{CovarianceType, Covariances, GaussianMixtureModel};
use ndarray::{Array1, Array2, Array3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let ctype = match args.first().map(String::as_str) {
        Some("diag") => CovarianceType::Diag,
        _ => CovarianceType::Full,
    };
    let num =
        |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (n, d, k, iters) = (num(1, 200_000), num(2, 16), num(3, 16), num(4, 10));
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let centres = Array2::from_shape_simple_fn((k, d), || rng.random_range(-5.0..5.0));
    let x = Array2::from_shape_fn((n, d), |(i, l)| {
        centres[[i % k, l]] + rng.sample::<f64, _>(StandardNormal)
    });
    let covariances = match ctype {
        CovarianceType::Full => Covariances::Full(Array3::from_shape_fn((k, d, d), |(_, a, b)| {
            f64::from(u8::from(a == b))
        })),
        _ => Covariances::Diag(Array2::ones((k, d))),
    };
    let mut model = GaussianMixtureModel::new(
        Array1::from_elem(k, 1.0 / k as f64),
        centres.mapv(|c| c + 0.5),
        covariances,
    )
    .unwrap();
    let start = Instant::now();
    for _ in 0..iters {
        let stats = model.statistics(x.view(), None).unwrap();
        model = model.m_step(&stats, 1e-6).unwrap();
    }
    let per_iter = start.elapsed().as_secs_f64() / iters as f64;
    let flops = 4.0 * (n * k * d * d) as f64;
    println!(
        "{ctype} n={n} d={d} k={k}: {per_iter:.4} s per iteration, {:.1} GFLOP/s (4 n k d^2 = {:.2} GFLOP)",
        flops / per_iter / 1e9,
        flops / 1e9
    );
}
