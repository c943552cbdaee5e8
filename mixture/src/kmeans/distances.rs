//! The hot loop: dot products of rows with every centre, turned into
//!
//! ```text
//! v(x, c) = ||c||^2 - 2 x.c        (so ||x - c||^2 = ||x||^2 + v(x, c))
//! ```
//!
//! Centres are packed in tiles of `TILE`, feature-major, so that one load
//! gives a feature of `TILE` centres. On x86-64 with AVX2, blocks of four
//! rows run against a whole tile in registers (8 accumulators of 4 lanes)
//! and the running minimum stays in vector registers. Each `v` is the same
//! sequence of multiplications and additions (no fused multiply-add) on
//! every path, so AVX2 and portable code give bitwise the same numbers. The
//! path follows the crate's [`simd`](crate::simd) level. With AVX-512,
//! [`nearest`] runs blocks of eight rows against a tile held in one 8-lane
//! register, twice the work per instruction of AVX2, with the same
//! operations per lane, so the same bits.
//!
//! Work per row for `k` centres of `d` features (`k` rounded up to a
//! multiple of `TILE`): `2 k d` flops for the dot products, `2 k` for
//! `||c||^2 - 2 x.c`, and `k` comparisons for the minimum. Bytes moved from
//! memory: the row's `8 d`; the packed centres (`8 k d + 8 k`) stay in L1.

use crate::simd::{self, Level};
use ndarray::ArrayView2;

/// Centres per tile.
const TILE: usize = 8;

/// Centres packed for the kernel, with their squared norms.
#[derive(Debug, Clone)]
pub(crate) struct PackedCentres {
    k: usize,
    d: usize,
    /// Tile `t`, feature `j`, lane `q` at `(t * d + j) * TILE + q`; padding lanes are 0.
    tiles: Vec<f64>,
    /// `||c||^2`, padded with +inf so that padding lanes never win.
    sq_norms: Vec<f64>,
    /// The centres rounded to `f32`, same layout, for `f32` data.
    tiles32: Vec<f32>,
    /// `||c||^2` of the rounded centres, in `f32`.
    sq_norms32: Vec<f32>,
}

impl PackedCentres {
    /// Packs `centres` (k x d).
    pub fn new(centres: ArrayView2<f64>) -> Self {
        let mut packed = Self {
            k: 0,
            d: 0,
            tiles: Vec::new(),
            sq_norms: Vec::new(),
            tiles32: Vec::new(),
            sq_norms32: Vec::new(),
        };
        packed.repack(centres);
        packed
    }

    /// Packs new centres into the same buffers.
    pub fn repack(&mut self, centres: ArrayView2<f64>) {
        let (k, d) = centres.dim();
        let n_tiles = k.div_ceil(TILE);
        self.k = k;
        self.d = d;
        self.tiles.clear();
        self.tiles.resize(n_tiles * d * TILE, 0.0);
        self.sq_norms.clear();
        self.sq_norms.resize(n_tiles * TILE, f64::INFINITY);
        for (c, row) in centres.rows().into_iter().enumerate() {
            let (t, q) = (c / TILE, c % TILE);
            for (j, &v) in row.iter().enumerate() {
                self.tiles[(t * d + j) * TILE + q] = v;
            }
            self.sq_norms[c] = sq_norm(row.iter());
        }
        self.tiles32.clear();
        self.tiles32.extend(self.tiles.iter().map(|&v| v as f32));
        self.sq_norms32.clear();
        self.sq_norms32.resize(n_tiles * TILE, f32::INFINITY);
        for (c, row) in centres.rows().into_iter().enumerate() {
            self.sq_norms32[c] = sq_norm(row.iter().map(|&v| v as f32));
        }
    }

    /// The packed centres and their squared norms.
    fn f64s(&self) -> (&[f64], &[f64]) {
        (&self.tiles, &self.sq_norms)
    }

    /// The packed centres and their squared norms, rounded to `f32`.
    fn f32s(&self) -> (&[f32], &[f32]) {
        (&self.tiles32, &self.sq_norms32)
    }

    /// Number of centres.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Number of features.
    pub fn d(&self) -> usize {
        self.d
    }
}

/// `||x||^2` summed in index order, as the kernel sums dot products, so
/// that `v(x, x) = -||x||^2` exactly and a row is at distance 0 from itself.
pub(crate) fn sq_norm<T: Lane>(x: impl IntoIterator<Item = impl std::borrow::Borrow<T>>) -> T {
    x.into_iter()
        .fold(T::ZERO, |acc, v| acc + *v.borrow() * *v.borrow())
}

/// Rows whose squared norms [`sq_norms_of_rows`] sums together.
pub(crate) const NORM_ROWS: usize = 8;

/// `sq[i] = ||x_i||^2` for the rows of `x` (`d` columns), each summed in
/// index order (as [`sq_norm`]) but [`NORM_ROWS`] rows at once, in vector
/// lanes with AVX-512 (a gather per feature) and interleaved otherwise, so
/// that the rows do not wait on one another.
pub(crate) fn sq_norms_of_rows(x: &[f64], d: usize, sq: &mut [f64]) {
    sq_norms_at(simd::level(), x, d, sq)
}

/// [`sq_norms_of_rows`] for `f32` rows, summed in `f32`.
pub(crate) fn sq_norms32_of_rows(x: &[f32], d: usize, sq: &mut [f32]) {
    sq_norms32_at(simd::level(), x, d, sq)
}

/// [`sq_norms32_of_rows`] on the path for `level`.
fn sq_norms32_at(level: Level, x: &[f32], d: usize, sq: &mut [f32]) {
    assert_eq!(x.len(), sq.len() * d);
    #[cfg(target_arch = "x86_64")]
    if level >= Level::Avx512 {
        // SAFETY: a level of AVX-512 is only made on a CPU that has it; the
        // lengths were checked just above.
        return unsafe { avx512::sq_norms32(x, d, sq) };
    }
    #[cfg(target_arch = "x86_64")]
    if level >= Level::Avx2 {
        // SAFETY: a level of AVX2 or above is only made on a CPU that has it;
        // the lengths were checked just above.
        return unsafe { avx2::sq_norms32(x, d, sq) };
    }
    let _ = level;
    sq_norms_interleaved(x, d, sq)
}

