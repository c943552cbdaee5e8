//! `predict`, `score` and the plots on an `.npy` file of several blocks
//! (the program works through a file 16 384 rows at a time): the output must
//! be what the whole-matrix computation gives, byte for byte.

mod common;

use admix::mixture::gmm::{Covariances, GaussianMixtureModel};
use admix::mixture::Data;
use common::{admix_json, admix_ok};
use ndarray::{array, Array2};
use serde_json::json;
use std::io::Write;
use std::path::Path;

/// Three blocks and a short fourth.
const ROWS: usize = 3 * 16_384 + 777;

/// Three overlapping blobs in 3-D from a fixed-seed xorshift, so that many
/// rows have probabilities strictly between 0 and 1.
fn data() -> Array2<f64> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut uniform = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    };
    Array2::from_shape_fn((ROWS, 3), |(i, j)| {
        (i % 3) as f64 * 1.5 + j as f64 + 2.0 * (uniform() - 0.5)
    })
}

fn model() -> GaussianMixtureModel {
    GaussianMixtureModel::new(
        array![0.2, 0.3, 0.5],
        array![[0.0, 1.0, 2.0], [1.5, 2.5, 3.5], [3.0, 4.0, 5.0]],
        Covariances::Diag(array![[0.4, 0.5, 0.6], [0.5, 0.5, 0.5], [0.7, 0.3, 0.4]]),
    )
    .unwrap()
}

/// A little-endian C-order float64 (or with `f32`, float32) `.npy` file,
/// written here rather than by the program under test.
fn write_npy(path: &Path, x: &Array2<f64>, f32: bool) {
    let mut dict = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': ({}, {}), }}",
        if f32 { "<f4" } else { "<f8" },
        x.nrows(),
        x.ncols()
    );
    while !(10 + dict.len() + 1).is_multiple_of(64) {
        dict.push(' ');
    }
    dict.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((dict.len() as u16).to_le_bytes());
    bytes.extend(dict.as_bytes());
    for v in x.iter() {
        if f32 {
            bytes.extend((*v as f32).to_le_bytes());
        } else {
            bytes.extend(v.to_le_bytes());
        }
    }
    std::fs::File::create(path)
        .unwrap()
        .write_all(&bytes)
        .unwrap();
}

struct Files {
    _dir: tempfile::TempDir,
    npy: String,
    npy32: String,
    model: String,
}

fn files() -> Files {
    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("x.npy");
    write_npy(&npy, &data(), false);
    let npy32 = dir.path().join("x32.npy");
    write_npy(&npy32, &data(), true);
    let model_path = dir.path().join("model.json");
    std::fs::write(&model_path, model().to_json()).unwrap();
    Files {
        npy: npy.to_str().unwrap().to_string(),
        npy32: npy32.to_str().unwrap().to_string(),
        model: model_path.to_str().unwrap().to_string(),
        _dir: dir,
    }
}

/// The whole-matrix results, printed as `admix predict` printed them before
/// it streamed (one `println!` of a CSV line per row, or one JSON value).
fn expected(x: Data, proba: bool, json_out: bool) -> Vec<u8> {
    let model = model();
    let mut text = String::new();
    if proba {
        let p = model.predict_proba(x).unwrap();
        let rows: Vec<Vec<f64>> = p.outer_iter().map(|r| r.to_vec()).collect();
        if json_out {
            text = format!("{}\n", json!({ "proba": rows }));
        } else {
            text += "p0,p1,p2\n";
            for r in rows {
                let cells: Vec<String> = r.iter().map(|v| format!("{v:.6e}")).collect();
                text += &format!("{}\n", cells.join(","));
            }
        }
    } else {
        let labels = model.predict(x).unwrap();
        if json_out {
            text = format!("{}\n", json!({ "labels": labels.to_vec() }));
        } else {
            text += "label\n";
            for l in labels {
                text += &format!("{l}\n");
            }
        }
    }
    text.into_bytes()
}

