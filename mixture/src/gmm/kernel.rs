//! The fused EM pass: for each cache-sized chunk of rows, the log-densities of
//! every component by one matrix product, log-sum-exp, and the accumulation of
//! the sufficient statistics by two more products, with scratch buffers reused
//! across chunks and no allocation per point.
//!
//! ```text
//! full:  G = (X - shift) [U_1 .. U_k],  log p_ij = c_j - |G_i,j - b_j|^2 / 2,  b_j = (mu_j - shift) U_j
//! tied:  G = (X - shift) U,             log p_ij = c_j - |G_i - b_j|^2 / 2
//! diag:  log p = [X - shift, (X - shift)^2] [m * P ; -P / 2] + c      (P the precisions)
//! ```

use super::covariance::Covariances;
use super::model::GaussianMixtureModel;
use super::stats::SufficientStats;
use crate::linalg::{gemm, Layout};
use ndarray::parallel::prelude::*;
use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis};

/// Rows per chunk: the scratch of one chunk (k * d + 2 * d + k values per row)
/// stays within the L2 cache for the sizes the benches use.
pub(crate) const CHUNK: usize = 256;

/// Tasks merged per parallel round; fixed so that the merge order, and so the
/// result, does not depend on the number of threads.
const TASKS_PER_ROUND: usize = 32;

/// The E-step coefficients of one model, in coordinates shifted by `shift`.
pub(crate) struct Prepared {
    k: usize,
    d: usize,
    shift: Vec<f64>,
    /// log w_j + log det U_j - d/2 log(2 pi) (diag: also - m^T P m / 2).
    consts: Vec<f64>,
    form: Form,
}

enum Form {
    /// `u`: (d, k d), the precision Cholesky factors side by side; `offsets`: (k, d).
    Full { u: Vec<f64>, offsets: Vec<f64> },
    /// `u`: (d, d); `offsets`: (k, d).
    Tied { u: Vec<f64>, offsets: Vec<f64> },
    /// `coef`: (2d, k), linear then quadratic coefficients.
    Diag { coef: Vec<f64> },
}

impl Prepared {
    /// Coefficients for `model` with data shifted by `shift`.
    pub(crate) fn new(model: &GaussianMixtureModel, shift: &[f64]) -> Self {
        let (k, d) = model.means().dim();
        let means = model.means();
        let m = |j: usize, l: usize| means[[j, l]] - shift[l];
        let half_log_2pi = 0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln();
        let mut consts: Vec<f64> = model
            .weights()
            .iter()
            .map(|w| w.ln() - half_log_2pi)
            .collect();
        let form = match model.precisions_cholesky() {
            Covariances::Full(p) => {
                let mut u = vec![0.0; d * k * d];
                let mut offsets = vec![0.0; k * d];
                for j in 0..k {
                    for a in 0..d {
                        for b in 0..d {
                            u[a * k * d + j * d + b] = p[[j, a, b]];
                            offsets[j * d + b] += m(j, a) * p[[j, a, b]];
                        }
                        consts[j] += p[[j, a, a]].ln();
                    }
                }
                Form::Full { u, offsets }
            }
            Covariances::Tied(p) => {
                let u: Vec<f64> = p.iter().copied().collect();
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
                Form::Tied { u, offsets }
            }
            pc @ (Covariances::Diag(_) | Covariances::Spherical(_)) => {
                let factor = |j: usize, l: usize| match pc {
                    Covariances::Diag(p) => p[[j, l]],
                    Covariances::Spherical(p) => p[j],
                    _ => unreachable!("matched above"),
                };
                let mut coef = vec![0.0; 2 * d * k];
                for j in 0..k {
                    for l in 0..d {
                        let u = factor(j, l);
                        let prec = u * u;
                        coef[l * k + j] = m(j, l) * prec;
                        coef[(d + l) * k + j] = -0.5 * prec;
                        consts[j] += u.ln() - 0.5 * m(j, l) * m(j, l) * prec;
                    }
                }
                Form::Diag { coef }
            }
        };
        Prepared {
            k,
            d,
            shift: shift.to_vec(),
            consts,
            form,
        }
    }

