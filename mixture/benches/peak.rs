//! Achieved GFLOP/s of the EM and K-means kernels against a DGEMM peak
//! measured in the same run, on the same threads, with the same GEMM the
//! kernels call (the crate's `gemm`: faer's kernels, or `matrixmultiply`
//! on CPUs without AVX2 and FMA; the output names it; single-threaded per
//! call; the kernels run one call per rayon worker, so the peak is one
//! large square product per thread, all threads at once). An EM kernel is
//! held to the best of the peak products timed between its fits, one per
//! round of fits (a busy machine slows a measurement and never speeds it,
//! and a peak measured at other moments would meet other neighbours); the
//! per-CPU-second peaks and Lloyd's are measured before and after the
//! kernels, the higher of the two the reference. EM also runs on the same data
//! as `f32`, against an SGEMM peak measured the same way.
//!
//! Flop counts per row are those written next to the kernels
//! (`gmm/estep.rs`, `gmm/accumulate.rs`, `kmeans/distances.rs`,
//! `kmeans/assign.rs`); one flop is one add or one multiply, and the `k`
//! exps per row of an E-step are not counted as flops. Times are the best
//! of several repetitions. An EM iteration is timed inside `fit` (the
//! difference of two warm-started fits), so it holds what a fit's iteration
//! does: one pass and one M-step, without the per-call data checks of
//! `statistics`.
//!
//! Run: `cargo bench -p admix-mixture --bench peak [em] [kmeans] [full]
//! [diag] [spherical]` (no part named: both; no covariance type: all three)
//! (`ADMIX_BENCH_THREADS`, default 2; with `ADMIX_BENCH_PYTHON` naming a
//! Python that has scikit-learn, `scripts/bench_sklearn_kmeans.py` runs
//! right after, in the same run).

use admix_mixture::gmm::{CovarianceType, Covariances, GaussianMixture, GaussianMixtureModel};
use admix_mixture::kmeans::{Distance, Lloyd};
use admix_mixture::{bench_gemm_f32, bench_gemm_f64, bench_gemm_name, BenchGemm, Data};
use ndarray::{Array1, Array2, Array3, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::hint::black_box;
use std::time::Instant;

/// Side of the square products that measure the peak.
const PEAK_SIDE: usize = 1024;

/// EM iterations timed per fit (see `main`).
const ITERATIONS: usize = 10;

/// Fits of each length timed, the fastest counted: on a shared machine a
/// neighbour only slows a fit, and with 3 the same build moved 10-20%
/// between rounds. Also the number of products the GEMM peak is the best of
/// ([`gemm_peak`]), so that it gets as many tries as the kernels.
const FITS: usize = 7;

/// Best wall time of `reps` calls of `f`, in seconds.
fn best_of(reps: usize, mut f: impl FnMut()) -> f64 {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// CPU seconds this process has used, all threads, from `/proc/self/stat`
/// (Linux; ticks of 1/100 s), to compare with scikit-learn's CPU figure,
/// which a loaded machine disturbs less than wall time.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses: utime and stime
    // are fields 14 and 15 of the line, 12 and 13 after the name.
    let mut after = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let (user, system): (f64, f64) = (after.next()?.parse().ok()?, after.next()?.parse().ok()?);
    Some((user + system) / 100.0)
}

/// A type whose GEMM the peak is measured with.
trait PeakGemm: Copy + Send + Sync + 'static {
    fn from_f64(v: f64) -> Self;
    /// `c = a b` for row-major `m x m` matrices, by the kernels' GEMM.
    fn square(m: usize, a: &[Self], b: &[Self], c: &mut [Self]);
}

impl PeakGemm for f64 {
    fn from_f64(v: f64) -> Self {
        v
    }
    fn square(m: usize, a: &[f64], b: &[f64], c: &mut [f64]) {
        bench_gemm_f64(BenchGemm::Gemm, (m, m, m), (a, false), b, false, c);
    }
}

impl PeakGemm for f32 {
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn square(m: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
        bench_gemm_f32(BenchGemm::Gemm, (m, m, m), (a, false), b, false, c);
    }
}

