//! Candidate GEMMs timed side by side on the products the EM kernels make
//! (issue 18: "try a stronger GEMM"), single-threaded, `f64` and `f32`:
//!
//! - `tiles`: `small_gemm`'s own register tiles (no packing), at the
//!   vector level the kernels run at (`ADMIX_SIMD` lowers it);
//! - `small`: what the kernels call, `small_gemm` (its tiles or faer's
//!   kernels, whichever measured faster for the shape and level);
//! - `mm`: `matrixmultiply` 0.3 (`dgemm`/`sgemm`, its AVX-512 kernels on an
//!   AVX-512 CPU; build with `MMTEST_FEATURE=fma,avx2` for its AVX2 ones);
//! - `faer`: faer's kernels (`private-gemm-x86`, what `faer::linalg::matmul`
//!   calls for these sizes), at AVX-512 or (`ADMIX_SIMD=avx2`) AVX2;
//! - `gemm`: the `gemm` crate 0.19 without its `x86-v4` feature (AVX2/FMA
//!   kernels on any x86-64 CPU with them);
//! - `nano`: `nano-gemm` 0.2 (small unpacked kernels, AVX2 without `x86-v4`).
//!
//! Shapes: one 1024^3 square product (the peak bench's), then the per-chunk
//! products of one EM pass (chunks of 128 rows) for full, diag and
//! spherical covariances at d = 16, k = 16 and d = 64, k = 8, with the
//! operand layouts the kernels use. Each line is the best of several rounds
//! in which the candidates alternate, so load on the machine hits them all
//! alike; `Nx` is the candidate's time over that of `tiles`, and `=` marks
//! results bitwise equal to those of `tiles`.
//!
//! Run: `cargo bench -p admix-mixture --bench gemm [peak] [kernels]`.

use admix_mixture::{bench_gemm_f32, bench_gemm_f64, BenchGemm};
use std::hint::black_box;
use std::time::Instant;

/// Rows per chunk of the EM pass (`gmm/estep.rs`'s `CHUNK`).
const CHUNK: usize = 128;

/// One product: `c (m x n) = a (m x k) b (k x n)`, or `c += a b` with `add`;
/// `a` row-major or stored as its transpose, `b` and `c` row-major.
#[derive(Clone, Copy)]
struct Shape {
    what: &'static str,
    dims: (usize, usize, usize),
    a_transposed: bool,
    add: bool,
}

/// The EM pass's products for `d` features and `k` components, as
/// `gmm/estep.rs` and `gmm/accumulate.rs` make them for one chunk.
fn em_shapes(d: usize, k: usize) -> Vec<Shape> {
    let b = CHUNK;
    let t = d * (d + 1) / 2;
    let shape = |what, dims, a_transposed, add| Shape {
        what,
        dims,
        a_transposed,
        add,
    };
    let mut shapes = vec![
        shape("full E: [U_j] (X-s)^T", (k * d, d + 1, b), false, false),
        shape("full M: R [X 1]", (k, b, d + 1), false, true),
    ];
    if k * d >= t {
        shapes.push(shape(
            "full M: P^T R^T (triangles)",
            (t, b, k),
            false,
            false,
        ));
    } else {
        shapes.push(shape("full M: X^T Z", (d, b, k * d), true, true));
    }
    shapes.push(shape(
        "diag/sph E: [X X^2 1] A^T",
        (b, 2 * d + 1, k),
        false,
        false,
    ));
    shapes.push(shape(
        "diag/sph M: R [X X^2 1]",
        (k, b, 2 * d + 1),
        false,
        true,
    ));
    shapes.push(shape(
        "diag/sph M f32: R [X X^2]",
        (k, b, 2 * d),
        false,
        false,
    ));
    shapes
}

/// An element type every candidate multiplies.
trait Element: Copy + Default + PartialOrd + std::ops::Sub<Output = Self> + 'static {
    const NAME: &'static str;
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
    fn admix(how: BenchGemm, s: Shape, a: &[Self], b: &[Self], c: &mut [Self]);
    /// # Safety
    /// The slices hold the shape's operands.
    unsafe fn mm(s: Shape, a: &[Self], b: &[Self], c: &mut [Self]);
    /// # Safety
    /// As [`Element::mm`].
    unsafe fn gemm(s: Shape, a: &[Self], b: &[Self], c: &mut [Self]);
    /// # Safety
    /// As [`Element::mm`].
    unsafe fn nano(s: Shape, a: &[Self], b: &[Self], c: &mut [Self]);
    #[cfg(target_arch = "x86_64")]
    const FAER: private_gemm_x86::DType;
}

/// Strides `(row, col)` of `a` in elements.
fn a_strides(s: Shape) -> (isize, isize) {
    let (m, k, _) = s.dims;
    if s.a_transposed {
        (1, m as isize)
    } else {
        (k as isize, 1)
    }
}