    /// Values per row of the loaded chunk: the shifted row, and for diag its square too.
    fn width(&self) -> usize {
        match self.form {
            Form::Diag { .. } => 2 * self.d,
            _ => self.d,
        }
    }
}

/// Buffers of one worker, reused across chunks.
pub(crate) struct Scratch {
    /// (rows, width): the shifted rows (and their squares for diag).
    xc: Vec<f64>,
    /// (rows, k d): products of the full and tied forms, then the weighted rows.
    g: Vec<f64>,
    /// (rows, k): log-densities, then responsibilities.
    lp: Vec<f64>,
    /// (rows): log-likelihood of each row.
    ll: Vec<f64>,
}

impl Scratch {
    pub(crate) fn new(prep: &Prepared) -> Self {
        let (k, d) = (prep.k, prep.d);
        Scratch {
            xc: vec![0.0; CHUNK * prep.width()],
            g: vec![0.0; CHUNK * k * d],
            lp: vec![0.0; CHUNK * k],
            ll: vec![0.0; CHUNK],
        }
    }

    /// Copies the rows of `x` (at most CHUNK) shifted into `xc`.
    fn load(&mut self, prep: &Prepared, x: ArrayView2<f64>) {
        let (d, w) = (prep.d, prep.width());
        for (row, dst) in x.outer_iter().zip(self.xc.chunks_exact_mut(w)) {
            for ((v, s), out) in row.iter().zip(&prep.shift).zip(&mut dst[..d]) {
                *out = v - s;
            }
            if w > d {
                let (lin, sq) = dst.split_at_mut(d);
                for (q, v) in sq.iter_mut().zip(lin.iter()) {
                    *q = v * v;
                }
            }
        }
    }

    /// `lp` = log(w_j N(x_i | j)) for the `b` loaded rows.
    fn log_densities(&mut self, prep: &Prepared, b: usize) {
        let (k, d) = (prep.k, prep.d);
        let lp = &mut self.lp[..b * k];
        match &prep.form {
            Form::Full { u, offsets } => {
                let kd = k * d;
                gemm(
                    (b, d, kd),
                    1.0,
                    &self.xc,
                    Layout::rows(d),
                    u,
                    Layout::rows(kd),
                    0.0,
                    &mut self.g,
                    Layout::rows(kd),
                );
                for (g_row, lp_row) in self.g.chunks_exact(kd).zip(lp.chunks_exact_mut(k)) {
                    for (((out, c), g), off) in lp_row
                        .iter_mut()
                        .zip(&prep.consts)
                        .zip(g_row.chunks_exact(d))
                        .zip(offsets.chunks_exact(d))
                    {
                        *out = c - 0.5 * squared_distance(g, off);
                    }
                }
            }
            Form::Tied { u, offsets } => {
                gemm(
                    (b, d, d),
                    1.0,
                    &self.xc,
                    Layout::rows(d),
                    u,
                    Layout::rows(d),
                    0.0,
                    &mut self.g,
                    Layout::rows(d),
                );
                for (g, lp_row) in self.g.chunks_exact(d).zip(lp.chunks_exact_mut(k)) {
                    for ((out, c), off) in lp_row
                        .iter_mut()
                        .zip(&prep.consts)
                        .zip(offsets.chunks_exact(d))
                    {
                        *out = c - 0.5 * squared_distance(g, off);
                    }
                }
            }
            Form::Diag { coef } => {
                gemm(
                    (b, 2 * d, k),
                    1.0,
                    &self.xc,
                    Layout::rows(2 * d),
                    coef,
                    Layout::rows(k),
                    0.0,
                    lp,
                    Layout::rows(k),
                );
                for lp_row in lp.chunks_exact_mut(k) {
                    for (out, c) in lp_row.iter_mut().zip(&prep.consts) {
                        *out += c;
                    }
                }
            }
        }
    }

    /// Turns `lp` into responsibilities and `ll` into per-row log-likelihoods.
    fn normalise(&mut self, k: usize, b: usize) {
        for (row, ll) in self.lp[..b * k].chunks_exact_mut(k).zip(&mut self.ll) {
            *ll = log_sum_exp_normalise(row);
        }
    }