/// `threads` simultaneous single-threaded square GEMMs in `T`, `rounds`
/// times after one untimed round: GFLOP per second of the fastest round, and
/// GFLOP per CPU-second over all rounds (process CPU time, so time the
/// threads spend waiting for a core on a loaded machine does not count).
/// Without the untimed round, the single-round peaks timed between the
/// first covariance type's f64 fits came out at 53-61 GFLOP/s against 90-98
/// everywhere else (whichever type ran first), and that type's EM read
/// 136-139% of them: the first touch of fresh buffers, not the GEMM.
fn gemm_peaks<T: PeakGemm>(threads: usize, rounds: usize) -> (f64, f64) {
    let m = PEAK_SIDE;
    let a: Vec<T> = (0..m * m)
        .map(|i| T::from_f64((i % 97) as f64 * 0.01))
        .collect();
    let b: Vec<T> = (0..m * m)
        .map(|i| T::from_f64((i % 89) as f64 * 0.01))
        .collect();
    let mut outs = vec![vec![T::from_f64(0.0); m * m]; threads];
    let mut round = || {
        std::thread::scope(|s| {
            for c in outs.iter_mut() {
                let (a, b) = (&a, &b);
                s.spawn(move || T::square(m, a, b, c));
            }
        })
    };
    round();
    let cpu_start = process_cpu_seconds().unwrap_or(f64::NAN);
    let seconds = best_of(rounds, round);
    let cpu = process_cpu_seconds().unwrap_or(f64::NAN) - cpu_start;
    black_box(&outs);
    let flops = (2 * m * m * m * threads) as f64;
    (flops / seconds / 1e9, flops * rounds as f64 / cpu / 1e9)
}

/// GFLOP/s of `threads` simultaneous single-threaded square GEMMs in `T`
/// (best of [`FITS`]: as many tries at a quiet moment as each kernel gets;
/// with 3, on a machine losing a fifth of its time to other guests, the
/// peak fell further than the kernels and EM full read 89-95% of it).
fn gemm_peak<T: PeakGemm>(threads: usize) -> f64 {
    gemm_peaks::<T>(threads, FITS).0
}

/// GFLOP per CPU-second of `threads` simultaneous single-threaded square
/// GEMMs in `T` (five rounds).
fn gemm_peak_per_cpu_second<T: PeakGemm>(threads: usize) -> f64 {
    gemm_peaks::<T>(threads, 5).1
}

/// Data from `k` unit-variance blobs with centres uniform in [-5, 5]^d, and a
/// starting model whose means are those centres moved by 0.5 (as `em.rs`).
fn em_problem(
    n: usize,
    d: usize,
    k: usize,
    ctype: CovarianceType,
) -> (Array2<f64>, GaussianMixtureModel) {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let centres = Array2::from_shape_simple_fn((k, d), || rng.random_range(-5.0..5.0));
    let x = Array2::from_shape_fn((n, d), |(i, l)| {
        let z: f64 = rng.sample(StandardNormal);
        centres[[i % k, l]] + z
    });
    let covariances = match ctype {
        CovarianceType::Full => Covariances::Full(Array3::from_shape_fn((k, d, d), |(_, a, b)| {
            if a == b {
                1.0
            } else {
                0.0
            }
        })),
        CovarianceType::Spherical => Covariances::Spherical(Array1::ones(k)),
        _ => Covariances::Diag(Array2::ones((k, d))),
    };
    let weights = Array1::from_elem(k, 1.0 / k as f64);
    let model = GaussianMixtureModel::new(weights, centres.mapv(|c| c + 0.5), covariances).unwrap();
    (x, model)
}

/// Flops per row of one EM pass (load, E-step, accumulation), as counted
/// next to the kernels; the M-step is O(k d^2) in all, not per row.
fn em_flops_per_row(ctype: CovarianceType, d: usize, k: usize) -> usize {
    let t = d * (d + 1) / 2;
    let normalise = 3 * k + 2;
    match ctype {
        CovarianceType::Full => {
            let estep = d + 2 * k * d * (d + 1) + 2 * k * d + 2 * k;
            let second = if k * d >= t {
                t + k * d * (d + 1)
            } else {
                k * d + 2 * d * k * d
            };
            estep + normalise + 2 * k * (d + 1) + second
        }
        CovarianceType::Tied => {
            d + 2 * d * d + 3 * k * d + 2 * k + normalise + 2 * k * (d + 1) + 2 * d * d
        }
        CovarianceType::Diag | CovarianceType::Spherical => {
            2 * d + 2 * k * (2 * d + 1) + normalise + 2 * k * (2 * d + 1)
        }
    }
}

/// Flops per row of one Lloyd assignment pass (centres rounded up to tiles of 8).
fn lloyd_flops_per_row(d: usize, k: usize) -> usize {
    let k = k.div_ceil(8) * 8;
    2 * k * d + 2 * k + 2 * d + 5
}

/// K-means data as `kmeans.rs` and `scripts/bench_sklearn_kmeans.py` make it.
fn blobs(n: usize, d: usize, k: usize, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let means = Array2::from_shape_fn((k, d), |_| rng.random_range(-0.25..0.25));
    Array2::from_shape_fn((n, d), |(i, j)| {
        means[[i % k, j]] + Distribution::<f64>::sample(&StandardNormal, &mut rng)
    })
}

fn report(what: &str, seconds: f64, flops: f64, peak: f64) {
    let gflops = flops / seconds / 1e9;
    println!(
        "{what:<40} {seconds:>9.5} s/iter {gflops:>7.2} GFLOP/s {:>5.1}% of peak",
        100.0 * gflops / peak
    );
}

