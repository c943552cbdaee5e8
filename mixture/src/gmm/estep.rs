//! The E-step of one chunk of rows: the coefficients of a model, the
//! per-worker buffers, and the log-densities of every component by one matrix
//! product followed by log-sum-exp. A leaf: it takes the model's arrays, not
//! the model type.
//!
//! ```text
//! full:  G = (X - shift) [U_1 .. U_k],  log p_ij = c_j - |G_i,j - b_j|^2 / 2,  b_j = (mu_j - shift) U_j
//! tied:  G = (X - shift) U,             log p_ij = c_j - |G_i - b_j|^2 / 2
//! diag:  log p = [X - shift, (X - shift)^2] [m * P ; -P / 2] + c      (P the precisions)
//! ```
//!
//! # Work per row (one flop = one add or one multiply)
//!
//! Counted from the code below, for `d` features and `k` components; `n`
//! rows cost `n` times this. Spherical runs the diag form.
//!
//! | step | flops per row | exps |
//! |---|---|---|
//! | `load` (shift; diag also squares) | `d` (diag `2d`) | |
//! | full `log_densities`: GEMM `(k d) x (d+1)`, then squares | `2 k d (d+1) + 2 k d + 2 k` | |
//! | tied `log_densities`: GEMM `d x d`, then offsets and squares | `2 d^2 + 3 k d + 2 k` | |
//! | diag `log_densities`: GEMM `k x (2d+1)` | `2 k (2d+1)` | |
//! | `normalise` (shift, sum, scale; one `ln` per row; `k` comparisons) | `3 k + 2` | `k` |
//!
//! Bytes moved from memory: the `8 d` bytes of each row, read once per pass;
//! every other array (coefficients, `k d (d+1)` values for full, and the
//! chunk's scratch) is reused across the `CHUNK` rows and stays in cache.

use super::covariance::{CovarianceType, Covariances};
use super::stats::{triangle, width};
use crate::linalg::{gemm, Mat, MatMut};
use crate::simd::exp_nonpositive;
use ndarray::{ArrayView1, ArrayView2};

/// Rows per chunk: the scratch of one chunk (about k d + 2 d + 2 k values per
/// row) stays within the L2 cache for the sizes the benches use.
pub(crate) const CHUNK: usize = 128;

/// The E-step coefficients of one model, in coordinates shifted by `shift`.
pub(crate) struct Coefficients {
    pub(super) k: usize,
    pub(super) d: usize,
    pub(super) shift: Vec<f64>,
    /// log w_j + log det U_j - d/2 log(2 pi) (diag: also - m^T P m / 2).
    consts: Vec<f64>,
    form: Form,
}

enum Form {
    /// `a`: (k d, d + 1); row j d + c holds column c of U_j, then -b_jc, so
    /// that `a [x - shift, 1]^T` stacks `(x - shift) U_j - b_j` for every j.
    Full { a: Vec<f64> },
    /// `ut`: U^T, (d, d); `offsets`: (k, d).
    Tied { ut: Vec<f64>, offsets: Vec<f64> },
    /// `a`: (k, 2d + 1); row j holds m_j P_j, then -P_j / 2, then c_j.
    Diag { a: Vec<f64> },
}

