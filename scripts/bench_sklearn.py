#!/usr/bin/env python3
"""Seconds per EM iteration of scikit-learn's GaussianMixture, for comparison
with `cargo bench -p admix-mixture --bench em` (same sizes, same recipe for the
data and the starting parameters: k unit-variance blobs with centres uniform in
[-5, 5]^d, n/k points each, started from the centres moved by 0.5, identity
covariances, equal weights; float64).

Setup (once):  pip install scikit-learn
Run:           python3 scripts/bench_sklearn.py [repeats]
Threads:       numpy's BLAS uses every core by default; set OMP_NUM_THREADS=2
               (or 1) to pin it.

Times are the best of the repeats, wall clock and CPU (summed over threads:
on a shared machine the CPU time is the steadier figure). Two figures per case: one E-step plus M-step timed directly (what the Rust
bench measures), and a 20-iteration fit with tol=0 from the given parameters
divided by 20 (includes scikit-learn's own initialisation and final E-step).
"""
import sys
import time
import warnings

import numpy as np
from sklearn.mixture import GaussianMixture

CASES = [(200_000, 16, 16), (50_000, 64, 8)]


def problem(n, d, k, seed=42):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-5.0, 5.0, size=(k, d))
    x = centres[np.arange(n) % k] + rng.standard_normal((n, d))
    return x, centres + 0.5


def start(ctype, k, d, means):
    weights = np.full(k, 1.0 / k)
    precisions = np.stack([np.eye(d)] * k) if ctype == "full" else np.ones((k, d))
    return GaussianMixture(
        n_components=k,
        covariance_type=ctype,
        weights_init=weights,
        means_init=means,
        precisions_init=precisions,
        init_params="random_from_data",
        tol=0.0,
        max_iter=20,
        reg_covar=1e-6,
    )


def best_of(repeats, f):
    """Smallest wall time and smallest CPU time (all threads) of `repeats` calls."""
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        f()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    warnings.simplefilter("ignore")  # non-convergence warnings of tol=0 fits
    for n, d, k in CASES:
        x, means = problem(n, d, k)
        for ctype in ["full", "diag"]:
            gm = start(ctype, k, d, means)
            gm.max_iter = 1
            gm.fit(x)  # sets every attribute; then time single iterations

            def one_iteration():
                _, log_resp = gm._e_step(x)
                gm._m_step(x, log_resp)

            it_min, it_cpu = best_of(repeats, one_iteration)
            fit = start(ctype, k, d, means)
            fit_min, _ = best_of(max(1, repeats // 3), lambda: fit.fit(x))
            print(
                f"sklearn {ctype:4s} n={n} d={d} k={k}: one iteration {it_min:.4f} s "
                f"(CPU {it_cpu:.4f} s); fit of 20 / 20 = {fit_min / 20:.4f} s"
            )


if __name__ == "__main__":
    main()
