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
    // Minimum of a few runs of each (other processes only add time, so on a
    // loaded machine the minimum is steadier than criterion's means).
    let mut best = [f64::INFINITY; 3];
    let mut tape = Tape::new();
    for _ in 0..5 {
        let start = Instant::now();
        let plain = black_box(nll_plain(&problem));
        best[0] = best[0].min(start.elapsed().as_secs_f64());
        let start = Instant::now();
        let fresh = Tape::new();
        let x = fresh.array_const(problem.x.clone());
        let w = Params::record(&fresh, &problem);
        let nll = nll_tape(x, &w).expect("shapes fit");
        black_box(fresh.gradient(nll).wrt_array(w.raw));
        best[1] = best[1].min(start.elapsed().as_secs_f64());
        assert!(
            (nll.value() - plain).abs() <= 1e-9 * plain.abs(),
            "tape and plain agree"
        );
        let start = Instant::now();
        tape.clear();
        let x = tape.array_const(problem.x.clone());
        let w = Params::record(&tape, &problem);
        let nll = nll_tape(x, &w).expect("shapes fit");
        black_box(tape.gradient(nll).wrt_array(w.raw));
        best[2] = best[2].min(start.elapsed().as_secs_f64());
    }
    eprintln!(
        "gmm nll, min of 5: primal {:.1} ms; gradient fresh tape {:.1} ms ({:.2}x), \
         reused tape {:.1} ms ({:.2}x)",
        best[0] * 1e3,
        best[1] * 1e3,
        best[1] / best[0],
        best[2] * 1e3,
        best[2] / best[0]
    );
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