impl Coefficients {
    /// Coefficients for the mixture of `weights` (k), `means` (k, d) and
    /// Cholesky factors of the precisions, with data shifted by `shift`.
    pub(crate) fn new(
        weights: ArrayView1<f64>,
        means: ArrayView2<f64>,
        precisions_cholesky: &Covariances,
        shift: &[f64],
    ) -> Self {
        let (k, d) = means.dim();
        let m = |j: usize, l: usize| means[[j, l]] - shift[l];
        let half_log_2pi = 0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln();
        let mut consts: Vec<f64> = weights.iter().map(|w| w.ln() - half_log_2pi).collect();
        let form = match precisions_cholesky {
            Covariances::Full(p) => {
                let mut a = vec![0.0; k * d * (d + 1)];
                for j in 0..k {
                    for c in 0..d {
                        let row = &mut a[(j * d + c) * (d + 1)..(j * d + c + 1) * (d + 1)];
                        let mut offset = 0.0;
                        for l in 0..d {
                            row[l] = p[[j, l, c]];
                            offset += m(j, l) * p[[j, l, c]];
                        }
                        row[d] = -offset;
                        consts[j] += p[[j, c, c]].ln();
                    }
                }
                Form::Full { a }
            }
            Covariances::Tied(p) => {
                let ut: Vec<f64> = p.t().iter().copied().collect();
                let log_det: f64 = (0..d).map(|a| p[[a, a]].ln()).sum();
                let mut offsets = vec![0.0; k * d];
                for j in 0..k {
                    for a in 0..d {
                        for b in 0..d {
                            offsets[j * d + b] += m(j, a) * p[[a, b]];
                        }
                    }
                    consts[j] += log_det;
                }
                Form::Tied { ut, offsets }
            }
            pc @ (Covariances::Diag(_) | Covariances::Spherical(_)) => {
                let factor = |j: usize, l: usize| match pc {
                    Covariances::Diag(p) => p[[j, l]],
                    Covariances::Spherical(p) => p[j],
                    _ => unreachable!("matched above"),
                };
                let w = 2 * d + 1;
                let mut a = vec![0.0; k * w];
                for j in 0..k {
                    for l in 0..d {
                        let u = factor(j, l);
                        let prec = u * u;
                        a[j * w + l] = m(j, l) * prec;
                        a[j * w + d + l] = -0.5 * prec;
                        consts[j] += u.ln() - 0.5 * m(j, l) * m(j, l) * prec;
                    }
                    a[j * w + 2 * d] = consts[j];
                }
                Form::Diag { a }
            }
        };
        Coefficients {
            k,
            d,
            shift: shift.to_vec(),
            consts,
            form,
        }
    }

    pub(super) fn covariance_type(&self) -> CovarianceType {
        match self.form {
            Form::Full { .. } => CovarianceType::Full,
            Form::Tied { .. } => CovarianceType::Tied,
            Form::Diag { .. } => CovarianceType::Diag,
        }
    }
}

/// Buffers of one worker, reused across chunks. Per-component arrays are
/// stored component-major, `(k, rows)`, so that the log-sum-exp runs along
/// contiguous rows and vectorises.
pub(crate) struct Scratch {
    pub(super) k: usize,
    pub(super) d: usize,
    /// Values per loaded row.
    pub(super) w: usize,
    /// (rows, w): the shifted rows, their squares for diag, and a 1.
    pub(super) xa: Vec<f64>,
    /// Full: (k d, rows) products, then (rows, d(d+1)/2) upper triangles of the
    /// rows' outer products. Tied: (d, rows) products, then (rows, d) weighted rows.
    pub(super) g: Vec<f64>,
    /// (k, rows): log-densities, then responsibilities.
    pub(super) lp: Vec<f64>,
    /// (rows): running maximum, then the normaliser of each row.
    pub(super) mx: Vec<f64>,
    /// (rows): sum of densities, then its inverse times the sample weight.
    pub(super) sm: Vec<f64>,
    /// (rows): log-likelihood of each row.
    pub(super) ll: Vec<f64>,
    /// Full covariances with few components (k d < d(d+1)/2): (d, k d) running
    /// sums of X^T diag(r_j) X over the chunks of a task, folded into the
    /// triangles of the statistics at the end of the task. Else empty.
    pub(super) zsum: Vec<f64>,
}

impl Scratch {
    pub(crate) fn new(covariance_type: CovarianceType, k: usize, d: usize) -> Self {
        let w = width(covariance_type, d);
        let g = match covariance_type {
            CovarianceType::Full => (k * d).max(triangle(d)),
            CovarianceType::Tied => d,
            _ => 0,
        };
        Scratch {
            k,
            d,
            w,
            xa: vec![0.0; CHUNK * w],
            g: vec![0.0; CHUNK * g],
            lp: vec![0.0; CHUNK * k],
            mx: vec![0.0; CHUNK],
            sm: vec![0.0; CHUNK],
            ll: vec![0.0; CHUNK],
            zsum: if covariance_type == CovarianceType::Full && k * d < triangle(d) {
                vec![0.0; d * k * d]
            } else {
                Vec::new()
            },
        }
    }

