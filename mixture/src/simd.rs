//! Runtime choice of vector instructions for the EM and K-means kernels, and
//! the fast `exp`s (`f64` and `f32`) they share.
//!
//! The kernels are written once as plain Rust (`inline(always)`) and compiled
//! again inside functions with AVX2 or AVX-512 enabled; [`dispatch`] runs the
//! copy for a [`Level`]. Each copy does the same elementwise sequence of
//! operations (a fused multiply-add only where the code asks for one with
//! `mul_add`, which rounds once at every level), so every level gives
//! bitwise the same results: the tests run every level the host supports
//! against [`Level::Scalar`].
//!
//! The level is detected once per process. The environment variable
//! `ADMIX_SIMD=scalar|avx2|avx512`, read once, forces a lower level (a level
//! the CPU lacks falls back to the best one it has).

use std::sync::OnceLock;

/// Vector instructions a kernel is compiled for. A value other than
/// `Scalar` is only made after the CPU was found to support it, so it is
/// proof that running that copy is safe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    /// Portable code (SSE2 on x86-64).
    Scalar,
    /// AVX2 and FMA.
    Avx2,
    /// AVX-512F, AVX2 and FMA.
    Avx512,
}

impl Level {
    /// The name `ADMIX_SIMD` takes.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Level::Scalar => "scalar",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }
}

/// Every level this CPU can run, lowest first.
pub(crate) fn supported() -> Vec<Level> {
    let mut levels = vec![Level::Scalar];
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        if has!("avx2") && has!("fma") {
            levels.push(Level::Avx2);
            if has!("avx512f") {
                levels.push(Level::Avx512);
            }
        }
    }
    levels
}

/// The level the kernels use: the best supported, or the one `ADMIX_SIMD`
/// names if it is supported and lower.
pub(crate) fn level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| choose(std::env::var("ADMIX_SIMD").ok().as_deref(), &supported()))
}

/// The level named by `requested` if `supported` has it, else the best
/// supported one (`supported` is lowest first).
fn choose(requested: Option<&str>, supported: &[Level]) -> Level {
    let best = *supported.last().expect("scalar is always supported");
    requested
        .and_then(|name| supported.iter().find(|l| l.name() == name))
        .map_or(best, |&forced| forced)
}

/// Whether this CPU has fused multiply-add. Kernels that use it (through
/// `mul_add`, one rounding at every level) take another path without it:
/// `mul_add` would then be a slow library call.
pub(crate) fn has_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(target_arch = "aarch64")]
    {
        true
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

/// A kernel call: its arguments, and a `run` marked `inline(always)` that
/// calls only `inline(always)` code, so that the features [`dispatch`]
/// enables reach every loop.
pub(crate) trait Kernel {
    /// What the kernel returns.
    type Output;
    /// Runs the kernel.
    fn run(self) -> Self::Output;
}

/// Runs `kernel` compiled for `level`. Each level's copy is a function of
/// its own, never inlined, so that a kernel called from others (the
/// products inside the E- and M-step kernels) is compiled once per level.
#[inline(never)]
pub(crate) fn dispatch<K: Kernel>(level: Level, kernel: K) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx2,fma")]
        #[inline(never)]
        fn avx512<K: Kernel>(kernel: K) -> K::Output {
            kernel.run()
        }
        #[target_feature(enable = "avx2,fma")]
        #[inline(never)]
        fn avx2<K: Kernel>(kernel: K) -> K::Output {
            kernel.run()
        }
        match level {
            // SAFETY: a `Level` above `Scalar` is only made once `supported`
            // found its features on this CPU.
            Level::Avx512 => return unsafe { avx512(kernel) },
            // SAFETY: as above.
            Level::Avx2 => return unsafe { avx2(kernel) },
            Level::Scalar => {}
        }
    }
    kernel.run()
}

/// Asks for the cache line that holds `p` to be brought into the first-level
/// cache, so that a kernel can fetch the rows it reads next while it
/// computes (nothing on CPUs other than x86-64).
#[inline(always)]
pub(crate) fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing and never faults, whatever the address.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// ln 2 in two parts: the high part's mantissa ends in 21 zero bits, so
/// that its products with the exponents the `f64` exp and ln meet (below
/// 2^11) are exact.
const LN2_HI: f64 = 0.693_147_180_369_123_8;
/// The rest of ln 2.
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;

