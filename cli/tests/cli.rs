//! The `admix` program run as a user would: every command on the built-in
//! data, JSON parsed and checked, and user mistakes giving one clear line.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn admix(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_admix"))
        .args(args)
        .output()
        .expect("the admix binary runs")
}

/// Runs a command that must succeed and returns its stdout as JSON.
fn admix_json(args: &[&str]) -> Value {
    let out = admix(args);
    assert!(
        out.status.success(),
        "admix {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// Runs a command that must fail, and returns its one-line error.
fn admix_error(args: &[&str]) -> String {
    let out = admix(args);
    assert!(!out.status.success(), "admix {args:?} should fail");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !stderr.contains("panicked"),
        "a panic for admix {args:?}: {stderr}"
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line for {args:?}: {stderr}"
    );
    assert!(stderr.starts_with("admix: error:"), "{stderr}");
    stderr
}

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
fn user_mistakes_give_one_clear_line() {
    let dir = scratch("errors");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let e = admix_error(&["fit", "/no/such/file.csv"]);
    assert!(e.contains("no file"), "{e}");
    let bad_row = write("bad.csv", "a,b\n1,2\n3,x\n");
    let e = admix_error(&["fit", &bad_row]);
    assert!(e.contains("line 3"), "{e}");
    let nan = write("nan.csv", "a,b\n1,2\n3,NaN\n4,5\n");
    let e = admix_error(&["fit", &nan, "-k", "1"]);
    assert!(e.contains("row 1") && e.contains("column 1"), "{e}");
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
    admix_error(&["score", &truncated, "faithful"]);
    admix_error(&["fit", "faithful", "--tol", "-1"]);
    admix_error(&["fit", "faithful", "--params", "wxq"]);
    admix_error(&["diff", "x +", "--at", "x=1"]);
    admix_error(&["kmeans", "faithful", "-k", "0"]);
    std::fs::remove_dir_all(dir).ok();
}
