"""The lecture's items from Python (issue 17): emitted programs compiled and
run, the lessons' numbers against closed forms, numpy recomputations and the
program's own `admix teach --json`, and EM's iterates against a numpy EM step."""

import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import admix

# (expression, point): the lecture's example and a few with every kind of step.
CASES = [
    ("x1*x2 + sin(x1)", {"x1": 1.5, "x2": 2.0}),
    ("exp(x)*y - x/y + x^3 - log(y)", {"x": 0.7, "y": 1.3}),
    ("sqrt(x^2 + y^2)*tanh(z) + cos(x*z)/(1 + y^2)", {"x": -0.4, "y": 2.5, "z": 0.9}),
]


def _run_c(tmp_path, source, main_body, name):
    src = tmp_path / f"{name}.c"
    exe = tmp_path / name
    src.write_text("#include <math.h>\n#include <stdio.h>\n" + source + "\nint main(void)\n{\n" + main_body + "    return 0;\n}\n")
    subprocess.run(["cc", "-std=c99", "-O1", "-o", str(exe), str(src), "-lm"], check=True, capture_output=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    return np.array([float(v) for v in out.split()])


def _c_array(values):
    return "{" + ", ".join(repr(float(v)) for v in values) + "}"


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler (cc)")
@pytest.mark.parametrize("case", range(len(CASES)))
def test_emitted_c_computes_what_diff_computes(tmp_path, case):
    expr, at = CASES[case]
    x = list(at.values())
    n = len(x)
    ref = admix.diff(expr, at=at)
    # Forward: one run per direction e_i gives the i-th partial derivative.
    body = f"    const double x[{n}] = {_c_array(x)};\n    double df, v;\n"
    for i in range(n):
        body += f"    const double dx{i}[{n}] = {_c_array(np.eye(n)[i])};\n"
        body += f'    v = f(x, dx{i}, &df);\n    printf("%.17g %.17g\\n", v, df);\n'
    out = _run_c(tmp_path, admix.emit(expr, "c", "forward", variables=list(at)), body, "forward").reshape(n, 2)
    assert_allclose(out[:, 0], ref["value"], rtol=1e-14, atol=1e-14)
    assert_allclose(out[:, 1], ref["gradient"]["forward"], rtol=1e-14, atol=1e-14)
    # Reverse: one run gives the value and the whole gradient.
    body = f"    const double x[{n}] = {_c_array(x)};\n    double grad[{n}];\n"
    body += '    printf("%.17g\\n", f(x, grad));\n'
    body += f'    for (int i = 0; i < {n}; i++) printf("%.17g\\n", grad[i]);\n'
    out = _run_c(tmp_path, admix.emit(expr, "c", "reverse", variables=list(at)), body, "reverse")
    assert_allclose(out[0], ref["value"], rtol=1e-14, atol=1e-14)
    assert_allclose(out[1:], ref["gradient"]["reverse"], rtol=1e-14, atol=1e-14)


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler (cc)")
def test_emitted_c_matches_the_closed_form_of_the_lecture_example(tmp_path):
    x1, x2 = 1.5, 2.0
    body = f"    const double x[2] = {{{x1!r}, {x2!r}}};\n    double grad[2];\n"
    body += '    double v = f(x, grad);\n    printf("%.17g %.17g %.17g\\n", v, grad[0], grad[1]);\n'
    out = _run_c(tmp_path, admix.emit("x1*x2 + sin(x1)", mode="reverse"), body, "lecture")
    assert_allclose(out, [x1 * x2 + math.sin(x1), x2 + math.cos(x1), x1], rtol=1e-15)


@pytest.mark.skipif(shutil.which("rustc") is None, reason="no rustc")
def test_emitted_rust_compiles_and_runs(tmp_path):
    src = admix.emit("x1*x2 + sin(x1)", language="rust", mode="reverse")
    main = 'fn main() {\n    let (v, g) = f(&[1.5, 2.0]);\n    println!("{:?} {:?} {:?}", v, g[0], g[1]);\n}\n'
    (tmp_path / "lecture.rs").write_text(src + "\n" + main)
    exe = tmp_path / "lecture"
    subprocess.run(["rustc", "-O", "-o", str(exe), str(tmp_path / "lecture.rs")], check=True, capture_output=True)
    out = np.array([float(v) for v in subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.split()])
    assert_allclose(out, [3.0 + math.sin(1.5), 2.0 + math.cos(1.5), 1.5], rtol=1e-15)


def test_emit_forms_names_and_errors():
    fwd = admix.emit("x1*x2 + sin(x1)")
    assert "double dw4 = cos(w1) * dw1;" in fwd  # the lecture's diff_function.c line
    assert "double f(const double x[2], const double dx[2], double *df)" in fwd
    assert "fn grad_f(x: &[f64; 2]) -> (f64, [f64; 2])" in admix.emit("a*b", "rust", "reverse", name="grad_f")
    # Variables in the order given, else in order of appearance.
    assert admix.emit("b*sin(a)", variables=["a", "b"]) != admix.emit("b*sin(a)")
    assert admix.emit("b*sin(a)", variables=["b", "a"]) == admix.emit("b*sin(a)")
    for kwargs, message in [
        (dict(language="fortran"), "'c' or 'rust'"),
        (dict(mode="sideways"), "'forward' or 'reverse'"),
        (dict(name="2f"), "identifier"),
        (dict(variables=["x"]), "unknown variable"),
    ]:
        with pytest.raises(ValueError, match=message):
            admix.emit("x*y", **kwargs)
    with pytest.raises(ValueError):
        admix.emit("sin(")


# ------------------------------------------------------------------ lessons


def test_modes_sweeps_are_one_per_input_forward_and_one_per_output_reverse():
    r = admix.lesson_modes([1, 10, 100])
    f, g = r["many_to_one"], r["one_to_many"]
    assert_array_equal(f["size"], [1, 10, 100])
    assert_array_equal(f["forward_sweeps"], f["size"])
    assert_array_equal(f["reverse_sweeps"], 1)
    assert_array_equal(g["forward_sweeps"], 1)
    assert_array_equal(g["reverse_sweeps"], g["size"])
    for table in (f, g):
        assert np.all(table["forward_seconds"] > 0) and np.all(table["reverse_seconds"] > 0)
    assert_array_equal(admix.lesson_modes()["many_to_one"]["size"][[0, -1]], [1, 1000])
    with pytest.raises(ValueError, match="at least 1"):
        admix.lesson_modes([0])


def test_noisy_cases_against_closed_forms_and_a_numpy_table():
    lookup, simulation = admix.lesson_noisy()
    assert lookup["exact"] == pytest.approx(math.cos(lookup["x"]), rel=1e-15)
    phi = math.exp(-((1 - simulation["x"]) ** 2) / 2) / math.sqrt(2 * math.pi)
    assert simulation["exact"] == pytest.approx(phi, rel=1e-15)
    for case in (lookup, simulation):
        assert case["ad"] == 0.0  # the code is flat: AD sees no slope
        assert case["central"][case["h"] == 1e-8][0] == 0.0
    # The table lookup recomputed: sin at the nearest multiple of 0.01.
    table = lambda v: np.sin(np.floor(v / 0.01 + 0.5) * 0.01)  # noqa: E731
    x, h = lookup["x"], lookup["h"]
    assert_allclose(lookup["central"], (table(x + h) - table(x - h)) / (2 * h), rtol=1e-12, atol=1e-12)
    # A well-chosen step sees the slope.
    assert abs(lookup["central"][h == 0.1][0] - lookup["exact"]) < 0.06
    assert abs(simulation["central"][simulation["h"] == 0.1][0] - simulation["exact"]) < 0.02


def test_means_only_each_row_is_the_hand_written_update():
    r = admix.lesson_means_only(10)
    x, means = r["x"], r["means"]
    assert means.shape == (11, 2)
    assert_array_equal(means[0], r["start_means"])
    for i in range(10):
        # E-step with weights 1/2 and unit variances, M-step for the means only.
        p = np.exp(-((x[:, None] - means[i][None, :]) ** 2) / 2)
        resp = p / p.sum(axis=1, keepdims=True)
        assert_allclose(means[i + 1], resp.T @ x / resp.sum(axis=0), rtol=1e-12)
    assert np.all(np.abs(admix.lesson_means_only(30)["means"][-1] - r["true_means"]) < 0.3)


def test_hard_assignments_agreement_recomputed_and_kmeans_is_a_lloyd_fixed_point():
    r = admix.lesson_hard_assignments()
    X, truth = r["x"], r["truth"]
    for method in ("kmeans", "gmm"):
        same = np.mean(r[method] == truth)
        assert r[f"{method}_agreement"] == pytest.approx(max(same, 1 - same), rel=1e-15)
    assert r["gmm_agreement"] > 0.93 and r["kmeans_agreement"] < r["gmm_agreement"] - 0.1
    # K-means labels: each point is nearest to the mean of its own cluster.
    centres = np.array([X[r["kmeans"] == j].mean(axis=0) for j in range(2)])
    nearest = np.argmin(((X[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
    assert_array_equal(nearest, r["kmeans"])


def _admix_program():
    """The `admix` program if built: ADMIX_BIN, or the newer of the workspace's
    target/release/admix and target/debug/admix (`cargo test --workspace` builds
    the latter)."""
    if os.environ.get("ADMIX_BIN"):
        return Path(os.environ["ADMIX_BIN"])
    root = Path(__file__).resolve().parents[2] / "target"
    built = [p for p in (root / "release" / "admix", root / "debug" / "admix") if p.is_file()]
    return max(built, key=lambda p: p.stat().st_mtime, default=None)


def _teach_json(lesson, out_dir):
    program = _admix_program()
    if program is None:
        pytest.skip("the admix program is not built (cargo build -p admix-cli, or set ADMIX_BIN)")
    out = subprocess.run([str(program), "teach", lesson, "--json", "--out-dir", str(out_dir)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def test_lessons_print_the_numbers_of_admix_teach(tmp_path):
    noisy = _teach_json("noisy", tmp_path)
    for mine, theirs in zip(admix.lesson_noisy(), noisy["cases"]):
        assert (mine["name"], mine["x"], mine["exact"], mine["ad"]) == (
            theirs["name"], theirs["x"], theirs["exact"], theirs["ad"])
        assert_array_equal(np.column_stack([mine["h"], mine["central"]]), theirs["differences"])
    assert_array_equal(admix.lesson_means_only(20)["means"], _teach_json("means-only", tmp_path)["means"])
    hard = _teach_json("hard-assignments", tmp_path)
    mine = admix.lesson_hard_assignments()
    assert len(mine["x"]) == hard["n_samples"]
    assert (mine["kmeans_agreement"], mine["gmm_agreement"]) == (hard["kmeans_agreement"], hard["gmm_agreement"])
    modes = _teach_json("modes", tmp_path)
    mine = admix.lesson_modes()
    for table in ("many_to_one", "one_to_many"):
        for column in ("size", "forward_sweeps", "reverse_sweeps"):
            assert_array_equal(mine[table][column], [row[column] for row in modes[table]])


# ------------------------------------------------------------ EM iterations


def _em_step(X, weights, means, covariances, reg_covar=1e-6):
    """One EM step for a full-covariance mixture, written out in numpy."""
    n, d = X.shape
    log_p = np.empty((n, len(weights)))
    for j, (w, m, c) in enumerate(zip(weights, means, covariances)):
        chol = np.linalg.cholesky(c)
        z = np.linalg.solve(chol, (X - m).T)
        log_p[:, j] = math.log(w) - 0.5 * (z**2).sum(axis=0) - np.log(np.diag(chol)).sum() - 0.5 * d * math.log(2 * math.pi)
    resp = np.exp(log_p - log_p.max(axis=1, keepdims=True))
    resp /= resp.sum(axis=1, keepdims=True)
    nk = resp.sum(axis=0)
    new_means = resp.T @ X / nk[:, None]
    new_covs = np.array([((resp[:, j, None] * (X - new_means[j])).T @ (X - new_means[j])) / nk[j] + reg_covar * np.eye(d)
                         for j in range(len(nk))])
    return nk / n, new_means, new_covs


def test_em_iterations_are_successive_em_steps_from_one_start(faithful):
    its = [0, 1, 2, 5]
    models = admix.em_iterations(faithful, 2, its, init_params="random_from_data", random_state=3)
    assert len(models) == len(its)
    start = admix.GaussianMixture(2, max_iter=0, init_params="random_from_data", random_state=3).fit(faithful)
    assert_array_equal(models[0].means_, start.means_)
    for a, b in [(0, 1), (1, 2)]:
        prev = models[a]
        w, m, c = _em_step(faithful, prev.weights_, prev.means_, prev.covariances_)
        assert_allclose(models[b].weights_, w, rtol=1e-9)
        assert_allclose(models[b].means_, m, rtol=1e-9)
        assert_allclose(models[b].covariances_, c, rtol=1e-8)
    resp = models[-1].predict_proba(faithful)
    assert resp.shape == (len(faithful), 2)
    with pytest.raises(ValueError, match="max_iter"):
        admix.em_iterations(faithful, 2, its, max_iter=3)
    with pytest.raises(ValueError, match=">= 0"):
        admix.em_iterations(faithful, 2, [-1])


def test_emit_prints_the_text_of_admix_diff_emit():
    program = _admix_program()
    if program is None:
        pytest.skip("the admix program is not built (cargo build -p admix-cli, or set ADMIX_BIN)")
    for language in ("c", "rust"):
        for mode in ("forward", "reverse"):
            out = subprocess.run([str(program), "diff", "b*sin(a) + a/b", "--emit", language, "--mode", mode],
                                 check=True, capture_output=True, text=True).stdout
            assert admix.emit("b*sin(a) + a/b", language, mode) == out
