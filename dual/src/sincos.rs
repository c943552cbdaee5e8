//! sin and cos of one f64 argument with one range reduction, for the
//! derivatives of `sin` and `cos` on a tape (the value of `sin(x)` comes
//! from libm, and its derivative `cos(x)` from here, without a second libm
//! call and its rounding-mode save/restore).
//!
//! Reduction: `x = k pi/2 + r` with `|r| <= pi/4`, by Cody-Waite with pi/2
//! cut into pieces of 33, 33, 33 and 53 bits, so `k` times each of the
//! first three is exact for `|k| < 2^20`; the differences are carried as
//! a double-double `r + rl` (two-sums), so `r` keeps full relative
//! precision even when `x` is within `2^-60` of a multiple of pi/2.
//! Polynomials: the Taylor series of sin to `r^17` and of cos to `r^16`
//! (truncation below 0.03 ulp on `|r| <= pi/4`). Beyond [`BOUND`], and
//! for infinities and NaN, libm; below [`TINY`], `(x, 1)`; no reduction
//! for `|x| <= pi/4`.
//!
//! The pieces of pi/2 were computed from pi by Machin's formula in exact
//! integer arithmetic (200 bits) and checked against an independent
//! multi-precision value.

/// `|x|` up to which the reduction is exact: `|k| <= 2^19 * 2/pi < 2^19`,
/// and `k` times a 33-bit piece fits in 53 bits.
const BOUND: f64 = 524_288.0;

/// Below this, `sin x` rounds to `x` and `cos x` to 1 (`x^2 / 2 < 2^-55`).
const TINY: f64 = 1.0 / 134_217_728.0; // 2^-27

/// pi/2 = P1 + P2 + P3 + P4 (33, 33, 33 and 53 significant bits).
const P1: f64 = f64::from_bits(0x3ff9_21fb_5440_0000);
const P2: f64 = f64::from_bits(0x3dd0_b461_1a60_0000);
const P3: f64 = f64::from_bits(0x3ba3_198a_2e00_0000);
const P4: f64 = f64::from_bits(0x397b_839a_2520_49c1);

/// 1.5 * 2^52: `y + ROUND - ROUND` rounds `|y| < 2^51` to the nearest
/// integer, whose low bits are then the low mantissa bits of `y + ROUND`.
const ROUND: f64 = 6_755_399_441_055_744.0;

/// `(-1)^j / (2j + 1)!` for j = 1..=8 (sin), `(-1)^j / (2j)!` for j = 2..=8
/// (cos); every factorial here is exact in f64, so each quotient is the
/// correctly rounded coefficient.
const S3: f64 = -1.0 / 6.0;
const S5: f64 = 1.0 / 120.0;
const S7: f64 = -1.0 / 5_040.0;
const S9: f64 = 1.0 / 362_880.0;
const S11: f64 = -1.0 / 39_916_800.0;
const S13: f64 = 1.0 / 6_227_020_800.0;
const S15: f64 = -1.0 / 1_307_674_368_000.0;
const S17: f64 = 1.0 / 355_687_428_096_000.0;
const C4: f64 = 1.0 / 24.0;
const C6: f64 = -1.0 / 720.0;
const C8: f64 = 1.0 / 40_320.0;
const C10: f64 = -1.0 / 3_628_800.0;
const C12: f64 = 1.0 / 479_001_600.0;
const C14: f64 = -1.0 / 87_178_291_200.0;
const C16: f64 = 1.0 / 20_922_789_888_000.0;

/// `a + b` as the rounded sum and its exact error.
#[inline(always)]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// `(sin x, cos x)`, each within 1 ulp of the exact value. Inlined with
/// the common case `|x| <= pi/4` (no reduction) in front, so a caller that
/// needs only one of the two evaluates one polynomial there.
#[inline(always)]
pub(crate) fn sin_cos(x: f64) -> (f64, f64) {
    if x.abs() <= std::f64::consts::FRAC_PI_4 {
        if x.abs() < TINY {
            // Correctly rounded, and keeps the sign of -0.
            return (x, 1.0);
        }
        return (sin_poly(x, 0.0), cos_poly(x, 0.0));
    }
    reduced(x)
}

/// [`sin_cos`] for `pi/4 < |x|`: reduction by pi/2 up to [`BOUND`], libm
/// beyond and for non-finite `x`.
#[inline(never)]
fn reduced(x: f64) -> (f64, f64) {
    if x.is_nan() || x.abs() > BOUND {
        return (x.sin(), x.cos());
    }
    let t = x * std::f64::consts::FRAC_2_PI + ROUND;
    let quadrant = t.to_bits() & 3;
    let k = t - ROUND;
    // x - k P1 is exact (Sterbenz), k P2 and k P3 are exact products.
    let (r0, e0) = two_sum(x - k * P1, -(k * P2));
    let (r1, e1) = two_sum(r0, -(k * P3));
    let lo = (e0 + e1) - k * P4;
    let r = r1 + lo;
    let rl = (r1 - r) + lo;
    let (sin_r, cos_r) = (sin_poly(r, rl), cos_poly(r, rl));

    // sin x = sin r, cos r, -sin r, -cos r and cos x = cos r, -sin r,
    // -cos r, sin r in quadrants 0..=3.
    let (s, c) = if quadrant & 1 == 0 {
        (sin_r, cos_r)
    } else {
        (cos_r, sin_r)
    };
    let sin_sign = (quadrant & 2) << 62;
    let cos_sign = ((quadrant + 1) & 2) << 62;
    (
        f64::from_bits(s.to_bits() ^ sin_sign),
        f64::from_bits(c.to_bits() ^ cos_sign),
    )
}

/// sin(r + rl) for `|r| <= pi/4`, `|rl|` below half an ulp of `r`.
#[inline(always)]
fn sin_poly(r: f64, rl: f64) -> f64 {
    let z = r * r;
    // Estrin's scheme: a short dependency chain, so the kernel overlaps
    // with the caller's work instead of holding up retirement.
    let (z2, z4) = (z * z, (z * z) * (z * z));
    let p = (S3 + z * S5) + z2 * (S7 + z * S9) + z4 * ((S11 + z * S13) + z2 * (S15 + z * S17));
    r + (r * z * p + rl)
}

/// cos(r + rl) for `|r| <= pi/4`, `|rl|` below half an ulp of `r`.
#[inline(always)]
fn cos_poly(r: f64, rl: f64) -> f64 {
    let z = r * r;
    let (z2, z4) = (z * z, (z * z) * (z * z));
    let q = (C4 + z * C6) + z2 * (C8 + z * C10) + z4 * ((C12 + z * C14) + z2 * C16);
    // 1 - z/2 with its rounding error carried into the small terms.
    let half_z = 0.5 * z;
    let w = 1.0 - half_z;
    w + (((1.0 - w) - half_z) + (z * z * q - r * rl))
}
