//! Gradient time against primal time on scalar programs, for this tape and
//! for the `reverse` crate (same design family: a RefCell'd vector of
//! two-parent nodes) on the same inputs. Targets (issue 16, Adept 2.1.3's
//! ratios): gradient / primal <= 43 on Rosenbrock, <= 1.5 on the chain,
//! < 5 on Rosenbrock with array nodes.
//!
//! (a) Rosenbrock, n = 1000; (b) a chain of 1000 inputs through sin/cos/mul:
//! `acc = sin(acc * x_i)` for even i, `cos(acc * x_i)` for odd i.
//!
//! Rosenbrock also runs written with array nodes (nine whole-vector nodes
//! instead of about nine scalar nodes per term), against the same scalar
//! f64 primal: the way the tape is meant to be used on vectorisable code.

#[path = "../tape/benches/common/chain.rs"]
mod chain;
#[path = "../tape/benches/common/rosenbrock.rs"]
mod rosenbrock;

use admix_dual::ScalarFn;
use admix_tape::{GradientTape, Gradients, Tape};
use chain::Chain;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ndarray::Array1;
use reverse::Gradient;
use rosenbrock::{array_gradient, array_gradient_on, hand_gradient, Rosenbrock};
use std::hint::black_box;

fn rosenbrock_reverse<'a>(x: &[reverse::Var<'a>]) -> reverse::Var<'a> {
    let mut sum = x[0] * 0.0;
    for w in x.windows(2) {
        let (a, b) = (1.0 - w[0], w[1] - w[0] * w[0]);
        sum = sum + a * a + 100.0 * b * b;
    }
    sum
}

fn chain_reverse<'a>(x: &[reverse::Var<'a>]) -> reverse::Var<'a> {
    let mut acc = x[0] * 0.0 + 1.0;
    for (i, &xi) in x.iter().enumerate() {
        acc = if i % 2 == 0 {
            (acc * xi).sin()
        } else {
            (acc * xi).cos()
        };
    }
    acc
}

type ReverseFn = for<'a> fn(&[reverse::Var<'a>]) -> reverse::Var<'a>;

fn compare<F: ScalarFn>(c: &mut Criterion, name: &str, f: &F, reference: ReverseFn) {
    let n = 1000;
    let x: Vec<f64> = (0..n)
        .map(|i| 0.5 + 0.4 * (i as f64 * 0.37).sin())
        .collect();
    let tape = Tape::<f64>::new();
    let vars = tape.vars(&x);
    let _ = f.eval(&vars);
    eprintln!(
        "{name}: {} scalar nodes recorded, {} bytes each ({} for Dual<f64>)",
        tape.len(),
        Tape::<f64>::bytes_per_node(),
        Tape::<admix_dual::Dual<f64>>::bytes_per_node()
    );
    let mut group = c.benchmark_group(name);
    group.bench_with_input(BenchmarkId::new("primal_f64", n), &x, |b, x| {
        b.iter(|| black_box(f.eval(black_box(x))))
    });
    let mut work = GradientTape::new();
    let mut grad = vec![0.0; n];
    group.bench_with_input(BenchmarkId::new("admix_tape_reused", n), &x, |b, x| {
        b.iter(|| black_box(work.gradient_into(|v| f.eval(v), black_box(x), &mut grad)))
    });
    group.bench_with_input(BenchmarkId::new("admix_tape_fresh", n), &x, |b, x| {
        b.iter(|| black_box(admix_tape::gradient(f, black_box(x))))
    });
    group.bench_with_input(BenchmarkId::new("reverse_crate", n), &x, |b, x| {
        b.iter(|| {
            let tape = reverse::Tape::new();
            let vars = tape.add_vars(black_box(x));
            let y = reference(&vars);
            let g = y.grad();
            black_box(vars.iter().map(|v| g.wrt(v)).sum::<f64>())
        })
    });
    group.finish();
}

fn array_nodes(c: &mut Criterion) {
    let n = 1000;
    let x = Array1::from_shape_fn(n, |i| 0.5 + 0.4 * (i as f64 * 0.37).sin());
    let (value, grad) = array_gradient(&x);
    let (value_s, grad_s) = admix_tape::gradient(&Rosenbrock, x.as_slice().expect("contiguous"));
    assert!((value - value_s).abs() <= 1e-12 * value_s.abs());
    for (g, h) in grad.iter().zip(&grad_s) {
        assert!((g - h).abs() <= 1e-12 * h.abs().max(1.0), "{g} vs {h}");
    }
    let mut group = c.benchmark_group("rosenbrock");
    let slice = x.as_slice().expect("contiguous");
    group.bench_with_input(
        BenchmarkId::new("hand_written_adjoint", n),
        slice,
        |b, x| b.iter(|| black_box(hand_gradient(black_box(x)))),
    );
    group.bench_with_input(BenchmarkId::new("admix_array_nodes", n), &x, |b, x| {
        b.iter(|| black_box(array_gradient(black_box(x))))
    });
    let (mut tape, mut grads) = (Tape::new(), Gradients::empty());
    group.bench_with_input(
        BenchmarkId::new("admix_array_nodes_reused", n),
        &x,
        |b, x| b.iter(|| black_box(array_gradient_on(&mut tape, &mut grads, black_box(x)))),
    );
    group.finish();
}

fn scalar(c: &mut Criterion) {
    compare(c, "rosenbrock", &Rosenbrock, rosenbrock_reverse);
    compare(c, "chain_sin_cos_mul", &Chain, chain_reverse);
}

criterion_group!(benches, scalar, array_nodes);
criterion_main!(benches);
