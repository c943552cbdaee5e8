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

use super::covariance::{CovarianceType, Covariances};
use super::model::GaussianMixtureModel;
use super::stats::{triangle, width, SufficientStats};
use crate::linalg::{gemm, Layout};
use ndarray::parallel::prelude::*;
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Rows per chunk: the scratch of one chunk (about k d + 2 d + 2 k values per
/// row) stays within the L2 cache for the sizes the benches use.
pub(crate) const CHUNK: usize = 128;

/// Rows per task of accumulated statistics unless the caller chooses.
pub(crate) const DEFAULT_BATCH: usize = 4096;

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
    /// `a`: (k d, d + 1); row j d + c holds column c of U_j, then -b_jc, so
    /// that `a [x - shift, 1]^T` stacks `(x - shift) U_j - b_j` for every j.
    Full { a: Vec<f64> },
    /// `ut`: U^T, (d, d); `offsets`: (k, d).
    Tied { ut: Vec<f64>, offsets: Vec<f64> },
    /// `a`: (k, 2d + 1); row j holds m_j P_j, then -P_j / 2, then c_j.
    Diag { a: Vec<f64> },
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
        Prepared {
            k,
            d,
            shift: shift.to_vec(),
            consts,
            form,
        }
    }

    fn covariance_type(&self) -> CovarianceType {
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
    k: usize,
    d: usize,
    /// Values per loaded row.
    w: usize,
    /// (rows, w): the shifted rows, their squares for diag, and a 1.
    xa: Vec<f64>,
    /// Full: (k d, rows) products, then (rows, d(d+1)/2) upper triangles of the
    /// rows' outer products. Tied: (d, rows) products, then (rows, d) weighted rows.
    g: Vec<f64>,
    /// (k, rows): log-densities, then responsibilities.
    lp: Vec<f64>,
    /// (rows): running maximum, then the normaliser of each row.
    mx: Vec<f64>,
    /// (rows): sum of densities, then its inverse times the sample weight.
    sm: Vec<f64>,
    /// (rows): log-likelihood of each row.
    ll: Vec<f64>,
    /// Full covariances with few components (k d < d(d+1)/2): (d, k d) running
    /// sums of X^T diag(r_j) X over the chunks of a task, folded into the
    /// triangles of the statistics at the end of the task. Else empty.
    zsum: Vec<f64>,
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
    fn load(&mut self, shift: &[f64], x: ArrayView2<f64>) {
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
    fn log_densities(&mut self, prep: &Prepared, b: usize) {
        let (k, d, w) = (self.k, self.d, self.w);
        let lp = &mut self.lp[..k * b];
        match &prep.form {
            Form::Full { a } => {
                let kd = k * d;
                gemm(
                    (kd, d + 1, b),
                    1.0,
                    a,
                    Layout::rows(d + 1),
                    &self.xa,
                    Layout::transposed(w),
                    0.0,
                    &mut self.g,
                    Layout::rows(b),
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
                    ut,
                    Layout::rows(d),
                    &self.xa,
                    Layout::transposed(w),
                    0.0,
                    &mut self.g,
                    Layout::rows(b),
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
                    a,
                    Layout::rows(w),
                    &self.xa,
                    Layout::transposed(w),
                    0.0,
                    lp,
                    Layout::rows(b),
                );
            }
        }
    }

    /// Turns `lp` into responsibilities (times the sample weights) and fills
    /// `ll` with the log-likelihood of each row.
    #[inline(always)]
    fn normalise(&mut self, b: usize, weights: Option<ArrayView1<f64>>) {
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

    /// Adds the statistics of the `b` loaded rows, whose (weighted)
    /// responsibilities are in `lp`, to `stats`.
    #[inline(always)]
    fn accumulate(
        &mut self,
        stats: &mut SufficientStats,
        weights: Option<ArrayView1<f64>>,
        b: usize,
    ) {
        let (k, d, w) = (self.k, self.d, self.w);
        let lp = &self.lp[..k * b];
        // Moments += R xa: first moments, diagonal second moments, resp sums.
        gemm(
            (k, b, w),
            1.0,
            lp,
            Layout::rows(b),
            &self.xa,
            Layout::rows(w),
            1.0,
            &mut stats.moments,
            Layout::rows(w),
        );
        match stats.covariance_type {
            CovarianceType::Full if self.zsum.is_empty() => {
                // Each row's outer product, upper triangle only (P), then
                // second += R P: symmetry halves the flops of X^T diag(r_j) X.
                let t = triangle(d);
                for (p_row, x_row) in self
                    .g
                    .chunks_exact_mut(t)
                    .zip(self.xa.chunks_exact(w))
                    .take(b)
                {
                    let mut offset = 0;
                    for a in 0..d {
                        let xa = x_row[a];
                        for (pv, xv) in p_row[offset..offset + d - a].iter_mut().zip(&x_row[a..d]) {
                            *pv = xa * xv;
                        }
                        offset += d - a;
                    }
                }
                gemm(
                    (k, b, t),
                    1.0,
                    lp,
                    Layout::rows(b),
                    &self.g,
                    Layout::rows(t),
                    1.0,
                    &mut stats.second,
                    Layout::rows(t),
                );
            }
            CovarianceType::Full => {
                // Few components: the triangles would cost more to build than
                // they save, so zsum += Xc^T Z with Z = [diag(r_1) Xc, .., diag(r_k) Xc].
                let kd = k * d;
                for (i, (z_row, x_row)) in self
                    .g
                    .chunks_exact_mut(kd)
                    .zip(self.xa.chunks_exact(w))
                    .take(b)
                    .enumerate()
                {
                    for (j, z) in z_row.chunks_exact_mut(d).enumerate() {
                        let r = lp[j * b + i];
                        for (zv, xv) in z.iter_mut().zip(x_row) {
                            *zv = r * xv;
                        }
                    }
                }
                gemm(
                    (d, b, kd),
                    1.0,
                    &self.xa,
                    Layout::transposed(w),
                    &self.g,
                    Layout::rows(kd),
                    1.0,
                    &mut self.zsum,
                    Layout::rows(kd),
                );
            }
            CovarianceType::Tied => {
                let (z, lz): (&[f64], Layout) = match weights {
                    Some(wts) => {
                        for ((z, x), wi) in self
                            .g
                            .chunks_exact_mut(d)
                            .zip(self.xa.chunks_exact(w))
                            .zip(wts.iter())
                        {
                            for (zv, xv) in z.iter_mut().zip(x) {
                                *zv = wi * xv;
                            }
                        }
                        (&self.g, Layout::rows(d))
                    }
                    None => (&self.xa, Layout::rows(w)),
                };
                gemm(
                    (d, b, d),
                    1.0,
                    &self.xa,
                    Layout::transposed(w),
                    z,
                    lz,
                    1.0,
                    &mut stats.second,
                    Layout::rows(d),
                );
            }
            _ => {}
        }
    }
}

impl Scratch {
    /// Moves the task's running (d, k d) sums into the triangles of `stats`.
    #[inline(always)]
    fn fold_zsum(&mut self, stats: &mut SufficientStats) {
        if self.zsum.is_empty() {
            return;
        }
        let (k, d) = (self.k, self.d);
        let t = triangle(d);
        for j in 0..k {
            let mut idx = j * t;
            for a in 0..d {
                for b in a..d {
                    stats.second[idx] += self.zsum[a * k * d + j * d + b];
                    idx += 1;
                }
            }
        }
        self.zsum.fill(0.0);
    }
}

/// `exp(x)` for `x <= 0` (including -inf), to about 2 ulp, in straight-line
/// code that vectorises: `x = n ln 2 + r` with |r| <= ln 2 / 2, a degree-13
/// Taylor polynomial for `exp(r)`, and `2^n` built in the exponent bits.
/// Values below -708 give 0 (their true value is below 1e-307).
#[inline(always)]
pub(crate) fn exp_nonpositive(x: f64) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0; // 1.5 * 2^52: rounds to integer
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let in_range = x > -708.0;
    let xc = if in_range { x } else { -708.0 };
    let t = xc * std::f64::consts::LOG2_E + MAGIC;
    let n = t - MAGIC;
    let r = (xc - n * LN2_HI) - n * LN2_LO;
    // Horner form of sum r^i / i!, i = 0..=13.
    let mut p = 1.0 / 6_227_020_800.0;
    for inv_fact in [
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ] {
        p = p * r + inv_fact;
    }
    let scale = f64::from_bits(t.to_bits().wrapping_sub(MAGIC.to_bits()).wrapping_add(1023) << 52);
    if in_range {
        p * scale
    } else {
        0.0
    }
}

/// The widest vector instructions the kernels are compiled for on this CPU.
#[derive(Clone, Copy)]
enum Simd {
    Avx512,
    Avx2,
    Baseline,
}

fn simd() -> Simd {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("fma")
        {
            return Simd::Avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return Simd::Avx2;
        }
    }
    Simd::Baseline
}

