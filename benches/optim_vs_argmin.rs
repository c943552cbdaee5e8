//! admix-optim against argmin on the same problems, starts and stopping
//! rule (gradient norm <= 1e-8), with the same hand-written gradients and
//! Hessians: L-BFGS (m = 10; argmin with its More-Thuente search) and
//! Newton (admix: modified Cholesky + backtracking; argmin: the pure Newton
//! step on nalgebra matrices, stopped by an oracle at the first iteration
//! that meets the rule since it has no stopping test of its own; and
//! argmin's Newton-CG with More-Thuente).
//!
//! Prints iterations and evaluation counts once, then times each run, and
//! times admix's L-BFGS with each gradient source on one problem.

use std::hint::black_box;

use admix_dual::DividedDifference;
use admix_optim::test_functions::{Beale, Himmelblau, Rosenbrock};
use admix_optim::{Derivatives, Lbfgs, Minimizer, Newton, Objective, Report, Stop};
use argmin::core::{CostFunction, Executor, Gradient, Hessian, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::newton::{Newton as ArgminNewton, NewtonCG};
use argmin::solver::quasinewton::LBFGS;
use criterion::{criterion_group, criterion_main, Criterion};
use nalgebra::{DMatrix, DVector};

const TOL: f64 = 1e-8;

/// An admix test function seen through argmin's traits (`Vec` backend).
#[derive(Clone, Copy)]
struct OnVec<T>(T);

impl<T: admix_optim::Hessian> CostFunction for OnVec<T> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, x: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        Ok(self.0.cost(x)?)
    }
}

impl<T: admix_optim::Hessian> Gradient for OnVec<T> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
        Ok(self.0.gradient(x)?)
    }
}

impl<T: admix_optim::Hessian> Hessian for OnVec<T> {
    type Param = Vec<f64>;
    type Hessian = Vec<Vec<f64>>;
    fn hessian(&self, x: &Vec<f64>) -> Result<Vec<Vec<f64>>, argmin::core::Error> {
        let n = x.len();
        let h = self.0.hessian(x)?;
        Ok(h.chunks(n).map(<[f64]>::to_vec).collect())
    }
}

/// The same on nalgebra vectors (argmin's Newton needs a matrix inverse).
#[derive(Clone, Copy)]
struct OnNalgebra<T>(T);

impl<T: admix_optim::Hessian> Gradient for OnNalgebra<T> {
    type Param = DVector<f64>;
    type Gradient = DVector<f64>;
    fn gradient(&self, x: &DVector<f64>) -> Result<DVector<f64>, argmin::core::Error> {
        Ok(DVector::from_vec(self.0.gradient(x.as_slice())?))
    }
}

impl<T: admix_optim::Hessian> Hessian for OnNalgebra<T> {
    type Param = DVector<f64>;
    type Hessian = DMatrix<f64>;
    fn hessian(&self, x: &DVector<f64>) -> Result<DMatrix<f64>, argmin::core::Error> {
        let n = x.len();
        Ok(DMatrix::from_row_slice(
            n,
            n,
            &self.0.hessian(x.as_slice())?,
        ))
    }
}

fn stop() -> Stop {
    Stop::new()
        .gradient_norm(TOL)
        .expect("valid tolerance")
        .max_iterations(1000)
}

fn admix_lbfgs<T: admix_optim::Hessian>(p: T, x0: &[f64]) -> Report {
    Minimizer::new(Lbfgs::new())
        .stop(stop())
        .minimize(p, x0)
        .expect("runs")
}

fn admix_newton<T: admix_optim::Hessian>(p: T, x0: &[f64]) -> Report {
    Minimizer::new(Newton::new())
        .stop(stop())
        .minimize(p, x0)
        .expect("runs")
}

/// Iterations; cost, gradient and Hessian evaluations; final gradient norm
/// and cost (a pure Newton step can end at a maximum or saddle).
type Summary = (u64, u64, u64, u64, f64, f64);

fn counts(state: &impl State<Float = f64>, grad_norm: f64, cost: f64) -> Summary {
    let c = state.get_func_counts();
    let get = |k: &str| c.get(k).copied().unwrap_or(0);
    (
        state.get_iter(),
        get("cost_count"),
        get("gradient_count"),
        get("hessian_count"),
        grad_norm,
        cost,
    )
}

fn norm(g: &[f64]) -> f64 {
    g.iter().map(|v| v * v).sum::<f64>().sqrt()
}

fn argmin_lbfgs<T: admix_optim::Hessian + Copy>(p: T, x0: &[f64]) -> Summary {
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
        .with_tolerance_grad(TOL)
        .expect("valid tolerance")
        .with_tolerance_cost(0.0)
        .expect("valid tolerance");
    let res = Executor::new(OnVec(p), solver)
        .configure(|s| s.param(x0.to_vec()).max_iters(1000))
        .run()
        .expect("runs");
    let x = res.state().get_best_param().expect("a point");
    let (f, g) = p.cost_and_gradient(x).expect("gradient");
    counts(res.state(), norm(&g), f)
}

