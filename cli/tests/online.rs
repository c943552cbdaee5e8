//! `admix fit --online`: online EM batch by batch, run as a user would.

mod common;

use common::{admix_failure, admix_json};
use serde_json::Value;

#[test]
fn online_em_on_old_faithful_approaches_full_em() {
    let full = admix_json(&["fit", "faithful", "-k", "2", "--seed", "1", "--json"]);
    let online_args = [
        "fit",
        "faithful",
        "-k",
        "2",
        "--seed",
        "1",
        "--online",
        "--batch-rows",
        "50",
        "--epochs",
        "5",
        "--json",
    ];
    let online = admix_json(&online_args);
    // 272 rows: 6 batches (the last of 22 rows) per pass.
    assert_eq!(online["online_batches"], 30);
    assert_eq!(online["batch_rows"], 50);
    assert_eq!(online["epochs"], 5);
    let gap = full["mean_log_likelihood"].as_f64().unwrap()
        - online["mean_log_likelihood"].as_f64().unwrap();
    // Measured below the full EM fit: 1.4e-2 after one pass, 6.9e-3 after
    // two, 3.4e-3 after five, 1.7e-3 after twenty.
    assert!((0.0..5e-3).contains(&gap), "gap {gap}");
    let one_pass = admix_json(&[
        "fit",
        "faithful",
        "-k",
        "2",
        "--seed",
        "1",
        "--online",
        "--batch-rows",
        "50",
        "--tau",
        "1",
        "--kappa",
        "0.7",
        "--json",
    ]);
    assert_eq!(one_pass["online_batches"], 6);
    let one_pass_gap = full["mean_log_likelihood"].as_f64().unwrap()
        - one_pass["mean_log_likelihood"].as_f64().unwrap();
    assert!(one_pass_gap > 2.0 * gap, "{one_pass_gap} vs {gap}");
    // Seeded: the same arguments give the same model.
    let without_time = |mut v: Value| {
        v.as_object_mut().unwrap().remove("fit_seconds");
        v
    };
    assert_eq!(
        without_time(admix_json(&online_args)),
        without_time(online.clone())
    );
}

#[test]
fn online_model_file_is_an_ordinary_model() {
    let dir = std::env::temp_dir().join(format!("admix-online-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("model.json");
    let path = path.to_str().unwrap();
    let fitted = admix_json(&[
        "fit",
        "faithful",
        "--covariance",
        "diag",
        "--online",
        "--batch-rows",
        "64",
        "--out",
        path,
        "--json",
    ]);
    let scored = admix_json(&["score", path, "faithful", "--json"]);
    let (a, b) = (
        fitted["mean_log_likelihood"].as_f64().unwrap(),
        scored["mean_log_likelihood"].as_f64().unwrap(),
    );
    assert!((a - b).abs() < 1e-12, "{a} vs {b}");
}

#[test]
fn online_mistakes_are_one_clear_line() {
    let base = ["fit", "faithful", "--online"];
    let with = |extra: &[&'static str]| [&base[..], extra].concat();
    let (e, _) = admix_failure(&with(&["--batch-rows", "0"]));
    assert!(e.contains("--batch-rows must be at least 1"), "{e}");
    let (e, _) = admix_failure(&with(&["--batch-rows", "10", "--epochs", "0"]));
    assert!(e.contains("--epochs must be at least 1"), "{e}");
    let (e, _) = admix_failure(&with(&["--batch-rows", "10", "--kappa", "0.4"]));
    assert!(e.contains("kappa") && e.contains("(0.5, 1]"), "{e}");
    let (e, _) = admix_failure(&with(&["--batch-rows", "10", "--tau", "-1"]));
    assert!(e.contains("tau") && e.contains(">= 0"), "{e}");
    let (e, _) = admix_failure(&with(&["--batch-rows", "10", "--method", "adam"]));
    assert!(e.contains("leave out --method"), "{e}");
    let (e, code) = admix_failure(&base);
    assert!(e.contains("--batch-rows"), "{e}");
    assert_eq!(code, Some(2));
    let (e, code) = admix_failure(&["fit", "faithful", "--epochs", "3"]);
    assert!(e.contains("--online"), "{e}");
    assert_eq!(code, Some(2));
}
