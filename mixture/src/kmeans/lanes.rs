//! The numbers the nearest-centre kernel computes in, one row per lane: a
//! plain `f64` or `f32` (one row at a time, portable), or a vector register
//! of AVX2 or AVX-512 holding the same feature of several rows. The kernel
//! in [`distances`](super::distances) is written once over [`Lanes`]; each
//! type below only says how its instructions load, centre, add, multiply
//! and compare, the same operations per lane on every type (products are
//! fused multiply-adds everywhere: one rounding each, half the vector
//! instructions of a multiply then an add), so every type gives bitwise the
//! same numbers.

/// A number the kernels compute in: `f64`, or `f32` for `f32` data.
pub(crate) trait Lane:
    Copy
    + PartialOrd
    + Into<f64>
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
{
    const ZERO: Self;
    const INFINITY: Self;
    const MINUS_TWO: Self;
    /// `x - shift`, computed in `f64` and rounded to `Self`.
    fn centred(self, shift: f64) -> Self;
    /// A centre index, exact below 2^24.
    fn index(c: usize) -> Self;
    /// The centre index `self` holds (made by [`index`](Self::index)).
    ///
    /// # Safety
    /// `self` must come from [`index`](Self::index).
    unsafe fn to_index(self) -> usize;
    /// `self * a + b` rounded once, as the vector units' fused multiply-add.
    fn mul_add(self, a: Self, b: Self) -> Self;
}

impl Lane for f64 {
    const ZERO: Self = 0.0;
    const INFINITY: Self = f64::INFINITY;
    const MINUS_TWO: Self = -2.0;
    #[inline(always)]
    fn centred(self, shift: f64) -> Self {
        self - shift
    }
    #[inline(always)]
    fn index(c: usize) -> Self {
        c as f64
    }
    #[inline(always)]
    unsafe fn to_index(self) -> usize {
        // SAFETY: a whole number from 0 to 2^24, made by `index`.
        unsafe { self.to_int_unchecked() }
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        f64::mul_add(self, a, b)
    }
}

impl Lane for f32 {
    const ZERO: Self = 0.0;
    const INFINITY: Self = f32::INFINITY;
    const MINUS_TWO: Self = -2.0;
    #[inline(always)]
    fn centred(self, shift: f64) -> Self {
        (f64::from(self) - shift) as f32
    }
    #[inline(always)]
    fn index(c: usize) -> Self {
        c as f32
    }
    #[inline(always)]
    unsafe fn to_index(self) -> usize {
        // SAFETY: a whole number from 0 to 2^24, made by `index`.
        unsafe { self.to_int_unchecked() }
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        f32::mul_add(self, a, b)
    }
}