macro_rules! element {
    ($t:ty, $name:literal, $small:ident, $mm:ident, $nano:ident, $dtype:ident) => {
        impl Element for $t {
            const NAME: &'static str = $name;
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn admix(how: BenchGemm, s: Shape, a: &[$t], b: &[$t], c: &mut [$t]) {
                $small(how, s.dims, (a, s.a_transposed), b, s.add, c);
            }
            unsafe fn mm(s: Shape, a: &[$t], b: &[$t], c: &mut [$t]) {
                let (m, k, n) = s.dims;
                let (ar, ac) = a_strides(s);
                let beta = if s.add { 1.0 } else { 0.0 };
                let (a, b, c) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
                let n_ = n as isize;
                // SAFETY: passed on from the caller.
                unsafe { matrixmultiply::$mm(m, k, n, 1.0, a, ar, ac, b, n_, 1, beta, c, n_, 1) }
            }
            unsafe fn gemm(s: Shape, a: &[$t], b: &[$t], c: &mut [$t]) {
                let (m, k, n) = s.dims;
                let (ar, ac) = a_strides(s);
                let (a, b, c) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
                let n_ = n as isize;
                // SAFETY: passed on from the caller. gemm's argument order:
                // column stride before row stride; dst = alpha dst + beta a b.
                unsafe {
                    gemm::gemm(
                        m,
                        n,
                        k,
                        c,
                        1,
                        n_,
                        s.add,
                        a,
                        ac,
                        ar,
                        b,
                        1,
                        n_,
                        1.0,
                        1.0,
                        false,
                        false,
                        false,
                        gemm::Parallelism::None,
                    )
                }
            }
            unsafe fn nano(s: Shape, a: &[$t], b: &[$t], c: &mut [$t]) {
                let (m, k, n) = s.dims;
                let (ar, ac) = a_strides(s);
                let (a, b, c) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
                let n_ = n as isize;
                let keep = if s.add { 1.0 } else { 0.0 };
                // SAFETY: passed on from the caller; dst = alpha dst + beta a b.
                unsafe {
                    nano_gemm::planless::$nano(
                        m, n, k, c, n_, 1, a, ar, ac, b, n_, 1, keep, 1.0, false, false,
                    )
                }
            }
            #[cfg(target_arch = "x86_64")]
            const FAER: private_gemm_x86::DType = private_gemm_x86::DType::$dtype;
        }
    };
}

element!(f64, "f64", bench_gemm_f64, dgemm, execute_f64, F64);
element!(f32, "f32", bench_gemm_f32, sgemm, execute_f32, F32);

/// faer's kernels at AVX-512 on a CPU with it, unless `ADMIX_SIMD` asks for
/// a lower level (then AVX2, as on a CPU without AVX-512).
#[cfg(target_arch = "x86_64")]
fn faer_level() -> Option<private_gemm_x86::InstrSet> {
    use private_gemm_x86::InstrSet;
    let forced = std::env::var("ADMIX_SIMD").ok();
    if std::arch::is_x86_feature_detected!("avx512f")
        && !matches!(forced.as_deref(), Some("avx2" | "scalar"))
    {
        Some(InstrSet::Avx512)
    } else if std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
        && forced.as_deref() != Some("scalar")
    {
        Some(InstrSet::Avx256)
    } else {
        None
    }
}

/// # Safety
/// The slices hold the shape's operands.
#[cfg(target_arch = "x86_64")]
unsafe fn faer<T: Element>(
    level: private_gemm_x86::InstrSet,
    s: Shape,
    a: &[T],
    b: &[T],
    c: &mut [T],
) {
    use private_gemm_x86::{Accum, DstKind, IType};
    let (m, k, n) = s.dims;
    let (ar, ac) = a_strides(s);
    let one = T::from_f64(1.0);
    let n_ = n as isize;
    let accum = if s.add { Accum::Add } else { Accum::Replace };
    // SAFETY: passed on from the caller; one thread, full destination.
    unsafe {
        private_gemm_x86::gemm(
            T::FAER,
            IType::U64,
            level,
            m,
            n,
            k,
            c.as_mut_ptr().cast(),
            n_,
            1,
            std::ptr::null(),
            std::ptr::null(),
            DstKind::Full,
            accum,
            a.as_ptr().cast(),
            ar,
            ac,
            false,
            std::ptr::null(),
            0,
            b.as_ptr().cast(),
            n_,
            1,
            false,
            (&raw const one).cast(),
            1,
        )
    }
}

