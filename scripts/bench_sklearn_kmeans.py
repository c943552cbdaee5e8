"""Seconds per Lloyd iteration of scikit-learn's KMeans, to compare with
`cargo bench -p admix-mixture --bench kmeans`.

Same recipe as the Rust bench (n rows around k uniform means in [-0.25, 0.25]^d (overlapping, so Lloyd runs many iterations),
unit standard deviation, float64, given initial centres = rows 0, 7, 14...),
from numpy's generator rather than ChaCha8, so the numbers are not equal
but the work per iteration is the same.

Run: pip install scikit-learn threadpoolctl
     python3 scripts/bench_sklearn_kmeans.py [threads]
Per-iteration time is (t(long) - t(short)) / (difference in iterations),
which removes the fixed cost of a fit (checks, copies, the final E-step).
First it prints the DGEMM and SGEMM peak of numpy's BLAS (OpenBLAS in
numpy's wheels) on the same threads: the peer reference beside the peak
bench's own, whose GEMM is the one the kernels call.
"""

import sys
import time

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_info, threadpool_limits


def blobs(n, d, k, seed=1):
    rng = np.random.default_rng(seed)
    means = rng.uniform(-0.25, 0.25, size=(k, d))
    return means[np.arange(n) % k] + rng.standard_normal((n, d))


def fit_seconds(x, start, iters, repeats=5):
    """Best wall time and best process CPU time (all threads) of a fit."""
    wall, cpu = np.inf, np.inf
    for _ in range(repeats):
        km = KMeans(len(start), init=start, n_init=1, max_iter=iters, tol=0.0,
                    algorithm="lloyd")
        t, c = time.perf_counter(), time.process_time()
        km.fit(x)
        wall = min(wall, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
        assert km.n_iter_ == iters, f"stopped after {km.n_iter_} iterations"
    return np.array([wall, cpu])


def blas_peak(dtype, side=2048, repeats=5):
    """GFLOP/s of numpy's matrix product on two square matrices (best of repeats)."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((side, side)).astype(dtype) for _ in range(2))
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * side**3 / best / 1e9


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    with threadpool_limits(threads):
        blas = ", ".join(f"{i['internal_api']} {i.get('version')}" for i in threadpool_info()
                         if i["user_api"] == "blas" and "numpy" in i["filepath"])
        peaks = {"DGEMM": blas_peak(np.float64), "SGEMM": blas_peak(np.float32)}
        print(f"numpy's BLAS ({blas}) on {threads} threads, one 2048^3 product: "
              + ", ".join(f"{name} {g:.2f} GFLOP/s" for name, g in peaks.items()))
        for n, d, k in [(200_000, 16, 16), (50_000, 64, 8)]:
            x = blobs(n, d, k)
            start = x[np.arange(k) * 7].copy()
            short, long = 5, 25
            wall, cpu = (fit_seconds(x, start, long) - fit_seconds(x, start, short)) / (long - short)
            print(f"sklearn lloyd n={n} d={d} k={k} threads={threads}: "
                  f"{wall:.5f} s/iter wall ({wall * 1e9 / (n * k):.3f} ns per point x centre), "
                  f"{cpu:.5f} s/iter CPU over all threads")


if __name__ == "__main__":
    main()