/// `N` rows side by side, one per lane, in numbers of type `Elem`.
///
/// # Safety
/// Every method runs the instructions of its type: it may only be called
/// where the CPU has them (code compiled for a [`Level`](crate::simd::Level)
/// that includes them); pointer arguments must be valid as each one says.
pub(crate) unsafe trait Lanes: Copy {
    /// The number in each lane.
    type Elem: Lane;
    /// Where the `N` rows of a block start, relative to the first.
    type Offsets: Copy;
    /// Rows per register.
    const N: usize;
    /// Most features per row whose row offsets [`Lanes::offsets`] can
    /// express; wider rows take the portable level (see `run_at`).
    const MAX_FEATURES: usize = usize::MAX;
    /// Vector registers of the type's instruction set (16 for SSE2 and
    /// AVX2, 32 for AVX-512): how many values a kernel can keep in them.
    const REGISTERS: usize = 16;
    /// Offsets of rows `0..N` of `d` values each.
    fn offsets(d: usize) -> Self::Offsets;
    /// Lane `r` = `x[r * d]` (one feature of `N` rows) minus `shift`, as
    /// [`Lane::centred`].
    ///
    /// # Safety
    /// As the trait; `x[r * d]` must be readable for `r < N`.
    unsafe fn column(x: *const Self::Elem, offsets: Self::Offsets, shift: f64) -> Self;
    /// Columns `0..8` of the block at `x` (row `r` at `x + r * d`), each as
    /// [`column`](Lanes::column) with `shift[q]`, into `out`. Types whose
    /// gathers cost more than whole-row loads and a transpose override it.
    ///
    /// # Safety
    /// As the trait; `x[r * d + q]` must be readable for `r < N`, `q < 8`.
    #[inline(always)]
    unsafe fn columns8(
        x: *const Self::Elem,
        offsets: Self::Offsets,
        _d: usize,
        shift: &[f64; 8],
    ) -> [Self; 8] {
        // SAFETY: the caller's contract. (A loop, not a closure: a closure
        // would not get the kernel's target features.)
        unsafe {
            let mut out = [Self::splat(Self::Elem::ZERO); 8];
            for (q, col) in out.iter_mut().enumerate() {
                *col = Self::column(x.add(q), offsets, shift[q]);
            }
            out
        }
    }
    /// # Safety
    /// As the trait.
    unsafe fn splat(v: Self::Elem) -> Self;
    /// `self * other + addend`, rounded once (fused multiply-add).
    ///
    /// # Safety
    /// As the trait.
    unsafe fn mul_add(self, other: Self, addend: Self) -> Self;
    /// Lane by lane, `(v, index)` where `v` is strictly below `best.0`,
    /// else `best`.
    ///
    /// # Safety
    /// As the trait.
    unsafe fn lower(best: (Self, Self), v: Self, index: Self) -> (Self, Self);
    /// Writes the `N` lanes to `to[0..N]`.
    ///
    /// # Safety
    /// As the trait; `to[0..N]` must be writable.
    unsafe fn store(self, to: *mut Self::Elem);
    /// Writes the centre indices in the `N` lanes (made by
    /// [`Lane::index`]) to `to[0..N]`. Vector types convert them in
    /// registers, a few instructions per register, where lane by lane took
    /// a store, a load, a conversion and a store per row.
    ///
    /// # Safety
    /// As the trait; `to[0..N]` must be writable and the lanes must hold
    /// indices.
    unsafe fn store_indices(self, to: *mut usize);
}

/// One row at a time, portable.
macro_rules! scalar_lanes {
    ($t:ty) => {
        // SAFETY: plain arithmetic, no instruction beyond the target's baseline.
        unsafe impl Lanes for $t {
            type Elem = $t;
            type Offsets = ();
            const N: usize = 1;
            #[inline(always)]
            fn offsets(_: usize) {}
            #[inline(always)]
            unsafe fn column(x: *const $t, _: (), shift: f64) -> $t {
                // SAFETY: the caller makes `x[0]` readable.
                unsafe { *x }.centred(shift)
            }
            #[inline(always)]
            unsafe fn splat(v: $t) -> $t {
                v
            }
            #[inline(always)]
            unsafe fn mul_add(self, other: $t, addend: $t) -> $t {
                Lane::mul_add(self, other, addend)
            }
            #[inline(always)]
            unsafe fn lower(best: ($t, $t), v: $t, index: $t) -> ($t, $t) {
                if v < best.0 {
                    (v, index)
                } else {
                    best
                }
            }
            #[inline(always)]
            unsafe fn store(self, to: *mut $t) {
                // SAFETY: the caller makes `to[0]` writable.
                unsafe { *to = self }
            }
            #[inline(always)]
            unsafe fn store_indices(self, to: *mut usize) {
                // SAFETY: the caller makes `to[0]` writable and `self` an index.
                unsafe { *to = self.to_index() }
            }
        }
    };
}

