//! The teaching pictures and programs, run as a user would.

mod common;

use common::admix;
use std::path::PathBuf;

fn temp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("teach");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn plot_iterations_draws_one_panel_per_listed_iteration() {
    let path = temp("iterations.svg");
    let file = path.to_str().unwrap();
    let base = ["fit", "faithful", "-k", "2", "--tol", "0", "--plot", file];
    for (list, panels) in [("0,1,2,3,4,5,6,20", 8), ("0,3,7", 3), ("4", 1)] {
        let out = admix(&[&base[..], &["--plot-iterations", list]].concat());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let svg = std::fs::read_to_string(&path).unwrap();
        // Every panel draws its title in bold, once.
        assert_eq!(
            svg.matches(r#"font-weight="bold""#).count(),
            panels,
            "{list}"
        );
    }
    let out = admix(
        &[
            &base[..],
            &["--plot-iterations", "0,1", "--method", "lbfgs"],
        ]
        .concat(),
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("use --method em"));
    let out = admix(&["fit", "faithful", "--plot-iterations", "0,1"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--plot-iterations without --plot"
    );
}

#[test]
fn every_lesson_draws_its_picture() {
    let dir = temp("lessons");
    let out_dir = dir.to_str().unwrap();
    for (lesson, file, panels) in [
        ("modes", "modes.svg", 3),
        ("noisy", "noisy.svg", 2),
        ("means-only", "means_only.svg", 1),
        ("hard-assignments", "hard_assignments.svg", 3),
    ] {
        let out = admix(&["teach", lesson, "--out-dir", out_dir]);
        assert!(
            out.status.success(),
            "{lesson}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let svg = std::fs::read_to_string(dir.join(file)).unwrap();
        assert_eq!(
            svg.matches(r#"font-weight="bold""#).count(),
            panels,
            "{lesson}"
        );
        // `--json` prints the numbers and the picture's path.
        let out = admix(&["teach", lesson, "--json", "--out-dir", out_dir]);
        assert!(
            out.status.success(),
            "{lesson} --json: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(json["plot"].as_str().unwrap().ends_with(file), "{lesson}");
    }
}

/// The README's recipe for "learn means only", run on the files `admix
/// teach means-only` writes, ends bitwise on the lesson's last iterate (same
/// data, same start, same EM).
#[test]
fn the_means_only_recipe_reproduces_the_lesson() {
    let dir = temp("recipe");
    let out = admix(&[
        "teach",
        "means-only",
        "--json",
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lesson: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let last = &lesson["means"][20];
    let fit = admix(&[
        "fit",
        lesson["data"].as_str().unwrap(),
        "-k",
        "2",
        "--covariance",
        "spherical",
        "--init",
        lesson["start"].as_str().unwrap(),
        "--params",
        "m",
        "--tol",
        "0",
        "--max-iter",
        "20",
        "--json",
    ]);
    assert!(
        fit.status.success(),
        "{}",
        String::from_utf8_lossy(&fit.stderr)
    );
    let model: serde_json::Value = serde_json::from_slice(&fit.stdout).unwrap();
    for j in 0..2 {
        assert_eq!(model["means"][j][0].as_f64(), last[j].as_f64(), "mean {j}");
        assert_eq!(model["weights"][j].as_f64(), Some(0.5));
    }
    assert!(lesson["recipe"].as_str().unwrap().contains("--params m"));
}

#[test]
fn diff_emit_prints_the_lecture_program() {
    let out = admix(&["diff", "x1*x2 + sin(x1)", "--emit", "c"]);
    assert!(out.status.success());
    let c = String::from_utf8(out.stdout).unwrap();
    assert!(c.contains("double f(const double x[2], const double dx[2], double *df)"));
    assert!(c.contains("    double w4 = sin(w1);\n    double dw4 = cos(w1) * dw1;\n"));
    let out = admix(&[
        "diff",
        "x1*x2 + sin(x1)",
        "--emit",
        "rust",
        "--mode",
        "reverse",
    ]);
    let rust = String::from_utf8(out.stdout).unwrap();
    assert!(rust.contains("pub fn f(x: &[f64; 2]) -> (f64, [f64; 2])"));
    assert!(rust.contains("    w1_bar += w3_bar * w2;\n"));
    // --at names the inputs and their order; its values are not needed.
    let out = admix(&["diff", "x1*x2", "--at", "x2=0,x1=0", "--emit", "c"]);
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("x[0] = x2, x[1] = x1"));
    let out = admix(&["diff", "sin(", "--emit", "c"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected"));
    let out = admix(&["diff", "x", "--emit", "fortran"]);
    assert_eq!(out.status.code(), Some(2));
}
