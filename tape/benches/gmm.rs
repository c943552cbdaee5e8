//! Gradient of a full-covariance Gaussian-mixture negative log-likelihood
//! (n = 100_000, d = 16, k = 16) with array nodes, against the primal in
//! plain ndarray on the same input. Target: gradient / primal <= 3.

#[path = "common/gmm_model.rs"]
mod gmm_model;

use admix_tape::Tape;
use criterion::{criterion_group, criterion_main, Criterion};
use gmm_model::{nll_plain, nll_tape, Params, Problem};
use std::hint::black_box;
use std::time::Instant;

fn gmm(c: &mut Criterion) {
    let problem = Problem::new(100_000, 16, 16, 42);
    for _ in 0..3 {
        let start = Instant::now();
        let plain = nll_plain(&problem);
        let primal = start.elapsed();
        let start = Instant::now();
        let tape = Tape::new();
        let x = tape.array_const(problem.x.clone());
        let w = Params::record(&tape, &problem);
        let nll = nll_tape(x, &w).expect("shapes fit");
        let record = start.elapsed();
        let start = Instant::now();
        let g = tape.gradient(nll);
        let sweep = start.elapsed();
        eprintln!(
            "gmm nll: {} array steps, {} scalar nodes, value {:.6e} (plain {:.6e}); \
             primal {primal:?}, record {record:?}, sweep {sweep:?}",
            tape.array_steps(),
            tape.len(),
            nll.value(),
            plain
        );
        black_box(g);
    }
    let mut group = c.benchmark_group("gmm_nll_n100000_d16_k16");
    group.sample_size(10);
    group.bench_function("primal_ndarray", |b| {
        b.iter(|| black_box(nll_plain(black_box(&problem))))
    });
    group.bench_function("gradient_tape", |b| {
        b.iter(|| {
            let tape = Tape::new();
            let x = tape.array_const(problem.x.clone());
            let w = Params::record(&tape, &problem);
            let nll = nll_tape(x, &w).expect("shapes fit");
            let g = tape.gradient(nll);
            black_box(g.wrt_array(w.raw))
        })
    });
    let mut tape = Tape::new();
    group.bench_function("gradient_tape_reused", |b| {
        b.iter(|| {
            tape.clear();
            let x = tape.array_const(problem.x.clone());
            let w = Params::record(&tape, &problem);
            let nll = nll_tape(x, &w).expect("shapes fit");
            let g = tape.gradient(nll);
            black_box(g.wrt_array(w.raw))
        })
    });
    group.finish();
}

criterion_group!(benches, gmm);
criterion_main!(benches);
