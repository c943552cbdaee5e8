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
//! | full `log_densities`: GEMM `(k d) x (d+1)`, then squares (fused: the product stays in registers) | `2 k d (d+1) + 2 k d + 2 k` | |
//! | tied `log_densities`: GEMM `d x d`, then offsets and squares | `2 d^2 + 3 k d + 2 k` | |
//! | diag `log_densities`: GEMM `k x (2d+1)` | `2 k (2d+1)` | |
//! | `normalise` (shift, sum, scale; one `ln` per row; `k` comparisons) | `3 k + 2` | `k` |
//!
//! Bytes moved from memory: the `8 d` bytes of each row (`4 d` for `f32`
//! data), read once per pass; every other array (coefficients, `k d (d+1)`
//! values for full, and the chunk's scratch) is reused across the `CHUNK`
//! rows and stays in cache.
//!
//! # float32
//! For `f32` data the rows are centred (in `f64`, then rounded) and the
//! E-step runs in `f32` ([`Float`]): the GEMMs, the squared norms, the
//! log-densities, their maximum, the exps (16 lanes with AVX-512) and the
//! responsibilities, which are the `f32` operands of the M-step's products
//! with the rows; those products' chunk results are added into the `f64`
//! statistics. Each row's log-likelihood is formed in `f64` from its `f32`
//! maximum and sum of exps (`max + ln sum`) and summed in `f64`.
//! Responsibilities below [`FLUSH`] are 0 (exps below it are not computed),
//! so no product is subnormal.

use super::covariance::{CovarianceType, Covariances};
use super::stats::{triangle, width};
use super::transpose::transpose;
use crate::data::Element;
use crate::linalg::{small_gemm_at, small_gemm_square_sums_at, Gemm, Mat, MatMut};
use crate::simd::{exp_nonpositive, exp_nonpositive_f32, has_fma, ln, prefetch, Level};
use ndarray::{ArrayView1, ArrayView2};
use std::ops::{Add, Div, Mul, Sub};

/// Responsibilities below this (2^-64) become 0 before they multiply `f32`
/// rows: a product of one with a centred value or a square above 2^-62
/// stays a normal `f32` (denormals are many times slower on x86), and
/// what is dropped is far below `f32`'s resolution of any sum it joins.
pub(crate) const FLUSH: f64 = 5.421_010_862_427_522e-20;

/// ln [`FLUSH`] = -64 ln 2 (to `f32` precision): exps of `f32`
/// log-densities below it (relative to the row's largest) are 0, and the
/// few just above it that still come out below [`FLUSH`] are flushed with
/// the responsibilities.
const LN_FLUSH: f32 = -44.361_42;

/// The element type the E-step and the products with the rows run in:
/// `f64`, or `f32` for `f32` data. The statistics and the log-likelihoods
/// are `f64` either way.
pub(crate) trait Float:
    Element
    + Gemm
    + Default
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
{
    /// The E-step coefficients in this type.
    fn form(c: &Coefficients) -> &Form<Self>;

    /// `exp(x)` of a log-density minus its row's largest (`x <= 0`); `F`:
    /// with fused multiply-adds. `f32`: 0 below [`LN_FLUSH`].
    fn exp_shifted<const F: bool>(x: Self) -> Self;

    /// A responsibility as an operand of the products with the rows: for
    /// `f32` 0 below [`FLUSH`] (`f64`: unchanged).
    fn operand(r: Self) -> Self;

    /// The values as `f64`: `v` itself for `f64`, else widened into `buffer`.
    fn widen<'s>(v: &'s [Self], buffer: &'s mut Vec<f64>) -> &'s [f64];

    /// `out = a b` (or `out += a b` with `add`), `out` (m, n) row-major in
    /// `f64`: one GEMM for `f64`; for `f32` a GEMM into `part`, then added
    /// into `out` in `f64`. The products run at `level`.
    fn gemm_into_f64(
        level: Level,
        dims: (usize, usize, usize),
        a: Mat<'_, Self>,
        b: Mat<'_, Self>,
        add: bool,
        out: &mut [f64],
        part: &mut Vec<Self>,
    );

    /// `moments += r xa` for the `b` loaded rows: `r` (k, b) the
    /// responsibilities, `xa` (b, w) the rows, whose last column is 1 (so
    /// the product's last column holds the responsibility sums), `moments`
    /// (k, w). `f64`: one GEMM. `f32`: a GEMM over the first `w - 1`
    /// columns (whole 32-column AVX-512 tiles for d = 16, where the 1s
    /// would take a tile of their own) and the sums in 16 lanes.
    fn add_moments(
        level: Level,
        dims: (usize, usize, usize),
        r: &[Self],
        xa: &[Self],
        moments: &mut [f64],
        part: &mut Vec<Self>,
    );
}