    /// Copies the rows of `x` (at most CHUNK), shifted, into `xa`.
    #[inline(always)]
    pub(super) fn load(&mut self, shift: &[f64], x: ArrayView2<f64>) {
        let (d, w) = (self.d, self.w);
        for (row, dst) in x.outer_iter().zip(self.xa.chunks_exact_mut(w)) {
            match row.as_slice() {
                Some(r) => {
                    for ((out, v), s) in dst.iter_mut().zip(r).zip(shift) {
                        *out = v - s;
                    }
                }
                None => {
                    for ((out, v), s) in dst.iter_mut().zip(row.iter()).zip(shift) {
                        *out = v - s;
                    }
                }
            }
            if w > d + 1 {
                let (lin, sq) = dst.split_at_mut(d);
                for (q, v) in sq.iter_mut().zip(lin.iter()) {
                    *q = v * v;
                }
            }
            dst[w - 1] = 1.0;
        }
    }

    /// `lp` = log(w_j N(x_i | j)) for the `b` loaded rows, component-major.
    #[inline(always)]
    pub(super) fn log_densities(&mut self, prep: &Coefficients, b: usize) {
        let (k, d, w) = (self.k, self.d, self.w);
        let lp = &mut self.lp[..k * b];
        match &prep.form {
            Form::Full { a } => {
                let kd = k * d;
                gemm(
                    (kd, d + 1, b),
                    1.0,
                    Mat::rows(a, d + 1),
                    Mat::transposed(&self.xa, w),
                    0.0,
                    MatMut::rows(&mut self.g, b),
                );
                for ((lp_j, g_j), c) in lp
                    .chunks_exact_mut(b)
                    .zip(self.g.chunks_exact(d * b))
                    .zip(&prep.consts)
                {
                    lp_j.fill(0.0);
                    for g_jl in g_j.chunks_exact(b) {
                        for (acc, v) in lp_j.iter_mut().zip(g_jl) {
                            *acc += v * v;
                        }
                    }
                    for v in lp_j.iter_mut() {
                        *v = c - 0.5 * *v;
                    }
                }
            }
            Form::Tied { ut, offsets } => {
                gemm(
                    (d, d, b),
                    1.0,
                    Mat::rows(ut, d),
                    Mat::transposed(&self.xa, w),
                    0.0,
                    MatMut::rows(&mut self.g, b),
                );
                for ((lp_j, off), c) in lp
                    .chunks_exact_mut(b)
                    .zip(offsets.chunks_exact(d))
                    .zip(&prep.consts)
                {
                    lp_j.fill(0.0);
                    for (g_l, o) in self.g.chunks_exact(b).zip(off) {
                        for (acc, v) in lp_j.iter_mut().zip(g_l) {
                            let t = v - o;
                            *acc += t * t;
                        }
                    }
                    for v in lp_j.iter_mut() {
                        *v = c - 0.5 * *v;
                    }
                }
            }
            Form::Diag { a } => {
                gemm(
                    (k, w, b),
                    1.0,
                    Mat::rows(a, w),
                    Mat::transposed(&self.xa, w),
                    0.0,
                    MatMut::rows(lp, b),
                );
            }
        }
    }

    /// Turns `lp` into responsibilities (times the sample weights) and fills
    /// `ll` with the log-likelihood of each row.
    #[inline(always)]
    pub(super) fn normalise(&mut self, b: usize, weights: Option<ArrayView1<f64>>) {
        let k = self.k;
        let lp = &mut self.lp[..k * b];
        let (mx, sm) = (&mut self.mx[..b], &mut self.sm[..b]);
        mx.copy_from_slice(&lp[..b]);
        for lp_j in lp.chunks_exact(b).skip(1) {
            for (m, &v) in mx.iter_mut().zip(lp_j) {
                *m = if v > *m { v } else { *m };
            }
        }
        sm.fill(0.0);
        for lp_j in lp.chunks_exact_mut(b) {
            for ((v, m), s) in lp_j.iter_mut().zip(mx.iter()).zip(sm.iter_mut()) {
                let e = exp_nonpositive(*v - m);
                *v = e;
                *s += e;
            }
        }
        for ((l, m), s) in self.ll[..b].iter_mut().zip(mx.iter()).zip(sm.iter_mut()) {
            *l = m + s.ln();
            *s = 1.0 / *s;
        }
        if let Some(w) = weights {
            for (s, wi) in sm.iter_mut().zip(w.iter()) {
                *s *= wi;
            }
        }
        for lp_j in lp.chunks_exact_mut(b) {
            for (v, s) in lp_j.iter_mut().zip(sm.iter()) {
                *v *= s;
            }
        }
    }
}