/// [`sq_norms_of_rows`] on the path for `level`.
fn sq_norms_at(level: Level, x: &[f64], d: usize, sq: &mut [f64]) {
    assert_eq!(x.len(), sq.len() * d);
    #[cfg(target_arch = "x86_64")]
    if level >= Level::Avx512 {
        // SAFETY: a level of AVX-512 is only made on a CPU that has it; the
        // lengths were checked just above.
        return unsafe { avx512::sq_norms(x, d, sq) };
    }
    #[cfg(target_arch = "x86_64")]
    if level >= Level::Avx2 {
        // SAFETY: a level of AVX2 or above is only made on a CPU that has it;
        // the lengths were checked just above.
        return unsafe { avx2::sq_norms(x, d, sq) };
    }
    let _ = level;
    sq_norms_interleaved(x, d, sq)
}

/// [`sq_norms_of_rows`] with the sums of [`NORM_ROWS`] rows interleaved.
#[inline(always)]
pub(crate) fn sq_norms_interleaved<T: Lane>(x: &[T], d: usize, sq: &mut [T]) {
    for (x, sq) in x.chunks(NORM_ROWS * d).zip(sq.chunks_mut(NORM_ROWS)) {
        let mut acc = [T::ZERO; NORM_ROWS];
        let rows = sq.len();
        for j in 0..d {
            for (r, a) in acc.iter_mut().enumerate().take(rows) {
                let v = x[r * d + j];
                *a = *a + v * v;
            }
        }
        sq.copy_from_slice(&acc[..rows]);
    }
}

/// A number the kernels compute in: `f64`, or `f32` for `f32` data.
pub(crate) trait Lane:
    Copy
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
{
    const ZERO: Self;
    const INFINITY: Self;
}

impl Lane for f64 {
    const ZERO: Self = 0.0;
    const INFINITY: Self = f64::INFINITY;
}

impl Lane for f32 {
    const ZERO: Self = 0.0;
    const INFINITY: Self = f32::INFINITY;
}

/// Writes, for each row `i` of `rows` (row-major, `d` columns), its nearest
/// centre (lowest index on ties) into `labels[i]` and `v(x_i, c)` for that
/// centre into `values[i]`.
#[inline]
pub(crate) fn nearest(
    rows: &[f64],
    centres: &PackedCentres,
    labels: &mut [usize],
    values: &mut [f64],
) {
    nearest_at(simd::level(), rows, centres, labels, values)
}

/// [`nearest`] on the path for `level`.
///
/// # Panics
/// When `rows` does not hold `labels.len()` rows of `centres.d()` values or
/// `values` is not as long as `labels` (a programming error).
#[track_caller]
pub(crate) fn nearest_at(
    level: Level,
    rows: &[f64],
    centres: &PackedCentres,
    labels: &mut [usize],
    values: &mut [f64],
) {
    assert_eq!(rows.len(), labels.len() * centres.d);
    assert_eq!(labels.len(), values.len());
    #[cfg(target_arch = "x86_64")]
    if level >= Level::Avx512 {
        // SAFETY: a level of AVX-512 is only made on a CPU that has it; the
        // lengths were checked just above.
        return unsafe { avx512::nearest(rows, centres, labels, values) };
    }
    #[cfg(target_arch = "x86_64")]
    if level >= Level::Avx2 {
        // SAFETY: a level of AVX2 or above is only made on a CPU that has it;
        // the lengths were checked just above.
        return unsafe { avx2::nearest(rows, centres, labels, values) };
    }
    let _ = level;
    nearest_rows(rows, centres.f64s(), centres.d, labels, values)
}

/// [`nearest_at`] for `f32` rows against the centres rounded to `f32`:
/// `v` in `f32`, with the same operations per lane on every path.
///
/// # Panics
/// As [`nearest_at`].
#[track_caller]
pub(crate) fn nearest32_at(
    level: Level,
    rows: &[f32],
    centres: &PackedCentres,
    labels: &mut [usize],
    values: &mut [f32],
) {
    assert_eq!(rows.len(), labels.len() * centres.d);
    assert_eq!(labels.len(), values.len());
    #[cfg(target_arch = "x86_64")]
    if level >= Level::Avx512 {
        // SAFETY: a level of AVX-512 is only made on a CPU that has it; the
        // lengths were checked just above.
        return unsafe { avx512_f32::nearest(rows, centres, labels, values) };
    }
    #[cfg(target_arch = "x86_64")]
    if level >= Level::Avx2 {
        // SAFETY: a level of AVX2 or above is only made on a CPU that has it;
        // the lengths were checked just above.
        return unsafe { avx2_f32::nearest(rows, centres, labels, values) };
    }
    let _ = level;
    nearest_rows(rows, centres.f32s(), centres.d, labels, values)
}

/// Writes `v(x_i, c)` for every row `i` and centre `c` into `out[i * k + c]`.
pub(crate) fn all_centres(rows: &[f64], centres: &PackedCentres, out: &mut [f64]) {
    all_centres_at(simd::level(), rows, centres, out)
}

/// [`all_centres`] on the path for `level`.
///
/// # Panics
/// When `rows` does not hold `out.len() / centres.k()` rows of
/// `centres.d()` values (a programming error).
#[track_caller]
fn all_centres_at(level: Level, rows: &[f64], centres: &PackedCentres, out: &mut [f64]) {
    assert_eq!(out.len() % centres.k, 0);
    assert_eq!(rows.len(), out.len() / centres.k * centres.d);
    #[cfg(target_arch = "x86_64")]
    if level >= Level::Avx2 {
        // SAFETY: a level of AVX2 or above is only made on a CPU that has it;
        // the lengths were checked just above.
        return unsafe { avx2::all_centres(rows, centres, out) };
    }
    let _ = level;
    all_centres_rows(rows, centres, out)
}

