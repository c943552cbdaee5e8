//! The transpositions of a chunk's per-row and per-component arrays (the
//! diag E-step's log-densities, the rows for full and tied, the
//! responsibilities for full second moments): square blocks moved through
//! vector registers where the CPU has AVX2, else element by element.
//!
//! Pure data movement: every level gives the same values.

use super::estep::Float;
use crate::simd::Level;

/// `to` (c, b) = `from` (b, c) transposed (`c = to.len() / b`), by a
/// kernel dispatched at `level`.
///
/// With AVX2 the blocks of 4 x 4 `f64` (8 x 8 `f32`) go through registers:
/// one load per row of a block, shuffles, one store per column. Element by
/// element, the stores of the diag E-step's (128, 16) log-densities took a
/// quarter of its time outside the products in `f32`.
#[inline(always)]
pub(super) fn transpose<T: Float>(level: Level, from: &[T], to: &mut [T], b: usize) {
    if b == 0 {
        return;
    }
    let c = to.len() / b;
    assert!(
        from.len() >= b * c,
        "transpose: from holds fewer than b c values"
    );
    let (rows, cols) = blocks(level, from, to, b, c);
    // The columns right of the blocks, then the rows below them.
    for (j, to_j) in to.chunks_exact_mut(b).enumerate() {
        let start = if j < cols { rows } else { 0 };
        for (i, v) in to_j.iter_mut().enumerate().skip(start) {
            *v = from[i * c + j];
        }
    }
}

/// Moves the whole blocks of `from` to `to` by vector shuffles at `level`
/// AVX2 and above (so that a lower `ADMIX_SIMD`, or a kernel dispatched
/// lower, keeps portable code) and returns how many rows and columns of
/// `from` they covered.
#[inline(always)]
fn blocks<T: Float>(level: Level, from: &[T], to: &mut [T], b: usize, c: usize) -> (usize, usize) {
    #[cfg(target_arch = "x86_64")]
    if level >= Level::Avx2 {
        let (from_p, to_p) = (from.as_ptr(), to.as_mut_ptr());
        // SAFETY: the level proves AVX2 (a `Level` is one this CPU has);
        // `T` is `f64` or `f32` (the `Float` types) by its size; `from`
        // holds b c values (asserted by the caller) and `to` c b.
        return unsafe {
            match size_of::<T>() {
                8 => x86::blocks::<f64>(from_p.cast(), to_p.cast(), b, c),
                _ => x86::blocks::<f32>(from_p.cast(), to_p.cast(), b, c),
            }
        };
    }
    let _ = (level, from, to, b, c);
    (0, 0)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! Intrinsics in `inline(always)` functions only (no closures): they
    //! inline into the kernels' AVX2 and AVX-512 copies, never into calls.
    use crate::simd::registers::{transpose4_pd, transpose8_ps};
    use std::arch::x86_64::*;

    /// An element type whose square blocks one AVX register per row holds.
    pub(super) trait Block: Sized {
        /// Rows (and columns) per block.
        const SIDE: usize;
        /// Moves the block whose rows start `stride` apart at `from` to the
        /// columns `out` apart at `to`, transposed.
        ///
        /// # Safety
        /// AVX2 is available and the block lies in both arrays.
        unsafe fn block(from: *const Self, stride: usize, to: *mut Self, out: usize);
    }

    impl Block for f64 {
        const SIDE: usize = 4;
        #[inline(always)]
        unsafe fn block(from: *const f64, stride: usize, to: *mut f64, out: usize) {
            // SAFETY: the caller's.
            unsafe {
                let mut r = [_mm256_setzero_pd(); 4];
                for (q, r) in r.iter_mut().enumerate() {
                    *r = _mm256_loadu_pd(from.add(q * stride));
                }
                for (q, col) in transpose4_pd(r).into_iter().enumerate() {
                    _mm256_storeu_pd(to.add(q * out), col);
                }
            }
        }
    }

    impl Block for f32 {
        const SIDE: usize = 8;
        #[inline(always)]
        unsafe fn block(from: *const f32, stride: usize, to: *mut f32, out: usize) {
            // SAFETY: the caller's.
            unsafe {
                let mut r = [_mm256_setzero_ps(); 8];
                for (q, r) in r.iter_mut().enumerate() {
                    *r = _mm256_loadu_ps(from.add(q * stride));
                }
                for (q, col) in transpose8_ps(r).into_iter().enumerate() {
                    _mm256_storeu_ps(to.add(q * out), col);
                }
            }
        }
    }

    /// The whole blocks of `from` (b, c) into `to` (c, b); returns the rows
    /// and columns covered.
    ///
    /// # Safety
    /// AVX2 is available; `from` points to `b c` values and `to` to `c b`.
    #[inline(always)]
    pub(super) unsafe fn blocks<T: Block>(
        from: *const T,
        to: *mut T,
        b: usize,
        c: usize,
    ) -> (usize, usize) {
        let (rows, cols) = (b - b % T::SIDE, c - c % T::SIDE);
        for i in (0..rows).step_by(T::SIDE) {
            for j in (0..cols).step_by(T::SIDE) {
                // SAFETY: rows i.. and columns j.. of the block lie in both arrays.
                unsafe { T::block(from.add(i * c + j), c, to.add(j * b + i), b) }
            }
        }
        (rows, cols)
    }
}

#[cfg(test)]
mod tests {
    use super::transpose;
    use crate::gmm::estep::Float;

    /// Every shape the chunks take: whole blocks, part blocks of rows and
    /// of columns, fewer rows or columns than a block, one column, no rows;
    /// in `f64` (4 x 4 blocks) and `f32` (8 x 8), at every vector level,
    /// against the definition.
    fn moves_every_value_to_its_place<T: Float + PartialEq>(from_f64: fn(f64) -> T) {
        let shapes = [
            (128, 16),
            (128, 33),
            (16, 128),
            (13, 33),
            (5, 3),
            (8, 1),
            (17, 7),
            (0, 4),
        ];
        for (b, c) in shapes {
            let from: Vec<T> = (0..b * c).map(|v| from_f64(v as f64)).collect();
            for level in crate::simd::supported() {
                let mut to = vec![from_f64(f64::NAN); c * b];
                transpose(level, &from, &mut to, b);
                for i in 0..b {
                    for j in 0..c {
                        assert!(
                            to[j * b + i] == from[i * c + j],
                            "b={b} c={c} row {i} col {j} {}",
                            level.name()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn transpose_moves_every_value_to_its_place_in_f64_and_f32() {
        moves_every_value_to_its_place::<f64>(|v| v);
        moves_every_value_to_its_place::<f32>(|v| v as f32);
    }
}