    /// Adds the statistics of the `b` loaded rows, whose responsibilities are in
    /// `lp`, to `stats`; `weights` scales each row.
    fn accumulate(
        &mut self,
        stats: &mut SufficientStats,
        weights: Option<ArrayView1<f64>>,
        b: usize,
    ) {
        let (k, d) = (stats.k, stats.d);
        let lp = &mut self.lp[..b * k];
        if let Some(w) = weights {
            for (row, wi) in lp.chunks_exact_mut(k).zip(w.iter()) {
                row.iter_mut().for_each(|r| *r *= wi);
            }
        }
        for row in lp.chunks_exact(k) {
            for (s, r) in stats.resp.iter_mut().zip(row) {
                *s += r;
            }
        }
        let w = if stats.second.is_empty() { 2 * d } else { d };
        // first += R^T Xc (with the squares for diag).
        gemm(
            (k, b, w),
            1.0,
            lp,
            Layout::transposed(k),
            &self.xc,
            Layout::rows(w),
            1.0,
            &mut stats.first,
            Layout::rows(w),
        );
        match stats.covariance_type {
            super::CovarianceType::Full => {
                let kd = k * d;
                for ((z_row, r_row), x_row) in self
                    .g
                    .chunks_exact_mut(kd)
                    .zip(lp.chunks_exact(k))
                    .zip(self.xc.chunks_exact(d))
                    .take(b)
                {
                    for (z, r) in z_row.chunks_exact_mut(d).zip(r_row) {
                        for (zv, xv) in z.iter_mut().zip(x_row) {
                            *zv = r * xv;
                        }
                    }
                }
                // second += Xc^T Z, Z = [diag(r_1) Xc, .., diag(r_k) Xc].
                gemm(
                    (d, b, kd),
                    1.0,
                    &self.xc,
                    Layout::transposed(d),
                    &self.g,
                    Layout::rows(kd),
                    1.0,
                    &mut stats.second,
                    Layout::rows(kd),
                );
            }
            super::CovarianceType::Tied => {
                let z: &[f64] = match weights {
                    Some(wts) => {
                        for ((z, x), wi) in self
                            .g
                            .chunks_exact_mut(d)
                            .zip(self.xc.chunks_exact(d))
                            .zip(wts.iter())
                        {
                            for (zv, xv) in z.iter_mut().zip(x) {
                                *zv = wi * xv;
                            }
                        }
                        &self.g
                    }
                    None => &self.xc,
                };
                gemm(
                    (d, b, d),
                    1.0,
                    &self.xc,
                    Layout::transposed(d),
                    z,
                    Layout::rows(d),
                    1.0,
                    &mut stats.second,
                    Layout::rows(d),
                );
            }
            _ => {}
        }
    }
}

/// `|a - b|^2` with eight independent partial sums so that it vectorises.
#[inline]
fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for i in 0..8 {
            let t = x[i] - y[i];
            acc[i] += t * t;
        }
    }
    let mut s = 0.0;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        let t = x - y;
        s += t * t;
    }
    s + ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// Replaces `row` (log-densities) by the normalised responsibilities and returns
/// the log of the sum of the densities.
#[inline]
pub(crate) fn log_sum_exp_normalise(row: &mut [f64]) -> f64 {
    let max = row.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
    let mut sum = 0.0;
    for v in row.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    let inv = 1.0 / sum;
    row.iter_mut().for_each(|v| *v *= inv);
    max + sum.ln()
}

