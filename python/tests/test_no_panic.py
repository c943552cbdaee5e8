"""Odd data and odd parameters end in a result or a ValueError, never in a
Rust panic (pyo3's PanicException derives from BaseException, so a panic
escapes `pytest.raises(ValueError)` and fails these tests)."""

import warnings

import numpy as np
import pytest

import admix

rng = np.random.RandomState(0)
DATA = {
    "huge": np.full((10, 2), 1e300) * np.arange(10)[:, None],
    "tiny": rng.randn(10, 2) * 1e-300,
    "constant": np.ones((10, 2)),
    "one column": rng.randn(10, 1),
    "wider than long": rng.randn(5, 50),
}


@pytest.mark.parametrize("name", DATA)
@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_odd_data(name, covariance_type):
    X = DATA[name]
    for estimator in (admix.GaussianMixture(3, covariance_type=covariance_type, random_state=0),
                      admix.KMeans(3, random_state=0), admix.KMeans(3, batch_size=2, random_state=0)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                estimator.fit(X)
        except ValueError:
            continue
        estimator.predict(X)
        estimator.score(X)


X = rng.randn(30, 2)


@pytest.mark.parametrize("estimator,kwargs", [
    (admix.GaussianMixture(2, means_init=np.zeros((2, 3))), {}),
    (admix.GaussianMixture(2, means_init=[[0.0, np.nan], [1.0, 1.0]]), {}),
    (admix.GaussianMixture(2, covariance_type="diag", precisions_init=np.full((2, 2), np.inf)), {}),
    (admix.GaussianMixture(2, covariance_type="tied", precisions_init=np.ones((2, 2))), {}),
    (admix.GaussianMixture(2), {"sample_weight": -np.ones(30)}),
    (admix.GaussianMixture(2), {"sample_weight": np.zeros(30)}),
    (admix.GaussianMixture(2, method="lbfgs"), {"sample_weight": np.ones(30)}),
    (admix.GaussianMixture(2, method="lbfgs", batch_size=5), {}),
    (admix.GaussianMixture(2, params=""), {}),
    (admix.GaussianMixture(2, params="wmcw"), {}),
    (admix.KMeans(2, init=[[0.0, np.inf], [1.0, 1.0]]), {}),
    (admix.KMeans(2), {"sample_weight": np.full(30, np.nan)}),
    (admix.KMeans(2), {"sample_weight": np.zeros(30)}),
])
def test_odd_parameters(estimator, kwargs):
    with pytest.raises(ValueError):
        estimator.fit(X, **kwargs)
