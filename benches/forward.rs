//! Forward mode on one realistic function, side by side with `num-dual`:
//! the log-density of a two-component Gaussian mixture in 16 dimensions
//! (full precision Cholesky factors, log-sum-exp over the components).
//!
//! Groups: one evaluation on f64 / admix Dual / num-dual Dual64 (also for
//! 64-D Rosenbrock); the full 16-entry gradient by vector duals of width 1,
//! 4, 8, 16 (admix and num-dual, in ceil(16 / width) passes), by num-dual's
//! heap-allocated dynamic dual in one pass, and by central differences for
//! reference; and the gradient of Rosenbrock in 4 and 64 dimensions over
//! widths 1 to 32, the data behind `DEFAULT_WIDTH` and `gradient_of`.

use admix_dual::{gradient_with_width, DividedDifference, Dual, Scalar, Scheme, Step};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use num_dual::DualNum;

const D: usize = 16;
const K: usize = 2;

/// Mixture parameters: means, upper-triangular precision Cholesky factors
/// `U` (so that `||U (x - mu)||^2` is the Mahalanobis term), and the
/// log-normalisers `log w + log det U - d/2 log(2 pi)`.
struct Mixture {
    mean: [[f64; D]; K],
    chol: [[[f64; D]; D]; K],
    log_norm: [f64; K],
}

impl Mixture {
    fn new() -> Self {
        let mut m = Self {
            mean: [[0.0; D]; K],
            chol: [[[0.0; D]; D]; K],
            log_norm: [0.0; K],
        };
        for (k, weight) in [0.3_f64, 0.7].into_iter().enumerate() {
            let mut log_det = 0.0;
            for i in 0..D {
                m.mean[k][i] = (i as f64 + k as f64).sin();
                for j in i..D {
                    m.chol[k][i][j] = if i == j {
                        1.0 + 0.1 * i as f64
                    } else {
                        0.05 * ((i * j + k) as f64).cos()
                    };
                }
                log_det += m.chol[k][i][i].ln();
            }
            m.log_norm[k] =
                weight.ln() + log_det - 0.5 * D as f64 * (2.0 * std::f64::consts::PI).ln();
        }
        m
    }

    /// Written once for every admix scalar type.
    #[inline]
    fn log_density<S: Scalar>(&self, x: &[S]) -> S {
        let terms: [S; K] = std::array::from_fn(|k| {
            let diff: Vec<S> = x
                .iter()
                .zip(&self.mean[k])
                .map(|(&xj, &m)| xj - S::constant(m))
                .collect();
            let mut sq = S::zero();
            for (i, row) in self.chol[k].iter().enumerate() {
                let mut z = S::zero();
                for (&u, &d) in row[i..].iter().zip(&diff[i..]) {
                    z += d.scale(u);
                }
                sq += z * z;
            }
            S::constant(self.log_norm[k]) - sq.scale(0.5)
        });
        let hi = terms[0].max(terms[1]);
        hi + ((terms[0] - hi).exp() + (terms[1] - hi).exp()).ln()
    }

    /// The same arithmetic for num-dual's number types (constants enter as
    /// `f64`, as num-dual allows; `Clone` so that its heap-allocated
    /// dynamic dual fits too, the clones are copies for the others).
    #[inline]
    fn log_density_num_dual<N: DualNum<Primitive = f64>>(&self, x: &[N]) -> N {
        let terms: [N; K] = std::array::from_fn(|k| {
            let diff: Vec<N> = x
                .iter()
                .zip(&self.mean[k])
                .map(|(xj, &m)| xj.clone() - m)
                .collect();
            let mut sq = N::zero();
            for (i, row) in self.chol[k].iter().enumerate() {
                let mut z = N::zero();
                for (&u, d) in row[i..].iter().zip(&diff[i..]) {
                    z += d.clone() * u;
                }
                sq += z.clone() * z;
            }
            -(sq * 0.5) + self.log_norm[k]
        });
        let [t0, t1] = terms;
        let hi = if t1.re() > t0.re() {
            t1.clone()
        } else {
            t0.clone()
        };
        hi.clone() + ((t0 - hi.clone()).exp() + (t1 - hi).exp()).ln()
    }
}

fn point() -> Vec<f64> {
    (0..D).map(|i| 0.3 * (i as f64 * 0.7).cos()).collect()
}

fn evaluation(c: &mut Criterion) {
    let m = Mixture::new();
    let x = point();
    let mut group = c.benchmark_group("gmm16/eval");
    group.bench_function("f64", |b| b.iter(|| m.log_density(black_box(&x))));
    let xd: Vec<Dual<f64>> = x.iter().map(|&v| Dual::variable(v)).collect();
    group.bench_function("admix Dual", |b| b.iter(|| m.log_density(black_box(&xd))));
    let xn: Vec<num_dual::Dual64> = x.iter().map(|&v| num_dual::Dual64::new(v, 1.0)).collect();
    group.bench_function("num-dual Dual64", |b| {
        b.iter(|| m.log_density_num_dual(black_box(&xn)))
    });
    group.finish();

    let x = rosenbrock_point(64);
    let mut group = c.benchmark_group("rosenbrock64/eval");
    group.bench_function("f64", |b| b.iter(|| rosenbrock(black_box(&x))));
    let xd: Vec<Dual<f64>> = x.iter().map(|&v| Dual::variable(v)).collect();
    group.bench_function("admix Dual", |b| b.iter(|| rosenbrock(black_box(&xd))));
    let xn: Vec<num_dual::Dual64> = x.iter().map(|&v| num_dual::Dual64::new(v, 1.0)).collect();
    group.bench_function("num-dual Dual64", |b| {
        b.iter(|| rosenbrock_num_dual(black_box(&xn)))
    });
    group.finish();
}