fn argmin_newton<T: admix_optim::Hessian + Copy>(p: T, x0: &[f64], iterations: u64) -> Summary {
    let res = Executor::new(OnNalgebra(p), ArgminNewton::new())
        .configure(|s| {
            s.param(DVector::from_vec(x0.to_vec()))
                .max_iters(iterations)
        })
        .run()
        .expect("runs");
    let x = res.state().get_param().expect("a point");
    let (f, g) = p.cost_and_gradient(x.as_slice()).expect("gradient");
    counts(res.state(), norm(&g), f)
}

/// The fewest pure Newton iterations that meet the stopping rule.
fn newton_oracle<T: admix_optim::Hessian + Copy>(p: T, x0: &[f64]) -> u64 {
    (1..200)
        .find(|&k| argmin_newton(p, x0, k).4 <= TOL)
        .unwrap_or(200)
}

fn argmin_newton_cg<T: admix_optim::Hessian + Copy>(p: T, x0: &[f64]) -> Summary {
    let res = Executor::new(OnVec(p), NewtonCG::new(MoreThuenteLineSearch::new()))
        .configure(|s| s.param(x0.to_vec()).max_iters(1000))
        .run()
        .expect("runs");
    let x = res.state().get_best_param().expect("a point");
    let (f, g) = p.cost_and_gradient(x).expect("gradient");
    counts(res.state(), norm(&g), f)
}

fn ours(r: &Report) -> Summary {
    (
        r.iterations as u64,
        r.counts.cost as u64,
        r.counts.gradient as u64,
        r.counts.hessian as u64,
        r.gradient_norm,
        r.cost,
    )
}

fn print_row(solver: &str, problem: &str, s: Summary) {
    println!(
        "{solver:<24} {problem:<14} iters {:>4}  cost {:>4}  grad {:>4}  hess {:>4}  |g| {:.1e}  f {:.3e}",
        s.0, s.1, s.2, s.3, s.4, s.5
    );
}

fn cases() -> Vec<(&'static str, Vec<f64>)> {
    let alternating = (0..10)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect();
    vec![
        ("rosenbrock2", vec![-1.2, 1.0]),
        ("rosenbrock10", alternating),
        ("beale", vec![1.0, 1.0]),
        ("himmelblau", vec![0.0, 0.0]),
    ]
}

/// Runs `$body` with `$p` bound to the test function named `$name`.
macro_rules! with_problem {
    ($name:expr, $p:ident => $body:expr) => {
        match $name {
            "beale" => {
                let $p = Beale;
                $body
            }
            "himmelblau" => {
                let $p = Himmelblau;
                $body
            }
            _ => {
                let $p = Rosenbrock;
                $body
            }
        }
    };
}

fn bench(c: &mut Criterion) {
    println!("\nIterations and evaluations to |g| <= {TOL:e}:");
    for (name, x0) in cases() {
        with_problem!(name, p => {
            print_row("admix L-BFGS", name, ours(&admix_lbfgs(p, &x0)));
            print_row("argmin L-BFGS", name, argmin_lbfgs(p, &x0));
            print_row("admix Newton", name, ours(&admix_newton(p, &x0)));
            let k = newton_oracle(p, &x0);
            print_row("argmin Newton (oracle)", name, argmin_newton(p, &x0, k));
            print_row("argmin Newton-CG", name, argmin_newton_cg(p, &x0));
        });
    }
    println!();

    let mut group = c.benchmark_group("lbfgs");
    for (name, x0) in cases() {
        with_problem!(name, p => {
            group.bench_function(format!("admix/{name}"), |b| {
                b.iter(|| admix_lbfgs(black_box(p), black_box(&x0)))
            });
            group.bench_function(format!("argmin/{name}"), |b| {
                b.iter(|| argmin_lbfgs(black_box(p), black_box(&x0)))
            });
        });
    }
    group.finish();

    let mut group = c.benchmark_group("newton");
    for (name, x0) in cases() {
        with_problem!(name, p => {
            let k = newton_oracle(p, &x0);
            group.bench_function(format!("admix/{name}"), |b| {
                b.iter(|| admix_newton(black_box(p), black_box(&x0)))
            });
            group.bench_function(format!("argmin-newton/{name}"), |b| {
                b.iter(|| argmin_newton(black_box(p), black_box(&x0), k))
            });
            group.bench_function(format!("argmin-newton-cg/{name}"), |b| {
                b.iter(|| argmin_newton_cg(black_box(p), black_box(&x0)))
            });
        });
    }
    group.finish();

    // The same L-BFGS run on 10-D Rosenbrock with each gradient source.
    let mut group = c.benchmark_group("lbfgs-sources");
    let x0 = cases()[1].1.clone();
    group.bench_function("hand-written", |b| {
        b.iter(|| admix_lbfgs(black_box(Rosenbrock), black_box(&x0)))
    });
    let divided = Derivatives::Divided(DividedDifference::default());
    for (name, source) in [
        ("forward", Derivatives::Forward),
        ("reverse", Derivatives::Reverse),
        ("central", divided),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                Minimizer::new(Lbfgs::new())
                    .stop(stop())
                    .minimize(Objective::new(Rosenbrock, source), black_box(&x0))
                    .expect("runs")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
