#!/usr/bin/env bash
# The EM and K-means comparison with scikit-learn in one run (issue 18's table):
# the peak bench (EM and Lloyd iterations against the same-run GEMM peak, then
# scikit-learn's Lloyd through scripts/bench_sklearn_kmeans.py), then
# scikit-learn's EM iterations (scripts/bench_sklearn.py), back to back on the
# same machine and threads.
#
# Usage: scripts/bench_table.sh PYTHON   (a Python with scikit-learn and threadpoolctl)
set -euo pipefail
python=${1:?usage: scripts/bench_table.sh PYTHON (with scikit-learn and threadpoolctl)}
threads=${ADMIX_BENCH_THREADS:-2}
cd "$(dirname "$0")/.."
ADMIX_BENCH_THREADS=$threads ADMIX_BENCH_PYTHON=$python cargo bench -p admix-mixture --bench peak
OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads "$python" scripts/bench_sklearn.py 3
