"""C-ordered float64 input reaches the core without a copy; other input is
converted once (numpy's allocations are visible to tracemalloc)."""

import tracemalloc

import numpy as np
import pytest

import admix


def _peak_bytes(f):
    tracemalloc.start()
    try:
        f()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_c_order_float64_is_not_copied_float32_and_fortran_are_converted_once():
    X = np.random.RandomState(0).randn(100_000, 16)
    g = admix.GaussianMixture(2, random_state=0, max_iter=2, tol=0.0).fit(X[:1000])
    assert _peak_bytes(lambda: g.score_samples(X)) < X.nbytes / 4
    assert _peak_bytes(lambda: g.fit(X)) < X.nbytes / 4
    for other in (X.astype(np.float32), np.asfortranarray(X)):
        peak = _peak_bytes(lambda: g.score_samples(other))
        assert X.nbytes <= peak < 2.5 * X.nbytes
