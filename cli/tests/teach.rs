//! The teaching pictures and programs, run as a user would.

use std::path::PathBuf;
use std::process::{Command, Output};

fn admix(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_admix"))
        .args(args)
        .output()
        .expect("the admix binary runs")
}

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
