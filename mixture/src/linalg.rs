//! Small dense linear algebra on row-major slices: the d x d matrices of one
//! mixture component, a checked front end to `matrixmultiply`'s GEMM (in
//! `f64`, and in `f32` for `f32` data), and [`small_gemm`], the same products
//! without packing for the small per-chunk products of the EM passes. Cholesky factors and triangular inverses come from
//! [`admix_optim::linalg`].

/// A type `matrixmultiply` multiplies: `f64` (dgemm) or `f32` (sgemm).
pub(crate) trait Gemm: Copy + 'static + std::ops::Add<Output = Self> {
    /// 0 in this type.
    const ZERO: Self;
    /// 1 in this type.
    const ONE: Self;

    /// `a b + c` with one rounding.
    fn fma(a: Self, b: Self, c: Self) -> Self;

    /// [`small_gemm`] for this type: blocks of rows and columns sized for
    /// its vector registers.
    fn small_gemm_blocks(
        dims: (usize, usize, usize),
        a: Mat<'_, Self>,
        b: Mat<'_, Self>,
        add: bool,
        c: MatMut<'_, Self>,
    );

    /// `matrixmultiply`'s GEMM for this type, arguments as its own.
    ///
    /// # Safety
    /// As `matrixmultiply::dgemm`: every index the strides form lies inside
    /// the buffers, and `c` does not alias `a` or `b`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn raw(
        dims: (usize, usize, usize),
        alpha: Self,
        a: (*const Self, isize, isize),
        b: (*const Self, isize, isize),
        beta: Self,
        c: (*mut Self, isize, isize),
    );
}

impl Gemm for f64 {
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;

    #[inline(always)]
    fn fma(a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }

    #[inline(always)]
    fn small_gemm_blocks(
        dims: (usize, usize, usize),
        a: Mat<'_, f64>,
        b: Mat<'_, f64>,
        add: bool,
        c: MatMut<'_, f64>,
    ) {
        // Eight accumulator registers: 4 x 16 with AVX-512, 4 x 8 with AVX2.
        if wide_vectors() {
            blocks::<f64, 4, 16, 8, 8>(dims, a, b, add, c);
        } else {
            blocks::<f64, 4, 8, 8, 4>(dims, a, b, add, c);
        }
    }
    unsafe fn raw(
        (m, k, n): (usize, usize, usize),
        alpha: f64,
        a: (*const f64, isize, isize),
        b: (*const f64, isize, isize),
        beta: f64,
        c: (*mut f64, isize, isize),
    ) {
        // SAFETY: passed on from the caller.
        unsafe {
            matrixmultiply::dgemm(
                m, k, n, alpha, a.0, a.1, a.2, b.0, b.1, b.2, beta, c.0, c.1, c.2,
            )
        }
    }
}

impl Gemm for f32 {
    const ZERO: f32 = 0.0;
    const ONE: f32 = 1.0;

    #[inline(always)]
    fn fma(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }

    #[inline(always)]
    fn small_gemm_blocks(
        dims: (usize, usize, usize),
        a: Mat<'_, f32>,
        b: Mat<'_, f32>,
        add: bool,
        c: MatMut<'_, f32>,
    ) {
        // Eight accumulator registers: 4 x 32 with AVX-512, 4 x 16 with AVX2.
        if wide_vectors() {
            blocks::<f32, 4, 32, 8, 16>(dims, a, b, add, c);
        } else {
            blocks::<f32, 4, 16, 4, 8>(dims, a, b, add, c);
        }
    }
    unsafe fn raw(
        (m, k, n): (usize, usize, usize),
        alpha: f32,
        a: (*const f32, isize, isize),
        b: (*const f32, isize, isize),
        beta: f32,
        c: (*mut f32, isize, isize),
    ) {
        // SAFETY: passed on from the caller.
        unsafe {
            matrixmultiply::sgemm(
                m, k, n, alpha, a.0, a.1, a.2, b.0, b.1, b.2, beta, c.0, c.1, c.2,
            )
        }
    }
}

/// A matrix inside a slice: element (i, j) lives at `i * row + j * col`.
#[derive(Debug)]
pub(crate) struct Mat<'a, T = f64> {
    data: &'a [T],
    row: usize,
    col: usize,
}

impl<T> Clone for Mat<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Mat<'_, T> {}

impl<'a, T> Mat<'a, T> {
    /// Row-major storage with `cols` columns.
    pub fn rows(data: &'a [T], cols: usize) -> Self {
        Mat {
            data,
            row: cols,
            col: 1,
        }
    }

