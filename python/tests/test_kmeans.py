"""admix.KMeans against scikit-learn's KMeans and closed forms."""

import pickle

import numpy as np
import pytest
import sklearn.cluster
from conftest import mixture_data
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score

import admix


def test_recovers_blobs_and_fitted_attributes():
    X, y = mixture_data(seed=20, n_samples=500)
    km = admix.KMeans(3, random_state=0).fit(X)
    assert km.cluster_centers_.shape == (3, 3)
    assert adjusted_rand_score(y, km.labels_) > 0.95
    assert_array_equal(km.labels_, km.predict(X))
    # inertia by hand
    d2 = ((X[:, None, :] - km.cluster_centers_[None]) ** 2).sum(axis=2)
    assert_allclose(km.inertia_, d2.min(axis=1).sum(), rtol=1e-10)
    assert_allclose(km.transform(X), np.sqrt(d2), rtol=1e-8, atol=1e-10)
    assert_allclose(km.score(X), -d2.min(axis=1).sum(), rtol=1e-10)
    assert km.n_iter_ >= 1 and km.n_features_in_ == 3
    ref = sklearn.cluster.KMeans(3, random_state=0, n_init=10).fit(X)
    assert km.inertia_ <= ref.inertia_ * (1 + 1e-6)


def test_sample_weight_equals_repeated_rows_from_given_centres():
    X = mixture_data(seed=21)[0]
    w = np.random.RandomState(1).randint(0, 3, size=len(X))
    c = X[[0, 150, 300]]
    a = admix.KMeans(3, init=c, tol=0.0).fit(X, sample_weight=w.astype(float))
    b = admix.KMeans(3, init=c, tol=0.0).fit(np.repeat(X, w, axis=0))
    assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-10)
    assert_allclose(a.inertia_, b.inertia_, rtol=1e-10)
    assert_allclose(a.score(X, sample_weight=w), -a.inertia_, rtol=1e-9)


def test_errors_are_value_errors():
    X = mixture_data()[0]
    with pytest.raises(NotFittedError):
        admix.KMeans(2).predict(X)
    with pytest.raises(ValueError, match="should be >= n_clusters"):
        admix.KMeans(5).fit(X[:3])
    with pytest.raises(ValueError, match="does not match"):
        admix.KMeans(3, init=np.zeros((2, 3))).fit(X)
    with pytest.raises(ValueError, match="init"):
        admix.KMeans(3, init="bad").fit(X)
    with pytest.raises(ValueError):
        admix.KMeans(3).fit(np.array([[np.inf, 0.0]] * 4))


def first_rows(X, k, random_state):
    return X[:k]


def test_callable_init_minibatch_and_pickle():
    X = mixture_data(seed=22, n_samples=2000)[0]
    km = admix.KMeans(3, init=first_rows, random_state=0).fit(X)
    mb = admix.KMeans(3, batch_size=256, random_state=0, max_iter=100).fit(X)
    assert adjusted_rand_score(km.labels_, mb.labels_) > 0.95
    again = pickle.loads(pickle.dumps(km))
    assert_array_equal(again.predict(X), km.predict(X))
