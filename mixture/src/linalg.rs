//! Small dense linear algebra on row-major slices: the d x d matrices of one
//! mixture component, [`gemm`], a checked front end to faer's GEMM kernels
//! (`matrixmultiply` on CPUs without AVX2 and FMA), in `f64`, and in `f32`
//! for `f32` data, and [`small_gemm`], which multiplies the small per-chunk
//! products of the EM passes with whichever of those kernels or its own
//! unpacked register tiles measured faster (`benches/gemm.rs`), and
//! [`small_gemm_square_sums`], sums of squares of a product's columns
//! from those tiles without storing the product. Cholesky
//! factors and triangular inverses come from [`admix_optim::linalg`].

use crate::simd::Level;

/// A type the GEMM kernels multiply: `f64` or `f32`.
pub(crate) trait Gemm:
    Copy + 'static + std::ops::Add<Output = Self> + std::ops::Mul<Output = Self> + Lanes
{
    /// 0 in this type.
    const ZERO: Self;
    /// 1 in this type.
    const ONE: Self;

    /// `a b + c` with one rounding.
    fn fma(a: Self, b: Self, c: Self) -> Self;

    /// [`small_gemm`] for this type: blocks of rows and columns sized for
    /// its vector registers at `level`.
    fn small_gemm_blocks(
        level: Level,
        dims: (usize, usize, usize),
        a: Mat<'_, Self>,
        b: Mat<'_, Self>,
        add: bool,
        c: MatMut<'_, Self>,
    );

    /// faer's kernels' name for this type.
    #[cfg(target_arch = "x86_64")]
    const DTYPE: private_gemm_x86::DType;

    /// `matrixmultiply`'s GEMM for this type (`c = a b + beta c`), arguments
    /// as its own.
    ///
    /// # Safety
    /// As `matrixmultiply::dgemm`: every index the strides form lies inside
    /// the buffers, and `c` does not alias `a` or `b`.
    unsafe fn matrixmultiply(
        dims: (usize, usize, usize),
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
        level: Level,
        dims: (usize, usize, usize),
        a: Mat<'_, f64>,
        b: Mat<'_, f64>,
        add: bool,
        c: MatMut<'_, f64>,
    ) {
        // Eight accumulator registers: 4 x 16 with AVX-512, 4 x 8 with AVX2.
        if wide_vectors(level) {
            blocks::<f64, 4, 16, 8, 8>(dims, a, b, add, c);
        } else {
            blocks::<f64, 4, 8, 8, 4>(dims, a, b, add, c);
        }
    }

    #[cfg(target_arch = "x86_64")]
    const DTYPE: private_gemm_x86::DType = private_gemm_x86::DType::F64;

    unsafe fn matrixmultiply(
        (m, k, n): (usize, usize, usize),
        a: (*const f64, isize, isize),
        b: (*const f64, isize, isize),
        beta: f64,
        c: (*mut f64, isize, isize),
    ) {
        // SAFETY: passed on from the caller.
        unsafe {
            matrixmultiply::dgemm(
                m, k, n, 1.0, a.0, a.1, a.2, b.0, b.1, b.2, beta, c.0, c.1, c.2,
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
        level: Level,
        dims: (usize, usize, usize),
        a: Mat<'_, f32>,
        b: Mat<'_, f32>,
        add: bool,
        c: MatMut<'_, f32>,
    ) {
        // Eight accumulator registers: 4 x 32 with AVX-512, 4 x 16 with AVX2.
        if wide_vectors(level) {
            blocks::<f32, 4, 32, 8, 16>(dims, a, b, add, c);
        } else {
            blocks::<f32, 4, 16, 4, 8>(dims, a, b, add, c);
        }
    }

    #[cfg(target_arch = "x86_64")]
    const DTYPE: private_gemm_x86::DType = private_gemm_x86::DType::F32;

    unsafe fn matrixmultiply(
        (m, k, n): (usize, usize, usize),
        a: (*const f32, isize, isize),
        b: (*const f32, isize, isize),
        beta: f32,
        c: (*mut f32, isize, isize),
    ) {
        // SAFETY: passed on from the caller.
        unsafe {
            matrixmultiply::sgemm(
                m, k, n, 1.0, a.0, a.1, a.2, b.0, b.1, b.2, beta, c.0, c.1, c.2,
            )
        }
    }
}

#[cfg(target_arch = "x86_64")]
use x86::Lanes;

/// Elsewhere than x86-64, no intrinsics tiles.
#[cfg(not(target_arch = "x86_64"))]
pub(crate) trait Lanes {}
#[cfg(not(target_arch = "x86_64"))]
impl<T> Lanes for T {}

/// Whether [`small_gemm`] multiplies an `n`-column product in the
/// intrinsics tiles of `x86::register_rows`: one or two AVX-512 registers
/// wide, where they measured faster than faer's kernels and the plain
/// tiles (see [`faster_by_gemm`]).
#[inline(always)]
fn wide_tiles<T: Gemm>(level: Level, n: usize) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        (n == T::LANES || n == 2 * T::LANES) && wide_vectors(level)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (level, n);
        false
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

/// The instruction set faer's GEMM kernels (`private-gemm-x86`, which
/// `faer::linalg::matmul` calls for all but tiny products) run at for
/// products at `level`: AVX-512 at that level, else AVX2, on CPUs with
/// AVX2 and FMA; `None` elsewhere, where [`gemm`] calls `matrixmultiply`.
///
/// Their blocks are 512 deep (their `kc`) at both sets, and each element
/// of a block is one fused multiply-add chain over the depth in order from
/// 0, so both give the same bits (tested).
#[cfg(target_arch = "x86_64")]
fn faer_kernels(level: Level) -> Option<private_gemm_x86::InstrSet> {
    use std::arch::is_x86_feature_detected as has;
    if !(has!("avx2") && has!("fma")) {
        return None;
    }
    Some(if wide_vectors(level) {
        private_gemm_x86::InstrSet::Avx512
    } else {
        private_gemm_x86::InstrSet::Avx256
    })
}

/// `c = a b`, or `c += a b` with `add`, with `a` of shape (m, k), `b` (k, n),
/// `c` (m, n): faer's kernels single-threaded (so results do not depend
/// on the thread count), or `matrixmultiply` where they do not run.
///
/// # Panics
/// When a matrix reaches past the end of its slice (a programming error).
#[track_caller]
pub(crate) fn gemm<T: Gemm>(
    dims: (usize, usize, usize),
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    add: bool,
    c: MatMut<'_, T>,
) {
    gemm_at(crate::simd::level(), dims, a, b, add, c);
}

/// [`gemm`] with faer's kernels at the instruction set of `level`.
#[track_caller]
fn gemm_at<T: Gemm>(
    level: Level,
    (m, k, n): (usize, usize, usize),
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    add: bool,
    c: MatMut<'_, T>,
) {
    check((m, k, n), a, b, &c);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !add {
            c.data[..extent(m, n, c.cols, 1)].fill(T::ZERO);
        }
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if let Some(set) = faer_kernels(level) {
        return faer_gemm(set, (m, k, n), a, b, add, c);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = level;
    let beta = if add { T::ONE } else { T::ZERO };
    // SAFETY: `check` keeps every index matrixmultiply forms inside the
    // slices, and `c` is borrowed mutably so it cannot alias `a` or `b`.
    unsafe {
        T::matrixmultiply(
            (m, k, n),
            (a.data.as_ptr(), a.row as isize, a.col as isize),
            (b.data.as_ptr(), b.row as isize, b.col as isize),
            beta,
            (c.data.as_mut_ptr(), c.cols as isize, 1),
        );
    }
}

/// [`gemm`] by faer's kernels at instruction set `set` (one of this CPU's),
/// on one thread, for `m`, `k` and `n` above 0 and operands [`check`]ed.
#[cfg(target_arch = "x86_64")]
fn faer_gemm<T: Gemm>(
    set: private_gemm_x86::InstrSet,
    (m, k, n): (usize, usize, usize),
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    add: bool,
    c: MatMut<'_, T>,
) {
    use private_gemm_x86::{Accum, DstKind, IType};
    let accum = if add { Accum::Add } else { Accum::Replace };
    let one = T::ONE;
    // SAFETY: the caller checked that every index the strides form lies in
    // the slices, and `c` is borrowed mutably so it cannot alias `a` or `b`;
    // `set` is supported by this CPU; one thread; no index lists, no diagonal.
    unsafe {
        private_gemm_x86::gemm(
            T::DTYPE,
            IType::U64,
            set,
            m,
            n,
            k,
            c.data.as_mut_ptr().cast(),
            c.cols as isize,
            1,
            std::ptr::null(),
            std::ptr::null(),
            DstKind::Full,
            accum,
            a.data.as_ptr().cast(),
            a.row as isize,
            a.col as isize,
            false,
            std::ptr::null(),
            0,
            b.data.as_ptr().cast(),
            b.row as isize,
            b.col as isize,
            false,
            (&raw const one).cast(),
            1,
        );
        // The kernels return with the upper halves of the vector registers
        // set; clear them, or every legacy-SSE instruction after (code
        // built without AVX: the portable level, libm calls) pays for it.
        std::arch::x86_64::_mm256_zeroupper();
    }
}

/// Panics unless `a`, `b` and `c` hold a product of shape `(m, k, n)`.
#[track_caller]
fn check<T>((m, k, n): (usize, usize, usize), a: Mat<'_, T>, b: Mat<'_, T>, c: &MatMut<'_, T>) {
    check_operands((m, k, n), a, b);
    assert!(extent(m, n, c.cols, 1) <= c.data.len(), "gemm: c too short");
}

/// Panics unless `a` and `b` hold the operands of a product of shape `(m, k, n)`.
#[track_caller]
fn check_operands<T>((m, k, n): (usize, usize, usize), a: Mat<'_, T>, b: Mat<'_, T>) {
    assert!(
        extent(m, k, a.row, a.col) <= a.data.len(),
        "gemm: a too short"
    );
    assert!(
        extent(k, n, b.row, b.col) <= b.data.len(),
        "gemm: b too short"
    );
}

/// Depth up to which both GEMMs [`gemm`] may call compute each element as
/// one fused multiply-add chain (`matrixmultiply`'s block depth, 256, is
/// the shallower): a product no deeper has the same bits from either.
const GEMM_DEPTH: usize = 256;

/// Whether products at `level` (the level their kernel is dispatched at)
/// run with 512-bit vectors, which sets the tiles of [`small_gemm`]: too
/// large a tile for the registers spills. The tiles change speed, never
/// results.
#[inline(always)]
fn wide_vectors(level: Level) -> bool {
    level == Level::Avx512
}

/// `c = a b`, or `c += a b` with `add`, for the small products of the EM
/// kernels: by [`gemm`] where its kernels measured faster, else straight
/// from the operands (`b` row-major) in register blocks without packing,
/// inlined into the caller (so compiled for its vector level; the EM
/// kernels call it through [`small_gemm_at`], once per level).
///
/// `benches/gemm.rs` on the EM products (chunks of 128 rows; d = 16, k = 16
/// and d = 64, k = 8) found faer's kernels faster than these tiles at
/// AVX-512 on every product but one (a tie), and at AVX2 on the products
/// with few rows (`m` <= 16, the M-step's, by 7-22%), but slower at AVX2 on
/// the E-step's and the triangles' at d = 16 (by 6-22%); see
/// [`faster_by_gemm`]. The exception at AVX-512: products one or two
/// registers wide (`f32` of 16 or 32 columns, `f64` of 8 or 16), which
/// intrinsics tiles of 16 accumulators (`x86::register_rows`) multiplied
/// faster than faer's kernels: in `f32` the diag E-step's 1.8x, the
/// triangles' 1.2x, the diag M-step's (32 columns, without the 1s) 1.5x;
/// in `f64` the diag E-step's 1.17x at d = 16 and 1.08x at d = 64, the
/// triangles' a tie.
///
/// Either way bitwise the same as [`gemm`]: on a CPU with FMA, both compute
/// each element as one fused multiply-add chain over the depth in order
/// from 0 (for a depth up to [`GEMM_DEPTH`]), then store it or add it to
/// `c`. Without FMA, deeper, or for a column-major `b`, it calls [`gemm`].
///
/// # Panics
/// As [`gemm`].
#[inline(always)]
#[track_caller]
pub(crate) fn small_gemm<T: Gemm>(
    level: Level,
    (m, k, n): (usize, usize, usize),
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    add: bool,
    c: MatMut<'_, T>,
) {
    if faster_by_gemm::<T>(level, m, n) {
        return gemm_at(level, (m, k, n), a, b, add, c);
    }
    tiles(level, (m, k, n), a, b, add, c);
}

/// [`small_gemm`] by its own register tiles, where they give the bits of
/// [`gemm`]; else by [`gemm`].
#[inline(always)]
#[track_caller]
fn tiles<T: Gemm>(
    level: Level,
    (m, k, n): (usize, usize, usize),
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    add: bool,
    c: MatMut<'_, T>,
) {
    if k == 0 || k > GEMM_DEPTH || b.col != 1 || !crate::simd::has_fma() {
        return gemm_at(level, (m, k, n), a, b, add, c);
    }
    check((m, k, n), a, b, &c);
    #[cfg(target_arch = "x86_64")]
    if wide_tiles::<T>(level, n) {
        // SAFETY: AVX-512 is the level (`wide_tiles`), so this CPU has it;
        // FMA is there (above), the operands hold the product (`check`),
        // `b` is row-major and the depth at most `GEMM_DEPTH` (above).
        // Tiles of 16 rows of one register, or 8 rows of two.
        let done = unsafe {
            let (dims, ldc) = ((m, k, n), c.cols);
            if n == T::LANES {
                x86::register_rows::<T, 16, 1>(dims, a, b, add, &mut *c.data, ldc)
            } else {
                x86::register_rows::<T, 8, 2>(dims, a, b, add, &mut *c.data, ldc)
            }
        };
        let a = Mat {
            data: &a.data[done * a.row..],
            ..a
        };
        let c = MatMut::rows(&mut c.data[done * c.cols..], c.cols);
        return T::small_gemm_blocks(level, (m - done, k, n), a, b, add, c);
    }
    T::small_gemm_blocks(level, (m, k, n), a, b, add, c);
}

/// Whether [`gemm`] multiplies an `m x _ x n` product faster than
/// [`small_gemm`]'s tiles (measured, see there): with faer's kernels at
/// AVX-512, or for at most 16 rows; but not a product one or two
/// registers wide at AVX-512 ([`wide_tiles`]), which faer turns into
/// tiles of one or two registers by 4 (it makes the destination
/// column-major, so our columns become its rows): four or eight
/// accumulators, too few to keep two FMA ports busy.
#[inline(always)]
fn faster_by_gemm<T: Gemm>(level: Level, m: usize, n: usize) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        faer_kernels(level).is_some()
            && (wide_vectors(level) || m <= 16)
            && !wide_tiles::<T>(level, n)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (level, m, n);
        false
    }
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
    let acc = chains::<T, R, C>((i, j), (k, valid), a, b);
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

/// The `R x C` tile of `a b` at `(i, j)` in registers (see [`tile`]):
/// each element one fused multiply-add chain over the depth `k` from 0.
#[inline(always)]
fn chains<T: Gemm, const R: usize, const C: usize>(
    (i, j): (usize, usize),
    (k, valid): (usize, usize),
    a: Mat<'_, T>,
    b: Mat<'_, T>,
) -> [[T; C]; R] {
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
    acc
}

/// `out[g n + j]` = the sum of the squares of column `j` of the `group`
/// rows `g group ..` of `a b` (`(m, k, n)`, `m` a multiple of `group`,
/// `b` row-major), for CPUs with FMA: each element of `a b` is the fused
/// multiply-add chain of [`gemm`] (so the same bits), and its square is
/// added to the sum in row order from 0 (a multiply, then an add). The
/// product's tiles stay in registers: the full-covariance E-step wants
/// only these sums, and writing the whole product to memory and reading
/// it back cost more than the sums themselves. At AVX-512, where the
/// groups and columns are whole tiles (8 rows by two registers), the
/// tiles are intrinsics (`x86::square_sums`): alternated in one process
/// on the full E-step's operands (chunks of 128 rows), 1.13x (`f64`) and
/// 1.24x (`f32`) faster than the plain-Rust tiles at d = 16, k = 16, and
/// a tie (`f64`) and 1.07-1.10x (`f32`) at d = 64, k = 8.
///
/// # Panics
/// When the operands do not hold the product, `b` is not row-major, `k`
/// is beyond [`GEMM_DEPTH`] or the CPU lacks FMA.
#[inline(always)]
#[track_caller]
pub(crate) fn small_gemm_square_sums<T: Gemm>(
    level: Level,
    (m, k, n): (usize, usize, usize),
    group: usize,
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    out: &mut [T],
) {
    assert!(group > 0 && m % group == 0, "groups of rows must tile a b");
    assert!(b.col == 1 && k <= GEMM_DEPTH && crate::simd::has_fma());
    check_operands((m, k, n), a, b);
    assert!(out.len() >= m / group * n, "square sums: out too short");
    let dims = (m, k, n);
    #[cfg(target_arch = "x86_64")]
    if wide_vectors(level) && group.is_multiple_of(8) && n.is_multiple_of(2 * T::LANES) {
        // SAFETY: AVX-512 is the level (so this CPU has it), FMA is there
        // (above), the operands and `out` hold the product and its sums
        // (above), and the tiles divide the group and the columns.
        return unsafe { x86::square_sums::<T, 8, 2>(dims, group, a, b, out) };
    }
    // Accumulators: 8 rows of two vectors with AVX-512 (16 of its 32
    // registers), 4 rows of two with AVX2 (8 of 16).
    match (wide_vectors(level), size_of::<T>()) {
        (true, 8) => square_sum_blocks::<T, 8, 16>(dims, group, a, b, out),
        (true, _) => square_sum_blocks::<T, 8, 32>(dims, group, a, b, out),
        (false, 8) => square_sum_blocks::<T, 4, 8>(dims, group, a, b, out),
        (false, _) => square_sum_blocks::<T, 4, 16>(dims, group, a, b, out),
    }
}

/// [`small_gemm_square_sums`] in tiles of `R` rows and `C` columns (the
/// rows of a group past its last whole `R` one at a time).
#[inline(always)]
fn square_sum_blocks<T: Gemm, const R: usize, const C: usize>(
    (m, k, n): (usize, usize, usize),
    group: usize,
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    out: &mut [T],
) {
    // `sums` passes by value and is written out element by element: a
    // mutable borrow of it or a copy of a slice of it made LLVM keep it
    // on the stack in pieces of odd sizes, whose reloads missed store
    // forwarding (about 4% of the full E-step at AVX-512).
    #[inline(always)]
    fn add_squares<T: Gemm, const R: usize, const C: usize>(
        mut sums: [T; C],
        tile: [[T; C]; R],
    ) -> [T; C] {
        for row in &tile {
            for c in 0..C {
                sums[c] = sums[c] + row[c] * row[c];
            }
        }
        sums
    }
    for (g, out_g) in out.chunks_exact_mut(n).take(m / group).enumerate() {
        for j in (0..n).step_by(C) {
            let valid = C.min(n - j);
            let mut sums = [T::ZERO; C];
            let mut i = g * group;
            while i + R <= (g + 1) * group {
                sums = add_squares(sums, chains::<T, R, C>((i, j), (k, valid), a, b));
                i += R;
            }
            for i in i..(g + 1) * group {
                sums = add_squares(sums, chains::<T, 1, C>((i, j), (k, valid), a, b));
            }
            for (o, s) in out_g[j..j + valid].iter_mut().zip(sums) {
                *o = s;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! Intrinsics in `inline(always)` functions only: they inline into the
    //! kernels' AVX-512 copies.
    use super::{Mat, GEMM_DEPTH};
    use std::arch::x86_64::*;

    /// The AVX-512 operations of [`register_rows`] for one element type.
    pub(crate) trait Lanes: Copy {
        /// Elements per register.
        const LANES: usize;
        /// One register of them.
        type V: Copy;
        /// # Safety
        /// For all: AVX-512F is available; pointers hold a register's worth.
        unsafe fn vzero() -> Self::V;
        unsafe fn vload(p: *const Self) -> Self::V;
        unsafe fn vsplat(v: Self) -> Self::V;
        /// `a b + c` with one rounding per lane.
        unsafe fn vfma(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
        unsafe fn vadd(a: Self::V, b: Self::V) -> Self::V;
        unsafe fn vmul(a: Self::V, b: Self::V) -> Self::V;
        unsafe fn vstore(p: *mut Self, v: Self::V);
    }

    macro_rules! lanes {
        ($t:ty, $lanes:literal, $v:ty, $zero:ident, $load:ident, $splat:ident,
         $fma:ident, $add:ident, $mul:ident, $store:ident) => {
            impl Lanes for $t {
                const LANES: usize = $lanes;
                type V = $v;
                #[inline(always)]
                unsafe fn vzero() -> $v {
                    // SAFETY: for all: the caller's.
                    unsafe { $zero() }
                }
                #[inline(always)]
                unsafe fn vload(p: *const $t) -> $v {
                    unsafe { $load(p) }
                }
                #[inline(always)]
                unsafe fn vsplat(v: $t) -> $v {
                    unsafe { $splat(v) }
                }
                #[inline(always)]
                unsafe fn vfma(a: $v, b: $v, c: $v) -> $v {
                    unsafe { $fma(a, b, c) }
                }
                #[inline(always)]
                unsafe fn vadd(a: $v, b: $v) -> $v {
                    unsafe { $add(a, b) }
                }
                #[inline(always)]
                unsafe fn vmul(a: $v, b: $v) -> $v {
                    unsafe { $mul(a, b) }
                }
                #[inline(always)]
                unsafe fn vstore(p: *mut $t, v: $v) {
                    unsafe { $store(p, v) }
                }
            }
        };
    }

    lanes!(
        f32,
        16,
        __m512,
        _mm512_setzero_ps,
        _mm512_loadu_ps,
        _mm512_set1_ps,
        _mm512_fmadd_ps,
        _mm512_add_ps,
        _mm512_mul_ps,
        _mm512_storeu_ps
    );
    lanes!(
        f64,
        8,
        __m512d,
        _mm512_setzero_pd,
        _mm512_loadu_pd,
        _mm512_set1_pd,
        _mm512_fmadd_pd,
        _mm512_add_pd,
        _mm512_mul_pd,
        _mm512_storeu_pd
    );

    /// `c = a b` (or `c += a b` with `add`) for `b` of `V` registers' worth
    /// of columns, in tiles of `R` rows: `R V` accumulators (16: twice the
    /// multiply-adds in flight that two FMA ports of latency 4 need), each
    /// element the fused multiply-add chain over the depth in order from 0
    /// of [`super::small_gemm`]. Returns the rows done (the whole tiles);
    /// the caller multiplies the rest.
    ///
    /// In plain-Rust tiles (`chains`) LLVM did not keep 16 accumulators
    /// in registers (it spilled them); faer's kernels make the destination
    /// column-major, so a product of one or two registers' worth of
    /// columns runs there as tiles of one or two registers by 4 columns:
    /// 4 or 8 accumulators.
    ///
    /// # Safety
    /// AVX-512F and FMA are available; `a` (m, k), `b` (k, n, row-major)
    /// and `c` (m, n, `ldc` apart) hold the product; `k` is at most
    /// [`GEMM_DEPTH`].
    #[inline(always)]
    pub(super) unsafe fn register_rows<T: Lanes, const R: usize, const V: usize>(
        (m, k, n): (usize, usize, usize),
        a: Mat<'_, T>,
        b: Mat<'_, T>,
        add: bool,
        c: &mut [T],
        ldc: usize,
    ) -> usize {
        debug_assert!(n == V * T::LANES && b.col == 1 && k <= GEMM_DEPTH);
        let cp = c.as_mut_ptr();
        let whole = m - m % R;
        for i in (0..whole).step_by(R) {
            // SAFETY: rows i..i + R, depth 0..k and columns 0..n lie in the
            // operands (the caller's), and the CPU has AVX-512F and FMA.
            unsafe {
                let acc = tile::<T, R, V>((i, 0), k, a, b);
                for (r, acc) in acc.into_iter().enumerate() {
                    for (v, acc) in acc.into_iter().enumerate() {
                        let out = cp.add((i + r) * ldc + v * T::LANES);
                        let v = if add {
                            T::vadd(T::vload(out), acc)
                        } else {
                            acc
                        };
                        T::vstore(out, v);
                    }
                }
            }
        }
        whole
    }

    /// The `R x V`-register tile of `a b` at row `i`, column `j`, in
    /// registers: each element the fused multiply-add chain over the depth
    /// `k` in order from 0.
    ///
    /// # Safety
    /// AVX-512F and FMA are available; rows `i..i + R` of `a` (to depth
    /// `k`) and columns `j..j + V` registers of `b` (row-major) lie in the
    /// operands.
    #[inline(always)]
    unsafe fn tile<T: Lanes, const R: usize, const V: usize>(
        (i, j): (usize, usize),
        k: usize,
        a: Mat<'_, T>,
        b: Mat<'_, T>,
    ) -> [[T::V; V]; R] {
        let (ap, bp) = (a.data.as_ptr(), b.data.as_ptr());
        // SAFETY: the caller's.
        unsafe {
            let mut acc = [[T::vzero(); V]; R];
            for p in 0..k {
                let row: [T::V; V] =
                    std::array::from_fn(|v| T::vload(bp.add(p * b.row + j + v * T::LANES)));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let av = T::vsplat(*ap.add((i + r) * a.row + p * a.col));
                    for (acc, &row) in acc.iter_mut().zip(&row) {
                        *acc = T::vfma(av, row, *acc);
                    }
                }
            }
            acc
        }
    }

    /// [`super::small_gemm_square_sums`] in tiles of `R` rows by `V`
    /// registers of columns (the group a multiple of `R`, the columns of
    /// `V` registers): each sum the squares of its column's elements, each
    /// an FMA chain, added in row order from 0 (a multiply, then an add).
    ///
    /// # Safety
    /// AVX-512F and FMA are available; the operands hold the product
    /// `(m, k, n)` (`b` row-major), `out` holds `m / group * n` sums, `R`
    /// divides `group` and `V` registers divide `n`.
    #[inline(always)]
    pub(super) unsafe fn square_sums<T: Lanes, const R: usize, const V: usize>(
        (m, k, n): (usize, usize, usize),
        group: usize,
        a: Mat<'_, T>,
        b: Mat<'_, T>,
        out: &mut [T],
    ) {
        debug_assert!(group.is_multiple_of(R) && n.is_multiple_of(V * T::LANES) && k <= GEMM_DEPTH);
        let op = out.as_mut_ptr();
        for g in 0..m / group {
            for j in (0..n).step_by(V * T::LANES) {
                // SAFETY: the caller's.
                unsafe {
                    let mut sums = [T::vzero(); V];
                    for i in (g * group..(g + 1) * group).step_by(R) {
                        for row in tile::<T, R, V>((i, j), k, a, b) {
                            for (s, v) in sums.iter_mut().zip(row) {
                                *s = T::vadd(*s, T::vmul(v, v));
                            }
                        }
                    }
                    for (v, s) in sums.into_iter().enumerate() {
                        T::vstore(op.add(g * n + j + v * T::LANES), s);
                    }
                }
            }
        }
    }
}

/// [`small_gemm`] compiled for `level`, in a function of its own (one per
/// level and type), which is how the EM kernels call it: inlined at each of
/// their call sites, the product's tiles were copied a dozen times into
/// every kernel at every level, and compiling those copies took most of the
/// crate's build time. A call per product of a chunk costs nothing
/// measurable; the bits are the same (only where the code sits changes).
pub(crate) fn small_gemm_at<T: Gemm>(
    level: Level,
    dims: (usize, usize, usize),
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    add: bool,
    c: MatMut<'_, T>,
) {
    let how = BenchGemm::Small;
    Product {
        level,
        how,
        dims,
        a,
        b,
        add,
        c,
    }
    .dispatch();
}

/// [`small_gemm_square_sums`] compiled for `level`, in a function of its own
/// (see [`small_gemm_at`]).
pub(crate) fn small_gemm_square_sums_at<T: Gemm>(
    level: Level,
    dims: (usize, usize, usize),
    group: usize,
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    out: &mut [T],
) {
    SquareSums {
        level,
        dims,
        group,
        a,
        b,
        out,
    }
    .dispatch();
}

/// One product as a kernel, to run it at a given vector level.
struct Product<'a, T> {
    /// The level the kernel is dispatched at, which also chooses its tiles.
    level: Level,
    how: BenchGemm,
    dims: (usize, usize, usize),
    a: Mat<'a, T>,
    b: Mat<'a, T>,
    add: bool,
    c: MatMut<'a, T>,
}

impl<T: Gemm> Product<'_, T> {
    /// Runs the product compiled for its level.
    fn dispatch(self) {
        crate::simd::dispatch(self.level, self);
    }
}

impl<T: Gemm> crate::simd::Kernel for Product<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let (level, dims, a, b) = (self.level, self.dims, self.a, self.b);
        let (add, c) = (self.add, self.c);
        match self.how {
            BenchGemm::Small => small_gemm(level, dims, a, b, add, c),
            BenchGemm::Tiles => tiles(level, dims, a, b, add, c),
            BenchGemm::Gemm => gemm_at(level, dims, a, b, add, c),
        }
    }
}

/// [`small_gemm_square_sums`] as a kernel, to run it at a given vector level.
struct SquareSums<'a, T> {
    /// The level the kernel is dispatched at, which also chooses its tiles.
    level: Level,
    dims: (usize, usize, usize),
    group: usize,
    a: Mat<'a, T>,
    b: Mat<'a, T>,
    out: &'a mut [T],
}

