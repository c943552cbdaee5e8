//! Fuzz-style properties of every reader of user files: CSV, `.npy`, model
//! JSON and init JSON. On arbitrary bytes and on mutations of valid files,
//! each returns a value or an error: no panic, no abort, and no allocation
//! sized by what a file claims rather than by what it holds.

use crate::data::tests::npy;
use crate::data::{parse_csv, parse_npy};
use crate::model_io::InitFile;
use admix::mixture::gmm::GaussianMixtureModel;
use ndarray::Array2;
use proptest::prelude::*;

/// Cases per property (the notes record how many ran).
const CASES: u32 = 3000;

/// One edit of a byte string.
#[derive(Debug, Clone)]
enum Edit {
    /// Remove up to `.1` bytes at `.0`.
    Delete(usize, usize),
    /// Insert bytes at `.0`.
    Insert(usize, Vec<u8>),
    /// Overwrite the byte at `.0`.
    Set(usize, u8),
    /// Repeat up to `.1` bytes at `.0` in place.
    Duplicate(usize, usize),
    /// Cut the file at `.0`.
    Truncate(usize),
}

/// Edits that insert either random bytes or a token that means something
/// to one of the formats (so mutations reach past the first check).
fn edit() -> impl Strategy<Value = Edit> {
    const TOKENS: &[&[u8]] = &[
        b",",
        b"\n",
        b"\"",
        b"NA",
        b"",
        b"-",
        b"1e999",
        b"nan",
        b"[",
        b"]",
        b"{",
        b"}",
        b"null",
        b"0",
        b"9999999999999999",
        b"(",
        b")",
        b"True",
        b"'<f4'",
        b"'>f8'",
        b"'|O'",
        b"\x00",
        b"\xff",
        b":",
        b"#",
    ];
    let insert = prop_oneof![
        prop::collection::vec(any::<u8>(), 1..8),
        prop::sample::select(TOKENS).prop_map(<[u8]>::to_vec),
    ];
    prop_oneof![
        (any::<usize>(), 1..16usize).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), insert).prop_map(|(at, b)| Edit::Insert(at, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Edit::Set(at, b)),
        (any::<usize>(), 1..32usize).prop_map(|(at, n)| Edit::Duplicate(at, n)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn mutate(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for e in edits {
        let len = b.len();
        let at = |i: usize| i % (len + 1);
        match e {
            Edit::Delete(i, n) => {
                let i = at(*i);
                b.drain(i..(i + n).min(len));
            }
            Edit::Insert(i, bytes) => {
                let i = at(*i);
                b.splice(i..i, bytes.iter().copied());
            }
            Edit::Set(i, v) if len > 0 => b[i % len] = *v,
            Edit::Set(_, v) => b.push(*v),
            Edit::Duplicate(i, n) => {
                let i = at(*i);
                let copy = b[i..(i + n).min(len)].to_vec();
                b.splice(i..i, copy);
            }
            Edit::Truncate(i) => b.truncate(at(*i)),
        }
    }
    b
}

fn csv_seeds() -> Vec<Vec<u8>> {
    vec![
        b"a,b,label\n1,2,x\n3.5,-4e2,y\n# comment\n5,6,z\n".to_vec(),
        b"1,2,3\n4,5,6\n".to_vec(),
        b"\"q,1\",b\n\"1\",2\n3,4\n".to_vec(),
    ]
}

fn npy_seeds() -> Vec<Vec<u8>> {
    let le: Vec<u8> = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let be32: Vec<u8> = [1.0f32, 2.0, 3.0]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    vec![
        npy("<f8", false, "(2, 3)", &le),
        npy("<f8", true, "(3, 2)", &le),
        npy(">f4", false, "(3,)", &be32),
    ]
}

fn model_seeds() -> Vec<Vec<u8>> {
    let full = r#"{"covariance_type": "full", "weights": [0.4, 0.6], "means": [[0, 1], [5, 6]],
        "covariances": [[[1, 0.2], [0.2, 2]], [[3, 0], [0, 1]]],
        "converged": true, "n_iter": 2, "lower_bound": [-4.1, -4.0]}"#;
    let spherical = r#"{"covariance_type": "spherical", "weights": [1], "means": [[2]],
        "covariances": [0.5], "converged": false, "n_iter": 0, "lower_bound": []}"#;
    let start = r#"{"covariance_type": "tied", "means": [[0, 1], [5, 6]],
        "precisions": [[2, 0.5], [0.5, 1]]}"#;
    [full, spherical, start]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect()
}

