//! The program's own memory while it fits a mapped `.npy` file: the file's
//! pages belong to the page cache, so only anonymous memory (heap, stacks)
//! is the program's cost, and it must not grow with the file.

use crate::data;
use crate::figures::{fit_panels, Drawn, PlotView};
use crate::model_cmds::{write_predictions, write_samples};
use crate::plot;
use admix::mixture::gmm::{CovarianceType, GaussianMixture, GmmInit};
use admix::mixture::kmeans::KMeans;
use admix::mixture::{check_data, Data};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Set in the child process that measures alone.
const ALONE: &str = "ADMIX_MAPPED_MEMORY_ALONE";

/// The measurement runs in a child process of this test binary, so the
/// other tests' allocations (they run on threads of this process) do not
/// count.
#[test]
fn fits_of_a_mapped_file_grow_anonymous_memory_by_under_a_tenth_of_its_size() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "mapped_memory::measure_alone",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ALONE, "1")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("RssAnon growth"),
        "the child measured: {text}"
    );
    println!("{text}");
}

/// The process's anonymous resident memory (Linux), in bytes.
fn rss_anon() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("RssAnon:"))
        .expect("Linux reports RssAnon");
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// Runs `job` while a thread samples RssAnon every 5 ms; returns the peak
/// growth over the value before it.
fn peak_growth(job: impl FnOnce()) -> u64 {
    let before = rss_anon();
    let peak = Arc::new(AtomicU64::new(before));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, stop) = (peak.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_anon(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    job();
    peak.fetch_max(rss_anon(), Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    peak.load(Ordering::Relaxed).saturating_sub(before)
}

#[test]
#[ignore = "run alone, in its own process, by the test above"]
fn measure_alone() {
    if std::env::var_os(ALONE).is_none() {
        return;
    }
    const ROWS: usize = 1 << 20;
    const COLS: usize = 8;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.npy");
    write_mixture_npy(&path, ROWS, COLS, false);
    let size = std::fs::metadata(&path).unwrap().len();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    // (name, peak growth, whether the 10% bound is asserted today)
    let mut report = Vec::new();
    let mut loaded = None;
    let growth = peak_growth(|| {
        let data = data::load(path.to_str().unwrap(), None, None).unwrap();
        // Every value read, as the NaN scan does.
        assert!(admix::mixture::check_data(data.data().unwrap()).is_ok());
        loaded = Some(data);
    });
    report.push(("load and scan".to_string(), growth));
    let loaded = loaded.unwrap();
    assert!(loaded.x.is_mapped());
    // The streaming cases first: memory freed by a pass that copies the
    // data stays resident in the allocator and would hide later growth.
    let mut models = Vec::new();
    for covariance in [CovarianceType::Diag, CovarianceType::Full] {
        let growth = peak_growth(|| {
            let x = loaded.data().unwrap();
            let params = GaussianMixture::params(4)
                .covariance_type(covariance)
                .init(GmmInit::Random)
                .max_iter(3)
                .seed(1);
            models.push(pool.install(|| params.fit(x)).unwrap());
        });
        let label = format!("EM {} fit, init random", covariance.name());
        report.push((label, growth));
    }
    let growth = peak_growth(|| {
        let x = loaded.data().unwrap();
        pool.install(|| models[1].criteria(x)).unwrap();
    });
    report.push(("criteria (score, BIC, AIC)".to_string(), growth));
    for (proba, json, name) in [
        (false, false, "predict"),
        (true, false, "predict --proba"),
        (true, true, "predict --proba --json"),
    ] {
        let growth = peak_growth(|| {
            let x = loaded.data().unwrap();
            let mut sink = std::io::sink();
            pool.install(|| write_predictions(&models[1], x, proba, json, &mut sink))
                .unwrap();
        });
        report.push((name.to_string(), growth));
    }
    for json in [false, true] {
        // As many rows as the file holds, written to nowhere.
        let growth = peak_growth(|| {
            write_samples(&models[1], ROWS, 1, json, &mut std::io::sink()).unwrap();
        });
        let name = format!("sample -n {ROWS}{}", if json { " --json" } else { "" });
        report.push((name, growth));
    }
    let growth = peak_growth(|| {
        let drawn = Drawn::of(&loaded).unwrap();
        let view = PlotView::choose(&drawn, None).unwrap();
        plot::render(&fit_panels(&drawn, &models[1], &view).unwrap());
    });
    report.push(("fit plot (a sample of rows)".to_string(), growth));
    // A float32 file of the same size: mapped as float32, never converted
    // whole; each pass converts one block at a time.
    let path32 = dir.path().join("big32.npy");
    write_mixture_npy(&path32, 2 * ROWS, COLS, true);
    assert_eq!(std::fs::metadata(&path32).unwrap().len(), size);
    let mut loaded32 = None;
    let growth = peak_growth(|| {
        let data = data::load(path32.to_str().unwrap(), None, None).unwrap();
        check_data(data.data().unwrap()).unwrap();
        loaded32 = Some(data);
    });
    report.push(("float32: load and scan".to_string(), growth));
    let loaded32 = loaded32.unwrap();
    assert!(matches!(loaded32.data().unwrap(), Data::F32(_)));
    let growth = peak_growth(|| {
        let x = loaded32.data().unwrap();
        pool.install(|| models[1].criteria(x)).unwrap();
    });
    report.push(("float32: criteria".to_string(), growth));
    let growth = peak_growth(|| {
        let x = loaded32.data().unwrap();
        let mut sink = std::io::sink();
        pool.install(|| write_predictions(&models[1], x, true, false, &mut sink))
            .unwrap();
    });
    report.push(("float32: predict --proba".to_string(), growth));
    let growth = peak_growth(|| {
        let drawn = Drawn::of(&loaded32).unwrap();
        let view = PlotView::choose(&drawn, None).unwrap();
        plot::render(&fit_panels(&drawn, &models[1], &view).unwrap());
    });
    report.push(("float32: fit plot".to_string(), growth));
    // The default start (K-means) and K-means itself, on both files.
    for (file, x) in [("", &loaded), ("float32: ", &loaded32)] {
        for covariance in [CovarianceType::Diag, CovarianceType::Full] {
            let growth = peak_growth(|| {
                let params = GaussianMixture::params(4)
                    .covariance_type(covariance)
                    .max_iter(3)
                    .seed(1);
                pool.install(|| params.fit(x.data().unwrap())).unwrap();
            });
            let label = format!("{file}EM {} fit, init kmeans (default)", covariance.name());
            report.push((label, growth));
        }
        let growth = peak_growth(|| {
            let params = KMeans::params(4).max_iter(3).seed(1);
            pool.install(|| params.fit(x.data().unwrap())).unwrap();
        });
        report.push((format!("{file}K-means (Lloyd, k-means++)"), growth));
    }
    let mut failed = Vec::new();
    for (name, growth) in &report {
        let share = *growth as f64 / size as f64;
        println!(
            "{name}: RssAnon growth {:.1} MiB = {:.1}% of the {:.0} MiB file",
            *growth as f64 / 1048576.0,
            100.0 * share,
            size as f64 / 1048576.0,
        );
        if share >= 0.1 {
            failed.push(name.clone());
        }
    }
    std::io::stdout().flush().unwrap();
    assert!(failed.is_empty(), "over 10% of the file: {failed:?}");
}

/// A seeded mixture of four blobs written in chunks as a float64 (or with
/// `f32`, float32) `.npy` file, so the test itself never holds the data.
fn write_mixture_npy(path: &std::path::Path, rows: usize, cols: usize, f32: bool) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let descr = if f32 { "<f4" } else { "<f8" };
    let mut dict =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    while !(10 + dict.len() + 1).is_multiple_of(64) {
        dict.push(' ');
    }
    dict.push('\n');
    out.write_all(b"\x93NUMPY\x01\x00").unwrap();
    out.write_all(&(dict.len() as u16).to_le_bytes()).unwrap();
    out.write_all(dict.as_bytes()).unwrap();
    // xorshift64*: uniform numbers from a fixed seed.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut uniform = || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..rows {
        let centre = (i % 4) as f64 * 5.0;
        for _ in 0..cols {
            let value = centre + uniform() - 0.5;
            if f32 {
                out.write_all(&(value as f32).to_le_bytes()).unwrap();
            } else {
                out.write_all(&value.to_le_bytes()).unwrap();
            }
        }
    }
    out.flush().unwrap();
}
