//! `admix convert` run as a user would: a CSV into `.npy`, read back byte by
//! byte here (not by admix's own reader), and bad input leaving no file.

mod common;

use common::{admix, admix_ok};
use serde_json::Value;
use std::path::Path;

/// The header dict and the data bytes of an `.npy` version 1.0 file, split
/// as the NPY format describes it.
fn npy_parts(path: &Path) -> (String, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
    let length = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
    assert_eq!((10 + length) % 64, 0, "data starts 64-byte aligned");
    let dict = String::from_utf8(bytes[10..10 + length].to_vec()).unwrap();
    (dict, bytes[10 + length..].to_vec())
}

const CSV: &str = "\
# a comment line, a label column and a header
name,a,b,c
p,1.5,-2,3e2
q,0.25,4,-0.125
r,7,8,9
";

#[test]
fn convert_writes_the_csv_loaders_matrix_as_npy() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("in.csv");
    std::fs::write(&csv, CSV).unwrap();
    let csv = csv.to_str().unwrap();
    let want = [1.5, -2.0, 300.0, 0.25, 4.0, -0.125, 7.0, 8.0, 9.0];

    let f64_path = dir.path().join("out.npy");
    admix_ok(&["convert", csv, f64_path.to_str().unwrap()]);
    let (dict, data) = npy_parts(&f64_path);
    assert!(
        dict.contains("'descr': '<f8'")
            && dict.contains("'fortran_order': False")
            && dict.contains("'shape': (3, 3)"),
        "{dict}"
    );
    let got: Vec<f64> = data
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(got, want);

    let f32_path = dir.path().join("out32.npy");
    let f32_out = f32_path.to_str().unwrap();
    admix_ok(&[
        "convert",
        csv,
        f32_out,
        "--dtype",
        "f32",
        "--columns",
        "c,a",
    ]);
    let (dict, data) = npy_parts(&f32_path);
    assert!(dict.contains("'<f4'") && dict.contains("(3, 2)"), "{dict}");
    let got: Vec<f32> = data
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(got, [300.0, 1.5, -0.125, 0.25, 9.0, 7.0]);

    // The converted file is mapped, and a fit of it equals the fit of the CSV.
    let info: Value =
        serde_json::from_slice(&admix_ok(&["info", f64_path.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!(info["mapped"], true);
    assert_eq!(info["rows"], 3);
    let fit = |data: &str| -> Value {
        let out = admix_ok(&["kmeans", data, "-k", "2", "--seed", "3", "--json"]);
        let mut v: Value = serde_json::from_slice(&out).unwrap();
        v.as_object_mut().unwrap().remove("fit_seconds");
        v
    };
    assert_eq!(fit(f64_path.to_str().unwrap()), fit(csv));
}

#[test]
fn a_bad_value_names_its_line_and_column_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("bad.csv");
    std::fs::write(&csv, "a,b\n1,2\n3,4\n5,six\n").unwrap();
    let out_path = dir.path().join("bad.npy");
    let out = admix(&["convert", csv.to_str().unwrap(), out_path.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 4, column 2 ('b')") && stderr.contains("'six' is not a number"),
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["bad.csv"], "nothing but the input is left");
    let out = admix(&["convert", csv.to_str().unwrap(), "out.csv"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("must end in .npy"));
}