/// The GEMM peaks the kernels are measured against (GFLOP/s, or GFLOP per
/// CPU-second); `NAN` where not measured.
struct Peaks {
    single: f64,
    wall: f64,
    single32: f64,
    wall32: f64,
    cpu: f64,
    cpu32: f64,
}

impl Peaks {
    /// DGEMM on one thread and on `threads`; with `em`, also SGEMM and
    /// both per CPU-second.
    fn measure(threads: usize, em: bool) -> Peaks {
        let (single, wall) = (gemm_peak::<f64>(1), gemm_peak::<f64>(threads));
        let nan = f64::NAN;
        if !em {
            let (single32, wall32, cpu, cpu32) = (nan, nan, nan, nan);
            return Peaks {
                single,
                wall,
                single32,
                wall32,
                cpu,
                cpu32,
            };
        }
        Peaks {
            single,
            wall,
            single32: gemm_peak::<f32>(1),
            wall32: gemm_peak::<f32>(threads),
            cpu: gemm_peak_per_cpu_second::<f64>(threads),
            cpu32: gemm_peak_per_cpu_second::<f32>(threads),
        }
    }

    /// The higher of each pair.
    fn higher(&self, other: &Peaks) -> Peaks {
        Peaks {
            single: self.single.max(other.single),
            wall: self.wall.max(other.wall),
            single32: self.single32.max(other.single32),
            wall32: self.wall32.max(other.wall32),
            cpu: self.cpu.max(other.cpu),
            cpu32: self.cpu32.max(other.cpu32),
        }
    }
}

/// One line of the report, kept until the peaks are known.
enum Line {
    /// An EM iteration: wall and CPU seconds; `single`: on `f32` data;
    /// `peak`: the GEMM peak measured between its fits.
    Em {
        what: String,
        seconds: f64,
        cpu: f64,
        flops: f64,
        single: bool,
        peak: f64,
    },
    /// A Lloyd iteration, and the CPU seconds over all threads if known.
    Lloyd {
        what: String,
        seconds: f64,
        flops: f64,
        cpu: Option<f64>,
    },
    Note(String),
}

impl Line {
    fn print(&self, peaks: &Peaks) {
        match self {
            Line::Em {
                what,
                seconds,
                cpu,
                flops,
                single,
                peak,
            } => {
                let cpu_peak = if *single { peaks.cpu32 } else { peaks.cpu };
                report(what, *seconds, *flops, *peak);
                println!(
                    "  (against the {} peak measured between its fits: {peak:.2} GFLOP/s)",
                    if *single { "SGEMM" } else { "DGEMM" }
                );
                println!(
                    "  per CPU-second: {cpu:.5} CPU s/iter {:>7.2} GFLOP {:>5.1}% of the per-CPU peak",
                    flops / cpu / 1e9,
                    100.0 * flops / cpu / 1e9 / cpu_peak
                );
            }
            Line::Lloyd {
                what,
                seconds,
                flops,
                cpu,
            } => {
                report(what, *seconds, *flops, peaks.wall);
                if let Some(cpu) = cpu {
                    println!("  (mean CPU over all threads: {cpu:.5} s/iter)");
                }
            }
            Line::Note(line) => println!("{line}"),
        }
    }
}