/// Reads `bytes` as CSV and, when that works, checks the shape it claims.
fn read_csv(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    if let Ok(d) = parse_csv(&text, "fuzz.csv", None) {
        assert_eq!(d.columns.len(), d.x.dim().1);
        assert!(d.x.to_f64().iter().all(|v| v.is_finite()));
    }
    let _ = parse_csv(&text, "fuzz.csv", Some(&["0".to_string()]));
}

fn read_npy(bytes: &[u8]) {
    if let Ok(d) = parse_npy(bytes, "fuzz.npy") {
        assert_eq!(d.columns.len(), d.x.dim().1);
        // The array holds no more values than the file has bytes for.
        assert!(d.x.to_f64().len() * 4 <= bytes.len());
    }
}

/// Reads `bytes` as a model and as a start; a model that loads is used.
fn read_model(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    if let Ok(model) = GaussianMixtureModel::from_json(&text) {
        let d = model.n_features();
        if d <= 64 {
            let x = Array2::from_shape_fn((3, d), |(i, j)| (i + j) as f64);
            let _ = model.score(x.view());
            let _ = model.predict(x.view());
            let _ = model.sample(3, 0);
        }
        let _ = GaussianMixtureModel::from_json(&model.to_json());
    }
    for k in 1..4 {
        let _ = InitFile::parse(&text, k, None);
    }
}