/// [`task`] compiled for the CPU's vector width (its kernels are
/// `inline(always)` so that they take on the features). The arithmetic is the
/// same elementwise sequence on every path, so the results are too.
fn task_dispatch(
    scratch: &mut Scratch,
    source: Source<'_>,
    template: &SufficientStats,
    x: ArrayView2<f64>,
    weights: Option<ArrayView1<f64>>,
    range: std::ops::Range<usize>,
) -> SufficientStats {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx2,fma")]
        unsafe fn avx512(
            scratch: &mut Scratch,
            source: Source<'_>,
            template: &SufficientStats,
            x: ArrayView2<f64>,
            weights: Option<ArrayView1<f64>>,
            range: std::ops::Range<usize>,
        ) -> SufficientStats {
            task(scratch, source, template, x, weights, range)
        }
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2(
            scratch: &mut Scratch,
            source: Source<'_>,
            template: &SufficientStats,
            x: ArrayView2<f64>,
            weights: Option<ArrayView1<f64>>,
            range: std::ops::Range<usize>,
        ) -> SufficientStats {
            task(scratch, source, template, x, weights, range)
        }
        match simd() {
            // SAFETY: `simd` detected the features.
            Simd::Avx512 => return unsafe { avx512(scratch, source, template, x, weights, range) },
            // SAFETY: as above.
            Simd::Avx2 => return unsafe { avx2(scratch, source, template, x, weights, range) },
            Simd::Baseline => {}
        }
    }
    task(scratch, source, template, x, weights, range)
}