/// [`all_centres`] one row at a time, portable.
#[inline(always)]
fn all_centres_rows(rows: &[f64], centres: &PackedCentres, out: &mut [f64]) {
    let (d, k) = (centres.d, centres.k);
    let packed = (&centres.tiles[..], &centres.sq_norms[..]);
    for (row, out) in rows.chunks_exact(d).zip(out.chunks_exact_mut(k)) {
        row_against_tiles(row, packed, |t, v| {
            let lanes = TILE.min(k - t * TILE);
            out[t * TILE..t * TILE + lanes].copy_from_slice(&v[..lanes]);
        });
    }
}

/// [`nearest`] one row at a time, portable, for the centres `tiles` and
/// their squared norms `sq_norms` (packed as [`PackedCentres`]).
#[inline(always)]
fn nearest_rows<T: Lane>(
    rows: &[T],
    (tiles, sq_norms): (&[T], &[T]),
    d: usize,
    labels: &mut [usize],
    values: &mut [T],
) {
    for ((row, label), value) in rows.chunks_exact(d).zip(labels).zip(values) {
        let mut best = (0, T::INFINITY);
        row_against_tiles(row, (tiles, sq_norms), |t, v| {
            for (q, &vq) in v.iter().enumerate() {
                if vq < best.1 {
                    best = (t * TILE + q, vq);
                }
            }
        });
        (*label, *value) = best;
    }
}

/// Calls `f(t, v)` for every centre tile `t`, with `v[q] = v(row, c)` for
/// centre `c = t * TILE + q`.
#[inline(always)]
fn row_against_tiles<T: Lane>(
    row: &[T],
    (tiles, sq_norms): (&[T], &[T]),
    mut f: impl FnMut(usize, &[T; TILE]),
) {
    let d = row.len();
    for (t, tile) in tiles.chunks_exact(d * TILE).enumerate() {
        let mut acc = [T::ZERO; TILE];
        for (&xj, c) in row.iter().zip(tile.chunks_exact(TILE)) {
            for (a, &cq) in acc.iter_mut().zip(c) {
                *a = *a + xj * cq;
            }
        }
        for (a, &nq) in acc.iter_mut().zip(&sq_norms[t * TILE..(t + 1) * TILE]) {
            *a = nq - (*a + *a);
        }
        f(t, &acc)
    }
}

