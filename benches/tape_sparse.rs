//! Sparse against dense Jacobians on the discretised 1-D boundary value
//! problem -u'' + u^3 = 1 (tridiagonal Jacobian, three colours) for
//! n = 10^3, 10^4, 10^5: the sparse cost grows like n, the dense one (one
//! reverse sweep per row) like n^2, so it runs only at n = 10^3. Then the
//! sparse Newton solve of the same problem at n = 10^5.

use admix_dual::VectorFn;
use admix_optim::test_functions::BoundaryValueProblem;
use admix_optim::NewtonRoot;
use admix_tape::SparseJacobian;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;

fn jacobians(c: &mut Criterion) {
    let mut group = c.benchmark_group("bvp_jacobian");
    group.sample_size(10);
    for n in [1_000, 10_000, 100_000] {
        let u: Vec<f64> = (0..n).map(|i| (i as f64 * 0.01).sin()).collect();
        let mut work = SparseJacobian::new();
        let (_, jac) = work.jacobian(&BoundaryValueProblem, &u);
        eprintln!(
            "n = {n}: {} colours, {} non-zeros",
            work.colours(),
            jac.compute_nnz()
        );
        group.bench_with_input(BenchmarkId::new("primal_f64", n), &u, |b, u| {
            b.iter(|| black_box(BoundaryValueProblem.eval(black_box(u))))
        });
        group.bench_with_input(BenchmarkId::new("sparse_reused", n), &u, |b, u| {
            b.iter(|| black_box(work.jacobian(&BoundaryValueProblem, black_box(u))))
        });
        group.bench_with_input(BenchmarkId::new("sparse_fresh", n), &u, |b, u| {
            b.iter(|| {
                black_box(admix_tape::sparse_jacobian(
                    &BoundaryValueProblem,
                    black_box(u),
                ))
            })
        });
        if n <= 1_000 {
            group.bench_with_input(BenchmarkId::new("dense_reverse", n), &u, |b, u| {
                b.iter(|| black_box(admix_tape::jacobian(&BoundaryValueProblem, black_box(u))))
            });
        }
    }
    group.finish();
}

fn newton(c: &mut Criterion) {
    let mut group = c.benchmark_group("bvp_newton");
    group.sample_size(10);
    let n = 100_000;
    let x0 = vec![0.0; n];
    let report = NewtonRoot::new()
        .find_sparse_system(&BoundaryValueProblem, &x0)
        .expect("square");
    eprintln!(
        "Newton, n = {n}: {:?} after {} iterations, |F| = {:e}",
        report.status, report.iterations, report.residual
    );
    group.bench_with_input(BenchmarkId::new("sparse_lu", n), &x0, |b, x0| {
        b.iter(|| {
            black_box(NewtonRoot::new().find_sparse_system(&BoundaryValueProblem, black_box(x0)))
        })
    });
    group.finish();
}

criterion_group!(benches, jacobians, newton);
criterion_main!(benches);
