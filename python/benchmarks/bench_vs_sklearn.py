"""admix.GaussianMixture against sklearn.mixture.GaussianMixture and the admix
program, from Python: same data, same initial parameters, same number of EM
iterations (tol = 0). A benchmark, not a test.

    python python/benchmarks/bench_vs_sklearn.py [--n 200000] [--iters 10] [--repeats 3]

Wall times: the program's is its own `fit_seconds` (fitting only, as for the
two Python timings, which also leave out loading the data). CPU times (all
threads; steadier than wall time on a loaded machine): the program's is its
whole run, loading the data and the start included, so that ratio slightly
favours admix from Python. Set ADMIX_BIN to the
program (default target/release/admix; build it with
`cargo build --release -p admix-cli`); without it, that column is skipped.
"""

import argparse
import json
import os
import resource
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn.mixture
from sklearn.exceptions import ConvergenceWarning

import admix

ROOT = Path(__file__).resolve().parents[2]


def data(n, d, k, seed=0):
    rng = np.random.RandomState(seed)
    centres = rng.randn(k, d) * 4.0
    return centres[rng.randint(k, size=n)] + rng.randn(n, d)


def best_of(repeats, f):
    """Least wall time and least CPU time (all threads) of `repeats` calls."""
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        f()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def cli_seconds(binary, X, start, covariance_type, iters, repeats, workdir):
    xpath, mpath = workdir / "x.npy", workdir / f"start_{covariance_type}.json"
    if not xpath.exists():
        np.save(xpath, X)
    mpath.write_text(start._model.to_json())
    cmd = [str(binary), "fit", str(xpath), "-k", str(start.n_components), "--covariance", covariance_type,
           "--init", str(mpath), "--max-iter", str(iters), "--tol", "0", "--json"]
    wall, cpu = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall.append(json.loads(out)["fit_seconds"])
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return min(wall), min(cpu)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--d", type=int, default=16)
    ap.add_argument("--k", type=int, default=16)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--types", default="full,diag")
    ap.add_argument("--no-sklearn", action="store_true", help="time admix and the program only")
    args = ap.parse_args()
    X = data(args.n, args.d, args.k)
    binary = Path(os.environ.get("ADMIX_BIN", ROOT / "target" / "release" / "admix"))
    print(f"n={args.n} d={args.d} k={args.k}, {args.iters} EM iterations from one start, best of {args.repeats}")
    print(f"{'covariance':>10} {'sklearn s':>10} {'admix s':>10} {'program s':>10} {'sklearn/admix':>14} "
          f"{'admix/program':>14} {'admix cpu s':>12} {'program cpu s':>14} {'cpu ratio':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for t in args.types.split(","):
            start = admix.GaussianMixture(args.k, covariance_type=t, max_iter=0, random_state=0).fit(X)
            init = dict(covariance_type=t, weights_init=start.weights_, means_init=start.means_,
                        precisions_init=start.precisions_, max_iter=args.iters, tol=0.0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                sk = (float("nan") if args.no_sklearn else
                      best_of(args.repeats, lambda: sklearn.mixture.GaussianMixture(args.k, **init).fit(X))[0])
                ad, ad_cpu = best_of(args.repeats, lambda: admix.GaussianMixture(args.k, **init).fit(X))
            prog, prog_cpu = (cli_seconds(binary, X, start, t, args.iters, args.repeats, Path(tmp))
                              if binary.exists() else (float("nan"), float("nan")))
            print(f"{t:>10} {sk:>10.3f} {ad:>10.3f} {prog:>10.3f} {sk / ad:>14.2f} {ad / prog:>14.3f} "
                  f"{ad_cpu:>12.3f} {prog_cpu:>14.3f} {ad_cpu / prog_cpu:>10.3f}")


if __name__ == "__main__":
    main()
