"""C-ordered float64 and float32 input reaches the core without a copy; other
input is converted once (numpy's allocations are visible to tracemalloc)."""

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
def test_c_order_float64_and_float32_are_not_copied_fortran_is_converted_once():
    X = np.random.RandomState(0).randn(100_000, 16)
    X32 = X.astype(np.float32)
    g = admix.GaussianMixture(2, random_state=0, max_iter=2, tol=0.0).fit(X[:1000])
    for rows in (X, X32):
        assert _peak_bytes(lambda: g.score_samples(rows)) < rows.nbytes / 4
        assert _peak_bytes(lambda: g.fit(rows)) < rows.nbytes / 4
        k = admix.KMeans(2, random_state=0, max_iter=2, n_init=1)
        assert _peak_bytes(lambda: k.fit(rows)) < rows.nbytes / 4
    peak = _peak_bytes(lambda: g.score_samples(np.asfortranarray(X)))
    assert X.nbytes <= peak < 2.5 * X.nbytes


def test_float32_fits_agree_with_the_float64_fit_of_the_same_values():
    X = np.random.RandomState(1).randn(3000, 3) + np.repeat(np.eye(3) * 6, 1000, axis=0)
    X32 = X.astype(np.float32)
    X64 = X32.astype(np.float64)
    kw = dict(n_components=3, random_state=0, tol=1e-8, max_iter=200)
    a = admix.GaussianMixture(**kw).fit(X32)
    b = admix.GaussianMixture(**kw).fit(X64)
    assert np.allclose(a.weights_, b.weights_, atol=1e-4)
    assert np.allclose(a.means_, b.means_, atol=1e-4)
    assert np.allclose(a.covariances_, b.covariances_, atol=1e-3)
    assert np.array_equal(a.predict(X32), b.predict(X64))