scalar_lanes!(f64);
scalar_lanes!(f32);

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::{F32x16, F32x8, F64x4, F64x8};

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! Vector registers. Each type's arithmetic is one intrinsic per
    //! operation; `x86_lanes!` writes the methods the types share.

    use super::Lanes;
    use crate::simd::registers::{transpose4_pd, transpose8_pd};
    use std::arch::x86_64::*;

    /// 8 `f64` rows in an AVX-512 register.
    #[derive(Clone, Copy)]
    pub(crate) struct F64x8(__m512d);
    /// 16 `f32` rows in an AVX-512 register.
    #[derive(Clone, Copy)]
    pub(crate) struct F32x16(__m512);
    /// 4 `f64` rows in an AVX2 register.
    #[derive(Clone, Copy)]
    pub(crate) struct F64x4(__m256d);
    /// 8 `f32` rows in an AVX2 register.
    #[derive(Clone, Copy)]
    pub(crate) struct F32x8(__m256);

    /// The methods of [`Lanes`] that are the same few intrinsics on every
    /// type: `$lt` compares, `$select` takes `b` where the mask `m` is set.
    macro_rules! x86_lanes {
        (
            $name:ident, $elem:ty, $set1:ident, $fmadd:ident,
            $storeu:ident, $lt:ident, |$m:ident, $a:ident, $b:ident| $select:expr
        ) => {
            #[inline(always)]
            unsafe fn lower(best: (Self, Self), v: Self, index: Self) -> (Self, Self) {
                // SAFETY: as `splat`.
                unsafe {
                    let $m = $lt::<_CMP_LT_OQ>(v.0, best.0 .0);
                    let value = {
                        let ($a, $b) = (best.0 .0, v.0);
                        $name($select)
                    };
                    let ($a, $b) = (best.1 .0, index.0);
                    (value, $name($select))
                }
            }
            #[inline(always)]
            unsafe fn splat(v: $elem) -> Self {
                // SAFETY: the caller runs where the type's instructions are enabled.
                $name(unsafe { $set1(v) })
            }
            #[inline(always)]
            unsafe fn mul_add(self, other: Self, addend: Self) -> Self {
                // SAFETY: as `splat`.
                $name(unsafe { $fmadd(self.0, other.0, addend.0) })
            }
            #[inline(always)]
            unsafe fn store(self, to: *mut $elem) {
                // SAFETY: as `splat`; the caller makes `to[0..N]` writable.
                unsafe { $storeu(to, self.0) }
            }
        };
    }

    /// Offsets `r * d` of 8 rows, as 64-bit integers.
    #[inline(always)]
    fn offsets8(d: usize) -> [i64; 8] {
        std::array::from_fn(|r| (r * d) as i64)
    }

    /// Features `0..8` of the 8 `f32` rows at `x` (`d` apart), widened to
    /// `f64`, feature by feature. (A function, not a closure: a closure
    /// would not get the kernel's target features.)
    ///
    /// # Safety
    /// AVX-512F is enabled; `x[r * d + q]` is readable for `r, q < 8`.
    #[inline(always)]
    unsafe fn widened8(x: *const f32, d: usize) -> [__m512d; 8] {
        // SAFETY: the caller's.
        unsafe {
            let mut r = [_mm512_setzero_pd(); 8];
            for (i, r) in r.iter_mut().enumerate() {
                *r = _mm512_cvtps_pd(_mm256_loadu_ps(x.add(i * d)));
            }
            transpose8_pd(r)
        }
    }

    /// 16 `f32` lanes from two halves of 8 rows widened to `f64`: each
    /// centred by `shift` in `f64`, then rounded (as `Lane::centred`).
    ///
    /// # Safety
    /// AVX-512F is enabled.
    #[inline(always)]
    unsafe fn centred16(low: __m512d, high: __m512d, shift: __m512d) -> F32x16 {
        // SAFETY: register operations under the caller's AVX-512F.
        unsafe {
            let low = _mm512_cvtpd_ps(_mm512_sub_pd(low, shift));
            let high = _mm512_cvtpd_ps(_mm512_sub_pd(high, shift));
            let both = _mm512_insertf64x4::<1>(
                _mm512_castpd256_pd512(_mm256_castps_pd(low)),
                _mm256_castps_pd(high),
            );
            F32x16(_mm512_castpd_ps(both))
        }
    }

    /// [`centred16`] for 8 lanes from two halves of 4 rows (AVX2).
    ///
    /// # Safety
    /// AVX is enabled.
    #[inline(always)]
    unsafe fn centred8(low: __m256d, high: __m256d, shift: __m256d) -> F32x8 {
        // SAFETY: register operations under the caller's AVX.
        unsafe {
            let low = _mm256_cvtpd_ps(_mm256_sub_pd(low, shift));
            let high = _mm256_cvtpd_ps(_mm256_sub_pd(high, shift));
            F32x8(_mm256_set_m128(high, low))
        }
    }

    // SAFETY: AVX-512F instructions only, called under the contract of the trait.
    unsafe impl Lanes for F64x8 {
        type Elem = f64;
        type Offsets = [i64; 8];
        const N: usize = 8;
        const REGISTERS: usize = 32;
        fn offsets(d: usize) -> [i64; 8] {
            offsets8(d)
        }
        #[inline(always)]
        unsafe fn column(x: *const f64, offsets: [i64; 8], shift: f64) -> Self {
            // SAFETY: the caller makes `x[r * d]` readable and enables AVX-512F.
            unsafe {
                let at = _mm512_loadu_si512(offsets.as_ptr().cast());
                let v = _mm512_i64gather_pd::<8>(at, x);
                F64x8(_mm512_sub_pd(v, _mm512_set1_pd(shift)))
            }
        }
        /// Eight rows loaded whole and transposed in registers: 8 loads
        /// and 24 shuffles instead of 8 gathers of 8 elements each.
        #[inline(always)]
        unsafe fn columns8(x: *const f64, _: [i64; 8], d: usize, shift: &[f64; 8]) -> [Self; 8] {
            // SAFETY: the caller makes `x[r * d + q]` readable (r, q < 8)
            // and enables AVX-512F.
            unsafe {
                let mut r = [_mm512_setzero_pd(); 8];
                for (i, r) in r.iter_mut().enumerate() {
                    *r = _mm512_loadu_pd(x.add(i * d));
                }
                let cols = transpose8_pd(r);
                let mut out = [F64x8(_mm512_setzero_pd()); 8];
                for (q, out) in out.iter_mut().enumerate() {
                    *out = F64x8(_mm512_sub_pd(cols[q], _mm512_set1_pd(shift[q])));
                }
                out
            }
        }
        #[inline(always)]
        unsafe fn store_indices(self, to: *mut usize) {
            // SAFETY: AVX-512F under the caller's contract; indices are
            // below 2^24, so they convert exactly through 32 bits.
            unsafe {
                let wide = _mm512_cvtepu32_epi64(_mm512_cvttpd_epi32(self.0));
                _mm512_storeu_si512(to.cast(), wide);
            }
        }
        x86_lanes!(
            F64x8,
            f64,
            _mm512_set1_pd,
            _mm512_fmadd_pd,
            _mm512_storeu_pd,
            _mm512_cmp_pd_mask,
            |m, a, b| _mm512_mask_blend_pd(m, a, b)
        );
    }

    // SAFETY: AVX-512F instructions only, called under the contract of the trait.
    unsafe impl Lanes for F32x16 {
        type Elem = f32;
        type Offsets = ([i64; 8], i64);
        const N: usize = 16;
        const REGISTERS: usize = 32;
        fn offsets(d: usize) -> ([i64; 8], i64) {
            (offsets8(d), 8 * d as i64)
        }
        /// Centred in `f64`, 8 rows at a time, as [`Lane::centred`](super::Lane::centred).
        #[inline(always)]
        unsafe fn column(x: *const f32, (offsets, half): ([i64; 8], i64), shift: f64) -> Self {
            // SAFETY: the caller makes `x[r * d]` readable for r < 16 and
            // enables AVX-512F.
            unsafe {
                let at = _mm512_loadu_si512(offsets.as_ptr().cast());
                let low = _mm512_cvtps_pd(_mm512_i64gather_ps::<4>(at, x));
                let high = _mm512_cvtps_pd(_mm512_i64gather_ps::<4>(at, x.offset(half as isize)));
                centred16(low, high, _mm512_set1_pd(shift))
            }
        }
        /// Sixteen rows loaded whole, widened to `f64` and transposed in
        /// registers 8 rows at a time, centred in `f64` (as
        /// [`column`](Lanes::column)): 16 loads and 48 shuffles instead
        /// of 16 gathers of 8 elements each (f32 Lloyd at d = 64 was
        /// slower than f64 with the gathers).
        #[inline(always)]
        unsafe fn columns8(
            x: *const f32,
            _: ([i64; 8], i64),
            d: usize,
            shift: &[f64; 8],
        ) -> [Self; 8] {
            // SAFETY: the caller makes `x[r * d + q]` readable (r < 16,
            // q < 8) and enables AVX-512F.
            unsafe {
                let (low, high) = (widened8(x, d), widened8(x.add(8 * d), d));
                let mut out = [F32x16(_mm512_setzero_ps()); 8];
                for (q, out) in out.iter_mut().enumerate() {
                    *out = centred16(low[q], high[q], _mm512_set1_pd(shift[q]));
                }
                out
            }
        }
        #[inline(always)]
        unsafe fn store_indices(self, to: *mut usize) {
            // SAFETY: AVX-512F under the caller's contract; indices are
            // below 2^24, so they convert exactly through 32 bits.
            unsafe {
                let narrow = _mm512_cvttps_epi32(self.0);
                let low = _mm512_cvtepu32_epi64(_mm512_castsi512_si256(narrow));
                let high = _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64::<1>(narrow));
                _mm512_storeu_si512(to.cast(), low);
                _mm512_storeu_si512(to.add(8).cast(), high);
            }
        }
        x86_lanes!(
            F32x16,
            f32,
            _mm512_set1_ps,
            _mm512_fmadd_ps,
            _mm512_storeu_ps,
            _mm512_cmp_ps_mask,
            |m, a, b| _mm512_mask_blend_ps(m, a, b)
        );
    }

    // SAFETY: AVX2 instructions only, called under the contract of the trait.
    unsafe impl Lanes for F64x4 {
        type Elem = f64;
        type Offsets = [i64; 4];
        const N: usize = 4;
        fn offsets(d: usize) -> [i64; 4] {
            std::array::from_fn(|r| (r * d) as i64)
        }
        #[inline(always)]
        unsafe fn column(x: *const f64, offsets: [i64; 4], shift: f64) -> Self {
            // SAFETY: the caller makes `x[r * d]` readable and enables AVX2.
            unsafe {
                let at = _mm256_loadu_si256(offsets.as_ptr().cast());
                let v = _mm256_i64gather_pd::<8>(x, at);
                F64x4(_mm256_sub_pd(v, _mm256_set1_pd(shift)))
            }
        }
        /// Four rows loaded whole, 4 features at a time, and transposed in
        /// registers: 8 loads and 16 shuffles instead of 8 gathers.
        #[inline(always)]
        unsafe fn columns8(x: *const f64, _: [i64; 4], d: usize, shift: &[f64; 8]) -> [Self; 8] {
            // SAFETY: the caller makes `x[r * d + q]` readable (r < 4, q < 8)
            // and enables AVX2.
            unsafe {
                let mut out = [F64x4(_mm256_setzero_pd()); 8];
                for h in [0, 4] {
                    let mut rows = [_mm256_setzero_pd(); 4];
                    for (r, row) in rows.iter_mut().enumerate() {
                        *row = _mm256_loadu_pd(x.add(r * d + h));
                    }
                    for (q, col) in transpose4_pd(rows).into_iter().enumerate() {
                        out[h + q] = F64x4(_mm256_sub_pd(col, _mm256_set1_pd(shift[h + q])));
                    }
                }
                out
            }
        }
        #[inline(always)]
        unsafe fn store_indices(self, to: *mut usize) {
            // SAFETY: AVX2 under the caller's contract; indices are below
            // 2^24, so they convert exactly through 32 bits.
            unsafe {
                let wide = _mm256_cvtepu32_epi64(_mm256_cvttpd_epi32(self.0));
                _mm256_storeu_si256(to.cast(), wide);
            }
        }
        x86_lanes!(
            F64x4,
            f64,
            _mm256_set1_pd,
            _mm256_fmadd_pd,
            _mm256_storeu_pd,
            _mm256_cmp_pd,
            |m, a, b| _mm256_blendv_pd(a, b, m)
        );
    }

    // SAFETY: AVX2 instructions only, called under the contract of the trait.
    unsafe impl Lanes for F32x8 {
        type Elem = f32;
        type Offsets = [i32; 8];
        const N: usize = 8;
        const MAX_FEATURES: usize = i32::MAX as usize / 8;
        fn offsets(d: usize) -> [i32; 8] {
            // `d <= MAX_FEATURES`, so `7 d` fits an i32.
            std::array::from_fn(|r| (r * d) as i32)
        }
        /// Centred in `f64`, 4 rows at a time, as [`Lane::centred`](super::Lane::centred).
        #[inline(always)]
        unsafe fn column(x: *const f32, offsets: [i32; 8], shift: f64) -> Self {
            // SAFETY: the caller makes `x[r * d]` readable for r < 8 and enables AVX2.
            unsafe {
                let at = _mm256_loadu_si256(offsets.as_ptr().cast());
                let v = _mm256_i32gather_ps::<4>(x, at);
                let low = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
                let high = _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(v));
                centred8(low, high, _mm256_set1_pd(shift))
            }
        }
        /// Eight rows loaded whole, widened to `f64` and transposed in
        /// registers 4 x 4 at a time, centred in `f64` (as
        /// [`column`](Lanes::column)): 8 loads and 32 shuffles instead of 8
        /// gathers.
        #[inline(always)]
        unsafe fn columns8(x: *const f32, _: [i32; 8], d: usize, shift: &[f64; 8]) -> [Self; 8] {
            // SAFETY: the caller makes `x[r * d + q]` readable (r, q < 8)
            // and enables AVX2.
            unsafe {
                // wide[h][r]: features 4h..4h+4 of row r, in f64.
                let mut wide = [[_mm256_setzero_pd(); 8]; 2];
                let [low, high] = &mut wide;
                for (r, (low, high)) in low.iter_mut().zip(high).enumerate() {
                    let v = _mm256_loadu_ps(x.add(r * d));
                    *low = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
                    *high = _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(v));
                }
                let mut out = [F32x8(_mm256_setzero_ps()); 8];
                for (h, wide) in wide.iter().enumerate() {
                    let top = transpose4_pd([wide[0], wide[1], wide[2], wide[3]]);
                    let bottom = transpose4_pd([wide[4], wide[5], wide[6], wide[7]]);
                    for q in 0..4 {
                        let s = _mm256_set1_pd(shift[4 * h + q]);
                        out[4 * h + q] = centred8(top[q], bottom[q], s);
                    }
                }
                out
            }
        }
        #[inline(always)]
        unsafe fn store_indices(self, to: *mut usize) {
            // SAFETY: AVX2 under the caller's contract; indices are below
            // 2^24, so they convert exactly through 32 bits.
            unsafe {
                let narrow = _mm256_cvttps_epi32(self.0);
                let low = _mm256_cvtepu32_epi64(_mm256_castsi256_si128(narrow));
                let high = _mm256_cvtepu32_epi64(_mm256_extracti128_si256::<1>(narrow));
                _mm256_storeu_si256(to.cast(), low);
                _mm256_storeu_si256(to.add(4).cast(), high);
            }
        }
        x86_lanes!(
            F32x8,
            f32,
            _mm256_set1_ps,
            _mm256_fmadd_ps,
            _mm256_storeu_ps,
            _mm256_cmp_ps,
            |m, a, b| _mm256_blendv_ps(a, b, m)
        );
    }
}