/// Prefetches the rows `PREFETCH_BYTES` ahead of block `b` (of `block`
/// values each): the kernels walk several rows at once, which the hardware
/// prefetchers follow poorly, and the chunk copy otherwise waits on every line.
#[inline(always)]
pub(crate) fn prefetch_ahead<T>(rows: &[T], b: usize, block: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        /// How far ahead of the kernel rows are prefetched.
        const PREFETCH_BYTES: usize = 4096;
        let size = std::mem::size_of::<T>();
        let a = b + PREFETCH_BYTES.div_ceil(block * size);
        if let Some(ahead) = rows.get(a * block..(a + 1) * block) {
            for line in ahead.chunks(64 / size) {
                // SAFETY: prefetching has no effect on memory and `line` is in bounds.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast()) };
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (rows, b, block);
}

/// The nearest-centre driver of the vector kernels: blocks of `ROWS` rows go
/// to `block` (with the next block prefetched), the last rows to the
/// portable code.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn nearest_blocks<T: Lane, const ROWS: usize>(
    rows: &[T],
    (centres, d): ((&[T], &[T]), usize),
    labels: &mut [usize],
    values: &mut [T],
    mut block: impl FnMut(&[T], &mut [usize], &mut [T]),
) {
    let full = labels.len() / ROWS * ROWS;
    let (head_rows, tail_rows) = rows.split_at(full * d);
    let (head_labels, tail_labels) = labels.split_at_mut(full);
    let (head_values, tail_values) = values.split_at_mut(full);
    for (b, ((rows_b, labels_b), values_b)) in head_rows
        .chunks_exact(ROWS * d)
        .zip(head_labels.chunks_exact_mut(ROWS))
        .zip(head_values.chunks_exact_mut(ROWS))
        .enumerate()
    {
        prefetch_ahead(rows, b, ROWS * d);
        block(rows_b, labels_b, values_b);
    }
    nearest_rows(tail_rows, centres, d, tail_labels, tail_values);
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    //! Blocks of `ROWS` rows against one tile at a time, one 8-lane register
    //! per row.

    use super::{nearest_blocks, PackedCentres, TILE};
    use std::arch::x86_64::*;

    /// Rows per register block.
    const ROWS: usize = 8;

    /// [`super::sq_norms_of_rows`] with AVX-512: lane `r` sums row `r` of
    /// a block of 8, gathering feature `j` of the 8 rows at once.
    ///
    /// # Safety
    /// The CPU must support AVX-512F; `x` must hold `sq.len()` rows of `d` values.
    #[target_feature(enable = "avx512f")]
    pub(super) fn sq_norms(x: &[f64], d: usize, sq: &mut [f64]) {
        let full = sq.len() / ROWS * ROWS;
        let (head_x, tail_x) = x.split_at(full * d);
        let (head_sq, tail_sq) = sq.split_at_mut(full);
        let step = d as i64;
        let offsets = _mm512_set_epi64(
            7 * step,
            6 * step,
            5 * step,
            4 * step,
            3 * step,
            2 * step,
            step,
            0,
        );
        for (block, out) in head_x
            .chunks_exact(ROWS * d)
            .zip(head_sq.chunks_exact_mut(ROWS))
        {
            let mut acc = _mm512_setzero_pd();
            for j in 0..d {
                // SAFETY: offsets r * d + j with r < 8, j < d stay in `block`.
                let v = unsafe { _mm512_i64gather_pd::<8>(offsets, block.as_ptr().add(j)) };
                acc = _mm512_add_pd(acc, _mm512_mul_pd(v, v));
            }
            // SAFETY: 8 lanes into 8 values.
            unsafe { _mm512_storeu_pd(out.as_mut_ptr(), acc) };
        }
        super::sq_norms_interleaved(tail_x, d, tail_sq);
    }

    /// [`super::sq_norms32_of_rows`] with AVX-512, as [`sq_norms`].
    ///
    /// # Safety
    /// The CPU must support AVX-512F; `x` must hold `sq.len()` rows of `d` values.
    #[target_feature(enable = "avx512f")]
    pub(super) fn sq_norms32(x: &[f32], d: usize, sq: &mut [f32]) {
        let full = sq.len() / ROWS * ROWS;
        let (head_x, tail_x) = x.split_at(full * d);
        let (head_sq, tail_sq) = sq.split_at_mut(full);
        let step = d as i64;
        let offsets = _mm512_set_epi64(
            7 * step,
            6 * step,
            5 * step,
            4 * step,
            3 * step,
            2 * step,
            step,
            0,
        );
        for (block, out) in head_x
            .chunks_exact(ROWS * d)
            .zip(head_sq.chunks_exact_mut(ROWS))
        {
            let mut acc = _mm256_setzero_ps();
            for j in 0..d {
                // SAFETY: offsets r * d + j with r < 8, j < d stay in `block`.
                let v = unsafe { _mm512_i64gather_ps::<4>(offsets, block.as_ptr().add(j)) };
                acc = _mm256_add_ps(acc, _mm256_mul_ps(v, v));
            }
            // SAFETY: 8 lanes into 8 values.
            unsafe { _mm256_storeu_ps(out.as_mut_ptr(), acc) };
        }
        super::sq_norms_interleaved(tail_x, d, tail_sq);
    }

    /// [`super::nearest`] with AVX-512.
    ///
    /// # Safety
    /// The CPU must support AVX-512F; `rows` must hold `labels.len()` rows
    /// of `centres.d` values, and `values` as many entries as `labels`.
    #[target_feature(enable = "avx512f")]
    pub(super) fn nearest(
        rows: &[f64],
        centres: &PackedCentres,
        labels: &mut [usize],
        values: &mut [f64],
    ) {
        // The closure inherits this function's target feature.
        let packed = (centres.f64s(), centres.d);
        nearest_blocks::<f64, ROWS>(rows, packed, labels, values, |block, labels, values| {
            block_nearest(block, centres, labels, values)
        });
    }

    /// Nearest centres of `ROWS` rows; running minima and their indices
    /// (as exact `f64`) stay in registers, one lane per centre modulo `TILE`.
    #[target_feature(enable = "avx512f")]
    fn block_nearest(
        block: &[f64],
        centres: &PackedCentres,
        labels: &mut [usize],
        values: &mut [f64],
    ) {
        let d = centres.d;
        let n_tiles = centres.tiles.len() / (d * TILE);
        // Every raw load below stays inside these bounds.
        assert!(block.len() >= ROWS * d);
        assert!(centres.sq_norms.len() >= n_tiles * TILE);
        let mut best = [_mm512_set1_pd(f64::INFINITY); ROWS];
        let mut best_index = [_mm512_setzero_pd(); ROWS];
        let lane = _mm512_set_pd(7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0);
        for t in 0..n_tiles {
            let mut acc = [_mm512_setzero_pd(); ROWS];
            // SAFETY: the asserts above bound every offset: rows p < ROWS and
            // features j < d of `block`, lanes < TILE of tile t and of its norms.
            let norms = unsafe {
                let (x, c) = (block.as_ptr(), centres.tiles.as_ptr().add(t * d * TILE));
                for j in 0..d {
                    let cj = _mm512_loadu_pd(c.add(j * TILE));
                    for (p, a) in acc.iter_mut().enumerate() {
                        let xv = _mm512_set1_pd(*x.add(p * d + j));
                        *a = _mm512_add_pd(*a, _mm512_mul_pd(xv, cj));
                    }
                }
                _mm512_loadu_pd(centres.sq_norms.as_ptr().add(t * TILE))
            };
            let index = _mm512_add_pd(_mm512_set1_pd((t * TILE) as f64), lane);
            for (p, a) in acc.iter().enumerate() {
                let v = _mm512_sub_pd(norms, _mm512_add_pd(*a, *a));
                // Later tiles hold higher indices: only a strictly lower value wins.
                let lower = _mm512_cmp_pd_mask::<_CMP_LT_OQ>(v, best[p]);
                best[p] = _mm512_mask_blend_pd(lower, best[p], v);
                best_index[p] = _mm512_mask_blend_pd(lower, best_index[p], index);
            }
        }
        for (p, (label, value)) in labels.iter_mut().zip(values.iter_mut()).enumerate() {
            // The lowest value, then the lowest index among the lanes that hold it.
            let lowest = _mm512_reduce_min_pd(best[p]);
            let at_lowest = _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(best[p], _mm512_set1_pd(lowest));
            *value = lowest;
            *label = _mm512_mask_reduce_min_pd(at_lowest, best_index[p]) as usize;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! Blocks of `ROWS` rows against one tile at a time, in AVX2 registers.

    use super::{all_centres_rows, nearest_blocks, PackedCentres, TILE};
    use std::arch::x86_64::*;

    /// Rows per register block.
    const ROWS: usize = 4;

    /// [`super::sq_norms_of_rows`] with AVX2: lane `r` sums row `r` of a
    /// block of 4, gathering feature `j` of the 4 rows at once.
    ///
    /// # Safety
    /// The CPU must support AVX2; `x` must hold `sq.len()` rows of `d` values.
    #[target_feature(enable = "avx2")]
    pub(super) fn sq_norms(x: &[f64], d: usize, sq: &mut [f64]) {
        let full = sq.len() / ROWS * ROWS;
        let (head_x, tail_x) = x.split_at(full * d);
        let (head_sq, tail_sq) = sq.split_at_mut(full);
        let step = d as i64;
        let offsets = _mm256_set_epi64x(3 * step, 2 * step, step, 0);
        for (block, out) in head_x
            .chunks_exact(ROWS * d)
            .zip(head_sq.chunks_exact_mut(ROWS))
        {
            let mut acc = _mm256_setzero_pd();
            for j in 0..d {
                // SAFETY: offsets r * d + j with r < 4, j < d stay in `block`.
                let v = unsafe { _mm256_i64gather_pd::<8>(block.as_ptr().add(j), offsets) };
                acc = _mm256_add_pd(acc, _mm256_mul_pd(v, v));
            }
            // SAFETY: 4 lanes into 4 values.
            unsafe { _mm256_storeu_pd(out.as_mut_ptr(), acc) };
        }
        super::sq_norms_interleaved(tail_x, d, tail_sq);
    }

    /// [`super::sq_norms32_of_rows`] with AVX2: blocks of 8 rows, one gather
    /// per feature.
    ///
    /// # Safety
    /// The CPU must support AVX2; `x` must hold `sq.len()` rows of `d` values.
    #[target_feature(enable = "avx2")]
    pub(super) fn sq_norms32(x: &[f32], d: usize, sq: &mut [f32]) {
        const ROWS32: usize = 8;
        let full = sq.len() / ROWS32 * ROWS32;
        let (head_x, tail_x) = x.split_at(full * d);
        let (head_sq, tail_sq) = sq.split_at_mut(full);
        let step = i32::try_from(d).expect("fewer than 2^28 features");
        let offsets = _mm256_set_epi32(
            7 * step,
            6 * step,
            5 * step,
            4 * step,
            3 * step,
            2 * step,
            step,
            0,
        );
        for (block, out) in head_x
            .chunks_exact(ROWS32 * d)
            .zip(head_sq.chunks_exact_mut(ROWS32))
        {
            let mut acc = _mm256_setzero_ps();
            for j in 0..d {
                // SAFETY: offsets r * d + j with r < 8, j < d stay in `block`.
                let v = unsafe { _mm256_i32gather_ps::<4>(block.as_ptr().add(j), offsets) };
                acc = _mm256_add_ps(acc, _mm256_mul_ps(v, v));
            }
            // SAFETY: 8 lanes into 8 values.
            unsafe { _mm256_storeu_ps(out.as_mut_ptr(), acc) };
        }
        super::sq_norms_interleaved(tail_x, d, tail_sq);
    }

    /// [`super::all_centres`] with AVX2.
    ///
    /// # Safety
    /// The CPU must support AVX2; `rows` must hold `out.len() / centres.k`
    /// rows of `centres.d` values.
    #[target_feature(enable = "avx2")]
    pub(super) fn all_centres(rows: &[f64], centres: &PackedCentres, out: &mut [f64]) {
        let (d, k) = (centres.d, centres.k);
        let full = out.len() / k / ROWS * ROWS;
        let (head_rows, tail_rows) = rows.split_at(full * d);
        let (head_out, tail_out) = out.split_at_mut(full * k);
        for (block, out) in head_rows
            .chunks_exact(ROWS * d)
            .zip(head_out.chunks_exact_mut(ROWS * k))
        {
            for t in 0..centres.tiles.len() / (d * TILE) {
                let v = tile_values(block, centres, t);
                let lanes = TILE.min(k - t * TILE);
                for (p, vp) in v.iter().enumerate() {
                    let mut lane_values = [0.0; TILE];
                    // SAFETY: two stores of 4 lanes into the 8 of `lane_values`.
                    unsafe {
                        _mm256_storeu_pd(lane_values.as_mut_ptr(), vp[0]);
                        _mm256_storeu_pd(lane_values.as_mut_ptr().add(4), vp[1]);
                    }
                    out[p * k + t * TILE..][..lanes].copy_from_slice(&lane_values[..lanes]);
                }
            }
        }
        all_centres_rows(tail_rows, centres, tail_out)
    }

    /// [`super::nearest`] with AVX2.
    ///
    /// # Safety
    /// The CPU must support AVX2; `rows` must hold `labels.len()` rows of
    /// `centres.d` values, and `values` as many entries as `labels`.
    #[target_feature(enable = "avx2")]
    pub(super) fn nearest(
        rows: &[f64],
        centres: &PackedCentres,
        labels: &mut [usize],
        values: &mut [f64],
    ) {
        // The closure inherits this function's target feature.
        let packed = (centres.f64s(), centres.d);
        nearest_blocks::<f64, ROWS>(rows, packed, labels, values, |block, labels, values| {
            block_nearest(block, centres, labels, values)
        });
    }

    /// Nearest centres of `ROWS` rows; running minima and their indices
    /// (as exact `f64`) stay in registers, one lane per centre modulo `TILE`.
    #[target_feature(enable = "avx2")]
    fn block_nearest(
        block: &[f64],
        centres: &PackedCentres,
        labels: &mut [usize],
        values: &mut [f64],
    ) {
        let d = centres.d;
        let mut best = [_mm256_set1_pd(f64::INFINITY); ROWS];
        let mut best_index = [_mm256_setzero_pd(); ROWS];
        let lane = [
            _mm256_set_pd(3.0, 2.0, 1.0, 0.0),
            _mm256_set_pd(7.0, 6.0, 5.0, 4.0),
        ];
        for t in 0..centres.tiles.len() / (d * TILE) {
            let v = tile_values(block, centres, t);
            let base = _mm256_set1_pd((t * TILE) as f64);
            let index = [_mm256_add_pd(base, lane[0]), _mm256_add_pd(base, lane[1])];
            for p in 0..ROWS {
                let (v, i) = lower((v[p][0], index[0]), (v[p][1], index[1]));
                (best[p], best_index[p]) = lower((best[p], best_index[p]), (v, i));
            }
        }
        for p in 0..ROWS {
            let swapped = (
                _mm256_permute2f128_pd::<1>(best[p], best[p]),
                _mm256_permute2f128_pd::<1>(best_index[p], best_index[p]),
            );
            let two = lower((best[p], best_index[p]), swapped);
            let one = lower(
                two,
                (
                    _mm256_permute_pd::<0b0101>(two.0),
                    _mm256_permute_pd::<0b0101>(two.1),
                ),
            );
            values[p] = _mm256_cvtsd_f64(one.0);
            labels[p] = _mm256_cvtsd_f64(one.1) as usize;
        }
    }

    /// `v(x_p, c)` of the `ROWS` rows of `block` for the centres of tile
    /// `t`, lanes 0-3 and 4-7.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn tile_values(block: &[f64], centres: &PackedCentres, t: usize) -> [[__m256d; 2]; ROWS] {
        let d = centres.d;
        // Every raw load below stays inside these bounds.
        assert!(block.len() >= ROWS * d);
        assert!(centres.tiles.len() >= (t + 1) * d * TILE);
        assert!(centres.sq_norms.len() >= (t + 1) * TILE);
        let mut acc = [[_mm256_setzero_pd(); 2]; ROWS];
        // SAFETY: the asserts above bound every offset: rows p < ROWS and
        // features j < d of `block`, lanes < TILE of tile t and of its norms.
        let norms = unsafe {
            let (x, c) = (block.as_ptr(), centres.tiles.as_ptr().add(t * d * TILE));
            for j in 0..d {
                let c0 = _mm256_loadu_pd(c.add(j * TILE));
                let c1 = _mm256_loadu_pd(c.add(j * TILE + 4));
                for (p, accp) in acc.iter_mut().enumerate() {
                    let xv = _mm256_broadcast_sd(&*x.add(p * d + j));
                    accp[0] = _mm256_add_pd(accp[0], _mm256_mul_pd(xv, c0));
                    accp[1] = _mm256_add_pd(accp[1], _mm256_mul_pd(xv, c1));
                }
            }
            let norms = centres.sq_norms.as_ptr().add(t * TILE);
            [_mm256_loadu_pd(norms), _mm256_loadu_pd(norms.add(4))]
        };
        for accp in acc.iter_mut() {
            for (a, &n) in accp.iter_mut().zip(&norms) {
                *a = _mm256_sub_pd(n, _mm256_add_pd(*a, *a));
            }
        }
        acc
    }

    /// Lane by lane, the (value, index) pair with the lower value, or the
    /// lower index on equal values: merging two "first minimum" records
    /// gives the first minimum of their union.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn lower(a: (__m256d, __m256d), b: (__m256d, __m256d)) -> (__m256d, __m256d) {
        let a_lower = _mm256_cmp_pd::<_CMP_LT_OQ>(a.0, b.0);
        let b_lower = _mm256_cmp_pd::<_CMP_LT_OQ>(b.0, a.0);
        let value = _mm256_blendv_pd(b.0, a.0, a_lower);
        let tie_index = _mm256_min_pd(a.1, b.1);
        let index = _mm256_blendv_pd(_mm256_blendv_pd(tie_index, b.1, b_lower), a.1, a_lower);
        (value, index)
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2_f32 {
    //! `f32` rows: blocks of `ROWS` rows against one tile at a time, one
    //! 8-lane register per row.

    use super::{nearest_blocks, PackedCentres, TILE};
    use std::arch::x86_64::*;

    /// Rows per register block.
    const ROWS: usize = 4;

    /// [`super::nearest32_at`] with AVX2.
    ///
    /// # Safety
    /// The CPU must support AVX2; `rows` must hold `labels.len()` rows of
    /// `centres.d` values, and `values` as many entries as `labels`.
    #[target_feature(enable = "avx2")]
    pub(super) fn nearest(
        rows: &[f32],
        centres: &PackedCentres,
        labels: &mut [usize],
        values: &mut [f32],
    ) {
        let packed = (centres.f32s(), centres.d);
        nearest_blocks::<f32, ROWS>(rows, packed, labels, values, |block, labels, values| {
            block_nearest(block, centres, labels, values)
        });
    }

    /// Nearest centres of `ROWS` rows; running minima and their indices
    /// (as exact `f32`) stay in registers, one lane per centre modulo `TILE`.
    #[target_feature(enable = "avx2")]
    fn block_nearest(
        block: &[f32],
        centres: &PackedCentres,
        labels: &mut [usize],
        values: &mut [f32],
    ) {
        let d = centres.d;
        let n_tiles = centres.tiles32.len() / (d * TILE);
        // Every raw load below stays inside these bounds.
        assert!(block.len() >= ROWS * d);
        assert!(centres.sq_norms32.len() >= n_tiles * TILE);
        let mut best = [_mm256_set1_ps(f32::INFINITY); ROWS];
        let mut best_index = [_mm256_setzero_ps(); ROWS];
        let lane = _mm256_set_ps(7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0);
        for t in 0..n_tiles {
            let mut acc = [_mm256_setzero_ps(); ROWS];
            // SAFETY: the asserts above bound every offset: rows p < ROWS and
            // features j < d of `block`, lanes < TILE of tile t and of its norms.
            let norms = unsafe {
                let (x, c) = (block.as_ptr(), centres.tiles32.as_ptr().add(t * d * TILE));
                for j in 0..d {
                    let cj = _mm256_loadu_ps(c.add(j * TILE));
                    for (p, a) in acc.iter_mut().enumerate() {
                        let xv = _mm256_broadcast_ss(&*x.add(p * d + j));
                        *a = _mm256_add_ps(*a, _mm256_mul_ps(xv, cj));
                    }
                }
                _mm256_loadu_ps(centres.sq_norms32.as_ptr().add(t * TILE))
            };
            let index = _mm256_add_ps(_mm256_set1_ps((t * TILE) as f32), lane);
            for (p, a) in acc.iter().enumerate() {
                let v = _mm256_sub_ps(norms, _mm256_add_ps(*a, *a));
                // Later tiles hold higher indices: only a strictly lower value wins.
                let lower = _mm256_cmp_ps::<_CMP_LT_OQ>(v, best[p]);
                best[p] = _mm256_blendv_ps(best[p], v, lower);
                best_index[p] = _mm256_blendv_ps(best_index[p], index, lower);
            }
        }
        for (p, (label, value)) in labels.iter_mut().zip(values.iter_mut()).enumerate() {
            // The lowest value, then the lowest index among the lanes that
            // hold it: halves, then pairs, then neighbours.
            let mut m = (best[p], best_index[p]);
            m = lower(
                m,
                (
                    _mm256_permute2f128_ps::<1>(m.0, m.0),
                    _mm256_permute2f128_ps::<1>(m.1, m.1),
                ),
            );
            m = lower(
                m,
                (
                    _mm256_permute_ps::<0b0100_1110>(m.0),
                    _mm256_permute_ps::<0b0100_1110>(m.1),
                ),
            );
            m = lower(
                m,
                (
                    _mm256_permute_ps::<0b1011_0001>(m.0),
                    _mm256_permute_ps::<0b1011_0001>(m.1),
                ),
            );
            *value = _mm256_cvtss_f32(m.0);
            *label = _mm256_cvtss_f32(m.1) as usize;
        }
    }

    /// Lane by lane, the (value, index) pair with the lower value, or the
    /// lower index on equal values.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn lower(a: (__m256, __m256), b: (__m256, __m256)) -> (__m256, __m256) {
        let a_lower = _mm256_cmp_ps::<_CMP_LT_OQ>(a.0, b.0);
        let b_lower = _mm256_cmp_ps::<_CMP_LT_OQ>(b.0, a.0);
        let value = _mm256_blendv_ps(b.0, a.0, a_lower);
        let tie_index = _mm256_min_ps(a.1, b.1);
        let index = _mm256_blendv_ps(_mm256_blendv_ps(tie_index, b.1, b_lower), a.1, a_lower);
        (value, index)
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512_f32 {
    //! `f32` rows: pairs of rows in one 16-lane register (lanes 0-7 the
    //! first row, 8-15 the second) against one tile of 8 centres.

    use super::{nearest_blocks, PackedCentres, TILE};
    use std::arch::x86_64::*;

    /// Rows per register block (two per register).
    const ROWS: usize = 8;

    /// [`super::nearest32_at`] with AVX-512.
    ///
    /// # Safety
    /// The CPU must support AVX-512F; `rows` must hold `labels.len()` rows
    /// of `centres.d` values, and `values` as many entries as `labels`.
    #[target_feature(enable = "avx512f")]
    pub(super) fn nearest(
        rows: &[f32],
        centres: &PackedCentres,
        labels: &mut [usize],
        values: &mut [f32],
    ) {
        let packed = (centres.f32s(), centres.d);
        nearest_blocks::<f32, ROWS>(rows, packed, labels, values, |block, labels, values| {
            block_nearest(block, centres, labels, values)
        });
    }

    /// The 8 lanes of `v` in both halves of a 16-lane register.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn twice(v: __m256) -> __m512 {
        let w = _mm512_castps256_ps512(v);
        _mm512_shuffle_f32x4::<0b0100_0100>(w, w)
    }

    /// Nearest centres of `ROWS` rows; running minima and their indices
    /// (as exact `f32`) stay in registers.
    #[target_feature(enable = "avx512f")]
    fn block_nearest(
        block: &[f32],
        centres: &PackedCentres,
        labels: &mut [usize],
        values: &mut [f32],
    ) {
        const PAIRS: usize = ROWS / 2;
        let d = centres.d;
        let n_tiles = centres.tiles32.len() / (d * TILE);
        // Every raw load below stays inside these bounds.
        assert!(block.len() >= ROWS * d);
        assert!(centres.sq_norms32.len() >= n_tiles * TILE);
        let mut best = [_mm512_set1_ps(f32::INFINITY); PAIRS];
        let mut best_index = [_mm512_setzero_ps(); PAIRS];
        let lane = twice(_mm256_set_ps(7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0));
        for t in 0..n_tiles {
            let mut acc = [_mm512_setzero_ps(); PAIRS];
            // SAFETY: the asserts above bound every offset: rows p < ROWS and
            // features j < d of `block`, lanes < TILE of tile t and of its norms.
            let norms = unsafe {
                let (x, c) = (block.as_ptr(), centres.tiles32.as_ptr().add(t * d * TILE));
                for j in 0..d {
                    let cj = twice(_mm256_loadu_ps(c.add(j * TILE)));
                    for (p, a) in acc.iter_mut().enumerate() {
                        let first = _mm512_set1_ps(*x.add(2 * p * d + j));
                        let second = _mm512_set1_ps(*x.add((2 * p + 1) * d + j));
                        let xv = _mm512_mask_blend_ps(0xFF00, first, second);
                        *a = _mm512_add_ps(*a, _mm512_mul_ps(xv, cj));
                    }
                }
                twice(_mm256_loadu_ps(centres.sq_norms32.as_ptr().add(t * TILE)))
            };
            let index = _mm512_add_ps(_mm512_set1_ps((t * TILE) as f32), lane);
            for (p, a) in acc.iter().enumerate() {
                let v = _mm512_sub_ps(norms, _mm512_add_ps(*a, *a));
                // Later tiles hold higher indices: only a strictly lower value wins.
                let lower = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(v, best[p]);
                best[p] = _mm512_mask_blend_ps(lower, best[p], v);
                best_index[p] = _mm512_mask_blend_ps(lower, best_index[p], index);
            }
        }
        for (r, (label, value)) in labels.iter_mut().zip(values.iter_mut()).enumerate() {
            let (p, half) = (r / 2, 0x00FFu16 << (8 * (r % 2)));
            // The lowest value, then the lowest index among the lanes that hold it.
            let lowest = _mm512_mask_reduce_min_ps(half, best[p]);
            let at = _mm512_mask_cmp_ps_mask::<_CMP_EQ_OQ>(half, best[p], _mm512_set1_ps(lowest));
            *value = lowest;
            *label = _mm512_mask_reduce_min_ps(at, best_index[p]) as usize;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    /// Rows and centres with entries from a fixed integer recurrence.
    fn filled(n: usize, d: usize, salt: u64) -> Array2<f64> {
        let mut s = salt;
        Array2::from_shape_fn((n, d), |_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) % 1000) as f64 / 100.0 - 5.0
        })
    }

    #[test]
    fn every_level_matches_direct_distances_for_odd_shapes() {
        for (n, d, k) in [(1, 1, 1), (7, 3, 5), (9, 16, 16), (13, 5, 17), (40, 2, 9)] {
            let x = filled(n, d, 1);
            let mut c = filled(k, d, 2);
            if k > 12 {
                // Ties across tiles (3, 11) and within one (1, 6): the lower
                // index must win on every path.
                let first = c.row(3).to_owned();
                c.row_mut(11).assign(&first);
                let first = c.row(1).to_owned();
                c.row_mut(6).assign(&first);
            }
            let packed = PackedCentres::new(c.view());
            let rows = x.as_slice().unwrap();
            let mut v = vec![0.0; n * k];
            all_centres_at(Level::Scalar, rows, &packed, &mut v);
            let mut labels = vec![0; n];
            let mut values = vec![0.0; n];
            nearest_at(Level::Scalar, rows, &packed, &mut labels, &mut values);
            // Every level the host runs gives the portable numbers, bit for bit.
            for level in simd::supported() {
                let mut v_level = vec![0.0; n * k];
                all_centres_at(level, rows, &packed, &mut v_level);
                let mut at_level = (vec![0; n], vec![0.0; n]);
                nearest_at(level, rows, &packed, &mut at_level.0, &mut at_level.1);
                let same =
                    |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits());
                assert!(same(&v_level, &v), "{}", level.name());
                assert_eq!(at_level.0, labels, "{}", level.name());
                assert!(same(&at_level.1, &values), "{}", level.name());
            }
            for i in 0..n {
                let (label, best) = (labels[i], values[i]);
                let xx = x.row(i).dot(&x.row(i));
                let direct: Vec<f64> = (0..k)
                    .map(|c_| {
                        x.row(i)
                            .iter()
                            .zip(c.row(c_))
                            .map(|(a, b)| (a - b) * (a - b))
                            .sum()
                    })
                    .collect();
                for c_ in 0..k {
                    approx::assert_abs_diff_eq!(xx + v[i * k + c_], direct[c_], epsilon = 1e-9);
                }
                let min = direct.iter().cloned().fold(f64::INFINITY, f64::min);
                approx::assert_abs_diff_eq!(direct[label], min, epsilon = 1e-9);
                assert_eq!(best, v[i * k + label]);
            }
        }
    }

    #[test]
    fn every_level_gives_the_portable_f32_numbers_and_nearest_centres() {
        for (n, d, k) in [
            (1, 1, 1),
            (7, 3, 5),
            (9, 16, 16),
            (13, 5, 17),
            (40, 2, 9),
            (21, 7, 24),
        ] {
            let mut x = filled(n, d, 4);
            let mut c = filled(k, d, 5);
            if k > 12 {
                // Ties across tiles (3, 11) and within one (1, 6): the lower
                // index must win on every path.
                let first = c.row(3).to_owned();
                c.row_mut(11).assign(&first);
                let first = c.row(1).to_owned();
                c.row_mut(6).assign(&first);
            }
            // A row equal to a tied centre, so the tie decides its label.
            if n > 5 && k > 12 {
                let tied = c.row(3).to_owned();
                x.row_mut(5).assign(&tied);
            }
            let packed = PackedCentres::new(c.view());
            let rows: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let mut labels = vec![0; n];
            let mut values = vec![0.0f32; n];
            nearest32_at(Level::Scalar, &rows, &packed, &mut labels, &mut values);
            for level in simd::supported() {
                let mut at_level = (vec![0; n], vec![0.0f32; n]);
                nearest32_at(level, &rows, &packed, &mut at_level.0, &mut at_level.1);
                assert_eq!(at_level.0, labels, "{}", level.name());
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&at_level.1), bits(&values), "{}", level.name());
            }
            // Against direct f64 distances of the rounded values: the label
            // is a nearest centre up to f32 round-off.
            for i in 0..n {
                let direct: Vec<f64> = (0..k)
                    .map(|cc| {
                        (0..d)
                            .map(|j| {
                                let diff =
                                    f64::from(rows[i * d + j]) - f64::from(c[[cc, j]] as f32);
                                diff * diff
                            })
                            .sum()
                    })
                    .collect();
                let min = direct.iter().cloned().fold(f64::INFINITY, f64::min);
                assert!(direct[labels[i]] - min <= 1e-4 * (1.0 + min), "row {i}");
                let xx: f64 = (0..d).map(|j| f64::from(rows[i * d + j]).powi(2)).sum();
                approx::assert_abs_diff_eq!(
                    xx + f64::from(values[i]),
                    direct[labels[i]],
                    epsilon = 1e-3
                );
            }
            if n > 5 && k > 12 {
                assert_eq!(
                    (labels[5], values[5] + sq_norm::<f32>(&rows[5 * d..6 * d])),
                    (3, 0.0)
                );
            }
        }
    }

    #[test]
    fn squared_norms_at_every_level_are_the_index_order_sums() {
        for (n, d) in [(1, 1), (8, 3), (21, 16), (13, 5)] {
            let x = filled(n, d, 6);
            let rows = x.as_slice().unwrap();
            let expected: Vec<u64> = x
                .rows()
                .into_iter()
                .map(|r| sq_norm::<f64>(r).to_bits())
                .collect();
            for level in simd::supported() {
                let mut sq = vec![0.0; n];
                sq_norms_at(level, rows, d, &mut sq);
                let bits: Vec<u64> = sq.iter().map(|v| v.to_bits()).collect();
                assert_eq!(bits, expected, "{} n={n} d={d}", level.name());
                let rows32: Vec<f32> = rows.iter().map(|&v| v as f32).collect();
                let mut sq32 = vec![0.0f32; n];
                sq_norms32_at(level, &rows32, d, &mut sq32);
                for (i, s) in sq32.iter().enumerate() {
                    let direct = sq_norm::<f32>(&rows32[i * d..(i + 1) * d]);
                    assert_eq!(
                        s.to_bits(),
                        direct.to_bits(),
                        "{} f32 row {i}",
                        level.name()
                    );
                }
            }
        }
    }

    #[test]
    fn a_row_is_at_exactly_zero_distance_from_itself() {
        let x = filled(9, 13, 3);
        let packed = PackedCentres::new(x.view());
        let mut v = vec![0.0; 81];
        all_centres(x.as_slice().unwrap(), &packed, &mut v);
        let mut labels = vec![0; 9];
        let mut values = vec![0.0; 9];
        nearest(x.as_slice().unwrap(), &packed, &mut labels, &mut values);
        for (i, row) in x.rows().into_iter().enumerate() {
            assert_eq!(sq_norm::<f64>(row) + v[i * 9 + i], 0.0);
            assert_eq!(sq_norm::<f64>(row) + values[i], 0.0);
            assert_eq!(labels[i], i);
        }
    }
}