impl<T: Gemm> SquareSums<'_, T> {
    /// Runs the sums compiled for their level.
    fn dispatch(self) {
        crate::simd::dispatch(self.level, self);
    }
}

impl<T: Gemm> crate::simd::Kernel for SquareSums<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let (level, dims, group) = (self.level, self.dims, self.group);
        small_gemm_square_sums(level, dims, group, self.a, self.b, self.out);
    }
}

/// For `benches/` only (not part of the API): which of the products of
/// this module [`bench_gemm_f64`] runs.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BenchGemm {
    /// What the EM kernels call: `small_gemm`.
    Small,
    /// `small_gemm`'s own register tiles, where they apply.
    Tiles,
    /// The general GEMM: faer's kernels, or `matrixmultiply`.
    Gemm,
}

/// For `benches/` only (not part of the API): the GEMM the kernels use,
/// by name.
#[doc(hidden)]
pub fn bench_gemm_name() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    match faer_kernels(crate::simd::level()) {
        Some(private_gemm_x86::InstrSet::Avx512) => {
            return "faer 0.24's kernels (private-gemm-x86 0.1) at AVX-512"
        }
        Some(_) => return "faer 0.24's kernels (private-gemm-x86 0.1) at AVX2",
        None => {}
    }
    "matrixmultiply 0.3"
}