fn main() {
    let threads: usize = std::env::var("ADMIX_BENCH_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(2);
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .expect("the global pool is built once, first");
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    // Parts (`em`, `kmeans`) and covariance types (`full`, `diag`,
    // `spherical`); none named of either: all of them.
    let (types, parts): (Vec<&String>, Vec<&String>) = only
        .iter()
        .partition(|a| a.parse::<CovarianceType>().is_ok());
    let runs = |part: &str| parts.is_empty() || parts.iter().any(|a| *a == part);
    let first = Peaks::measure(threads, runs("em"));
    // What each kernel took, printed once the peaks are measured again
    // after them.
    let mut results: Vec<Line> = Vec::new();

    let (n, d, k) = (200_000, 16, 16);
    for ctype in [
        CovarianceType::Full,
        CovarianceType::Diag,
        CovarianceType::Spherical,
    ] {
        if !runs("em") {
            break;
        }
        if !types.is_empty() && !types.iter().any(|a| *a == ctype.name()) {
            continue;
        }
        let (x, model) = em_problem(n, d, k, ctype);
        // The same values in f32: one EM iteration on each, same run.
        let x32 = x.mapv(|v| v as f32);
        // One iteration as `fit` runs it (a pass and an M-step, without the
        // data checks `statistics` makes on every call): a warm-started fit
        // of 1 + ITERATIONS iterations minus one of 1 iteration (each also
        // checks the data once and scores the result once).
        // Also in CPU seconds over all threads (mean of the fits). Each
        // round times one GEMM peak product (in the data's type), then a
        // fit of each length, so the peak a kernel is held to is measured
        // in the same moments as the kernel, as often (the best of each).
        let iteration = |data: admix_mixture::Data<'_>, peak: fn(usize) -> f64| {
            let params = |iterations: usize| {
                GaussianMixture::params(k)
                    .warm_start(&model)
                    .max_iter(iterations)
                    .tol(0.0)
            };
            let (long, short) = (params(1 + ITERATIONS), params(1));
            let (mut best, mut cpu, mut gemm) = ([f64::INFINITY; 2], [0.0; 2], 0.0f64);
            for _ in 0..FITS {
                gemm = gemm.max(peak(threads));
                for (i, params) in [&long, &short].into_iter().enumerate() {
                    let start = process_cpu_seconds().unwrap_or(f64::NAN);
                    best[i] = best[i].min(best_of(1, || {
                        black_box(params.fit(data).unwrap());
                    }));
                    cpu[i] += process_cpu_seconds().unwrap_or(f64::NAN) - start;
                }
            }
            let per = |a: f64, b: f64| (a - b) / ITERATIONS as f64;
            let cpu = per(cpu[0], cpu[1]) / FITS as f64;
            (per(best[0], best[1]), cpu, gemm)
        };
        let (seconds, cpu, peak) = iteration(x.view().into(), |t| gemm_peaks::<f64>(t, 1).0);
        let (seconds32, cpu32, peak32) =
            iteration(x32.view().into(), |t| gemm_peaks::<f32>(t, 1).0);
        let flops = (n * em_flops_per_row(ctype, d, k)) as f64;
        for (dtype, seconds, cpu, single, peak) in [
            ("f64", seconds, cpu, false, peak),
            ("f32", seconds32, cpu32, true, peak32),
        ] {
            results.push(Line::Em {
                what: format!("EM {} {dtype} n={n} d={d} k={k}", ctype.name()),
                seconds,
                cpu,
                flops,
                single,
                peak,
            });
        }
        results.push(Line::Note(format!(
            "  f32 is {:.2}x faster than f64",
            seconds / seconds32
        )));
    }

    for (n, d, k) in [(200_000, 16, 16), (50_000, 64, 8)] {
        if !runs("kmeans") {
            break;
        }
        let x = blobs(n, d, k, 1);
        let start = x.select(Axis(0), &(0..k).map(|i| i * 7).collect::<Vec<_>>());
        let x32 = x.mapv(|v| v as f32);
        let flops = (n * lloyd_flops_per_row(d, k)) as f64;
        for (what, data) in [("f64", Data::from(&x)), ("f32", Data::from(&x32))] {
            let mut lloyd = Lloyd::new(data, start.view(), Distance::SquaredEuclidean).unwrap();
            lloyd.step().unwrap();
            let reps = 100;
            let cpu_start = process_cpu_seconds();
            let seconds = best_of(reps, || {
                black_box(lloyd.step().unwrap());
            });
            let cpu_end = process_cpu_seconds();
            results.push(Line::Lloyd {
                what: format!("K-means Lloyd {what} n={n} d={d} k={k}"),
                seconds,
                flops,
                cpu: cpu_start.zip(cpu_end).map(|(a, b)| (b - a) / reps as f64),
            });
        }
    }

    let last = Peaks::measure(threads, runs("em"));
    let peaks = first.higher(&last);
    println!("GEMM: {}, {PEAK_SIDE}^3 per thread", bench_gemm_name());
    println!(
        "Peaks measured before and after the kernels, the higher of each pair the reference for Lloyd \
         and per CPU-second (a busy machine slows a measurement, never speeds it):"
    );
    for (name, a, b, c) in [
        ("DGEMM 1 thread", first.single, last.single, peaks.single),
        ("DGEMM", first.wall, last.wall, peaks.wall),
        (
            "SGEMM 1 thread",
            first.single32,
            last.single32,
            peaks.single32,
        ),
        ("SGEMM", first.wall32, last.wall32, peaks.wall32),
        ("DGEMM per CPU-second", first.cpu, last.cpu, peaks.cpu),
        ("SGEMM per CPU-second", first.cpu32, last.cpu32, peaks.cpu32),
    ] {
        if !c.is_nan() {
            println!("  {name:<22} {a:>7.2} then {b:>7.2}: {c:.2} GFLOP/s ({threads} threads unless said)");
        }
    }
    for result in &results {
        result.print(&peaks);
    }

    if let (true, Ok(python)) = (runs("kmeans"), std::env::var("ADMIX_BENCH_PYTHON")) {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scripts/bench_sklearn_kmeans.py"
        );
        let status = std::process::Command::new(python)
            .arg(script)
            .arg(threads.to_string())
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!("scikit-learn comparison failed: {status:?}");
        }
    }
}
