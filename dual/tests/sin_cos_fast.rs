//! `Scalar::sin_cos_fast` on f64 (one range reduction for both) against
//! libm's `sin` and `cos`: within 1 ulp on seeded random arguments over
//! every range the kernel treats differently, exact at zero, and libm's
//! own results for non-finite and out-of-range arguments.

use admix_dual::Scalar;
use std::f64::consts::FRAC_PI_2;

/// SplitMix64: a seeded source of test arguments.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// Distance in units in the last place, counting across zero.
fn ulps(a: f64, b: f64) -> u64 {
    let key = |v: f64| {
        let bits = v.to_bits() as i64;
        if bits < 0 {
            i64::MIN - bits
        } else {
            bits
        }
    };
    key(a).abs_diff(key(b))
}

/// Checks `count` arguments from `draw`; returns the largest distance seen.
fn check(name: &str, count: usize, seed: u64, mut draw: impl FnMut(&mut Rng) -> f64) -> u64 {
    let mut rng = Rng(seed);
    let mut worst = 0;
    for _ in 0..count {
        let x = draw(&mut rng);
        let (s, c) = x.sin_cos_fast();
        let (ds, dc) = (ulps(s, x.sin()), ulps(c, x.cos()));
        assert!(
            ds <= 1 && dc <= 1,
            "{name}: x = {x:e} ({:#x}): sin {s:e} vs libm {:e} ({ds} ulp), \
             cos {c:e} vs libm {:e} ({dc} ulp)",
            x.to_bits(),
            x.sin(),
            x.cos()
        );
        worst = worst.max(ds).max(dc);
    }
    worst
}

const COUNT: usize = 300_000;
/// The kernel's own range (libm beyond it).
const BOUND: f64 = 524_288.0;

#[test]
fn tiny_arguments_within_one_ulp() {
    check("tiny", COUNT, 1, |rng| {
        // |x| from 2^-1074 to 2^-10, log-uniform, both signs.
        let magnitude = 2f64.powf(rng.uniform(-1074.0, -10.0));
        if rng.next() & 1 == 0 {
            magnitude
        } else {
            -magnitude
        }
    });
}

#[test]
fn arguments_in_one_period_within_one_ulp() {
    check("[-pi, pi]", COUNT, 2, |rng| {
        rng.uniform(-std::f64::consts::PI, std::f64::consts::PI)
    });
}

#[test]
fn arguments_up_to_the_bound_within_one_ulp() {
    check("|x| <= 2^19", COUNT, 3, |rng| rng.uniform(-BOUND, BOUND));
}

#[test]
fn arguments_near_multiples_of_half_pi_within_one_ulp() {
    // The doubles nearest k pi/2 and a few ulps either side: r is tiny
    // there and only an exact reduction keeps its relative precision.
    check("near k pi/2", COUNT, 4, |rng| {
        let k = (rng.next() % 333_000) as f64;
        let near = k * FRAC_PI_2;
        let offset = (rng.next() % 9) as i64 - 4;
        let x = f64::from_bits((near.to_bits() as i64 + offset) as u64);
        if rng.next() & 1 == 0 {
            x
        } else {
            -x
        }
    });
}

#[test]
fn exact_at_zero() {
    assert_eq!(0.0_f64.sin_cos_fast(), (0.0, 1.0));
    let (s, c) = (-0.0_f64).sin_cos_fast();
    assert!(s == 0.0 && s.is_sign_negative(), "sin(-0) = -0, got {s:e}");
    assert_eq!(c, 1.0);
}

#[test]
fn non_finite_and_out_of_range_arguments_are_libm() {
    for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let (s, c) = x.sin_cos_fast();
        assert!(s.is_nan() && c.is_nan(), "x = {x}: ({s}, {c})");
    }
    let mut rng = Rng(5);
    for _ in 0..10_000 {
        let x = rng.uniform(BOUND, 1e300) * if rng.next() & 1 == 0 { 1.0 } else { -1.0 };
        assert_eq!(x.sin_cos_fast(), (x.sin(), x.cos()), "x = {x:e}");
    }
}