/// For `benches/` only (not part of the API): `c = a b` (or `c += a b`
/// with `add`) by `how`, compiled for and run at the kernels' vector level,
/// `a` row-major or (`a_transposed`) stored as its `k x m` transpose, `b`
/// and `c` row-major.
#[doc(hidden)]
pub fn bench_gemm_f64(
    how: BenchGemm,
    dims: (usize, usize, usize),
    (a, a_transposed): (&[f64], bool),
    b: &[f64],
    add: bool,
    c: &mut [f64],
) {
    bench_gemm(how, dims, (a, a_transposed), b, add, c);
}

/// [`bench_gemm_f64`] in `f32`.
#[doc(hidden)]
pub fn bench_gemm_f32(
    how: BenchGemm,
    dims: (usize, usize, usize),
    (a, a_transposed): (&[f32], bool),
    b: &[f32],
    add: bool,
    c: &mut [f32],
) {
    bench_gemm(how, dims, (a, a_transposed), b, add, c);
}

fn bench_gemm<T: Gemm>(
    how: BenchGemm,
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
    let dims = (m, k, n);
    let (b, c) = (Mat::rows(b, n), MatMut::rows(c, n));
    Product {
        level: crate::simd::level(),
        how,
        dims,
        a,
        b,
        add,
        c,
    }
    .dispatch();
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
        Mat::rows(a, d),
        Mat::transposed(a, d),
        false,
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

    /// `c = a b` (or `c += a b`) element by element, each a fused
    /// multiply-add chain over the depth in blocks of `block`, in order
    /// from 0, each block's chain started from 0 and then added to `c`:
    /// the reference the GEMMs must match bitwise.
    fn chains<T: Gemm>(
        (m, k, n): (usize, usize, usize),
        a: Mat<'_, T>,
        b: &[T],
        add: bool,
        c: &mut [T],
        block: usize,
    ) {
        for i in 0..m {
            for j in 0..n {
                let at = |p: usize| a.data[i * a.row + p * a.col];
                for start in (0..k).step_by(block) {
                    let chain = (start..k.min(start + block))
                        .fold(T::ZERO, |s, p| T::fma(at(p), b[p * n + j], s));
                    let o = &mut c[i * n + j];
                    *o = if add || start > 0 { *o + chain } else { chain };
                }
            }
        }
    }

    /// Seeded values on a grid of 1/7, so the products round.
    fn values<T: Gemm>(from: fn(f64) -> T, len: usize, salt: usize) -> Vec<T> {
        (0..len)
            .map(|i| from((((i + salt) * 37 + 11) % 101) as f64 / 7.0 - 7.1))
            .collect()
    }

    /// `gemm`, and `small_gemm` and its tiles at every vector level, give the bits of one
    /// fused multiply-add chain per element (on a CPU with FMA; without,
    /// `small_gemm` calls `gemm`), for shapes that use every kind of tile
    /// (whole, half, partial column blocks; whole and single row blocks;
    /// at AVX-512, products one or two registers wide in whole intrinsics
    /// tiles and the rows after),
    /// products of at most 16 rows (which `small_gemm` gives to `gemm`),
    /// single rows, columns and depths, a transposed `a`, and a `b` whose
    /// last partial block ends at the end of its slice.
    fn small_gemm_and_gemm_are_fma_chains<T: Gemm + std::fmt::Debug + PartialEq>(
        from: fn(f64) -> T,
    ) {
        for (m, k, n) in [
            (16, 33, 128),
            (256, 17, 37),
            (3, 128, 33),
            (13, 128, 136),
            (5, 1, 1),
            (9, 40, 47),
            (1, 128, 17),
            (40, 256, 1),
            (17, 65, 8),
            (128, 33, 16),
            (41, 20, 16),
            (16, 128, 32),
            (35, 9, 32),
            (37, 10, 8),
        ] {
            let a = values(from, m * k, 0);
            let b = values(from, k * n, 5);
            let start = values(from, m * n, 9);
            for (a_mat, label) in [(Mat::rows(&a, k), "a"), (Mat::transposed(&a, m), "a^T")] {
                for add in [false, true] {
                    let mut want = start.clone();
                    gemm(
                        (m, k, n),
                        a_mat,
                        Mat::rows(&b, n),
                        add,
                        MatMut::rows(&mut want, n),
                    );
                    if simd::has_fma() {
                        let mut chain = start.clone();
                        chains((m, k, n), a_mat, &b, add, &mut chain, k);
                        assert_eq!(want, chain, "gemm {m}x{k}x{n} {label} add={add}");
                    }
                    for (level, how) in simd::supported()
                        .into_iter()
                        .flat_map(|l| [(l, BenchGemm::Small), (l, BenchGemm::Tiles)])
                    {
                        let mut got = start.clone();
                        let product = Product {
                            level,
                            how,
                            dims: (m, k, n),
                            a: a_mat,
                            b: Mat::rows(&b, n),
                            add,
                            c: MatMut::rows(&mut got, n),
                        };
                        product.dispatch();
                        let level = level.name();
                        assert_eq!(got, want, "{m}x{k}x{n} {label} add={add} {level} {how:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn small_gemm_and_gemm_are_fma_chains_in_f64_and_f32() {
        small_gemm_and_gemm_are_fma_chains::<f64>(|v| v);
        small_gemm_and_gemm_are_fma_chains::<f32>(|v| v as f32);
    }

    /// At every vector level, each sum is the squares of one group's
    /// column of `a b` added in row order from 0, each element of `a b` one
    /// fused multiply-add chain (computed here element by element), for
    /// groups that fill whole tiles of rows or leave rows over, whole and
    /// partial column blocks (at AVX-512, the intrinsics tiles where the
    /// groups and columns are whole tiles), and single rows, columns and
    /// depths.
    fn square_sums_are_sums_of_fma_chains<T: Gemm + std::fmt::Debug + PartialEq>(
        from: fn(f64) -> T,
    ) {
        if !simd::has_fma() {
            return;
        }
        for (groups, group, k, n) in [
            (16, 16, 17, 128),
            (3, 5, 9, 37),
            (2, 9, 17, 13),
            (1, 1, 1, 1),
            (4, 8, 33, 16),
            (5, 3, 64, 40),
            (3, 24, 20, 64),
        ] {
            let m = groups * group;
            let a = values(from, m * k, 3);
            let b = values(from, k * n, 8);
            let mut product = vec![T::ZERO; m * n];
            chains((m, k, n), Mat::rows(&a, k), &b, false, &mut product, k);
            let want: Vec<T> = (0..groups * n)
                .map(|q| {
                    let (g, j) = (q / n, q % n);
                    (g * group..(g + 1) * group)
                        .map(|i| product[i * n + j])
                        .fold(T::ZERO, |s, v| s + v * v)
                })
                .collect();
            for level in simd::supported() {
                let mut got = vec![T::ZERO; groups * n];
                let (a, b) = (Mat::rows(&a, k), Mat::rows(&b, n));
                small_gemm_square_sums_at(level, (m, k, n), group, a, b, &mut got);
                assert_eq!(
                    got, want,
                    "{groups}x{group} rows, {k} deep, {n} columns, {level:?}"
                );
            }
        }
    }

    #[test]
    fn square_sums_are_sums_of_fma_chains_in_f64_and_f32() {
        square_sums_are_sums_of_fma_chains::<f64>(|v| v);
        square_sums_are_sums_of_fma_chains::<f32>(|v| v as f32);
    }

    /// faer's kernels give the same bits at AVX2 and AVX-512 (so results do
    /// not depend on the vector level), also deeper than one of their
    /// blocks: chains over blocks of 512, each added to `c`.
    #[cfg(target_arch = "x86_64")]
    fn faer_sets_agree<T: Gemm + std::fmt::Debug + PartialEq>(from: fn(f64) -> T) {
        use private_gemm_x86::InstrSet;
        let sets: &[InstrSet] = match faer_kernels(simd::level()) {
            None => return,
            Some(InstrSet::Avx512) => &[InstrSet::Avx256, InstrSet::Avx512],
            Some(_) => &[InstrSet::Avx256],
        };
        for (m, k, n) in [(7, 600, 5), (70, 1100, 33), (33, 512, 64), (200, 300, 9)] {
            let a = values(from, m * k, 1);
            let b = values(from, k * n, 2);
            for add in [false, true] {
                let mut want = values(from, m * n, 3);
                chains((m, k, n), Mat::rows(&a, k), &b, add, &mut want, 512);
                for &set in sets {
                    let mut got = values(from, m * n, 3);
                    let dims = (m, k, n);
                    faer_gemm(
                        set,
                        dims,
                        Mat::rows(&a, k),
                        Mat::rows(&b, n),
                        add,
                        MatMut::rows(&mut got, n),
                    );
                    assert_eq!(got, want, "{m}x{k}x{n} add={add} {set:?}");
                }
            }
        }
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn faer_kernels_agree_at_avx2_and_avx512_in_f64_and_f32() {
        faer_sets_agree::<f64>(|v| v);
        faer_sets_agree::<f32>(|v| v as f32);
    }

    #[test]
    fn gemm_with_transposed_operands_and_l_l_transpose() {
        let a = [4.0, 2.0, 0.4, 2.0, 5.0, 1.0, 0.4, 1.0, 3.0];
        let l = cholesky(&a, 3).unwrap();
        let back = times_own_transpose(&l, 3);
        for (x, y) in back.iter().zip(&a) {
            assert_relative_eq!(x, y, epsilon = 1e-14);
        }
        // 1 + (2 x 3) times the transpose of a (2 x 3): hand-computed products.
        let m = [1.0, 2.0, 3.0, -1.0, 0.5, 2.0];
        let mut c = vec![1.0; 4];
        gemm(
            (2, 3, 2),
            Mat::rows(&m, 3),
            Mat::transposed(&m, 3),
            true,
            MatMut::rows(&mut c, 2),
        );
        assert_eq!(c, vec![15.0, 7.0, 7.0, 6.25]);
        assert_eq!(transpose(&transpose(&a, 3), 3), a.to_vec());
    }
}