/// A plausible `.npy` file: header fields drawn from what numpy writes (and
/// some it does not), data of a length that may or may not fit the shape.
fn npy_file() -> impl Strategy<Value = Vec<u8>> {
    const DESCRS: &[&str] = &[
        "<f8", ">f8", "<f4", ">f4", "|f8", "=f8", "<i4", "<c8", "|b1", "|O", "f8", "<f16", "",
    ];
    let dim = prop_oneof![4 => 0..4usize, 1 => Just(usize::MAX), 1 => Just(1usize << 40)];
    (
        prop::sample::select(DESCRS),
        any::<bool>(),
        prop::collection::vec(dim, 0..4),
        prop::collection::vec(any::<u8>(), 1..200),
        any::<bool>(),
    )
        .prop_map(|(descr, fortran, dims, data, fit)| {
            let shape = match &dims[..] {
                [n] => format!("({n},)"),
                _ => format!(
                    "({})",
                    dims.iter()
                        .map(usize::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            // Half the files hold exactly the bytes an f8 array of the shape needs.
            let wanted = dims.iter().try_fold(8usize, |a, &b| a.checked_mul(b));
            let data = match wanted {
                Some(n) if fit && n <= 4096 => data.iter().copied().cycle().take(n).collect(),
                _ => data,
            };
            npy(descr, fortran, &shape, &data)
        })
}

/// A plausible model or init file: k components in d dimensions of a
/// covariance type, with values drawn small and sometimes wrong (negative,
/// zero, huge, asymmetric), fields sometimes left out or cut short.
fn model_file() -> impl Strategy<Value = String> {
    let number = prop_oneof![-3.0..3.0f64, Just(0.0), Just(1e308), Just(-1e-308),];
    (
        0..5usize,
        1..4usize,
        1..4usize,
        prop::collection::vec(number, 64),
        prop::collection::vec(prop::bool::weighted(0.15), 8),
    )
        .prop_map(|(t, k, d, v, flag)| {
            let mut next = v.into_iter().cycle();
            let mut draw = move || next.next().expect("cycled");
            let json = |x: &serde_json::Value| x.to_string();
            let weights: Vec<f64> = if !flag[0] {
                vec![1.0 / k as f64; k]
            } else {
                (0..k).map(|_| draw()).collect()
            };
            let mut means: Vec<Vec<f64>> =
                (0..k).map(|_| (0..d).map(|_| draw()).collect()).collect();
            if flag[1] {
                means.pop();
            }
            // Positive diagonals, small symmetric off-diagonals, unless the
            // flags ask for raw values.
            let mut matrix = || -> Vec<Vec<f64>> {
                let raw: Vec<f64> = (0..d * d).map(|_| draw()).collect();
                (0..d)
                    .map(|i| {
                        (0..d)
                            .map(|j| match (i == j, flag[2]) {
                                (_, true) => raw[i * d + j],
                                (true, false) => 1.0 + raw[i * d + j].abs().min(5.0),
                                (false, false) => {
                                    0.1 * raw[i.min(j) * d + i.max(j)].clamp(-1.0, 1.0)
                                }
                            })
                            .collect()
                    })
                    .collect()
            };
            let (name, covariances) = match t {
                0 => (
                    "full",
                    serde_json::json!((0..k).map(|_| matrix()).collect::<Vec<_>>()),
                ),
                1 => ("tied", serde_json::json!(matrix())),
                2 => (
                    "diag",
                    serde_json::json!((0..k)
                        .map(|_| matrix().into_iter().map(|r| r[0]).collect::<Vec<_>>())
                        .collect::<Vec<_>>()),
                ),
                3 => (
                    "spherical",
                    serde_json::json!((0..k).map(|_| matrix()[0][0]).collect::<Vec<_>>()),
                ),
                _ => ("box", serde_json::json!([1.0])),
            };
            let mut fields = vec![];
            if !flag[3] {
                fields.push(format!("\"covariance_type\": \"{name}\""));
            }
            if !flag[4] {
                fields.push(format!(
                    "\"weights\": {}",
                    json(&serde_json::json!(weights))
                ));
            }
            if !flag[5] {
                fields.push(format!("\"means\": {}", json(&serde_json::json!(means))));
            }
            if !flag[6] {
                let key = if flag[7] { "precisions" } else { "covariances" };
                fields.push(format!("\"{key}\": {}", json(&covariances)));
            }
            fields.push("\"converged\": true, \"n_iter\": 0, \"lower_bound\": []".into());
            format!("{{{}}}", fields.join(", "))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn npy_generated_headers(bytes in npy_file()) {
        read_npy(&bytes);
    }

    #[test]
    fn model_json_generated_fields(text in model_file()) {
        read_model(text.as_bytes());
    }

    #[test]
    fn csv_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        read_csv(&bytes);
    }

    #[test]
    fn csv_mutations(seed in prop::sample::select(csv_seeds()), edits in prop::collection::vec(edit(), 1..6)) {
        read_csv(&mutate(&seed, &edits));
    }

    #[test]
    fn npy_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        read_npy(&bytes);
        // With the magic and a version in front, the header parser runs.
        let mut framed = b"\x93NUMPY\x01\x00".to_vec();
        framed.extend_from_slice(&bytes);
        read_npy(&framed);
    }

    #[test]
    fn npy_mutations(seed in prop::sample::select(npy_seeds()), edits in prop::collection::vec(edit(), 1..6)) {
        read_npy(&mutate(&seed, &edits));
    }

    #[test]
    fn model_json_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        read_model(&bytes);
    }

    #[test]
    fn model_json_mutations(seed in prop::sample::select(model_seeds()), edits in prop::collection::vec(edit(), 1..6)) {
        read_model(&mutate(&seed, &edits));
    }
}

/// The seeds themselves read (so the mutations start from valid files).
#[test]
fn the_seeds_are_valid() {
    for s in csv_seeds() {
        parse_csv(std::str::from_utf8(&s).unwrap(), "seed", None).unwrap();
    }
    for s in npy_seeds() {
        parse_npy(&s, "seed").unwrap();
    }
    let models = model_seeds();
    for s in &models[..2] {
        GaussianMixtureModel::from_json(std::str::from_utf8(s).unwrap()).unwrap();
    }
    InitFile::parse(std::str::from_utf8(&models[2]).unwrap(), 2, None).unwrap();
}