/// Defines an `exp(x)` for `x <= 0` (including -inf) of one float type, to
/// about 1 ulp, in straight-line code that vectorises: `x = n ln 2 + r` with
/// |r| <= ln 2 / 2 (ln 2 split in a high part whose multiples by `n` are
/// exact and a low part), a Taylor polynomial for `exp(r)` in Horner form
/// (its `1 / i!` from the highest degree down), and `2^n` built in the
/// exponent bits, by adding 1.5 times `2^mantissa` to `x log2(e)` (which
/// rounds it to the integer `n` in the low bits). With `FUSED` each Horner
/// step is one fused multiply-add (half the operations and one rounding
/// each; for CPUs with FMA, see [`has_fma`]), else a multiply and an add.
/// Values at or below `floor` give 0.
macro_rules! exp_nonpositive {
    ($(#[$doc:meta])* $name:ident: $t:ty, mantissa $mantissa:expr, bias $bias:expr,
     log2e $log2e:expr, ln2 $hi:expr, $lo:expr, floor $floor:expr,
     horner [$top:expr $(, $c:expr)*]) => {
        $(#[$doc])*
        #[inline(always)]
        pub(crate) fn $name<const FUSED: bool>(x: $t) -> $t {
            const MAGIC: $t = 1.5 * (1u64 << $mantissa) as $t;
            let in_range = x > $floor;
            let xc = if in_range { x } else { $floor };
            let t = xc * $log2e + MAGIC;
            let n = t - MAGIC;
            let r = (xc - n * $hi) - n * $lo;
            let mut p: $t = $top;
            for inv_fact in [$($c),*] {
                p = if FUSED {
                    p.mul_add(r, inv_fact)
                } else {
                    p * r + inv_fact
                };
            }
            let bits = t.to_bits().wrapping_sub(MAGIC.to_bits()).wrapping_add($bias);
            let scale = <$t>::from_bits(bits << $mantissa);
            if in_range {
                p * scale
            } else {
                0.0
            }
        }
    };
}

exp_nonpositive! {
    /// `exp(x)` in `f64` for `x <= 0`, to about 1 ulp: a degree-13
    /// polynomial; values below -708 give 0 (their true value is below
    /// 1e-307).
    exp_nonpositive: f64, mantissa 52, bias 1023, log2e std::f64::consts::LOG2_E,
    ln2 LN2_HI, LN2_LO, floor -708.0,
    horner [
        1.0 / 6_227_020_800.0,
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
        1.0
    ]
}

exp_nonpositive! {
    /// `exp(x)` in `f32` for `x <= 0`, to about 1 ulp: a degree-7
    /// polynomial (its truncation error is below 0.15 ulp), ln 2's high
    /// part 355 / 512; vectorises 16 lanes wide with AVX-512, 8 with AVX2.
    /// Values below -87 give 0 (their true value is below 2^-125, near the
    /// subnormals).
    exp_nonpositive_f32: f32, mantissa 23, bias 127, log2e std::f32::consts::LOG2_E,
    ln2 0.693_359_4, -2.121_944_4e-4, floor -87.0,
    horner [
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0
    ]
}

/// `ln(x)` in `f64` to within 1 ulp, in straight-line code that vectorises
/// (the E-step takes one per row, and glibc's is a scalar call).
/// `x = 2^e m` with `m` in [sqrt(1/2), sqrt(2)), found by integer operations
/// on the bits only (no 64-bit integer to float conversion, which AVX2
/// lacks); then `ln(m) = ln(1 + f) = 2 atanh(u) = 2u + u r` with
/// `u = f / (2 + f)`, |u| <= 0.172, and `r = u^2 (2/3 + 2u^2/5 + ... +
/// 2u^18/21)` (the series' next term is below 2^-60 relative). The sum is
/// formed as `f - (f^2/2 - u (f^2/2 + r))`, equal to it since
/// `u f = (1 - u) f^2/2`, so that the rounding falls on the small terms;
/// `e ln 2` takes the same two-part ln 2 as the exps. `FUSED` as for them.
/// Subnormals, 0, infinity, negative values and NaN give what `f64::ln` does.
#[inline(always)]
pub(crate) fn ln<const FUSED: bool>(x: f64) -> f64 {
    const SQRT_HALF: u64 = 0x3FE6_A09E_667F_3BCD;
    const MANTISSA: u64 = (1 << 52) - 1;
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    let subnormal = x < f64::MIN_POSITIVE;
    let xs = if subnormal { x * TWO_52 * 4.0 } else { x };
    // The bits moved so that [sqrt(1/2), sqrt(2)) has the exponent field of
    // 1.0: the field is then e + 1023 and the mantissa, added back to
    // sqrt(1/2)'s bits, is m.
    let t = xs.to_bits().wrapping_add((1023 << 52) - SQRT_HALF);
    let m = f64::from_bits((t & MANTISSA) + SQRT_HALF);
    // e + 1023 (< 2^11) in the low mantissa bits of 2^52 gives e exactly.
    let e = f64::from_bits(TWO_52.to_bits() | (t >> 52))
        - (TWO_52 + 1023.0)
        - if subnormal { 54.0 } else { 0.0 };
    let f = m - 1.0;
    let u = f / (2.0 + f);
    let (u2, half_f2) = (u * u, 0.5 * f * f);
    let mut p: f64 = 2.0 / 21.0;
    for c in [
        2.0 / 19.0,
        2.0 / 17.0,
        2.0 / 15.0,
        2.0 / 13.0,
        2.0 / 11.0,
        2.0 / 9.0,
        2.0 / 7.0,
        2.0 / 5.0,
        2.0 / 3.0,
    ] {
        p = if FUSED { p.mul_add(u2, c) } else { p * u2 + c };
    }
    let r = u2 * p;
    let ln_m_low = u * (half_f2 + r) + e * LN2_LO;
    let y = e * LN2_HI + (f - (half_f2 - ln_m_low));
    if xs > 0.0 && xs < f64::INFINITY {
        y
    } else if x == 0.0 {
        f64::NEG_INFINITY
    } else if x < 0.0 {
        f64::NAN
    } else {
        x
    }
}

/// Square blocks transposed in vector registers, for the kernels that turn
/// rows into columns (K-means' row-per-lane blocks, the EM chunk's
/// per-component arrays). Register operations only: the callers load and
/// store. `inline(always)` functions, not closures, so that they inline
/// into the kernels' AVX2 and AVX-512 copies.
#[cfg(target_arch = "x86_64")]
pub(crate) mod registers {
    use std::arch::x86_64::*;

    /// The 4 x 4 `f64` block whose rows are `r`, transposed: pairs of rows
    /// interleaved, then 128-bit halves exchanged (8 shuffles).
    ///
    /// # Safety
    /// AVX is enabled.
    #[inline(always)]
    pub(crate) unsafe fn transpose4_pd(r: [__m256d; 4]) -> [__m256d; 4] {
        // SAFETY: register operations under the caller's AVX.
        unsafe {
            let (t0, t1) = (
                _mm256_unpacklo_pd(r[0], r[1]),
                _mm256_unpackhi_pd(r[0], r[1]),
            );
            let (t2, t3) = (
                _mm256_unpacklo_pd(r[2], r[3]),
                _mm256_unpackhi_pd(r[2], r[3]),
            );
            [
                _mm256_permute2f128_pd::<0x20>(t0, t2),
                _mm256_permute2f128_pd::<0x20>(t1, t3),
                _mm256_permute2f128_pd::<0x31>(t0, t2),
                _mm256_permute2f128_pd::<0x31>(t1, t3),
            ]
        }
    }

    /// The 8 x 8 `f32` block whose rows are `r`, transposed: pairs of rows
    /// interleaved, then pairs of pairs, then 128-bit halves (24 shuffles).
    ///
    /// # Safety
    /// AVX is enabled.
    #[inline(always)]
    pub(crate) unsafe fn transpose8_ps(r: [__m256; 8]) -> [__m256; 8] {
        // SAFETY: register operations under the caller's AVX.
        unsafe {
            // u[q] (v[q]): column q of rows 0..4 (4..8) in the low half,
            // column q + 4 in the high half.
            let (u, v) = (
                quad_ps(r[0], r[1], r[2], r[3]),
                quad_ps(r[4], r[5], r[6], r[7]),
            );
            let mut out = r;
            for q in 0..4 {
                out[q] = _mm256_permute2f128_ps::<0x20>(u[q], v[q]);
                out[q + 4] = _mm256_permute2f128_ps::<0x31>(u[q], v[q]);
            }
            out
        }
    }

    /// Four rows of 8 `f32` as four registers, the `q`th holding column `q`
    /// in its low half and column `q + 4` in its high half.
    ///
    /// # Safety
    /// AVX is enabled.
    #[inline(always)]
    unsafe fn quad_ps(a: __m256, b: __m256, c: __m256, d: __m256) -> [__m256; 4] {
        // SAFETY: register operations under the caller's AVX.
        unsafe {
            let (lo_ab, hi_ab) = (_mm256_unpacklo_ps(a, b), _mm256_unpackhi_ps(a, b));
            let (lo_cd, hi_cd) = (_mm256_unpacklo_ps(c, d), _mm256_unpackhi_ps(c, d));
            [
                _mm256_shuffle_ps::<0x44>(lo_ab, lo_cd),
                _mm256_shuffle_ps::<0xEE>(lo_ab, lo_cd),
                _mm256_shuffle_ps::<0x44>(hi_ab, hi_cd),
                _mm256_shuffle_ps::<0xEE>(hi_ab, hi_cd),
            ]
        }
    }

    /// The 8 x 8 `f64` block whose rows are `r`, transposed: pairs of rows
    /// interleaved, then pairs of 128-bit lanes twice (24 shuffles). No
    /// two-source permutes: on Zen 4, four `vpermt2pd` beside 16 zmm
    /// multiply-adds added 0.6 ns to their 4.4, four unpacks or lane
    /// shuffles nothing (the K-means kernel, which transposes every block
    /// of rows with this, 1% faster).
    ///
    /// # Safety
    /// AVX-512F is enabled.
    #[inline(always)]
    pub(crate) unsafe fn transpose8_pd(r: [__m512d; 8]) -> [__m512d; 8] {
        // SAFETY: register operations under the caller's AVX-512F.
        unsafe {
            // Rows (2p, 2p + 1) interleaved, a pair per 128-bit lane: lane
            // l of t[2p] holds their feature 2l, of t[2p + 1] feature 2l + 1.
            let mut t = r;
            for p in (0..8).step_by(2) {
                t[p] = _mm512_unpacklo_pd(r[p], r[p + 1]);
                t[p + 1] = _mm512_unpackhi_pd(r[p], r[p + 1]);
            }
            // Lanes 0 and 2 (`0x88`) or 1 and 3 (`0xdd`) of two sources:
            // for rows 4h..4h + 4, u[4h + q] holds features q and q + 4
            // (two rows per lane: q's in lanes 0 and 2, q + 4's in 1 and 3).
            let mut u = r;
            for h in [0, 4] {
                for o in 0..2 {
                    let (a, b) = (t[h + o], t[h + o + 2]);
                    u[h + o] = _mm512_shuffle_f64x2::<0x88>(a, b);
                    u[h + o + 2] = _mm512_shuffle_f64x2::<0xdd>(a, b);
                }
            }
            // The same across the two halves of rows: feature q of all 8.
            let mut out = r;
            for q in 0..4 {
                out[q] = _mm512_shuffle_f64x2::<0x88>(u[q], u[q + 4]);
                out[q + 4] = _mm512_shuffle_f64x2::<0xdd>(u[q], u[q + 4]);
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_and_scalar_is_always_there() {
        let levels = supported();
        assert_eq!(levels[0], Level::Scalar);
        assert!(levels.windows(2).all(|w| w[0] < w[1]));
        assert!(levels.contains(&level()));
    }

    #[test]
    fn admix_simd_names_a_supported_level_or_is_ignored() {
        let all = [Level::Scalar, Level::Avx2, Level::Avx512];
        assert_eq!(choose(None, &all), Level::Avx512);
        assert_eq!(choose(Some("scalar"), &all), Level::Scalar);
        assert_eq!(choose(Some("avx2"), &all), Level::Avx2);
        assert_eq!(choose(Some("avx512"), &all[..2]), Level::Avx2);
        assert_eq!(choose(Some("sse9"), &all[..2]), Level::Avx2);
        assert_eq!(choose(Some("avx2"), &all[..1]), Level::Scalar);
    }

    /// `transpose8_pd` against the textbook transpose: feature `q` of row
    /// `r` (a distinct value each) lands in lane `r` of column `q`.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_8_x_8_transpose_puts_every_value_in_its_place() {
        use std::arch::x86_64::*;
        #[target_feature(enable = "avx512f")]
        fn transposed(rows: &[[f64; 8]; 8]) -> [[f64; 8]; 8] {
            let mut r = [_mm512_setzero_pd(); 8];
            for (r, row) in r.iter_mut().zip(rows) {
                // SAFETY: AVX-512F is enabled; 8 values read.
                *r = unsafe { _mm512_loadu_pd(row.as_ptr()) };
            }
            // SAFETY: AVX-512F is enabled.
            let cols = unsafe { registers::transpose8_pd(r) };
            let mut out = [[0.0; 8]; 8];
            for (out, col) in out.iter_mut().zip(cols) {
                // SAFETY: AVX-512F is enabled; 8 values written.
                unsafe { _mm512_storeu_pd(out.as_mut_ptr(), col) };
            }
            out
        }
        if !std::arch::is_x86_feature_detected!("avx512f") {
            return;
        }
        let rows: [[f64; 8]; 8] =
            std::array::from_fn(|r| std::array::from_fn(|q| (r * 8 + q) as f64));
        // SAFETY: the CPU has AVX-512F (checked above).
        let cols = unsafe { transposed(&rows) };
        for (q, col) in cols.iter().enumerate() {
            for (r, &v) in col.iter().enumerate() {
                assert_eq!(v, rows[r][q], "row {r} feature {q}");
            }
        }
    }

    /// Defines a kernel that maps one function over a vector of values (the
    /// function inlined, so that it is compiled for the level dispatched).
    macro_rules! map_kernel {
        ($(#[$doc:meta])* $name:ident: $t:ty, $f:ident) => {
            $(#[$doc])*
            struct $name<const F: bool>(Vec<$t>);

            impl<const F: bool> Kernel for $name<F> {
                type Output = Vec<$t>;
                #[inline(always)]
                fn run(mut self) -> Vec<$t> {
                    for v in self.0.iter_mut() {
                        *v = $f::<F>(*v);
                    }
                    self.0
                }
            }
        };
    }

    map_kernel!(
        /// `exp_nonpositive` of each value.
        Exps: f64, exp_nonpositive
    );
    map_kernel!(
        /// `exp_nonpositive_f32` of each value.
        Exps32: f32, exp_nonpositive_f32
    );
    map_kernel!(
        /// `ln` of each value.
        Lns: f64, ln
    );

    /// 2 x 10^6 seeded arguments, alternately uniform over `ranges[0]` and
    /// `ranges[1]`.
    fn seeded_args<T>(ranges: [std::ops::RangeInclusive<T>; 2]) -> Vec<T>
    where
        T: rand::distr::uniform::SampleUniform + PartialOrd + Clone,
    {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(18);
        (0..2_000_000)
            .map(|i| rng.random_range(ranges[i % 2].clone()))
            .collect()
    }

    /// The kernel `exps` makes of `args` run at the scalar level, after
    /// checking that every supported level gives the same bits.
    fn same_at_every_level<T, K>(args: &[T], exps: impl Fn(Vec<T>) -> K) -> Vec<T>
    where
        T: Clone + PartialEq,
        K: Kernel<Output = Vec<T>>,
    {
        let scalar = dispatch(Level::Scalar, exps(args.to_vec()));
        for l in supported() {
            let got = dispatch(l, exps(args.to_vec()));
            assert!(got == scalar, "{}: not the scalar bits", l.name());
        }
        scalar
    }

    /// Distance in units in the last place between two positive finite values.
    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    /// The largest error in ulp against the standard library's `exp` (glibc's,
    /// itself within 1 ulp) over 2 x 10^6 seeded arguments: half uniform over
    /// the whole range [-708, 0], half over [-40, 0] where responsibilities
    /// are not negligible; both variants, at every level (which agree bit
    /// for bit).
    fn exp_max_ulps<const F: bool>() -> u64 {
        let args = seeded_args([-708.0..=0.0, -40.0..=0.0]);
        let got = same_at_every_level(&args, Exps::<F>);
        let worst = args
            .iter()
            .zip(&got)
            .map(|(&x, &got)| ulps(got, x.exp()))
            .max()
            .unwrap();
        assert_eq!(exp_nonpositive::<F>(0.0), 1.0);
        assert_eq!(exp_nonpositive::<F>(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp_nonpositive::<F>(-708.5), 0.0);
        worst
    }

    /// The largest error in ulp of `exp_nonpositive_f32` against `f64` `exp`
    /// rounded to `f32` over 2 x 10^6 seeded arguments: half uniform over its
    /// whole range [-87, 0], half over [-44.4, 0] (down to 2^-64, where the
    /// E-step flushes responsibilities); both variants, every level bit for
    /// bit equal to the scalar one.
    fn exp_f32_max_ulps<const F: bool>() -> u32 {
        let args = seeded_args([-87.0f32..=0.0, -44.4..=0.0]);
        let got = same_at_every_level(&args, Exps32::<F>);
        let worst = args
            .iter()
            .zip(&got)
            .map(|(&x, &got)| {
                got.to_bits()
                    .abs_diff((f64::from(x).exp() as f32).to_bits())
            })
            .max()
            .unwrap();
        assert_eq!(exp_nonpositive_f32::<F>(0.0), 1.0);
        assert_eq!(exp_nonpositive_f32::<F>(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_nonpositive_f32::<F>(-87.5), 0.0);
        assert!(exp_nonpositive_f32::<F>(-86.99).is_normal());
        worst
    }

    /// The largest error in ulp of `ln` against the standard library's
    /// (glibc's, itself within 1 ulp) over 2 x 10^6 seeded arguments: half
    /// `2^t` or `0.75 2^t` for `t` uniform over the whole normal and
    /// subnormal range, half uniform over [1, 10^4] (the E-step's sums of
    /// exps lie in [1, k]); both variants, every level bit for bit equal to
    /// the scalar one. The special values are those of `f64::ln`, and where
    /// `ln` is 0 (at 1) it must be exactly 0.
    fn ln_max_ulps<const F: bool>() -> u64 {
        let mut args = seeded_args([-1074.0..=1024.0, 1.0..=1e4]);
        for (i, a) in args.iter_mut().enumerate().step_by(2) {
            *a = 2f64.powf(*a).min(f64::MAX) * if i % 4 == 0 { 1.0 } else { 0.75 };
        }
        args.extend([1.0, 2.0, 0.5, f64::MIN_POSITIVE, 5e-324, f64::MAX]);
        let got = same_at_every_level(&args, Lns::<F>);
        let specials = vec![
            0.0,
            -0.0,
            -1.0,
            -5e-324,
            f64::INFINITY,
            -f64::INFINITY,
            f64::NAN,
        ];
        for l in supported() {
            let got = dispatch(l, Lns::<F>(specials.clone()));
            for (&x, &y) in specials.iter().zip(&got) {
                let want = x.ln();
                assert!(y == want || (y.is_nan() && want.is_nan()), "ln({x}) = {y}");
            }
        }
        args.iter()
            .zip(&got)
            .map(|(&x, &y)| {
                let want = x.ln();
                if want == 0.0 || y.is_sign_negative() != want.is_sign_negative() {
                    u64::from(y != want) * u64::MAX
                } else {
                    ulps(y.abs(), want.abs())
                }
            })
            .max()
            .unwrap()
    }

    /// Both variants' largest errors, printed, and each at most 1 ulp.
    fn assert_within_1_ulp(what: &str, fused: u64, unfused: u64) {
        eprintln!("{what}: max {fused} ulp with FMA, {unfused} ulp without");
        assert!(fused <= 1, "{what}: {fused} ulp with FMA");
        assert!(unfused <= 1, "{what}: {unfused} ulp without FMA");
    }

    #[test]
    fn fast_ln_is_within_1_ulp_of_std_with_and_without_fma() {
        assert_within_1_ulp("ln", ln_max_ulps::<true>(), ln_max_ulps::<false>());
    }

    #[test]
    fn fast_f32_exp_is_within_1_ulp_of_the_rounded_f64_exp() {
        assert_within_1_ulp(
            "exp_nonpositive_f32",
            exp_f32_max_ulps::<true>().into(),
            exp_f32_max_ulps::<false>().into(),
        );
    }

    #[test]
    fn fast_exp_is_within_1_ulp_of_std_with_and_without_fma() {
        assert_within_1_ulp(
            "exp_nonpositive",
            exp_max_ulps::<true>(),
            exp_max_ulps::<false>(),
        );
    }
}
