"""`admix.KMeans`: scikit-learn's KMeans interface on the admix core."""

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import _admix
from ._common import as_f64, as_rows, check_choice, check_float, check_int, seed_from


class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """K-means with the constructor, fitted attributes and methods of
    :class:`sklearn.cluster.KMeans`.

    Differences in meaning: ``tol`` is relative to the inertia (Lloyd stops
    when an iteration lowers the inertia by at most ``tol`` times its
    previous value, or changes no label), where scikit-learn compares the
    centre shift with the data's variance; "elkan" runs Lloyd (same result).
    ``verbose`` and ``copy_x`` are accepted and ignored (the data is never
    modified).

    Extra parameters (admix):

    n_threads : int or None, default=None
        Threads for fitting and prediction; None uses all cores. The model
        does not depend on it.
    batch_size : int or None, default=None
        Mini-batch K-means with this many rows per step (one step per
        iteration); None runs full-batch Lloyd.
    """

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init="auto",
        max_iter=300,
        tol=1e-4,
        verbose=0,
        random_state=None,
        copy_x=True,
        algorithm="lloyd",
        n_threads=None,
        batch_size=None,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm
        self.n_threads = n_threads
        self.batch_size = batch_size

    def fit(self, X, y=None, sample_weight=None):
        """Fit the centres to the rows of X (optionally weighted); returns self."""
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        n, d = X.shape
        check_int("n_clusters", self.n_clusters, 1)
        check_int("max_iter", self.max_iter, 1)
        check_float("tol", self.tol, 0.0)
        check_choice("algorithm", self.algorithm, {"lloyd", "elkan"})
        check_int("n_threads", self.n_threads, 1, allow_none=True)
        check_int("batch_size", self.batch_size, 1, allow_none=True)
        if self.n_init != "auto":
            check_int("n_init", self.n_init, 1)
        if n < self.n_clusters:
            raise ValueError(f"n_samples={n} should be >= n_clusters={self.n_clusters}.")
        if sample_weight is not None:
            sample_weight = as_f64(_check_sample_weight(sample_weight, X, dtype=np.float64))
        Xf = as_rows(X)
        seed = seed_from(self.random_state)
        centres = self._initial_centres(Xf, seed)
        given = centres is not None
        if given and self.n_init not in ("auto", 1):
            warnings.warn(
                f"Explicit initial center position passed: performing only one init in {type(self).__name__} "
                f"instead of n_init={self.n_init}.",
                RuntimeWarning,
            )
        if self.n_init == "auto":
            n_init = 10 if isinstance(self.init, str) and self.init == "random" else 1
        else:
            n_init = self.n_init
        init = "k-means++" if given else self.init
        centres, inertia, n_iter, converged = _admix.kmeans_fit(
            Xf, sample_weight, self.n_clusters, init, centres, n_init, self.max_iter, float(self.tol),
            seed, self.batch_size, self.n_threads,
        )
        self._dtype = X.dtype
        self.cluster_centers_ = centres.astype(X.dtype, copy=False)
        self._centres = centres
        self.inertia_ = float(inertia)
        self.n_iter_ = int(n_iter)
        self.labels_ = _admix.kmeans_predict(centres, Xf, self.n_threads)
        self._n_features_out = self.n_clusters
        distinct = len(np.unique(self.labels_))
        if distinct < self.n_clusters:
            warnings.warn(
                f"Number of distinct clusters ({distinct}) found smaller than n_clusters "
                f"({self.n_clusters}). Possibly due to duplicate points in X.",
                ConvergenceWarning,
            )
        return self

    def _initial_centres(self, X, seed):
        """Given centres (an array, or what a callable returns), checked; None otherwise."""
        init = self.init
        if isinstance(init, str):
            check_choice("init", init, {"k-means++", "random"})
            return None
        if callable(init):
            init = init(X, self.n_clusters, random_state=check_random_state(seed))
        centres = as_f64(init)
        if centres.ndim != 2 or centres.shape[0] != self.n_clusters:
            raise ValueError(
                f"The shape of the initial centers {centres.shape} does not match "
                f"the number of clusters {self.n_clusters}."
            )
        if centres.shape[1] != X.shape[1]:
            raise ValueError(
                f"The shape of the initial centers {centres.shape} does not match "
                f"the number of features of the data {X.shape[1]}."
            )
        return centres

    def _checked(self, X):
        check_is_fitted(self)
        return as_rows(validate_data(self, X, reset=False, dtype=[np.float64, np.float32]))

    def predict(self, X):
        """Index of the nearest centre of each row."""
        X = self._checked(X)
        return _admix.kmeans_predict(self._centres, X, self.n_threads)

    def transform(self, X):
        """Euclidean distance of each row to each centre (n_samples, n_clusters)."""
        X = self._checked(X)
        d = _admix.kmeans_transform(self._centres, X, self.n_threads)
        return d.astype(self._dtype, copy=False)

    def fit_transform(self, X, y=None, sample_weight=None):
        """Fit, then transform X."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit, then return the labels of X."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the (weighted) inertia of X."""
        Xf = self._checked(X)
        if sample_weight is None:
            return -_admix.kmeans_inertia(self._centres, Xf, self.n_threads)
        w = _check_sample_weight(sample_weight, Xf, dtype=np.float64)
        d = _admix.kmeans_transform(self._centres, Xf, self.n_threads)
        return -float(np.sum(w * np.min(d, axis=1) ** 2))