/// Where the responsibilities of a pass come from.
#[derive(Clone, Copy)]
pub(crate) enum Source<'a> {
    /// From an E-step on the prepared model.
    EStep(&'a Prepared),
    /// Given, one row per sample (initialisation from a clustering).
    Given(ArrayView2<'a, f64>),
}

/// One pass over `x` accumulating the statistics, in tasks of `batch` rows that
/// run in parallel and merge in task order, so the result is the same for any
/// number of threads.
pub(crate) fn accumulate(
    source: Source<'_>,
    template: &SufficientStats,
    x: ArrayView2<f64>,
    weights: Option<ArrayView1<f64>>,
    batch: usize,
) -> SufficientStats {
    let n = x.nrows();
    let n_tasks = n.div_ceil(batch);
    let mut total = template.clone();
    let k = template.k;
    let tasks: Vec<usize> = (0..n_tasks).collect();
    for round in tasks.chunks(TASKS_PER_ROUND) {
        let parts: Vec<SufficientStats> = round
            .par_iter()
            .map_init(
                || match source {
                    Source::EStep(p) => Scratch::new(p),
                    Source::Given(_) => Scratch::for_given(template),
                },
                |scratch, &t| {
                    let mut stats = template.clone();
                    let task_end = ((t + 1) * batch).min(n);
                    let mut start = t * batch;
                    while start < task_end {
                        let end = (start + CHUNK).min(task_end);
                        let b = end - start;
                        let rows = x.slice(ndarray::s![start..end, ..]);
                        let w = weights.map(|w| w.slice_move(ndarray::s![start..end]));
                        match source {
                            Source::EStep(p) => {
                                scratch.load(p, rows);
                                scratch.log_densities(p, b);
                                scratch.normalise(k, b);
                                let ll: f64 = match w {
                                    Some(w) => scratch.ll[..b]
                                        .iter()
                                        .zip(w.iter())
                                        .map(|(l, w)| l * w)
                                        .sum(),
                                    None => scratch.ll[..b].iter().sum(),
                                };
                                stats.log_likelihood += ll;
                            }
                            Source::Given(resp) => {
                                scratch.load_given(
                                    template,
                                    rows,
                                    resp.slice(ndarray::s![start..end, ..]),
                                );
                            }
                        }
                        stats.weight += w.map_or(b as f64, |w| w.sum());
                        scratch.accumulate(&mut stats, w, b);
                        start = end;
                    }
                    stats
                },
            )
            .collect();
        for part in &parts {
            total.merge(part);
        }
    }
    total
}

impl Scratch {
    /// Scratch for a pass with given responsibilities (no E-step coefficients).
    fn for_given(template: &SufficientStats) -> Self {
        let (k, d) = (template.k, template.d);
        let w = if template.second.is_empty() { 2 * d } else { d };
        Scratch {
            xc: vec![0.0; CHUNK * w],
            g: vec![0.0; CHUNK * k * d],
            lp: vec![0.0; CHUNK * k],
            ll: vec![0.0; CHUNK],
        }
    }

    /// Loads shifted rows and their given responsibilities.
    fn load_given(
        &mut self,
        template: &SufficientStats,
        x: ArrayView2<f64>,
        resp: ArrayView2<f64>,
    ) {
        let d = template.d;
        let w = if template.second.is_empty() { 2 * d } else { d };
        for (row, dst) in x.outer_iter().zip(self.xc.chunks_exact_mut(w)) {
            for (l, v) in row.iter().enumerate() {
                let c = v - template.shift[l];
                dst[l] = c;
                if w > d {
                    dst[d + l] = c * c;
                }
            }
        }
        for (r, dst) in resp.iter().zip(self.lp.iter_mut()) {
            *dst = *r;
        }
    }
}

/// Runs the E-step on every chunk of `x` in parallel and lets `finish` turn
/// the chunk's log-densities `(rows, k)` into its rows of `out`.
pub(crate) fn map_rows(
    prep: &Prepared,
    x: ArrayView2<f64>,
    mut out: ArrayViewMut2<f64>,
    finish: impl Fn(&mut [f64], ArrayViewMut2<f64>) + Sync,
) {
    let k = prep.k;
    out.axis_chunks_iter_mut(Axis(0), CHUNK)
        .into_par_iter()
        .zip(x.axis_chunks_iter(Axis(0), CHUNK).into_par_iter())
        .for_each_init(
            || Scratch::new(prep),
            |scratch, (o, rows)| {
                let b = rows.nrows();
                scratch.load(prep, rows);
                scratch.log_densities(prep, b);
                finish(&mut scratch.lp[..b * k], o);
            },
        );
}

/// The weighted log-densities `log(w_j N(x_i | j))`, shape (n, k).
pub(crate) fn weighted_log_densities(prep: &Prepared, x: ArrayView2<f64>) -> Array2<f64> {
    let mut out = Array2::zeros((x.nrows(), prep.k));
    map_rows(prep, x, out.view_mut(), |lp, mut o| {
        for (dst, v) in o.iter_mut().zip(lp.iter()) {
            *dst = *v;
        }
    });
    out
}