    /// The transpose of row-major storage with `cols` columns.
    pub fn transposed(data: &'a [T], cols: usize) -> Self {
        Mat {
            data,
            row: 1,
            col: cols,
        }
    }
}

/// Row-major storage with `cols` columns, written by [`gemm`].
#[derive(Debug)]
pub(crate) struct MatMut<'a, T = f64> {
    data: &'a mut [T],
    cols: usize,
}

impl<'a, T> MatMut<'a, T> {
    /// Row-major storage with `cols` columns.
    pub fn rows(data: &'a mut [T], cols: usize) -> Self {
        MatMut { data, cols }
    }
}

/// One past the largest index an `r x c` matrix with strides `(row, col)` touches.
fn extent(r: usize, c: usize, row: usize, col: usize) -> usize {
    if r == 0 || c == 0 {
        0
    } else {
        (r - 1) * row + (c - 1) * col + 1
    }
}

/// `c = alpha * a * b + beta * c` with `a` of shape (m, k), `b` (k, n), `c` (m, n).
///
/// # Panics
/// When a matrix reaches past the end of its slice (a programming error).
#[track_caller]
pub(crate) fn gemm<T: Gemm>(
    (m, k, n): (usize, usize, usize),
    alpha: T,
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
) {
    assert!(
        extent(m, k, a.row, a.col) <= a.data.len(),
        "gemm: a too short"
    );
    assert!(
        extent(k, n, b.row, b.col) <= b.data.len(),
        "gemm: b too short"
    );
    assert!(extent(m, n, c.cols, 1) <= c.data.len(), "gemm: c too short");
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: the asserts above keep every index matrixmultiply forms inside the
    // slices, and `c` is borrowed mutably so it cannot alias `a` or `b`.
    unsafe {
        T::raw(
            (m, k, n),
            alpha,
            (a.data.as_ptr(), a.row as isize, a.col as isize),
            (b.data.as_ptr(), b.row as isize, b.col as isize),
            beta,
            (c.data.as_mut_ptr(), c.cols as isize, 1),
        );
    }
}

/// Depth of `matrixmultiply`'s blocks (its `kc`, 256 for `f64` and `f32`):
/// a product no deeper is one fused multiply-add chain per element.
const GEMM_DEPTH: usize = 256;

/// Whether the kernels run with 512-bit vectors (the level they are
/// dispatched at), which sets the tiles of [`small_gemm`]: too large a
/// tile for the registers spills. The tiles change speed, never results.
#[inline(always)]
fn wide_vectors() -> bool {
    crate::simd::level() == crate::simd::Level::Avx512
}

/// `c = a b`, or `c += a b` with `add`, for the small products of the EM
/// kernels, where `matrixmultiply` would spend much of its time packing
/// (and allocating its packing buffer) for every call: `b` must be
/// row-major, and the product is computed straight from the operands in
/// register blocks, inlined into the caller (so compiled for its vector
/// level).
///
/// Bitwise the same as [`gemm`] with `alpha` 1 and `beta` 0 or 1: on a
/// CPU with FMA, `matrixmultiply` computes each element as one fused
/// multiply-add chain over the depth in order from 0 (for a depth up to its
/// block depth), then stores it or adds it to `c`, and so does this. Without
/// FMA, deeper than a block, or for a column-major `b`, it calls [`gemm`].
///
/// # Panics
/// As [`gemm`].
#[inline(always)]
#[track_caller]
pub(crate) fn small_gemm<T: Gemm>(
    (m, k, n): (usize, usize, usize),
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    add: bool,
    c: MatMut<'_, T>,
) {
    if k == 0 || k > GEMM_DEPTH || b.col != 1 || !crate::simd::has_fma() {
        let beta = if add { T::ONE } else { T::ZERO };
        return gemm((m, k, n), T::ONE, a, b, beta, c);
    }
    assert!(
        extent(m, k, a.row, a.col) <= a.data.len(),
        "gemm: a too short"
    );
    assert!(extent(k, n, b.row, 1) <= b.data.len(), "gemm: b too short");
    assert!(extent(m, n, c.cols, 1) <= c.data.len(), "gemm: c too short");
    T::small_gemm_blocks((m, k, n), a, b, add, c);
}