impl Float for f64 {
    fn form(c: &Coefficients) -> &Form<f64> {
        &c.form
    }

    #[inline(always)]
    fn exp_shifted<const F: bool>(x: f64) -> f64 {
        exp_nonpositive::<F>(x)
    }

    #[inline(always)]
    fn operand(r: f64) -> f64 {
        r
    }

    fn widen<'s>(v: &'s [f64], _: &'s mut Vec<f64>) -> &'s [f64] {
        v
    }

    #[inline(always)]
    fn gemm_into_f64(
        level: Level,
        (m, k, n): (usize, usize, usize),
        a: Mat<'_, f64>,
        b: Mat<'_, f64>,
        add: bool,
        out: &mut [f64],
        _: &mut Vec<f64>,
    ) {
        small_gemm_at(level, (m, k, n), a, b, add, MatMut::rows(out, n));
    }

    #[inline(always)]
    fn add_moments(
        level: Level,
        (k, b, w): (usize, usize, usize),
        r: &[f64],
        xa: &[f64],
        moments: &mut [f64],
        part: &mut Vec<f64>,
    ) {
        Self::gemm_into_f64(
            level,
            (k, b, w),
            Mat::rows(r, b),
            Mat::rows(xa, w),
            true,
            moments,
            part,
        );
    }
}

impl Float for f32 {
    fn form(c: &Coefficients) -> &Form<f32> {
        &c.form32
    }

    #[inline(always)]
    fn exp_shifted<const F: bool>(x: f32) -> f32 {
        if x < LN_FLUSH {
            0.0
        } else {
            exp_nonpositive_f32::<F>(x)
        }
    }

    #[inline(always)]
    fn operand(r: f32) -> f32 {
        if r < FLUSH as f32 {
            0.0
        } else {
            r
        }
    }

    fn widen<'s>(v: &'s [f32], buffer: &'s mut Vec<f64>) -> &'s [f64] {
        buffer.clear();
        buffer.extend(v.iter().map(|&x| f64::from(x)));
        buffer
    }

    #[inline(always)]
    fn gemm_into_f64(
        level: Level,
        (m, k, n): (usize, usize, usize),
        a: Mat<'_, f32>,
        b: Mat<'_, f32>,
        add: bool,
        out: &mut [f64],
        part: &mut Vec<f32>,
    ) {
        part.resize(m * n, 0.0);
        small_gemm_at(level, (m, k, n), a, b, false, MatMut::rows(part, n));
        let out = &mut out[..m * n];
        if add {
            out.iter_mut()
                .zip(part.iter())
                .for_each(|(o, &p)| *o += f64::from(p));
        } else {
            out.iter_mut()
                .zip(part.iter())
                .for_each(|(o, &p)| *o = f64::from(p));
        }
    }

    #[inline(always)]
    fn add_moments(
        level: Level,
        (k, b, w): (usize, usize, usize),
        r: &[f32],
        xa: &[f32],
        moments: &mut [f64],
        part: &mut Vec<f32>,
    ) {
        let n = w - 1;
        part.resize(k * n, 0.0);
        small_gemm_at(
            level,
            (k, b, n),
            Mat::rows(r, b),
            Mat::rows(xa, w),
            false,
            MatMut::rows(part, n),
        );
        for ((m_j, p_j), r_j) in moments
            .chunks_exact_mut(w)
            .zip(part.chunks_exact(n))
            .zip(r.chunks_exact(b))
        {
            for (m, &p) in m_j.iter_mut().zip(p_j) {
                *m += f64::from(p);
            }
            m_j[n] += f64::from(lane_sum(r_j));
        }
    }
}

/// The sum of `v` in 16 lanes (one AVX-512 register of `f32`), the lanes
/// then added in order: the same bits at every vector level.
#[inline(always)]
fn lane_sum(v: &[f32]) -> f32 {
    const LANES: usize = 16;
    let mut acc = [0.0f32; LANES];
    let whole = v.chunks_exact(LANES);
    let rest = whole.remainder();
    for c in whole {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += x;
        }
    }
    for (a, &x) in acc.iter_mut().zip(rest) {
        *a += x;
    }
    acc.iter().fold(0.0, |s, &a| s + a)
}

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
    form: Form<f64>,
    /// `form` rounded to `f32`, for `f32` data.
    form32: Form<f32>,
}