/// [`e_chunk`] compiled for the CPU's vector width.
fn e_chunk_dispatch(
    scratch: &mut Scratch,
    prep: &Prepared,
    rows: ArrayView2<f64>,
    normalise: bool,
) {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx2,fma")]
        unsafe fn avx512(
            scratch: &mut Scratch,
            prep: &Prepared,
            rows: ArrayView2<f64>,
            normalise: bool,
        ) {
            e_chunk(scratch, prep, rows, normalise)
        }
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2(
            scratch: &mut Scratch,
            prep: &Prepared,
            rows: ArrayView2<f64>,
            normalise: bool,
        ) {
            e_chunk(scratch, prep, rows, normalise)
        }
        match simd() {
            // SAFETY: `simd` detected the features.
            Simd::Avx512 => return unsafe { avx512(scratch, prep, rows, normalise) },
            // SAFETY: as above.
            Simd::Avx2 => return unsafe { avx2(scratch, prep, rows, normalise) },
            Simd::Baseline => {}
        }
    }
    e_chunk(scratch, prep, rows, normalise)
}

/// E-step on one chunk: log-densities in `lp`, or with `normalise` the
/// responsibilities in `lp` and the log-likelihoods in `ll`.
#[inline(always)]
fn e_chunk(scratch: &mut Scratch, prep: &Prepared, rows: ArrayView2<f64>, normalise: bool) {
    let b = rows.nrows();
    scratch.load(&prep.shift, rows);
    scratch.log_densities(prep, b);
    if normalise {
        scratch.normalise(b, None);
    }
}

