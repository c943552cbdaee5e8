"""The lecture's items from Python (issue 17): the derivative programs of
source transformation, forward against reverse mode, noisy code, EM
pictured iteration by iteration, learning means only, and the evils of hard
assignments. Prints each; with matplotlib installed, also saves a figure
per item into the folder given as the first argument (default admix-teach-py).

Run: python python/examples/teaching.py [OUT_DIR]"""

import sys
from pathlib import Path

import numpy as np

import admix

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None

ITERATIONS = [0, 1, 2, 3, 4, 5, 6, 20]


def programs():
    print("== Source transformation: x1*x2 + sin(x1)")
    for mode in ("forward", "reverse"):
        print(f"-- {mode} mode, C")
        print(admix.emit("x1*x2 + sin(x1)", language="c", mode=mode))


def modes(out):
    print("== Forward against reverse mode: the whole Jacobian")
    r = admix.lesson_modes()
    for key, what in [("many_to_one", "F: R^n -> R, the gradient"), ("one_to_many", "G: R -> R^m, m derivatives")]:
        t = r[key]
        print(what)
        print(f"{'size':>5}  {'fwd sweeps':>10}  {'rev sweeps':>10}  {'forward (s)':>11}  {'reverse (s)':>11}")
        for row in zip(t["size"], t["forward_sweeps"], t["reverse_sweeps"], t["forward_seconds"], t["reverse_seconds"]):
            print(f"{row[0]:>5}  {row[1]:>10}  {row[2]:>10}  {row[3]:>11.3e}  {row[4]:>11.3e}")
    if plt:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        for ax, key, title in zip(axes, ["many_to_one", "one_to_many"], ["F: R^n -> R", "G: R -> R^m"]):
            t = r[key]
            ax.loglog(t["size"], t["forward_seconds"], "o-", label="forward (dual)")
            ax.loglog(t["size"], t["reverse_seconds"], "s-", label="reverse (tape)")
            ax.set(title=title, xlabel="n or m", ylabel="seconds for the Jacobian")
            ax.legend()
        save(fig, out / "modes.png")


def noisy(out):
    print("== When divided differences are as good as AD")
    cases = admix.lesson_noisy()
    for c in cases:
        print(f"{c['name']} at {c['x']}: exact slope {c['exact']:.6f}, AD of the code {c['ad']:.6f}")
        for h, d in zip(c["h"], c["central"]):
            print(f"    h = {h:<6.0e} central difference {d:>10.6f}   error {abs(d - c['exact']):.1e}")
    if plt:
        fig, axes = plt.subplots(1, len(cases), figsize=(10, 4))
        for ax, c in zip(axes, cases):
            ax.loglog(c["h"], np.maximum(np.abs(c["central"] - c["exact"]), 1e-17), "o-", label="central difference")
            ax.axhline(abs(c["ad"] - c["exact"]), ls="--", color="C1", label="AD of the code")
            ax.set(title=c["name"], xlabel="step h", ylabel="error of the slope")
            ax.legend()
        save(fig, out / "noisy.png")


def em_pictured(out):
    print(f"== EM pictured: Old Faithful, k = 2, iterations {ITERATIONS}")
    X = admix.load_faithful()
    models = admix.em_iterations(X, 2, ITERATIONS, init_params="random_from_data", random_state=3)
    for i, gm in zip(ITERATIONS, models):
        print(f"iteration {i:>2}: weights {np.round(gm.weights_, 3)}, means {np.round(gm.means_, 2).tolist()}")
    if plt:
        fig, axes = plt.subplots(2, 4, figsize=(14, 7))
        t = np.linspace(0, 2 * np.pi, 100)
        circle = np.stack([np.cos(t), np.sin(t)])
        for ax, i, gm in zip(axes.flat, ITERATIONS, models):
            r = gm.predict_proba(X)[:, 0]
            ax.scatter(X[:, 0], X[:, 1], c=np.stack([r, np.zeros_like(r), 1 - r], axis=1), s=6)
            for mean, cov in zip(gm.means_, gm.covariances_):
                for sigma in (1, 2):
                    ax.plot(*(mean[:, None] + sigma * np.linalg.cholesky(cov) @ circle), "k", lw=0.8)
            ax.set_title("start" if i == 0 else f"after iteration {i}")
        save(fig, out / "em_iterations.png")


def means_only(out):
    print("== Learn means only (weights 1/2, variances 1)")
    r = admix.lesson_means_only(20)
    for i, (m1, m2) in enumerate(r["means"]):
        print(f"{i:>9}  {m1:>9.5f}  {m2:>9.5f}")
    if plt:
        fig, ax = plt.subplots(figsize=(6, 4))
        for j in range(2):
            ax.plot(r["means"][:, j], "o-", color=f"C{j}", label=f"mean {j + 1}")
            ax.axhline(r["true_means"][j], ls="--", color=f"C{j}")
        ax.set(title="learn means only: EM from a poor start", xlabel="iteration", ylabel="mean")
        ax.legend()
        save(fig, out / "means_only.png")


def hard_assignments(out):
    print("== The evils of hard assignments")
    r = admix.lesson_hard_assignments()
    print(f"{len(r['x'])} samples; agreement with the truth: K-means {100 * r['kmeans_agreement']:.1f}%, "
          f"full-covariance GMM {100 * r['gmm_agreement']:.1f}%")
    if plt:
        fig, axes = plt.subplots(1, 3, figsize=(15, 4))
        X, truth = r["x"], r["truth"]
        for ax, key, title in zip(axes, ["truth", "kmeans", "gmm"], ["truth", "K-means", "full-covariance GMM"]):
            # Labels are arbitrary: swap them if that agrees better, then mark the wrong ones.
            labels = r[key] if np.mean(r[key] == truth) >= 0.5 else 1 - r[key]
            ax.scatter(X[:, 0], X[:, 1], c=labels, cmap="coolwarm", vmin=0, vmax=1, s=6)
            wrong = labels != truth
            ax.scatter(X[wrong, 0], X[wrong, 1], marker="x", color="k", s=12, lw=0.7)
            ax.set_title(title if key == "truth" else f"{title}: {100 * r[key + '_agreement']:.1f}% agree")
        save(fig, out / "hard_assignments.png")


def save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"figure: {path}")


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "admix-teach-py")
    if plt:
        out.mkdir(parents=True, exist_ok=True)
    else:
        print("(matplotlib not installed: printing only, no figures)")
    programs()
    modes(out)
    noisy(out)
    em_pictured(out)
    means_only(out)
    hard_assignments(out)


if __name__ == "__main__":
    main()
