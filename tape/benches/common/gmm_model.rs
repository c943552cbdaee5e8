//! Negative log-likelihood of a full-covariance Gaussian mixture, written
//! once with plain ndarray (the primal baseline) and once with array nodes
//! on the tape. Shared by `benches/gmm.rs` and `tests/gmm_nll.rs`.
//!
//! Parameters are unconstrained: mixing logits (k), means (k x d), and per
//! component the d(d+1)/2 packed entries of the Cholesky factor L of the
//! precision, with log-diagonal (`tril_exp_diag`). With P = L L^T:
//!
//! ```text
//! log N(x | mu, P^-1) = ln det L - |(x - mu)^T L|^2 / 2 - d/2 ln(2 pi)
//! nll = -sum_i logsumexp_j (log w_j + log N(x_i | mu_j, P_j^-1))
//! ```

#![allow(dead_code)] // each including target uses a part

use admix_tape::{ArrayVar, Tape, TapeError, Var};
use ndarray::{Array1, Array2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Data and parameters of one benchmark problem.
pub struct Problem {
    pub x: Array2<f64>,
    pub logits: Array1<f64>,
    pub means: Array2<f64>,
    pub raw: Array2<f64>,
}

impl Problem {
    /// Uniform data in [-2, 2]^d and parameters near a sensible start.
    pub fn new(n: usize, d: usize, k: usize, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut uniform = |rows: usize, cols: usize, scale: f64| {
            Array2::from_shape_fn((rows, cols), |_| scale * rng.random_range(-1.0..1.0))
        };
        let x = uniform(n, d, 2.0);
        let means = uniform(k, d, 1.0);
        let raw = uniform(k, d * (d + 1) / 2, 0.1);
        let logits = uniform(1, k, 0.5).remove_axis(Axis(0));
        Self {
            x,
            logits,
            means,
            raw,
        }
    }

    pub fn dims(&self) -> (usize, usize, usize) {
        (self.x.nrows(), self.x.ncols(), self.means.nrows())
    }
}

fn half_log_two_pi(d: usize) -> f64 {
    0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln()
}

/// Lower-triangular factor from packed entries, diagonal exponentiated.
fn tril_exp(packed: ndarray::ArrayView1<'_, f64>, d: usize) -> Array2<f64> {
    let mut l = Array2::zeros((d, d));
    for i in 0..d {
        for j in 0..=i {
            let e = packed[i * (i + 1) / 2 + j];
            l[[i, j]] = if i == j { e.exp() } else { e };
        }
    }
    l
}

/// The primal: plain ndarray, the same operations as [`nll_tape`].
pub fn nll_plain(p: &Problem) -> f64 {
    let (n, d, k) = p.dims();
    let m = p.logits.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
    let lse_w = m + p.logits.mapv(|v| (v - m).exp()).sum().ln();
    let mut logp = Array2::zeros((n, k));
    for j in 0..k {
        let l = tril_exp(p.raw.row(j), d);
        let ml = p.means.row(j).dot(&l);
        let mut y = ml.broadcast((n, d)).expect("a row").to_owned();
        ndarray::linalg::general_mat_mul(1.0, &p.x, &l, -1.0, &mut y);
        // y = -(x L - mu L); its squared norm is the same.
        let sq = y.map_axis(Axis(1), |r| r.fold(0.0, |s, &e| s + e * e));
        let logdet: f64 = l.diag().mapv(f64::ln).sum();
        let c = logdet + p.logits[j] - lse_w - half_log_two_pi(d);
        logp.column_mut(j).assign(&sq.mapv(|q| c - 0.5 * q));
    }
    -logp
        .map_axis(Axis(1), |r| {
            let m = r.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
            m + r.fold(0.0, |s, &v| s + (v - m).exp()).ln()
        })
        .sum()
}

/// The parameters recorded as array variables.
pub struct Params<'t> {
    pub logits: ArrayVar<'t>,
    pub means: ArrayVar<'t>,
    pub raw: ArrayVar<'t>,
}

impl<'t> Params<'t> {
    pub fn record(tape: &'t Tape, p: &Problem) -> Self {
        Self {
            logits: tape.array_var(p.logits.clone()),
            means: tape.array_var(p.means.clone()),
            raw: tape.array_var(p.raw.clone()),
        }
    }
}

/// The negative log-likelihood with array nodes: about 14 steps per
/// component plus 4, whatever n.
pub fn nll_tape<'t>(x: ArrayVar<'t>, w: &Params<'t>) -> Result<Var<'t, f64>, TapeError> {
    let (n, d) = (x.shape()[0], x.shape()[1]);
    let (k, p) = (w.raw.shape()[0], w.raw.shape()[1]);
    let logw = w.logits.log_softmax_axis(0)?;
    let mut columns = Vec::with_capacity(k);
    for j in 0..k {
        let l = w
            .raw
            .slice_axis(0, j..j + 1)?
            .reshape(&[p])?
            .tril_exp_diag()?;
        let ml = w.means.slice_axis(0, j..j + 1)?.matmul(l)?;
        let sq = x.matmul_add(l, -ml)?.sq_norm_axis(1)?;
        let logdet = l.diag()?.ln().sum();
        let c = (logdet + logw.slice_axis(0, j..j + 1)?)?.offset(-half_log_two_pi(d));
        columns.push((sq.scale(-0.5) + c)?.reshape(&[n, 1])?);
    }
    let logp = ArrayVar::concat(1, &columns)?;
    (-logp.logsumexp_axis(1)?.sum()).to_scalar()
}
