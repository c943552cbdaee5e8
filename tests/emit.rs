//! The programs `admix diff --emit` writes, compiled with the system's `cc`
//! and with `rustc`, run, and compared with forward mode (dual numbers) and
//! reverse mode (the tape) on the lecture's example and on generated
//! expressions.

use admix::expr::{Expr, Language, Mode};
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Relative agreement asked of the emitted programs: they run the same
/// elementary steps with the same partial derivatives, so only the order of
/// a few roundings (and libm against Rust's `f64` methods) may differ.
const TOL: f64 = 1e-14;

/// One expression at one point.
struct Case {
    expr: Expr,
    x: Vec<f64>,
}

/// A fresh directory under the target directory for one test's files.
fn work_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Whether `program --version` runs; a missing compiler skips the test
/// with a message rather than failing it.
fn have(program: &str) -> bool {
    let found = Command::new(program).arg("--version").output().is_ok();
    if !found {
        eprintln!(
            "SKIPPED: no `{program}` on this machine, the emitted programs were not compiled"
        );
    }
    found
}

fn literal(v: f64) -> String {
    format!("{v:?}")
}

/// A C program with both functions of every case and a main that prints,
/// per case, the forward results along each axis, then the reverse results.
fn c_program(cases: &[Case]) -> String {
    let mut src = String::new();
    for (i, case) in cases.iter().enumerate() {
        src += &case
            .expr
            .emit(Language::C, Mode::Forward, &format!("f{i}_forward"));
        src += &case
            .expr
            .emit(Language::C, Mode::Reverse, &format!("f{i}_reverse"));
    }
    src += "#include <stdio.h>\nint main(void)\n{\n    double df, v;\n";
    for (i, case) in cases.iter().enumerate() {
        let n = case.x.len();
        let x: Vec<String> = case.x.iter().map(|&v| literal(v)).collect();
        let _ = writeln!(
            src,
            "    {{\n    const double x[{n}] = {{{}}};",
            x.join(", ")
        );
        let _ = writeln!(src, "    double grad[{n}];\n    printf(\"forward\");");
        for k in 0..n {
            let seed: Vec<&str> = (0..n).map(|j| if j == k { "1.0" } else { "0.0" }).collect();
            let _ = writeln!(
                src,
                "    {{ const double dx[{n}] = {{{}}}; v = f{i}_forward(x, dx, &df); printf(\" %.17g %.17g\", v, df); }}",
                seed.join(", ")
            );
        }
        let _ = writeln!(
            src,
            "    v = f{i}_reverse(x, grad);\n    printf(\"\\nreverse %.17g\", v);"
        );
        let _ = writeln!(
            src,
            "    for (int k = 0; k < {n}; k++) printf(\" %.17g\", grad[k]);\n    printf(\"\\n\");\n    }}"
        );
    }
    src += "    return 0;\n}\n";
    src
}

/// The same program in Rust.
fn rust_program(cases: &[Case]) -> String {
    let mut src = String::new();
    for (i, case) in cases.iter().enumerate() {
        src += &case
            .expr
            .emit(Language::Rust, Mode::Forward, &format!("f{i}_forward"));
        src += &case
            .expr
            .emit(Language::Rust, Mode::Reverse, &format!("f{i}_reverse"));
    }
    src += "fn main() {\n";
    for (i, case) in cases.iter().enumerate() {
        let n = case.x.len();
        let x: Vec<String> = case
            .x
            .iter()
            .map(|&v| format!("{}_f64", literal(v)))
            .collect();
        let _ = writeln!(src, "    {{\n    let x: [f64; {n}] = [{}];", x.join(", "));
        let _ = writeln!(src, "    print!(\"forward\");");
        for k in 0..n {
            let _ = writeln!(
                src,
                "    {{ let mut dx = [0.0_f64; {n}]; dx[{k}] = 1.0; let (v, df) = f{i}_forward(&x, &dx); print!(\" {{v:e}} {{df:e}}\"); }}"
            );
        }
        let _ = writeln!(
            src,
            "    let (v, grad) = f{i}_reverse(&x);\n    print!(\"\\nreverse {{v:e}}\");\n    for g in grad {{ print!(\" {{g:e}}\"); }}\n    println!();\n    }}"
        );
    }
    src += "}\n";
    src
}