/// [`small_gemm`] in tiles of `R` rows and `C` columns; the columns past
/// the last whole `C` in tiles of `R2` rows and `H` columns (more rows, so
/// that the narrower tiles still have enough independent chains); rows past the
/// last whole block one at a time.
#[inline(always)]
fn blocks<T: Gemm, const R: usize, const C: usize, const R2: usize, const H: usize>(
    (m, k, n): (usize, usize, usize),
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    add: bool,
    c: MatMut<'_, T>,
) {
    let ldc = c.cols;
    let whole = n - n % C;
    let mut i = 0;
    while i + R <= m {
        for j in (0..whole).step_by(C) {
            tile::<T, R, C>((i, j), (k, C), a, b, add, c.data, ldc);
        }
        i += R;
    }
    for i in i..m {
        for j in (0..whole).step_by(C) {
            tile::<T, 1, C>((i, j), (k, C), a, b, add, c.data, ldc);
        }
    }
    for j in (whole..n).step_by(H) {
        let valid = H.min(n - j);
        let mut i = 0;
        while i + R2 <= m {
            tile::<T, R2, H>((i, j), (k, valid), a, b, add, c.data, ldc);
            i += R2;
        }
        for i in i..m {
            tile::<T, 1, H>((i, j), (k, valid), a, b, add, c.data, ldc);
        }
    }
}

/// The `R x C` tile of the product at `(i, j)`, of which the first `valid`
/// columns are wanted: each element one fused multiply-add chain over the
/// depth `k`, from 0, then stored or added. With fewer than `C` valid
/// columns, the others are computed from whatever follows in `b` (or zeros
/// past its end) and dropped.
///
/// The caller has checked that `a`, `b` and `c` hold the product's
/// extents, and that rows `i..i + R` and columns `j..j + valid` lie in it.
#[inline(always)]
fn tile<T: Gemm, const R: usize, const C: usize>(
    (i, j): (usize, usize),
    (k, valid): (usize, usize),
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    add: bool,
    c: &mut [T],
    ldc: usize,
) {
    let mut acc = [[T::ZERO; C]; R];
    for p in 0..k {
        let start = p * b.row + j;
        let row: [T; C] = if valid == C || start + C <= b.data.len() {
            // SAFETY: `start + C` is within `b` (whole columns lie in the
            // product's extent, checked by the caller; else the test above).
            unsafe { b.data.as_ptr().add(start).cast::<[T; C]>().read_unaligned() }
        } else {
            let mut row = [T::ZERO; C];
            row[..valid].copy_from_slice(&b.data[start..start + valid]);
            row
        };
        for (r, acc_r) in acc.iter_mut().enumerate() {
            // SAFETY: row i + r and column p lie in `a`'s extent (caller).
            let av = unsafe { *a.data.get_unchecked((i + r) * a.row + p * a.col) };
            for (s, &bv) in acc_r.iter_mut().zip(&row) {
                *s = T::fma(av, bv, *s);
            }
        }
    }
    for (r, acc_r) in acc.iter().enumerate() {
        let out = &mut c[(i + r) * ldc + j..][..valid];
        if add {
            for (o, &v) in out.iter_mut().zip(acc_r) {
                *o = *o + v;
            }
        } else {
            out.copy_from_slice(&acc_r[..valid]);
        }
    }
}

/// One [`small_gemm`] call as a kernel, to run it at a given vector level.
struct Small<'a, T> {
    dims: (usize, usize, usize),
    a: Mat<'a, T>,
    b: Mat<'a, T>,
    add: bool,
    c: &'a mut [T],
}

impl<T: Gemm> crate::simd::Kernel for Small<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        small_gemm(
            self.dims,
            self.a,
            self.b,
            self.add,
            MatMut::rows(self.c, self.dims.2),
        );
    }
}

/// [`small_gemm`] compiled for and run at vector level `level`, as the
/// kernels run it (they inline it into their dispatched code).
fn small_gemm_at<T: Gemm>(
    level: crate::simd::Level,
    dims: (usize, usize, usize),
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    add: bool,
    c: &mut [T],
) {
    crate::simd::dispatch(level, Small { dims, a, b, add, c });
}

/// For `benches/gemm.rs` only (not part of the API): `c = a b` (or
/// `c += a b` with `add`) by the EM kernels' [`small_gemm`] at their vector
/// level, `a` row-major or (`a_transposed`) stored as its `k x m`
/// transpose, `b` and `c` row-major.
#[doc(hidden)]
pub fn bench_small_gemm_f64(
    dims: (usize, usize, usize),
    (a, a_transposed): (&[f64], bool),
    b: &[f64],
    add: bool,
    c: &mut [f64],
) {
    bench_small_gemm(dims, (a, a_transposed), b, add, c);
}

