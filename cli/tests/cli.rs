//! The `admix` program run as a user would: every command on the built-in
//! data, JSON parsed and checked, and user mistakes giving one clear line.

mod common;

use common::{admix, admix_error, admix_json};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("admix-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

#[test]
fn diff_agrees_across_methods_and_with_the_closed_form() {
    let v = admix_json(&[
        "diff",
        "x^2*sin(y)",
        "--at",
        "x=1.5,y=2",
        "--hessian",
        "--json",
    ]);
    let (x, y) = (1.5_f64, 2.0_f64);
    assert!(close(v["value"].as_f64().unwrap(), x * x * y.sin(), 1e-15));
    assert_eq!(v["variables"], serde_json::json!(["x", "y"]));
    let exact = [2.0 * x * y.sin(), x * x * y.cos()];
    for method in ["forward", "reverse"] {
        for (i, e) in exact.iter().enumerate() {
            assert!(
                close(v["gradient"][method][i].as_f64().unwrap(), *e, 1e-14),
                "{method}"
            );
        }
    }
    for (i, e) in exact.iter().enumerate() {
        assert!(close(
            v["gradient"]["central"][i].as_f64().unwrap(),
            *e,
            1e-8
        ));
    }
    let h = &v["hessian"];
    assert!(close(h[0][0].as_f64().unwrap(), 2.0 * y.sin(), 1e-14));
    assert!(close(h[0][1].as_f64().unwrap(), 2.0 * x * y.cos(), 1e-14));
    assert!(close(h[1][1].as_f64().unwrap(), -x * x * y.sin(), 1e-14));
}

#[test]
fn diff_traces_and_step_tables() {
    let v = admix_json(&[
        "diff", "x^3", "--at", "x=2", "--steps", "--trace", "reverse", "--json",
    ]);
    assert_eq!(v["trace"][0]["derivative"].as_f64().unwrap(), 12.0);
    let steps = v["steps"][0].as_array().unwrap();
    assert_eq!(steps.len(), 16);
    // At h = 0.1 the forward error is the truncation term 3xh + h^2 = 0.61.
    assert!(close(
        steps[0]["forward_error"].as_f64().unwrap(),
        0.61,
        1e-9
    ));
    let out = admix(&[
        "diff", "x*y", "--at", "x=1,y=2", "--trace", "forward", "--wrt", "y",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("w3 = w1*w2"), "{text}");
}

#[test]
fn fit_old_faithful_and_reuse_the_model() {
    let dir = scratch("fit");
    let model = dir.join("model.json");
    let m = model.to_str().unwrap();
    let v = admix_json(&[
        "fit", "faithful", "-k", "2", "--out", m, "--json", "--tol", "1e-8",
    ]);
    assert!(v["converged"].as_bool().unwrap());
    assert!(v["fit_seconds"].as_f64().unwrap() >= 0.0);
    assert_eq!(
        v["log_likelihood_trace"].as_array().unwrap().len() as u64,
        v["n_iter"].as_u64().unwrap()
    );
    // Published two-component fit of Old Faithful (e.g. R mclust, model VVV):
    // means (2.04, 54.5) and (4.29, 80.0), weights 0.356 and 0.644.
    let mut means: Vec<(f64, f64)> = (0..2)
        .map(|j| {
            (
                v["means"][j][0].as_f64().unwrap(),
                v["means"][j][1].as_f64().unwrap(),
            )
        })
        .collect();
    means.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(
        close(means[0].0, 2.04, 0.01) && close(means[0].1, 54.5, 0.01),
        "{means:?}"
    );
    assert!(
        close(means[1].0, 4.29, 0.01) && close(means[1].1, 80.0, 0.01),
        "{means:?}"
    );

    let score = admix_json(&["score", m, "faithful", "--json"]);
    assert!(close(
        score["mean_log_likelihood"].as_f64().unwrap(),
        v["mean_log_likelihood"].as_f64().unwrap(),
        1e-12
    ));
    let again = admix_json(&[
        "fit",
        "faithful",
        "-k",
        "2",
        "--init",
        m,
        "--max-iter",
        "0",
        "--json",
    ]);
    assert_eq!(again["means"], v["means"]);
    assert_eq!(again["weights"], v["weights"]);

    let labels = admix_json(&["predict", m, "faithful", "--json"]);
    assert_eq!(labels["labels"].as_array().unwrap().len(), 272);
    let proba = admix_json(&["predict", m, "faithful", "--proba", "--json"]);
    for row in proba["proba"].as_array().unwrap() {
        let s: f64 = row
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_f64().unwrap())
            .sum();
        assert!(close(s, 1.0, 1e-12));
    }
    let sample = admix_json(&["sample", m, "-n", "5", "--seed", "3", "--json"]);
    assert_eq!(sample["samples"].as_array().unwrap().len(), 5);
    assert_eq!(
        sample,
        admix_json(&["sample", m, "-n", "5", "--seed", "3", "--json"])
    );

    let plot = dir.join("fit.svg");
    admix_json(&[
        "fit",
        "faithful",
        "--plot",
        plot.to_str().unwrap(),
        "--json",
    ]);
    assert!(std::fs::read_to_string(&plot).unwrap().starts_with("<svg"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn gradient_fitting_and_the_comparison_with_em() {
    let v = admix_json(&[
        "fit",
        "faithful",
        "--method",
        "lbfgs",
        "--tol",
        "1e-9",
        "--max-iter",
        "500",
        "--json",
    ]);
    assert_eq!(v["method"], "lbfgs");
    assert!(v["gradient_norm"].as_f64().unwrap() < 1e-3, "{v}");
    let em = admix_json(&[
        "fit",
        "faithful",
        "--tol",
        "1e-9",
        "--max-iter",
        "500",
        "--json",
    ]);
    let (a, b) = (
        v["mean_log_likelihood"].as_f64().unwrap(),
        em["mean_log_likelihood"].as_f64().unwrap(),
    );
    assert!(close(a, b, 1e-6), "lbfgs {a} against EM {b}");

    let c = admix_json(&[
        "compare",
        "faithful",
        "--method",
        "lbfgs",
        "--tol",
        "1e-9",
        "--max-iter",
        "500",
        "--json",
    ]);
    let last = |t: &Value| {
        t.as_array().unwrap().last().unwrap()["log_likelihood"]
            .as_f64()
            .unwrap()
    };
    assert!(
        close(last(&c["em"]["trace"]), last(&c["gradient"]["trace"]), 1e-6),
        "{c}"
    );
    assert!(c["matching"]["mean_distance"].as_f64().unwrap() < 1e-2);
    let e = admix_error(&["compare", "faithful", "--method", "em"]);
    assert!(e.contains("lbfgs"), "{e}");
}

#[test]
fn kmeans_on_iris_matches_the_known_inertia() {
    // Three clusters on the four iris measurements: the well-known optimum
    // has inertia 78.851 (scikit-learn's documentation examples give 78.85).
    let v = admix_json(&["kmeans", "iris", "-k", "3", "--n-init", "4", "--json"]);
    assert!(close(v["inertia"].as_f64().unwrap(), 78.851, 1e-4), "{v}");
    assert_eq!(v["centres"].as_array().unwrap().len(), 3);
}

#[test]
fn select_prefers_two_components_for_old_faithful() {
    let v = admix_json(&["select", "faithful", "--k", "1..4", "--json"]);
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 4);
    let best: Vec<&Value> = rows.iter().filter(|r| r["best"] == true).collect();
    assert_eq!(best.len(), 1);
    assert_eq!(best[0]["k"], 2);
}

#[test]
fn user_mistakes_give_one_clear_line_that_names_the_mistake() {
    let dir = scratch("errors");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let e = admix_error(&["fit", "/no/such/file.csv"]);
    assert!(e.contains("no file '/no/such/file.csv'"), "{e}");
    let bad_row = write("bad.csv", "a,b\n1,2\n3,x\n");
    let e = admix_error(&["fit", &bad_row]);
    assert!(
        e.contains("line 3, column 2 ('b'): 'x' is not a number"),
        "{e}"
    );
    let nan = write("nan.csv", "a,b\n1,2\n3,NaN\n4,5\n");
    let e = admix_error(&["fit", &nan, "-k", "1"]);
    assert!(
        e.contains("line 3, column 2 ('b')") && e.contains("missing value"),
        "{e}"
    );
    let e = admix_error(&["fit", "faithful", "-k", "300"]);
    assert!(e.contains("272"), "{e}");
    let model = dir.join("m.json");
    admix_json(&[
        "fit",
        "faithful",
        "--out",
        model.to_str().unwrap(),
        "--json",
    ]);
    let e = admix_error(&["score", model.to_str().unwrap(), "iris"]);
    assert!(e.contains("features"), "{e}");
    let truncated = write(
        "truncated.json",
        r#"{"covariance_type": "full", "weights": [0.5,"#,
    );
    let e = admix_error(&["score", &truncated, "faithful"]);
    assert!(
        e.contains("is not a valid model file") && e.contains("EOF"),
        "{e}"
    );
    let e = admix_error(&["fit", "faithful", "--tol", "-1"]);
    assert!(e.contains("tol = -1"), "{e}");
    let e = admix_error(&["diff", "x +", "--at", "x=1"]);
    assert!(e.contains("expected a number, a variable"), "{e}");
    let e = admix_error(&["kmeans", "faithful", "-k", "0"]);
    assert!(e.contains("n_clusters"), "{e}");
    let e = admix_error(&["kmeans", "faithful", "--threads", "0"]);
    assert!(e.contains("--threads must be at least 1"), "{e}");
    let e = admix_error(&["fit", "faithful", "--init", "kmean"]);
    assert!(
        e.contains("--init kmean: no such file, and not kmeans, kmeans++"),
        "{e}"
    );
    let e = admix_error(&["sample", model.to_str().unwrap(), "-n", "0"]);
    assert!(e.contains("at least one sample"), "{e}");
    std::fs::remove_dir_all(dir).ok();
}

/// Runs a command that clap must refuse: exit code 2, one line naming the
/// problem, no stdout.
fn usage_error(args: &[&str]) -> String {
    let out = admix(args);
    assert_eq!(out.status.code(), Some(2), "admix {args:?}");
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("admix: error:") && stderr.contains("(see admix --help)"),
        "{stderr}"
    );
    stderr
}

#[test]
fn usage_errors_exit_with_code_2_and_name_the_argument() {
    let e = usage_error(&["fit"]);
    assert!(e.contains("<DATA>"), "{e}");
    let e = usage_error(&["frobnicate"]);
    assert!(e.contains("unrecognized subcommand 'frobnicate'"), "{e}");
    let e = usage_error(&["fit", "faithful", "--covariance", "box"]);
    assert!(e.contains("'box'") && e.contains("--covariance"), "{e}");
    let e = usage_error(&["fit", "faithful", "--method", "newton"]);
    assert!(e.contains("em, lbfgs, adam or gd"), "{e}");
    let e = usage_error(&["fit", "faithful", "--update", "wxq"]);
    assert!(e.contains("subset of \"wmc\""), "{e}");
    let e = usage_error(&["fit", "faithful", "--params", "wxq"]);
    assert!(e.contains("'wxq'"), "{e}");
    let e = usage_error(&["kmeans", "faithful", "--distance", "manhattan"]);
    assert!(e.contains("euclidean") && e.contains("cosine"), "{e}");
    let e = usage_error(&["sample", "m.json", "-n", "99999999999999999999999"]);
    assert!(e.contains("-n"), "{e}");
    let e = usage_error(&["fit", "faithful", "--bogus"]);
    assert!(e.contains("'--bogus'"), "{e}");
    // Help is not an error.
    let out = admix(&["fit", "--help"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--update"));
}

#[test]
fn the_main_job_runs_into_a_folder() {
    let dir = scratch("demo");
    let out = admix(&["demo", "--out-dir", dir.to_str().unwrap(), "--threads", "2"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("== Divided differences against automatic differentiation"),
        "{text}"
    );
    assert!(text.contains("== Old Faithful"), "{text}");
    for plot in [
        "x_cubed.svg",
        "faithful_compare.svg",
        "faithful_fit.svg",
        "faithful_em_iterations.svg",
    ] {
        let svg = std::fs::read_to_string(dir.join(plot)).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{plot}"
        );
    }
    let v = admix_json(&["demo", "--out-dir", dir.to_str().unwrap(), "--json"]);
    // At h = 0.1 and x = 2 the forward difference errs by 3xh + h^2 = 0.61.
    let row = v["cube"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["x"] == 2.0 && r["h"] == 0.1)
        .expect("the row x = 2, h = 0.1");
    assert!(
        close(row["forward_error"].as_f64().unwrap(), 0.61, 1e-9),
        "{row}"
    );
    assert_eq!(v["faithful"]["method"], "lbfgs");
    assert_eq!(v["plots"].as_array().unwrap().len(), 4);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn info_prints_shape_and_columns() {
    let out = admix(&["info", "iris"]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "150 rows, columns: sepal_length, sepal_width, petal_length, petal_width\n"
    );
    let v = admix_json(&["info", "faithful", "--json"]);
    assert_eq!(
        v,
        serde_json::json!({"rows": 272, "columns": ["eruptions", "waiting"], "mapped": false})
    );
    let v = admix_json(&["info", "iris", "--columns", "petal_width,0", "--json"]);
    assert_eq!(
        v["columns"],
        serde_json::json!(["petal_width", "sepal_length"])
    );
}

#[test]
fn labels_and_npy_files_from_the_command_line() {
    let dir = scratch("files");
    let csv = dir.join("ids.csv");
    std::fs::write(&csv, "id,a\n1,0.5\n2,1.5\n3,2.5\n").unwrap();
    let c = csv.to_str().unwrap();
    let v = admix_json(&["info", c, "--json"]);
    assert_eq!(v["columns"], serde_json::json!(["id", "a"]));
    let v = admix_json(&["info", c, "--labels", "id", "--json"]);
    assert_eq!(v["columns"], serde_json::json!(["a"]));
    // A big-endian, Fortran-order .npy file, written by hand: 3 x 2 with
    // columns (1, 2, 3) and (10, 20, 30).
    let mut dict = "{'descr': '>f8', 'fortran_order': True, 'shape': (3, 2), }".to_string();
    while !(10 + dict.len() + 1).is_multiple_of(64) {
        dict.push(' ');
    }
    dict.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    bytes.extend_from_slice(dict.as_bytes());
    for v in [1.0f64, 2.0, 3.0, 10.0, 20.0, 30.0] {
        bytes.extend_from_slice(&v.to_be_bytes());
    }
    let npy = dir.join("x.npy");
    std::fs::write(&npy, &bytes).unwrap();
    let v = admix_json(&["info", npy.to_str().unwrap(), "--json"]);
    assert_eq!(v["rows"], 3);
    // K-means with k = 3 on three points puts a centre on each: the rows.
    let v = admix_json(&["kmeans", npy.to_str().unwrap(), "-k", "3", "--json"]);
    let mut centres: Vec<Vec<f64>> = serde_json::from_value(v["centres"].clone()).unwrap();
    centres.sort_by(|a, b| a[0].total_cmp(&b[0]));
    assert_eq!(centres, [[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]]);
    let e = admix_error(&["info", npy.to_str().unwrap(), "--labels", "0"]);
    assert!(e.contains("--labels applies to CSV files"), "{e}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_start_needs_only_what_it_sets() {
    let dir = scratch("init");
    let start = dir.join("means.json");
    // Only means, near the published two-component fit of Old Faithful.
    std::fs::write(&start, r#"{"means": [[2.0, 55.0], [4.3, 80.0]]}"#).unwrap();
    let s = start.to_str().unwrap();
    let v = admix_json(&["fit", "faithful", "--init", s, "--max-iter", "0", "--json"]);
    assert_eq!(v["means"], serde_json::json!([[2.0, 55.0], [4.3, 80.0]]));
    assert_eq!(v["covariance_type"], "full");
    let v = admix_json(&["fit", "faithful", "--init", s, "--tol", "1e-8", "--json"]);
    let m0 = v["means"][0][0].as_f64().unwrap();
    assert!(close(m0, 2.04, 0.01), "{v}");
    // The type comes from --covariance when the file does not give it.
    let v = admix_json(&[
        "fit",
        "faithful",
        "--init",
        s,
        "--covariance",
        "diag",
        "--max-iter",
        "0",
        "--json",
    ]);
    assert_eq!(v["covariance_type"], "diag");
    // Precisions instead of covariances (spherical: one value per component).
    let p = dir.join("precisions.json");
    std::fs::write(
        &p,
        r#"{"covariance_type": "spherical", "weights": [0.5, 0.5], "means": [[2, 55], [4.3, 80]], "precisions": [0.25, 0.5]}"#,
    )
    .unwrap();
    let v = admix_json(&[
        "fit",
        "faithful",
        "--init",
        p.to_str().unwrap(),
        "--max-iter",
        "0",
        "--json",
    ]);
    assert_eq!(v["covariances"], serde_json::json!([4.0, 2.0]));
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"means": [[2.0, 55.0], [4.3]]}"#).unwrap();
    let e = admix_error(&["fit", "faithful", "--init", bad.to_str().unwrap()]);
    assert!(
        e.contains("means[1] has 1 numbers but means[0] has 2"),
        "{e}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn sample_streams_any_number_of_rows() {
    use std::io::{BufRead, BufReader};
    let dir = scratch("sample");
    let model = dir.join("m.json");
    let m = model.to_str().unwrap();
    admix_json(&["fit", "faithful", "--out", m, "--json"]);
    // CSV and JSON give the same draws.
    let v = admix_json(&["sample", m, "-n", "4", "--seed", "5", "--json"]);
    let csv = String::from_utf8(admix(&["sample", m, "-n", "4", "--seed", "5"]).stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "x0,x1,label");
    for (i, line) in lines[1..].iter().enumerate() {
        let f: Vec<f64> = line.split(',').map(|t| t.parse().unwrap()).collect();
        assert_eq!(f[0], v["samples"][i][0].as_f64().unwrap());
        assert_eq!(f[1], v["samples"][i][1].as_f64().unwrap());
        assert_eq!(f[2], v["labels"][i].as_f64().unwrap());
    }
    // The largest -n starts writing at once (before: a shape panic or an
    // abort on allocation); the reader stops after three rows and the
    // program ends on the closed pipe.
    let mut child = Command::new(env!("CARGO_BIN_EXE_admix"))
        .args(["sample", m, "-n", &usize::MAX.to_string()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = Vec::new();
    for _ in 0..4 {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        first.push(line);
    }
    drop(reader);
    let status = child.wait().unwrap();
    assert!(!status.success(), "ended by the closed pipe");
    assert_eq!(first[0], "x0,x1,label\n");
    let default_seed = String::from_utf8(admix(&["sample", m, "-n", "3"]).stdout).unwrap();
    assert_eq!(first.concat(), default_seed);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn deep_nesting_is_refused_by_name() {
    let text = format!("{}x{}", "(".repeat(50_000), ")".repeat(50_000));
    let e = admix_error(&["diff", &text, "--at", "x=1"]);
    assert!(e.contains("nests deeper than 256 levels"), "{e}");
}

#[test]
fn update_and_its_old_spelling_params_agree() {
    let a = admix_json(&["fit", "faithful", "--update", "m", "--json"]);
    let b = admix_json(&["fit", "faithful", "--params", "m", "--json"]);
    assert_eq!(a["means"], b["means"]);
    let all = admix_json(&["fit", "faithful", "--json"]);
    assert_ne!(a["means"], all["means"]);
    // Means only: the weights stay at their start, which the full fit moves.
    assert_ne!(a["weights"], all["weights"]);
}

#[test]
fn task_rows_and_its_old_spelling_batch_size_agree() {
    // 7 rows per task: 272 rows in 39 tasks, a grid unlike the default one.
    let a = admix_json(&["fit", "faithful", "--task-rows", "7", "--json"]);
    let b = admix_json(&["fit", "faithful", "--batch-size", "7", "--json"]);
    assert_eq!(a["means"], b["means"]);
    assert_eq!(a["covariances"], b["covariances"]);
    let e = admix_error(&["fit", "faithful", "--task-rows", "0"]);
    assert!(e.contains("task_rows"), "{e}");
}

#[test]
fn plots_of_wide_data_use_principal_axes() {
    let dir = scratch("wide");
    // 120 rows of 300 columns: two groups apart along the first column.
    let mut text = String::new();
    for i in 0..120 {
        let row: Vec<String> = (0..300)
            .map(|j| {
                let noise = (((i * 7919 + j * 104729) % 1000) as f64) / 1000.0;
                let shift = if j == 0 && i % 2 == 0 { 20.0 } else { 0.0 };
                format!("{}", shift + noise)
            })
            .collect();
        text.push_str(&row.join(","));
        text.push('\n');
    }
    let csv = dir.join("wide.csv");
    std::fs::write(&csv, text).unwrap();
    let plot = dir.join("wide.svg");
    admix_json(&[
        "fit",
        csv.to_str().unwrap(),
        "--covariance",
        "diag",
        "--plot",
        plot.to_str().unwrap(),
        "--json",
    ]);
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.contains("principal component 1"), "{}", &svg[..200]);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn every_command_takes_json_and_every_parallel_one_threads() {
    let commands = [
        "demo", "diff", "fit", "predict", "score", "sample", "kmeans", "select", "compare", "info",
    ];
    // diff, sample and info run on one thread: they have nothing to spread.
    let parallel = [
        "demo", "fit", "predict", "score", "kmeans", "select", "compare",
    ];
    for c in commands {
        let help = String::from_utf8(admix(&[c, "--help"]).stdout).unwrap();
        assert!(help.contains("--json"), "{c} --help: {help}");
        assert_eq!(help.contains("--threads"), parallel.contains(&c), "{c}");
    }
}