#[test]
fn predict_streams_the_same_bytes_as_the_whole_matrix_gives() {
    let f = files();
    // A float32 file stays float32: the whole-matrix answer is the model's on
    // an f32 array of the same values (f32 products, as the blocks use).
    let data32 = data().mapv(|v| v as f32);
    let data64 = data();
    let cases = [(false, false), (false, true), (true, false), (true, true)];
    for (proba, json_out) in cases {
        for (file, x) in [
            (&f.npy, Data::from(&data64)),
            (&f.npy32, Data::from(&data32)),
        ] {
            let mut args = vec!["predict", &f.model, file, "--threads", "2"];
            if proba {
                args.push("--proba");
            }
            if json_out {
                args.push("--json");
            }
            let got = admix_ok(&args);
            let want = expected(x, proba, json_out);
            assert!(
                got == want,
                "admix {args:?}: {} bytes, expected {}",
                got.len(),
                want.len()
            );
        }
    }
    // The data has rows of every label, so a block mix-up would show.
    let labels = model().predict(data().view()).unwrap();
    assert!((0..3).all(|j| labels.iter().any(|&l| l == j)));
}

/// Mean log-likelihood of `model()` on `x`, written out here: a plain sum of
/// the log of the weighted diagonal-Gaussian densities, row by row.
fn naive_score(x: &Array2<f64>) -> f64 {
    let m = model();
    let (w, mu) = (m.weights(), m.means());
    let Covariances::Diag(var) = m.covariances() else {
        unreachable!("model() is diagonal")
    };
    let total: f64 = x
        .outer_iter()
        .map(|r| {
            (0..3)
                .map(|j| {
                    w[j] * (0..3)
                        .map(|c| {
                            (-(r[c] - mu[[j, c]]).powi(2) / (2.0 * var[[j, c]])).exp()
                                / (2.0 * std::f64::consts::PI * var[[j, c]]).sqrt()
                        })
                        .product::<f64>()
                })
                .sum::<f64>()
                .ln()
        })
        .sum();
    total / x.nrows() as f64
}

#[test]
fn score_of_a_mapped_file_equals_the_naive_mean_and_criteria() {
    let f = files();
    let data32 = data().mapv(|v| f64::from(v as f32));
    // float32 files are computed in f32 products (sums in f64): 1e-6 relative.
    for (file, x, tol) in [(&f.npy, data(), 1e-12), (&f.npy32, data32, 1e-6)] {
        let v = admix_json(&["score", &f.model, file, "--json"]);
        let score = naive_score(&x);
        // Parameters of a 3-component diagonal model in 3-D: 2 weights, 9
        // means, 9 variances.
        let (n, p) = (ROWS as f64, 20.0);
        for (field, want) in [
            ("mean_log_likelihood", score),
            ("bic", -2.0 * score * n + p * n.ln()),
            ("aic", -2.0 * score * n + 2.0 * p),
        ] {
            let got = v[field].as_f64().unwrap();
            assert!(
                (got - want).abs() <= tol * want.abs(),
                "{file} {field}: {got} vs {want}"
            );
        }
        assert_eq!(v["n_samples"], ROWS);
    }
}

#[test]
fn a_plot_of_more_rows_than_it_draws_is_a_seeded_sample() {
    let f = files();
    let dir = tempfile::tempdir().unwrap();
    let svg = |name: &str| {
        let path = dir.path().join(name);
        let p = path.to_str().unwrap();
        let v = admix_json(&[
            "fit",
            &f.npy,
            "-k",
            "3",
            "--max-iter",
            "2",
            "--seed",
            "1",
            "--plot",
            p,
            "--json",
        ]);
        let trace = v["log_likelihood_trace"].as_array().unwrap().len();
        (std::fs::read_to_string(&path).unwrap(), trace)
    };
    let (first, trace) = svg("a.svg");
    let (second, _) = svg("b.svg");
    assert_eq!(first, second, "the same file gives the same picture");
    // One dot per drawn row, plus one per iteration in the trace panel
    // (legend markers are larger circles).
    let dots = first.matches(r#"r="2.5""#).count();
    assert_eq!(
        dots,
        10_000 + trace,
        "{ROWS} rows drawn as a sample of 10 000"
    );
}

#[test]
fn a_bad_value_in_a_later_block_is_named_by_its_row_in_the_file() {
    let f = files();
    let mut x = data();
    x[[2 * 16_384 + 7, 1]] = f64::NAN;
    let path = Path::new(&f.npy).with_file_name("nan.npy");
    write_npy(&path, &x, false);
    let p = path.to_str().unwrap();
    for args in [
        vec!["predict", &f.model, p],
        vec!["predict", &f.model, p, "--proba", "--json"],
        vec!["score", &f.model, p],
    ] {
        let out = common::admix(&args);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("row 32775, column 1 is NaN"),
            "admix {args:?}: {stderr}"
        );
    }
}