/// [`bench_small_gemm_f64`] in `f32`.
#[doc(hidden)]
pub fn bench_small_gemm_f32(
    dims: (usize, usize, usize),
    (a, a_transposed): (&[f32], bool),
    b: &[f32],
    add: bool,
    c: &mut [f32],
) {
    bench_small_gemm(dims, (a, a_transposed), b, add, c);
}

fn bench_small_gemm<T: Gemm>(
    (m, k, n): (usize, usize, usize),
    (a, a_transposed): (&[T], bool),
    b: &[T],
    add: bool,
    c: &mut [T],
) {
    let a = if a_transposed {
        Mat::transposed(a, m)
    } else {
        Mat::rows(a, k)
    };
    let level = crate::simd::level();
    small_gemm_at(level, (m, k, n), a, Mat::rows(b, n), add, c);
}

/// Transpose of a square `d x d` row-major matrix.
pub(crate) fn transpose(a: &[f64], d: usize) -> Vec<f64> {
    let mut t = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..d {
            t[j * d + i] = a[i * d + j];
        }
    }
    t
}

/// `a * a^T` for a square `d x d` row-major matrix.
pub(crate) fn times_own_transpose(a: &[f64], d: usize) -> Vec<f64> {
    let mut out = vec![0.0; d * d];
    gemm(
        (d, d, d),
        1.0,
        Mat::rows(a, d),
        Mat::transposed(a, d),
        0.0,
        MatMut::rows(&mut out, d),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd;
    use admix_optim::linalg::cholesky;
    use approx::assert_relative_eq;

    /// `small_gemm` gives `gemm`'s bits (with `beta` 0 and 1) at every vector
    /// level, for shapes that use every kind of tile (whole, half, partial
    /// column blocks; whole and single row blocks), a transposed `a`, and a
    /// `b` whose last partial block ends at the end of its slice.
    fn small_gemm_matches_gemm<T: Gemm + std::fmt::Debug + PartialEq>(from: fn(f64) -> T) {
        for (m, k, n) in [
            (16, 33, 128),
            (256, 17, 37),
            (3, 128, 33),
            (13, 128, 136),
            (5, 1, 1),
            (9, 40, 47),
        ] {
            let value = |i: usize| from(((i * 37 + 11) % 101) as f64 / 7.0 - 7.1);
            let a: Vec<T> = (0..m * k).map(value).collect();
            let b: Vec<T> = (0..k * n).map(|i| value(i + 5)).collect();
            let start: Vec<T> = (0..m * n).map(|i| value(i + 9)).collect();
            for (a_mat, label) in [(Mat::rows(&a, k), "a"), (Mat::transposed(&a, m), "a^T")] {
                for add in [false, true] {
                    let mut want = start.clone();
                    let beta = if add { T::ONE } else { T::ZERO };
                    gemm(
                        (m, k, n),
                        T::ONE,
                        a_mat,
                        Mat::rows(&b, n),
                        beta,
                        MatMut::rows(&mut want, n),
                    );
                    for level in simd::supported() {
                        let mut got = start.clone();
                        small_gemm_at(level, (m, k, n), a_mat, Mat::rows(&b, n), add, &mut got);
                        assert_eq!(got, want, "{m}x{k}x{n} {label} add={add} {}", level.name());
                    }
                }
            }
        }
    }

    #[test]
    fn small_gemm_gives_the_bits_of_gemm_in_f64_and_f32() {
        small_gemm_matches_gemm::<f64>(|v| v);
        small_gemm_matches_gemm::<f32>(|v| v as f32);
    }

    #[test]
    fn gemm_with_transposed_operands_and_l_l_transpose() {
        let a = [4.0, 2.0, 0.4, 2.0, 5.0, 1.0, 0.4, 1.0, 3.0];
        let l = cholesky(&a, 3).unwrap();
        let back = times_own_transpose(&l, 3);
        for (x, y) in back.iter().zip(&a) {
            assert_relative_eq!(x, y, epsilon = 1e-14);
        }
        // (2 x 3) times the transpose of a (2 x 3): hand-computed products.
        let m = [1.0, 2.0, 3.0, -1.0, 0.5, 2.0];
        let mut c = vec![1.0; 4];
        gemm(
            (2, 3, 2),
            2.0,
            Mat::rows(&m, 3),
            Mat::transposed(&m, 3),
            1.0,
            MatMut::rows(&mut c, 2),
        );
        assert_eq!(c, vec![29.0, 13.0, 13.0, 11.5]);
        assert_eq!(transpose(&transpose(&a, 3), 3), a.to_vec());
    }
}