/// Where the responsibilities of a pass come from.
#[derive(Clone, Copy)]
pub(crate) enum Source<'a> {
    /// From an E-step on the prepared model.
    EStep(&'a Prepared),
    /// Each sample wholly to its nearest centre, one centre per row
    /// (initialisation from given or K-means centres).
    Nearest(ArrayView2<'a, f64>),
    /// Uniform random numbers normalised per sample, from a ChaCha8 stream
    /// seeded with this value and positioned by row (random initialisation).
    Random(u64),
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
    let (ctype, k, d) = (template.covariance_type, template.k, template.d);
    let tasks: Vec<usize> = (0..n_tasks).collect();
    for round in tasks.chunks(TASKS_PER_ROUND) {
        let parts: Vec<SufficientStats> = round
            .par_iter()
            .map_init(
                || Scratch::new(ctype, k, d),
                |scratch, &t| {
                    let range = t * batch..((t + 1) * batch).min(n);
                    task_dispatch(scratch, source, template, x, weights, range)
                },
            )
            .collect();
        for part in &parts {
            total.add(part);
        }
    }
    total
}

/// The statistics of the rows in `range`, chunk after chunk.
#[inline(always)]
fn task(
    scratch: &mut Scratch,
    source: Source<'_>,
    template: &SufficientStats,
    x: ArrayView2<f64>,
    weights: Option<ArrayView1<f64>>,
    range: std::ops::Range<usize>,
) -> SufficientStats {
    let k = template.k;
    let mut stats = template.clone();
    let mut start = range.start;
    while start < range.end {
        let end = (start + CHUNK).min(range.end);
        let b = end - start;
        let rows = x.slice(s![start..end, ..]);
        let w = weights.map(|w| w.slice_move(s![start..end]));
        scratch.load(&template.shift, rows);
        match source {
            Source::EStep(p) => {
                scratch.log_densities(p, b);
                scratch.normalise(b, w);
                stats.log_likelihood += match w {
                    Some(w) => scratch.ll[..b]
                        .iter()
                        .zip(w.iter())
                        .map(|(l, w)| l * w)
                        .sum::<f64>(),
                    None => scratch.ll[..b].iter().sum::<f64>(),
                };
            }
            Source::Nearest(centres) => {
                scratch.lp[..k * b].fill(0.0);
                for (i, row) in rows.outer_iter().enumerate() {
                    let nearest = centres
                        .outer_iter()
                        .map(|c| {
                            c.iter()
                                .zip(row)
                                .map(|(a, v)| (a - v) * (a - v))
                                .sum::<f64>()
                        })
                        .enumerate()
                        .fold((0, f64::INFINITY), |best, (j, dist)| {
                            if dist < best.1 {
                                (j, dist)
                            } else {
                                best
                            }
                        });
                    scratch.lp[nearest.0 * b + i] = w.map_or(1.0, |w| w[i]);
                }
            }
            Source::Random(seed) => {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                for i in 0..b {
                    // Two 32-bit words per f64, k numbers per row.
                    rng.set_word_pos(2 * (k * (start + i)) as u128);
                    let mut sum = 0.0;
                    for j in 0..k {
                        let u: f64 = rng.random();
                        scratch.lp[j * b + i] = u;
                        sum += u;
                    }
                    let scale = w.map_or(1.0, |w| w[i]) / sum;
                    for j in 0..k {
                        scratch.lp[j * b + i] *= scale;
                    }
                }
            }
        }
        stats.weight += w.map_or(b as f64, |w| w.sum());
        scratch.accumulate(&mut stats, w, b);
        start = end;
    }
    scratch.fold_zsum(&mut stats);
    stats
}

/// Runs the E-step on every chunk of `x` in parallel (normalised or not) and
/// lets `finish` write the chunk's rows of `out` from the scratch.
fn map_rows(
    prep: &Prepared,
    x: ArrayView2<f64>,
    mut out: ArrayViewMut2<f64>,
    normalise: bool,
    finish: impl Fn(&Scratch, usize, ArrayViewMut2<f64>) + Sync,
) {
    out.axis_chunks_iter_mut(Axis(0), CHUNK)
        .into_par_iter()
        .zip(x.axis_chunks_iter(Axis(0), CHUNK).into_par_iter())
        .for_each_init(
            || Scratch::new(prep.covariance_type(), prep.k, prep.d),
            |scratch, (o, rows)| {
                e_chunk_dispatch(scratch, prep, rows, normalise);
                finish(scratch, rows.nrows(), o);
            },
        );
}

/// Copies the component-major `(k, b)` array `lp` into the rows of `out`.
fn write_rows(lp: &[f64], b: usize, mut out: ArrayViewMut2<f64>) {
    for (j, col) in out.columns_mut().into_iter().enumerate() {
        col.into_iter()
            .zip(&lp[j * b..(j + 1) * b])
            .for_each(|(d, v)| *d = *v);
    }
}

/// The weighted log-densities `log(w_j N(x_i | j))`, shape (n, k).
pub(crate) fn weighted_log_densities(prep: &Prepared, x: ArrayView2<f64>) -> Array2<f64> {
    let mut out = Array2::zeros((x.nrows(), prep.k));
    map_rows(prep, x, out.view_mut(), false, |s, b, o| {
        write_rows(&s.lp, b, o)
    });
    out
}

/// Posterior probabilities of the components, shape (n, k).
pub(crate) fn responsibilities(prep: &Prepared, x: ArrayView2<f64>) -> Array2<f64> {
    let mut out = Array2::zeros((x.nrows(), prep.k));
    map_rows(prep, x, out.view_mut(), true, |s, b, o| {
        write_rows(&s.lp, b, o)
    });
    out
}

/// Log-likelihood of each sample, shape (n).
pub(crate) fn log_likelihoods(prep: &Prepared, x: ArrayView2<f64>) -> Array1<f64> {
    let mut out = Array2::zeros((x.nrows(), 1));
    map_rows(prep, x, out.view_mut(), true, |s, b, mut o| {
        o.iter_mut().zip(&s.ll[..b]).for_each(|(d, v)| *d = *v);
    });
    out.remove_axis(Axis(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array3};

    /// Both ways of accumulating full second moments (triangles of outer
    /// products for many components, weighted products for few) give the
    /// sums of (x - shift)(x - shift)^T over each component's samples.
    #[test]
    #[allow(clippy::needless_range_loop)] // index loops mirror the formula
    fn full_second_moments_for_many_and_few_components() {
        for (k, d) in [(3, 3), (2, 6)] {
            let n = 200;
            let x =
                Array2::from_shape_fn((n, d), |(i, l)| ((i * 13 + l * 7) % 17) as f64 * 0.21 - 1.0);
            let centres = x.slice(s![..k, ..]).to_owned();
            let shift: Vec<f64> = (0..d).map(|l| 0.1 * l as f64).collect();
            let template = SufficientStats::zeros(CovarianceType::Full, k, &shift);
            let mut scratch = Scratch::new(CovarianceType::Full, k, d);
            assert_eq!(scratch.zsum.is_empty(), k * d >= d * (d + 1) / 2);
            let stats = task(
                &mut scratch,
                Source::Nearest(centres.view()),
                &template,
                x.view(),
                None,
                0..n,
            );
            let mut want = vec![vec![vec![0.0; d]; d]; k];
            for row in x.outer_iter() {
                let dist = |j: usize| {
                    (0..d)
                        .map(|l| (row[l] - centres[[j, l]]).powi(2))
                        .sum::<f64>()
                };
                let j = (0..k).fold(0, |best, j| if dist(j) < dist(best) { j } else { best });
                for a in 0..d {
                    for b in 0..d {
                        want[j][a][b] += (row[a] - shift[a]) * (row[b] - shift[b]);
                    }
                }
            }
            let t = d * (d + 1) / 2;
            for j in 0..k {
                let mut idx = j * t;
                for a in 0..d {
                    for b in a..d {
                        let got = stats.second[idx];
                        assert!(
                            (got - want[j][a][b]).abs() <= 1e-12 * want[j][a][a].abs().max(1.0),
                            "{k} {d}"
                        );
                        idx += 1;
                    }
                }
            }
        }
    }

    /// The vector paths do the same arithmetic as the baseline path, bit for bit.
    #[test]
    fn every_vector_width_gives_the_same_statistics() {
        let x = Array2::from_shape_fn((300, 3), |(i, l)| {
            ((i * 7 + l * 3) % 11) as f64 * 0.37 - 1.5
        });
        let means = array![[0.0, 0.0, 0.0], [1.0, -1.0, 0.5]];
        let covs = [
            Covariances::Full(Array3::from_shape_fn((2, 3, 3), |(j, a, b)| {
                if a == b {
                    1.0 + j as f64
                } else {
                    0.3
                }
            })),
            Covariances::Tied(array![[1.0, 0.2, 0.0], [0.2, 2.0, 0.1], [0.0, 0.1, 0.5]]),
            Covariances::Diag(array![[1.0, 2.0, 0.5], [0.3, 1.0, 1.0]]),
            Covariances::Spherical(array![1.0, 0.4]),
        ];
        for c in covs {
            let ctype = c.covariance_type();
            let model = GaussianMixtureModel::new(array![0.3, 0.7], means.clone(), c).unwrap();
            let shift = [0.1, 0.2, -0.3];
            let prep = Prepared::new(&model, &shift);
            let template = SufficientStats::zeros(ctype, 2, &shift);
            let mut s1 = Scratch::new(ctype, 2, 3);
            let mut s2 = Scratch::new(ctype, 2, 3);
            let base = task(
                &mut s1,
                Source::EStep(&prep),
                &template,
                x.view(),
                None,
                0..300,
            );
            let fast = task_dispatch(
                &mut s2,
                Source::EStep(&prep),
                &template,
                x.view(),
                None,
                0..300,
            );
            assert_eq!(base, fast, "{ctype}");
        }
    }

    #[test]
    fn fast_exp_matches_std_to_a_few_ulp() {
        let mut x = 0.0;
        while x > -720.0 {
            let (got, want) = (exp_nonpositive(x), x.exp());
            if x > -708.0 {
                assert!(
                    (got - want).abs() <= 4.0 * f64::EPSILON * want,
                    "{x}: {got} vs {want}"
                );
            } else {
                assert!(got == 0.0 && want < 1e-307);
            }
            x -= 0.013_7;
        }
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert_eq!(exp_nonpositive(f64::NEG_INFINITY), 0.0);
    }
}
