"""From the same initial parameters, admix's EM gives scikit-learn's fitted
parameters to 1e-7 relative (scikit-learn's GaussianMixture is the
independent reference; its version is printed by `pip show scikit-learn`)."""

import numpy as np
import pytest
import sklearn.cluster
import sklearn.mixture
from conftest import mixture_data
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

import admix

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


def _data(name, faithful, iris):
    return {"faithful": faithful, "iris": iris, "generated": mixture_data(seed=3)[0]}[name]


# scikit-learn records the lower bound of every iteration (`lower_bounds_`)
# from 1.7 on; 1.6 (the newest for Python 3.9) keeps only the last.
SKLEARN_RECORDS_LOWER_BOUNDS = tuple(int(p) for p in sklearn.__version__.split(".")[:2]) >= (1, 7)


def _fits_from_sklearns_start(name, k, covariance_type, faithful, iris):
    """The data, admix's fit and scikit-learn's, both 40 EM iterations from
    scikit-learn's own initialisation (read off with max_iter=0)."""
    X = _data(name, faithful, iris)
    start = sklearn.mixture.GaussianMixture(k, covariance_type=covariance_type, max_iter=0, random_state=0).fit(X)
    init = dict(
        weights_init=start.weights_,
        means_init=start.means_,
        precisions_init=start.precisions_,
        covariance_type=covariance_type,
        max_iter=40,
        tol=0.0,
    )
    with pytest.warns(ConvergenceWarning):
        ref = sklearn.mixture.GaussianMixture(k, **init).fit(X)
    with pytest.warns(ConvergenceWarning):
        ours = admix.GaussianMixture(k, **init).fit(X)
    return X, ours, ref


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("name,k", [("faithful", 2), ("iris", 3), ("generated", 3)])
def test_same_fit_from_same_start(name, k, covariance_type, faithful, iris):
    X, ours, ref = _fits_from_sklearns_start(name, k, covariance_type, faithful, iris)
    for attr in ["weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"]:
        assert_allclose(getattr(ours, attr), getattr(ref, attr), rtol=1e-7, atol=1e-12, err_msg=attr)
    assert ours.n_iter_ == ref.n_iter_ == 40
    assert_allclose(ours.lower_bound_, ref.lower_bound_, rtol=1e-10)
    assert_allclose(ours.score_samples(X), ref.score_samples(X), rtol=1e-7)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=1e-6, atol=1e-10)
    assert_allclose(ours.bic(X), ref.bic(X), rtol=1e-9)
    assert_allclose(ours.aic(X), ref.aic(X), rtol=1e-9)


@pytest.mark.skipif(not SKLEARN_RECORDS_LOWER_BOUNDS, reason="scikit-learn < 1.7 has no lower_bounds_")
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("name,k", [("faithful", 2), ("iris", 3), ("generated", 3)])
def test_same_lower_bound_at_every_iteration(name, k, covariance_type, faithful, iris):
    _, ours, ref = _fits_from_sklearns_start(name, k, covariance_type, faithful, iris)
    assert_allclose(ours.lower_bounds_, ref.lower_bounds_, rtol=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_converges_where_sklearn_does(covariance_type, faithful):
    start = sklearn.mixture.GaussianMixture(2, covariance_type=covariance_type, max_iter=0, random_state=1).fit(faithful)
    init = dict(weights_init=start.weights_, means_init=start.means_, precisions_init=start.precisions_,
                covariance_type=covariance_type)
    ref = sklearn.mixture.GaussianMixture(2, **init).fit(faithful)
    ours = admix.GaussianMixture(2, **init).fit(faithful)
    assert ours.converged_ and ref.converged_
    assert ours.n_iter_ == ref.n_iter_
    assert_allclose(ours.means_, ref.means_, rtol=1e-7)


@pytest.mark.parametrize("name,k", [("faithful", 2), ("iris", 3), ("generated", 3)])
def test_kmeans_same_centres_from_same_start(name, k, faithful, iris):
    X = _data(name, faithful, iris)
    centres = X[np.linspace(0, len(X) - 1, k).astype(int)]
    ref = sklearn.cluster.KMeans(k, init=centres, n_init=1, tol=0.0).fit(X)
    ours = admix.KMeans(k, init=centres, n_init=1, tol=0.0).fit(X)
    assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-10)
    assert_allclose(ours.inertia_, ref.inertia_, rtol=1e-10)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert_allclose(ours.transform(X), ref.transform(X), rtol=1e-9, atol=1e-12)
    assert_allclose(ours.score(X), ref.score(X), rtol=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_given_start_is_sklearns_start(covariance_type, iris):
    rng = np.random.RandomState(0)
    d = iris.shape[1]
    precisions = {
        "full": np.array([np.eye(d) * (1 + j) + 0.1 for j in range(3)]),
        "tied": np.eye(d) * 2 + 0.1,
        "diag": rng.rand(3, d) + 0.5,
        "spherical": rng.rand(3) + 0.5,
    }[covariance_type]
    init = dict(weights_init=[0.2, 0.3, 0.5], means_init=iris[[0, 60, 120]], precisions_init=precisions,
                covariance_type=covariance_type, max_iter=1, tol=0.0)
    # One iteration: its lower bound is the log-likelihood of the given start
    # (scikit-learn 1.9 fails with all three given and max_iter=0).
    with pytest.warns(ConvergenceWarning):
        ref = sklearn.mixture.GaussianMixture(3, **init).fit(iris)
    with pytest.warns(ConvergenceWarning):
        ours = admix.GaussianMixture(3, **init).fit(iris)
    # With one iteration the (last) lower bound is the only one.
    assert len(ours.lower_bounds_) == 1
    assert_allclose(ours.lower_bound_, ref.lower_bound_, rtol=1e-13)
    for attr in ["weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"]:
        assert_allclose(getattr(ours, attr), getattr(ref, attr), rtol=1e-10, atol=1e-14, err_msg=attr)
