//! K-means on data it cannot hold: a fit of a source of `f32` rows made on
//! demand keeps the process's own (anonymous) memory under 10% of the size
//! the rows would take, measured from `/proc/self/status` (Linux).

#![cfg(target_os = "linux")]

use admix_mixture::kmeans::{Init, KMeans};
use admix_mixture::RowSource;
use ndarray::ArrayViewMut2;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

const ROWS: usize = 1 << 21;
const COLUMNS: usize = 8;

/// Four blobs, each value a fixed function of its row and column: the same
/// rows every time they are asked for, and no memory behind them.
struct Blobs;

impl RowSource<f32> for Blobs {
    fn shape(&self) -> (usize, usize) {
        (ROWS, COLUMNS)
    }
    fn read_rows(&self, start: usize, mut out: ArrayViewMut2<'_, f32>) -> Result<(), String> {
        for ((r, j), v) in out.indexed_iter_mut() {
            let i = (start + r) as u64;
            let mut h = (i * COLUMNS as u64 + j as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            h ^= h >> 29;
            let noise = (h % 2000) as f32 / 1000.0 - 1.0;
            *v = 10.0 * (i % 4) as f32 + 3.0 * j as f32 + noise;
        }
        Ok(())
    }
}

/// Anonymous resident memory of this process, in bytes.
fn rss_anon() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux has /proc");
    let line = status
        .lines()
        .find(|l| l.starts_with("RssAnon:"))
        .expect("RssAnon line");
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// Peak growth of anonymous memory while `f` runs, sampled every 2 ms.
fn peak_growth(f: impl FnOnce()) -> u64 {
    let before = rss_anon();
    let peak = Arc::new(AtomicU64::new(before));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss_anon(), Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        })
    };
    f();
    peak.fetch_max(rss_anon(), Ordering::Relaxed);
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    peak.load(Ordering::Relaxed).saturating_sub(before)
}

#[test]
fn a_fit_of_rows_it_cannot_hold_stays_under_a_tenth_of_their_size() {
    let size = (ROWS * COLUMNS * std::mem::size_of::<f32>()) as u64;
    let source: &dyn RowSource<f32> = &Blobs;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    // Warm the pool and the allocator so that their first use is not counted.
    pool.install(|| KMeans::params(4).max_iter(1).seed(1).fit(source))
        .unwrap();
    for (name, params) in [
        ("k-means++, Lloyd", KMeans::params(4).max_iter(3).seed(1)),
        (
            "random, Lloyd",
            KMeans::params(4).init(Init::Random).max_iter(3).seed(1),
        ),
    ] {
        let mut model = None;
        let growth = peak_growth(|| model = Some(pool.install(|| params.fit(source)).unwrap()));
        let share = growth as f64 / size as f64;
        println!(
            "{name}: RssAnon growth {:.2} MiB = {:.2}% of the {} MiB of rows",
            growth as f64 / 1048576.0,
            100.0 * share,
            size >> 20
        );
        assert!(
            share < 0.10,
            "{name}: {:.1}% of the data's size",
            100.0 * share
        );
        if name.starts_with("random") {
            continue;
        }
        // k-means++ finds the four blobs (means 10 c + 3 j, noise in [-1, 1]).
        let mut firsts: Vec<f64> = model.unwrap().centroids().column(0).to_vec();
        firsts.sort_by(f64::total_cmp);
        for (c, m) in firsts.iter().enumerate() {
            assert!(
                (m - 10.0 * c as f64).abs() < 0.1,
                "{name}: centres {firsts:?}"
            );
        }
    }
}
