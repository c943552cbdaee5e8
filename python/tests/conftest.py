"""Shared data: the shipped real data sets and a seeded mixture generator."""

import numpy as np
import pytest

import admix


@pytest.fixture(scope="session")
def faithful():
    return admix.load_faithful()


@pytest.fixture(scope="session")
def iris():
    return admix.load_iris()


def mixture_data(seed=0, n_samples=400, n_components=3, n_features=3, scale=8.0):
    """Rows drawn from a random mixture with well separated means; returns X
    and the true component of each row."""
    rng = np.random.RandomState(seed)
    weights = rng.dirichlet(np.full(n_components, 5.0))
    counts = np.maximum(rng.multinomial(n_samples, weights), 2)
    X, y = [], []
    for j, c in enumerate(counts):
        a = rng.randn(n_features, n_features)
        cov = a @ a.T / n_features + 0.3 * np.eye(n_features)
        X.append(rng.multivariate_normal(rng.rand(n_features) * scale * n_components, cov, c))
        y.append(np.full(c, j))
    return np.vstack(X), np.concatenate(y)
