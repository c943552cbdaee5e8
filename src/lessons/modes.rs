//! Forward against reverse mode: the number of sweeps and the time for a
//! whole Jacobian.
//!
//! ```text
//! F: R^n -> R   forward: n sweeps (one per input)   reverse: 1 sweep
//! G: R -> R^m   forward: 1 sweep                    reverse: m sweeps (one per output)
//! ```
//!
//! so reverse mode suits F (gradients of a loss) and forward mode suits G.

use admix_dual::{Dual, Scalar};
use admix_tape::Tape;
use std::time::Instant;

/// F: R^n -> R, sum over i of sin(x_i) x_{i+1} (cyclically): every input
/// matters and the cost of one evaluation grows like n.
pub fn many_to_one<S: Scalar>(x: &[S]) -> S {
    let n = x.len();
    (0..n).fold(S::zero(), |acc, i| acc + x[i].sin() * x[(i + 1) % n])
}

/// G: R -> R^m, output j is sin((j + 1) t) exp(-t / (j + 1)): one input,
/// and the cost of one evaluation grows like m.
pub fn one_to_many<S: Scalar>(t: S, m: usize) -> Vec<S> {
    (0..m)
        .map(|j| {
            let k = (j + 1) as f64;
            t.scale(k).sin() * (-t.scale(1.0 / k)).exp()
        })
        .collect()
}

/// The cost of one whole Jacobian by each mode.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ModeCost {
    /// n for F, m for G.
    pub size: usize,
    /// Sweeps forward mode needs (one per input).
    pub forward_sweeps: usize,
    /// Sweeps reverse mode needs (one per output).
    pub reverse_sweeps: usize,
    /// Seconds for the Jacobian by forward mode (dual numbers).
    pub forward_seconds: f64,
    /// Seconds for the Jacobian by reverse mode (recording and sweeps).
    pub reverse_seconds: f64,
}

/// The gradient of F at `x` by forward mode: one dual sweep per input.
pub fn gradient_forward(x: &[f64]) -> Vec<f64> {
    let mut args: Vec<Dual<f64>> = x.iter().map(|&v| Dual::new(v, 0.0)).collect();
    (0..x.len())
        .map(|i| {
            args[i].eps = 1.0;
            let slope = many_to_one(&args).eps;
            args[i].eps = 0.0;
            slope
        })
        .collect()
}

/// The gradient of F at `x` by reverse mode: one recording, one sweep.
pub fn gradient_reverse(x: &[f64]) -> Vec<f64> {
    let tape = Tape::new();
    let vars = tape.vars(x);
    tape.gradient(many_to_one(&vars)).wrt_all(&vars)
}

/// The m derivatives of G at `t` by forward mode: one dual sweep.
pub fn derivatives_forward(t: f64, m: usize) -> Vec<f64> {
    one_to_many(Dual::new(t, 1.0), m)
        .iter()
        .map(|y| y.eps)
        .collect()
}

/// The m derivatives of G at `t` by reverse mode: one recording, one
/// sweep per output.
pub fn derivatives_reverse(t: f64, m: usize) -> Vec<f64> {
    let tape = Tape::new();
    let var = tape.var(t);
    let ys = one_to_many(var, m);
    tape.jacobian(&ys, &[var])
        .iter()
        .map(|row| row[0])
        .collect()
}

/// The best of a few timings of `f` (repeated until 2 ms have passed), in
/// seconds per call: the minimum is the least disturbed by other work.
fn time<T>(mut f: impl FnMut() -> T) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let start = Instant::now();
        let mut calls = 0u32;
        while calls == 0 || start.elapsed().as_secs_f64() < 2e-3 {
            std::hint::black_box(f());
            calls += 1;
        }
        best = best.min(start.elapsed().as_secs_f64() / f64::from(calls));
    }
    best
}

/// The point the Jacobians are taken at: n values spread over [-1, 1].
fn point(n: usize) -> Vec<f64> {
    (0..n).map(|i| (i as f64 * 0.618).sin()).collect()
}

/// Sweeps and time of the gradient of F for each n in `sizes`.
pub fn many_to_one_costs(sizes: &[usize]) -> Vec<ModeCost> {
    sizes
        .iter()
        .map(|&n| {
            let x = point(n);
            ModeCost {
                size: n,
                forward_sweeps: n,
                reverse_sweeps: 1,
                forward_seconds: time(|| gradient_forward(&x)),
                reverse_seconds: time(|| gradient_reverse(&x)),
            }
        })
        .collect()
}

/// Sweeps and time of the derivatives of G for each m in `sizes`.
pub fn one_to_many_costs(sizes: &[usize]) -> Vec<ModeCost> {
    sizes
        .iter()
        .map(|&m| ModeCost {
            size: m,
            forward_sweeps: 1,
            reverse_sweeps: m,
            forward_seconds: time(|| derivatives_forward(0.7, m)),
            reverse_seconds: time(|| derivatives_reverse(0.7, m)),
        })
        .collect()
}

/// The table of `rows`: size, sweeps and seconds by each mode, and their ratio.
pub fn render(size: &str, rows: &[ModeCost]) -> String {
    let mut out = format!(
        "{size:>5}  {:>14}  {:>14}  {:>12}  {:>12}  {:>8}\n",
        "forward sweeps", "reverse sweeps", "forward (s)", "reverse (s)", "fwd/rev"
    );
    for r in rows {
        out += &format!(
            "{:>5}  {:>14}  {:>14}  {:>12.3e}  {:>12.3e}  {:>8.2}\n",
            r.size,
            r.forward_sweeps,
            r.reverse_sweeps,
            r.forward_seconds,
            r.reverse_seconds,
            r.forward_seconds / r.reverse_seconds
        );
    }
    out
}

/// The sizes the lecture's picture uses: 1 to 1000, about three per decade.
pub const SIZES: [usize; 10] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_modes_give_the_closed_form_jacobians() {
        let x = point(7);
        let n = x.len();
        // dF/dx_i = cos(x_i) x_{i+1} + sin(x_{i-1}).
        let exact: Vec<f64> = (0..n)
            .map(|i| x[i].cos() * x[(i + 1) % n] + x[(i + n - 1) % n].sin())
            .collect();
        for g in [gradient_forward(&x), gradient_reverse(&x)] {
            for (a, b) in g.iter().zip(&exact) {
                assert!((a - b).abs() < 1e-14, "{a} vs {b}");
            }
        }
        let t = 0.7_f64;
        for d in [derivatives_forward(t, 5), derivatives_reverse(t, 5)] {
            for (j, dj) in d.iter().enumerate() {
                let k = (j + 1) as f64;
                let e = (-t / k).exp();
                let exact = k * (k * t).cos() * e - (k * t).sin() * e / k;
                assert!((dj - exact).abs() < 1e-14, "{dj} vs {exact}");
            }
        }
    }

    #[test]
    fn sweeps_follow_the_shape_of_the_jacobian() {
        let f = many_to_one_costs(&[3]);
        assert_eq!((f[0].forward_sweeps, f[0].reverse_sweeps), (3, 1));
        let g = one_to_many_costs(&[4]);
        assert_eq!((g[0].forward_sweeps, g[0].reverse_sweeps), (1, 4));
        assert!(f[0].forward_seconds > 0.0 && g[0].reverse_seconds > 0.0);
    }
}