/// A candidate: its name and one call on a shape's operands.
type Candidate<T> = (&'static str, Box<dyn Fn(Shape, &[T], &[T], &mut [T])>);

fn candidates<T: Element>() -> Vec<Candidate<T>> {
    // SAFETY (every unsafe call below): the operands come from `operands`,
    // sized for the shape.
    let mut list: Vec<Candidate<T>> = vec![
        (
            "tiles",
            Box::new(|s, a, b, c| T::admix(BenchGemm::Tiles, s, a, b, c)),
        ),
        (
            "small",
            Box::new(|s, a, b, c| T::admix(BenchGemm::Small, s, a, b, c)),
        ),
        ("mm", Box::new(|s, a, b, c| unsafe { T::mm(s, a, b, c) })),
    ];
    #[cfg(target_arch = "x86_64")]
    if let Some(level) = faer_level() {
        list.push((
            "faer",
            Box::new(move |s, a, b, c| unsafe { faer(level, s, a, b, c) }),
        ));
    }
    list.push((
        "gemm",
        Box::new(|s, a, b, c| unsafe { T::gemm(s, a, b, c) }),
    ));
    list.push((
        "nano",
        Box::new(|s, a, b, c| unsafe { T::nano(s, a, b, c) }),
    ));
    list
}

/// Operands of a shape, deterministic values in [-1, 1).
fn operands<T: Element>(s: Shape) -> (Vec<T>, Vec<T>, Vec<T>) {
    let (m, k, n) = s.dims;
    let value =
        |i: usize, salt: usize| T::from_f64(((i * 7919 + salt) % 2003) as f64 / 1001.5 - 1.0);
    (
        (0..m * k).map(|i| value(i, 1)).collect(),
        (0..k * n).map(|i| value(i, 2)).collect(),
        (0..m * n).map(|i| value(i, 3)).collect(),
    )
}

/// Times every candidate on `s`, `calls` calls per timing, `rounds`
/// alternated rounds; prints the best of each and checks that all agree.
fn compare<T: Element>(s: Shape, calls: usize, rounds: usize) {
    let (m, k, n) = s.dims;
    let (a, b, start) = operands::<T>(s);
    let list = candidates::<T>();
    let mut best = vec![f64::INFINITY; list.len()];
    let mut results = vec![Vec::new(); list.len()];
    for _ in 0..rounds {
        for ((_, f), (t, out)) in list.iter().zip(best.iter_mut().zip(results.iter_mut())) {
            let mut c = start.clone();
            let clock = Instant::now();
            for _ in 0..calls {
                f(s, &a, &b, &mut c);
                black_box(&mut c);
            }
            *t = t.min(clock.elapsed().as_secs_f64() / calls as f64);
            if !s.add {
                *out = c;
            } else if out.is_empty() {
                // One call from the start values, to compare.
                let mut c = start.clone();
                f(s, &a, &b, &mut c);
                *out = c;
            }
        }
    }
    // Agreement: the largest difference from `tiles`'s result of one call,
    // relative to the largest value.
    let scale = results[0]
        .iter()
        .fold(0.0f64, |s, v| s.max(v.to_f64().abs()));
    let flops = 2.0 * (m * k * n) as f64;
    let mut line = format!("{:<5} {:<30} {:>4}x{:>4}x{:>4}", T::NAME, s.what, m, k, n);
    for (((name, _), t), out) in list.iter().zip(&best).zip(&results) {
        let gf = flops / t / 1e9;
        // `=`: the same bits as `tiles`.
        let mut same = ' ';
        if !out.is_empty() {
            let diff = out
                .iter()
                .zip(&results[0])
                .fold(0.0f64, |d, (x, y)| d.max((x.to_f64() - y.to_f64()).abs()));
            assert!(
                diff <= 1e-3 * scale,
                "{name} disagrees with small on {}",
                s.what
            );
            if diff == 0.0 {
                same = '=';
            }
        }
        line += &format!(
            " | {name} {:>8.2} us {gf:>6.1} GF/s {:>5.2}x{same}",
            t * 1e6,
            t / best[0]
        );
    }
    println!("{line}");
}

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let runs = |part: &str| only.is_empty() || only.iter().any(|a| a == part);
    println!("times per call, best of alternated rounds; `Nx` = time / tiles' time");
    #[cfg(target_arch = "x86_64")]
    println!("faer's kernels at {:?}", faer_level());
    if runs("peak") {
        let peak = Shape {
            what: "peak: square",
            dims: (1024, 1024, 1024),
            a_transposed: false,
            add: false,
        };
        compare::<f64>(peak, 1, 3);
        compare::<f32>(peak, 1, 3);
    }
    if runs("kernels") {
        for (d, k) in [(16, 16), (64, 8)] {
            println!(
                "d = {d}, k = {k} (one pass at n = 200k: {} chunks)",
                200_000 / CHUNK
            );
            for s in em_shapes(d, k) {
                // About 2 ms per timing.
                let (m, kk, n) = s.dims;
                let calls = (2_000_000 / (m * kk * n)).max(20);
                compare::<f64>(s, calls, 7);
                compare::<f32>(s, calls, 7);
            }
        }
    }
}