/// The num-dual gradient in passes of width `W` (one pass when `W = n`).
fn num_dual_gradient<const W: usize>(
    f: impl Fn(&[num_dual::DualSVec64<W>]) -> num_dual::DualSVec64<W>,
    x: &[f64],
) -> (f64, Vec<f64>) {
    let mut grad = Vec::with_capacity(x.len());
    let mut value = 0.0;
    for start in (0..x.len()).step_by(W) {
        let args: Vec<num_dual::DualSVec64<W>> = x
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let re = num_dual::DualSVec64::<W>::from_re(v);
                if (start..start + W).contains(&i) {
                    re.derivative(i - start)
                } else {
                    re
                }
            })
            .collect();
        let y = f(&args);
        value = y.re;
        let width = (x.len() - start).min(W);
        match y.eps.0 {
            Some(eps) => grad.extend(eps.iter().take(width)),
            None => grad.extend(std::iter::repeat_n(0.0, width)),
        }
    }
    (value, grad)
}

fn gmm_gradient(c: &mut Criterion) {
    let m = Mixture::new();
    let x = point();
    // Both libraries must agree before their timings mean anything.
    let (value, grad) = gradient_with_width::<8, _, _>(|v| m.log_density(v), &x);
    let (value_nd, grad_nd) = num_dual_gradient::<8>(|v| m.log_density_num_dual(v), &x);
    assert!((value - value_nd).abs() <= 1e-12 * value.abs());
    for (g, h) in grad.iter().zip(&grad_nd) {
        assert!((g - h).abs() <= 1e-12 * g.abs().max(1.0), "{g} vs {h}");
    }
    let mut group = c.benchmark_group("gmm16/gradient");
    macro_rules! widths {
        ($($w:literal)*) => {$(
            group.bench_with_input(BenchmarkId::new("admix DualVec", $w), &x, |b, x| {
                b.iter(|| gradient_with_width::<$w, _, _>(|v| m.log_density(v), black_box(x)))
            });
            group.bench_with_input(BenchmarkId::new("num-dual DualSVec64", $w), &x, |b, x| {
                b.iter(|| num_dual_gradient::<$w>(|v| m.log_density_num_dual(v), black_box(x)))
            });
        )*};
    }
    widths!(1 4 8 16);
    group.bench_function("num-dual DualDVec64 (dynamic, one pass)", |b| {
        b.iter(|| {
            let n = x.len();
            let args: Vec<num_dual::DualDVec64> = black_box(&x)
                .iter()
                .enumerate()
                .map(|(i, &v)| num_dual::DualDVec64::from_re(v).derivative(n, i))
                .collect();
            m.log_density_num_dual(&args)
        })
    });
    let central = DividedDifference::new(Scheme::Central, Step::Auto);
    group.bench_function("central differences", |b| {
        b.iter(|| central.gradient(|v| m.log_density(v), black_box(&x)))
    });
    group.finish();
}

fn rosenbrock<S: Scalar>(x: &[S]) -> S {
    x.windows(2)
        .map(|w| (w[1] - w[0] * w[0]).powi(2).scale(100.0) + (S::one() - w[0]).powi(2))
        .sum()
}

fn rosenbrock_num_dual<N: DualNum<Primitive = f64> + Copy>(x: &[N]) -> N {
    x.windows(2)
        .map(|w| (w[1] - w[0] * w[0]).powi(2) * 100.0 + (-w[0] + 1.0).powi(2))
        .sum()
}

fn rosenbrock_point(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.5 + 0.01 * i as f64).collect()
}

/// Gradient of Rosenbrock for several sizes and tangent widths: the data
/// behind `DEFAULT_WIDTH` and the width rule of `gradient_of`.
fn rosenbrock_gradient(c: &mut Criterion) {
    for n in [4, 64] {
        let x = rosenbrock_point(n);
        let mut group = c.benchmark_group(format!("rosenbrock{n}/gradient"));
        macro_rules! widths {
            ($($w:literal)*) => {$(
                group.bench_with_input(BenchmarkId::new("admix DualVec", $w), &x, |b, x| {
                    b.iter(|| gradient_with_width::<$w, _, _>(rosenbrock, black_box(x)))
                });
            )*};
        }
        widths!(1 4 8 16 32);
        group.finish();
    }
}

criterion_group!(benches, evaluation, gmm_gradient, rosenbrock_gradient);
criterion_main!(benches);