/// The coefficients multiplied with the rows, by covariance type.
pub(crate) enum Form<T> {
    /// `a`: (k d, d + 1); row j d + c holds column c of U_j, then -b_jc, so
    /// that `a [x - shift, 1]^T` stacks `(x - shift) U_j - b_j` for every j.
    Full { a: Vec<T> },
    /// `ut`: U^T, (d, d); `offsets`: (k, d).
    Tied { ut: Vec<T>, offsets: Vec<T> },
    /// `at`: (2d + 1, k); column j holds m_j P_j, then -P_j / 2, then c_j.
    Diag { at: Vec<T> },
}

impl Form<f64> {
    /// The same coefficients rounded to `f32`.
    fn to_f32(&self) -> Form<f32> {
        let round = |v: &Vec<f64>| v.iter().map(|&x| x as f32).collect();
        match self {
            Form::Full { a } => Form::Full { a: round(a) },
            Form::Tied { ut, offsets } => Form::Tied {
                ut: round(ut),
                offsets: round(offsets),
            },
            Form::Diag { at } => Form::Diag { at: round(at) },
        }
    }
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
                let mut at = vec![0.0; (2 * d + 1) * k];
                for j in 0..k {
                    for l in 0..d {
                        let u = factor(j, l);
                        let prec = u * u;
                        at[l * k + j] = m(j, l) * prec;
                        at[(d + l) * k + j] = -0.5 * prec;
                        consts[j] += u.ln() - 0.5 * m(j, l) * m(j, l) * prec;
                    }
                    at[2 * d * k + j] = consts[j];
                }
                Form::Diag { at }
            }
        };
        Coefficients {
            k,
            d,
            shift: shift.to_vec(),
            consts,
            form32: form.to_f32(),
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

/// Buffers of one worker, reused across chunks, for rows of type `T`.
/// Per-component arrays are stored component-major, `(k, rows)`, so that the
/// log-sum-exp runs along contiguous rows and vectorises.
pub(crate) struct Scratch<T = f64> {
    /// The vector level the kernel that uses these buffers runs at, which
    /// its products run at too.
    pub(super) level: Level,
    pub(super) k: usize,
    pub(super) d: usize,
    /// Values per loaded row.
    pub(super) w: usize,
    /// (rows, w): the shifted rows, their squares for diag, and a 1.
    pub(super) xa: Vec<T>,
    /// Full and tied: (w, rows), `xa` transposed, the row-major operand of
    /// the E-step products; full: the rows from which the outer products are
    /// built. Diag and spherical: empty (their products take `xa` as it is).
    pub(super) xt: Vec<T>,
    /// Full: (k d, rows) products (on CPUs without FMA; with it their squares
    /// are summed in registers), then (d(d+1)/2, rows) upper triangles of the
    /// rows' outer products, one row per pair of features. Tied: (d, rows)
    /// products, then (rows, d) weighted rows. Diag: (rows, k) log-densities,
    /// row-major, before they are turned into `lp`.
    pub(super) g: Vec<T>,
    /// (k, rows): log-densities, then responsibilities.
    pub(super) lp: Vec<T>,
    /// (rows): running maximum of the log-densities.
    pub(super) mx: Vec<T>,
    /// (rows): sum of densities, then its inverse times the sample weight.
    pub(super) sm: Vec<T>,
    /// (rows): log-likelihood of each row.
    pub(super) ll: Vec<f64>,
    /// Full covariances with few components (k d < d(d+1)/2): (d, k d) running
    /// sums of X^T diag(r_j) X over the chunks of a task, folded into the
    /// triangles of the statistics at the end of the task. Else empty.
    pub(super) zsum: Vec<f64>,
    /// Full covariances with many components (k d >= d(d+1)/2): (rows, k)
    /// responsibilities (of `lp`, as operands), the right operand of the
    /// second moments' product. Else empty.
    pub(super) rt: Vec<T>,
    /// Full covariances with many components: (d(d+1)/2, k) running sums of
    /// the second moments over the chunks of a task, transposed, folded into
    /// the statistics at the end of the task. Else empty.
    pub(super) st: Vec<f64>,
    /// `f32` only: one product of a chunk before it is added in `f64`.
    pub(super) part: Vec<T>,
}

impl<T: Float> Scratch<T> {
    pub(crate) fn new(level: Level, covariance_type: CovarianceType, k: usize, d: usize) -> Self {
        let w = width(covariance_type, d);
        let g = match covariance_type {
            CovarianceType::Full => (k * d).max(triangle(d)),
            CovarianceType::Tied => d,
            CovarianceType::Diag | CovarianceType::Spherical => k,
        };
        let diag = matches!(
            covariance_type,
            CovarianceType::Diag | CovarianceType::Spherical
        );
        let full_by_triangles = covariance_type == CovarianceType::Full && k * d >= triangle(d);
        Scratch {
            level,
            k,
            d,
            w,
            xa: vec![T::default(); CHUNK * w],
            xt: if diag {
                Vec::new()
            } else {
                vec![T::default(); CHUNK * w]
            },
            g: vec![T::default(); CHUNK * g],
            lp: vec![T::default(); CHUNK * k],
            mx: vec![T::default(); CHUNK],
            sm: vec![T::default(); CHUNK],
            ll: vec![0.0; CHUNK],
            zsum: if covariance_type == CovarianceType::Full && !full_by_triangles {
                vec![0.0; d * k * d]
            } else {
                Vec::new()
            },
            rt: if full_by_triangles {
                vec![T::default(); CHUNK * k]
            } else {
                Vec::new()
            },
            st: if full_by_triangles {
                vec![0.0; triangle(d) * k]
            } else {
                Vec::new()
            },
            part: Vec::new(),
        }
    }

    /// Copies the rows of `x` (at most CHUNK), shifted (in `f64`, then
    /// rounded to `T`), into `xa` (diag: and their squares), and for full
    /// and tied transposed into `xt`.
    #[inline(always)]
    pub(super) fn load(&mut self, shift: &[f64], x: ArrayView2<T>) {
        let (d, w) = (self.d, self.w);
        match x.as_slice() {
            // Rows in pieces of 8 features, or of 16 for rows of 16 (whole
            // rows in vector registers); a loop over a row of unknown length
            // took a third of the diag E-step's time outside the GEMMs.
            Some(rows) if d == 16 => self.load_rows::<16>(shift, rows),
            Some(rows) => self.load_rows::<8>(shift, rows),
            None => {
                for (row, dst) in x.outer_iter().zip(self.xa.chunks_exact_mut(w)) {
                    let (lin, rest) = dst.split_at_mut(d);
                    for ((out, &v), &s) in lin.iter_mut().zip(row.iter()).zip(shift) {
                        *out = centre(v, s);
                    }
                    if w > d + 1 {
                        for (q, &v) in rest.iter_mut().zip(lin.iter()) {
                            *q = v * v;
                        }
                    }
                    dst[w - 1] = T::ONE;
                }
            }
        }
        if self.xt.is_empty() {
            return;
        }
        let b = x.nrows();
        transpose(self.level, &self.xa[..b * w], &mut self.xt[..w * b], b);
    }

    /// [`Scratch::load`] of rows stored one after another, in pieces of `P`
    /// features loaded whole, the features past the last whole piece one by one.
    #[inline(always)]
    fn load_rows<const P: usize>(&mut self, shift: &[f64], rows: &[T]) {
        let (d, w) = (self.d, self.w);
        let squares = w > d + 1;
        let whole = d / P * P;
        for (r, dst) in rows.chunks_exact(d).zip(self.xa.chunks_exact_mut(w)) {
            let (lin, rest) = dst.split_at_mut(d);
            for p in (0..whole).step_by(P) {
                let sq = squares.then(|| &mut rest[p..p + P]);
                let (r, shift) = (&r[p..p + P], &shift[p..p + P]);
                centre_piece::<T, P>(r, shift, &mut lin[p..p + P], sq);
            }
            for l in whole..d {
                let c = centre(r[l], shift[l]);
                lin[l] = c;
                if squares {
                    rest[l] = c * c;
                }
            }
            dst[w - 1] = T::ONE;
        }
    }

    /// `lp` = log(w_j N(x_i | j)) for the `b` loaded rows, component-major.
    #[inline(always)]
    pub(super) fn log_densities(&mut self, prep: &Coefficients, b: usize) {
        let (k, d, w, level) = (self.k, self.d, self.w, self.level);
        let lp = &mut self.lp[..k * b];
        let xt = || Mat::rows(&self.xt[..w * b], b);
        match T::form(prep) {
            Form::Full { a } => {
                let kd = k * d;
                if has_fma() {
                    let a = Mat::rows(a, d + 1);
                    small_gemm_square_sums_at(level, (kd, d + 1, b), d, a, xt(), lp);
                } else {
                    small_gemm_at(
                        level,
                        (kd, d + 1, b),
                        Mat::rows(a, d + 1),
                        xt(),
                        false,
                        MatMut::rows(&mut self.g, b),
                    );
                    for (lp_j, g_j) in lp.chunks_exact_mut(b).zip(self.g.chunks_exact(d * b)) {
                        lp_j.fill(T::default());
                        for g_jl in g_j.chunks_exact(b) {
                            for (acc, &v) in lp_j.iter_mut().zip(g_jl) {
                                *acc = *acc + v * v;
                            }
                        }
                    }
                }
                for (lp_j, &c) in lp.chunks_exact_mut(b).zip(&prep.consts) {
                    let (c, half) = (T::from_f64(c), T::from_f64(0.5));
                    for v in lp_j.iter_mut() {
                        *v = c - half * *v;
                    }
                }
            }
            Form::Tied { ut, offsets } => {
                small_gemm_at(
                    level,
                    (d, d, b),
                    Mat::rows(ut, d),
                    xt(),
                    false,
                    MatMut::rows(&mut self.g, b),
                );
                for ((lp_j, off), &c) in lp
                    .chunks_exact_mut(b)
                    .zip(offsets.chunks_exact(d))
                    .zip(&prep.consts)
                {
                    lp_j.fill(T::default());
                    for (g_l, &o) in self.g.chunks_exact(b).zip(off) {
                        for (acc, &v) in lp_j.iter_mut().zip(g_l) {
                            let t = v - o;
                            *acc = *acc + t * t;
                        }
                    }
                    let (c, half) = (T::from_f64(c), T::from_f64(0.5));
                    for v in lp_j.iter_mut() {
                        *v = c - half * *v;
                    }
                }
            }
            Form::Diag { at } => {
                // (rows, k) = xa A^T from the rows as loaded (no transposed
                // copy of the chunk), then component-major into `lp`. Each
                // value is the FMA chain of A xa^T, so the bits do not
                // depend on the orientation.
                let g = &mut self.g[..b * k];
                small_gemm_at(
                    level,
                    (b, w, k),
                    Mat::rows(&self.xa[..b * w], w),
                    Mat::rows(at, k),
                    false,
                    MatMut::rows(g, k),
                );
                transpose(level, g, lp, b);
            }
        }
    }

    /// Turns `lp` into responsibilities (times the sample weights) and fills
    /// `ll` with the log-likelihood of each row, prefetching the values of
    /// `ahead` (the rows of the next chunk, or none) on the way: the chunk's
    /// exps then hide the time those rows take to come from memory, which
    /// `load` would otherwise wait for. With `operands`, the
    /// responsibilities are made [`Float::operand`]s as they are scaled,
    /// in the same pass (not one of their own, with masked stores).
    #[inline(always)]
    pub(super) fn normalise(
        &mut self,
        b: usize,
        weights: Option<ArrayView1<f64>>,
        ahead: &[T],
        operands: bool,
    ) {
        let k = self.k;
        let lp = &mut self.lp[..k * b];
        let (mx, sm) = (&mut self.mx[..b], &mut self.sm[..b]);
        mx.copy_from_slice(&lp[..b]);
        for lp_j in lp.chunks_exact(b).skip(1) {
            for (m, &v) in mx.iter_mut().zip(lp_j) {
                *m = if v > *m { v } else { *m };
            }
        }
        sm.fill(T::default());
        let ll = &mut self.ll[..b];
        if has_fma() {
            exps::<T, true>(lp, mx, sm, ll, ahead);
        } else {
            exps::<T, false>(lp, mx, sm, ll, ahead);
        }
        for s in sm.iter_mut() {
            *s = T::ONE / *s;
        }
        if let Some(w) = weights {
            for (s, &wi) in sm.iter_mut().zip(w.iter()) {
                *s = *s * T::from_f64(wi);
            }
        }
        for lp_j in lp.chunks_exact_mut(b) {
            for (v, &s) in lp_j.iter_mut().zip(sm.iter()) {
                let r = *v * s;
                *v = if operands { T::operand(r) } else { r };
            }
        }
    }
}

/// `v - s` in `f64`, rounded to `T`: a value of a row centred.
#[inline(always)]
fn centre<T: Float>(v: T, s: f64) -> T {
    T::from_f64(v.into() - s)
}

/// `N` values of a row centred into `lin`, and their squares into `sq`
/// when given, loaded and stored as whole arrays.
#[inline(always)]
fn centre_piece<T: Float, const N: usize>(
    r: &[T],
    shift: &[f64],
    lin: &mut [T],
    sq: Option<&mut [T]>,
) {
    let (r, shift): (&[T; N], &[f64; N]) = (r.try_into().unwrap(), shift.try_into().unwrap());
    let c: [T; N] = std::array::from_fn(|l| centre(r[l], shift[l]));
    lin.copy_from_slice(&c);
    if let Some(sq) = sq {
        let squares: [T; N] = std::array::from_fn(|l| c[l] * c[l]);
        sq.copy_from_slice(&squares);
    }
}

/// `lp_j = exp(lp_j - mx)` for each component's row `lp_j` of `lp`, their
/// sums over the components in `sm` (which starts at 0), and the rows'
/// log-likelihoods `ll = mx + ln(sm)` in `f64`; `F`: with fused
/// multiply-adds (for CPUs that have them). The cache lines of
/// `ahead` are prefetched a few before each component, so that the
/// requests go out among the exps (all at once, they would fill the
/// line-fill buffers and stall them).
#[inline(always)]
fn exps<T: Float, const F: bool>(
    lp: &mut [T],
    mx: &[T],
    sm: &mut [T],
    ll: &mut [f64],
    ahead: &[T],
) {
    let lines = std::mem::size_of_val(ahead).div_ceil(64);
    let k = lp.len() / mx.len().max(1);
    let per = lines.div_ceil(k.max(1));
    let at: *const u8 = ahead.as_ptr().cast();
    for (j, lp_j) in lp.chunks_exact_mut(mx.len()).enumerate() {
        for line in j * per..((j + 1) * per).min(lines) {
            prefetch(at.wrapping_add(64 * line));
        }
        for ((v, &m), s) in lp_j.iter_mut().zip(mx).zip(sm.iter_mut()) {
            let e = T::exp_shifted::<F>(*v - m);
            *v = e;
            *s = *s + e;
        }
    }
    for ((l, &m), &s) in ll.iter_mut().zip(mx).zip(sm.iter()) {
        *l = m.into() + ln::<F>(s.into());
    }
}

#[cfg(test)]
mod tests {
    use super::{CovarianceType, Scratch};
    use ndarray::{s, Array2};

    /// Every way `load` takes rows (one piece of 16, pieces of 8 with and
    /// without a rest, fewer than 8) and rows that are not stored one after another give
    /// each row centred, then (diag) its squares, then a 1: the values
    /// computed here one by one in `f64`.
    #[test]
    fn load_centres_and_squares_rows_of_every_width() {
        for d in [1, 3, 8, 11, 16, 24] {
            let b = 13;
            let x =
                Array2::from_shape_fn((b, 2 * d), |(i, l)| (i * 31 + l * 7) as f64 * 0.37 - 9.0);
            let shift: Vec<f64> = (0..d).map(|l| 0.25 * l as f64 - 1.0).collect();
            let contiguous = x.slice(s![.., ..d]).to_owned();
            let strided = x.slice(s![.., ..;2]);
            for (rows, label) in [(contiguous.view(), "contiguous"), (strided, "strided")] {
                for ctype in [CovarianceType::Diag, CovarianceType::Full] {
                    let mut scratch = Scratch::<f64>::new(crate::simd::level(), ctype, 2, d);
                    scratch.load(&shift, rows);
                    let w = scratch.w;
                    for (i, got) in scratch.xa.chunks_exact(w).take(b).enumerate() {
                        let centred: Vec<f64> = (0..d).map(|l| rows[[i, l]] - shift[l]).collect();
                        let mut want = centred.clone();
                        if ctype == CovarianceType::Diag {
                            want.extend(centred.iter().map(|c| c * c));
                        }
                        want.push(1.0);
                        assert_eq!(got, &want[..], "d={d} {label} {ctype:?} row {i}");
                    }
                }
            }
        }
    }
}