/// Runs `compile` then the program it built; returns the program's output.
fn build_and_run(mut compile: Command, exe: &Path) -> String {
    let out = compile.output().expect("the compiler runs");
    assert!(
        out.status.success(),
        "the emitted program does not compile:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(exe)
        .output()
        .expect("the emitted program runs");
    assert!(run.status.success());
    String::from_utf8(run.stdout).unwrap()
}

fn close(got: f64, want: f64) -> bool {
    (got.is_nan() && want.is_nan()) || (got - want).abs() <= TOL * want.abs().max(1.0)
}

/// Checks the printed lines against forward mode, reverse mode and the value.
fn check_output(output: &str, cases: &[Case], language: &str) {
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(
        lines.len(),
        2 * cases.len(),
        "{language}: one pair of lines per case"
    );
    for (i, case) in cases.iter().enumerate() {
        let numbers = |line: &str, tag: &str| -> Vec<f64> {
            let rest = line.strip_prefix(tag).expect("tagged line");
            rest.split_whitespace()
                .map(|t| t.parse().unwrap())
                .collect()
        };
        let d = case.expr.derivatives(&case.x, false).unwrap();
        let what = format!("{language}, f = {} at {:?}", case.expr.source(), case.x);
        let forward = numbers(lines[2 * i], "forward");
        for (k, pair) in forward.chunks(2).enumerate() {
            assert!(
                close(pair[0], d.value),
                "{what}: value {} vs {}",
                pair[0],
                d.value
            );
            let want = d.gradient.forward[k];
            assert!(
                close(pair[1], want),
                "{what}: forward d/dx{k} {} vs {want}",
                pair[1]
            );
        }
        let reverse = numbers(lines[2 * i + 1], "reverse");
        assert!(close(reverse[0], d.value), "{what}: value");
        for (k, &got) in reverse[1..].iter().enumerate() {
            let want = d.gradient.reverse[k];
            assert!(close(got, want), "{what}: reverse d/dx{k} {got} vs {want}");
        }
    }
}

fn check_with_cc(cases: &[Case], name: &str) {
    if !have("cc") {
        return;
    }
    let dir = work_dir(name);
    let (src, exe) = (dir.join("emitted.c"), dir.join("emitted_c"));
    std::fs::write(&src, c_program(cases)).unwrap();
    let mut cc = Command::new("cc");
    cc.args(["-std=c99", "-O1", "-Wall", "-Werror", "-o"])
        .arg(&exe)
        .arg(&src)
        .arg("-lm");
    check_output(&build_and_run(cc, &exe), cases, "C");
}

fn check_with_rustc(cases: &[Case], name: &str) {
    if !have("rustc") {
        return;
    }
    let dir = work_dir(name);
    let (src, exe) = (dir.join("emitted.rs"), dir.join("emitted_rs"));
    std::fs::write(&src, rust_program(cases)).unwrap();
    let mut rustc = Command::new("rustc");
    rustc
        .args(["--edition", "2021", "-O", "-D", "warnings", "-o"])
        .arg(&exe)
        .arg(&src);
    check_output(&build_and_run(rustc, &exe), cases, "Rust");
}

fn lecture_cases() -> Vec<Case> {
    let f = || Expr::parse("x1*x2 + sin(x1)", &["x1", "x2"]).unwrap();
    vec![
        Case {
            expr: f(),
            x: vec![1.5, 2.0],
        },
        Case {
            expr: f(),
            x: vec![-0.3, 7.0],
        },
    ]
}

#[test]
fn the_lecture_example_compiles_and_agrees_in_c() {
    let cases = lecture_cases();
    // The hand-derived gradient (x2 + cos x1, x1), not the library's.
    let (x1, x2) = (1.5_f64, 2.0_f64);
    let d = cases[0].expr.derivatives(&cases[0].x, false).unwrap();
    assert_eq!(d.gradient.forward, [x2 + x1.cos(), x1]);
    check_with_cc(&cases, "emit_lecture_c");
}

#[test]
fn the_lecture_example_compiles_and_agrees_in_rust() {
    check_with_rustc(&lecture_cases(), "emit_lecture_rust");
}

/// A small deterministic generator (SplitMix64), so the expressions are
/// the same on every run.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Templates that stay finite and differentiable for any finite arguments
/// of moderate size, so every function of the language appears at points
/// where its derivative exists.
const UNARY: &[&str] = &[
    "sin({})",
    "cos({})",
    "tan(atan({}) / 2)",
    "asin(tanh({}) / 2)",
    "acos(tanh({}) / 2)",
    "atan({})",
    "sinh(sin({}))",
    "cosh(sin({}))",
    "tanh({})",
    "asinh({})",
    "acosh(2 + ({})^2)",
    "atanh(tanh({}) / 2)",
    "exp(sin({}))",
    "exp2(cos({}))",
    "expm1(sin({}))",
    "ln(1 + ({})^2)",
    "log(2 + cos({}))",
    "ln1p(({})^2)",
    "log2(3 + sin({}))",
    "log10(3 + sin({}))",
    "sqrt(2 + sin({}))",
    "cbrt(2 + sin({}))",
    "abs(1.5 + sin({}))",
    "({})^3",
    "(2 + cos({}))^-2",
    "-({})",
    "(0.5 * {})",
];

const BINARY: &[&str] = &[
    "({} + {})",
    "({} - {})",
    "({} * {})",
    "({} / (2.5 + sin({})))",
    "atan2({}, 2 + cos({}))",
    "hypot(1 + ({})^2, {})",
    "(1.5 + sin({}))^(cos({}))",
    "pow(2 + cos({}), sin({}))",
    "min({}, 0.25 + {})",
    "max({}, 0.25 + {})",
];

/// A random expression of at most `depth` levels in `vars`.
fn generate(rng: &mut SplitMix, vars: &[&str], depth: usize) -> String {
    if depth == 0 || rng.below(4) == 0 {
        return match rng.below(5) {
            0 => format!("{:.3}", rng.uniform(0.5, 2.0)),
            _ => vars[rng.below(vars.len())].to_string(),
        };
    }
    if rng.below(2) == 0 {
        let t = UNARY[rng.below(UNARY.len())];
        t.replace("{}", &generate(rng, vars, depth - 1))
    } else {
        let t = BINARY[rng.below(BINARY.len())];
        let (a, b) = (
            generate(rng, vars, depth - 1),
            generate(rng, vars, depth - 1),
        );
        t.replacen("{}", &a, 1).replacen("{}", &b, 1)
    }
}

/// Every template once, then generated expressions in one to three variables.
fn generated_cases() -> Vec<Case> {
    let mut rng = SplitMix(17);
    let mut sources: Vec<(String, Vec<&str>)> = Vec::new();
    for t in UNARY {
        sources.push((t.replace("{}", "x"), vec!["x"]));
    }
    for t in BINARY {
        sources.push((
            t.replacen("{}", "x", 1).replacen("{}", "y", 1),
            vec!["x", "y"],
        ));
    }
    let names = ["x", "y", "z"];
    for i in 0..60 {
        let vars = &names[..1 + i % 3];
        sources.push((generate(&mut rng, vars, 5), vars.to_vec()));
    }
    sources
        .into_iter()
        .map(|(src, vars)| {
            let x = vars.iter().map(|_| rng.uniform(-2.0, 2.0)).collect();
            Case {
                expr: Expr::parse(&src, &vars).unwrap_or_else(|e| panic!("{src}: {e}")),
                x,
            }
        })
        .collect()
}

#[test]
fn generated_expressions_compile_and_agree_in_c() {
    check_with_cc(&generated_cases(), "emit_generated_c");
}

#[test]
fn generated_expressions_compile_and_agree_in_rust() {
    check_with_rustc(&generated_cases(), "emit_generated_rust");
}
