"""`admix.GaussianMixture`: scikit-learn's GaussianMixture interface on the
admix core (EM, or a gradient method through reverse-mode AD)."""

import warnings

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import _admix
from ._common import as_f64, as_rows, check_choice, check_float, check_int, seed_from

_COVARIANCE_TYPES = {"full", "tied", "diag", "spherical"}
_INITS = {"kmeans", "k-means++", "random", "random_from_data"}
_METHODS = {"em", "lbfgs", "adam", "gd"}


class GaussianMixture(DensityMixin, BaseEstimator):
    """Gaussian mixture fitted by EM (or a gradient method), with the
    constructor, fitted attributes and methods of
    :class:`sklearn.mixture.GaussianMixture`.

    The scikit-learn parameters mean what they mean there. ``verbose`` and
    ``verbose_interval`` are accepted and ignored. From the same initial
    parameters (``weights_init``, ``means_init``, ``precisions_init``) EM
    gives scikit-learn's fitted parameters to rounding.

    Extra parameters (admix):

    params : str, default="wmc"
        Which parameters the M-step updates: a non-empty subset of "wmc"
        (weights, means, covariances); the others keep their initial values.
    method : {"em", "lbfgs", "adam", "gd"}, default="em"
        EM, or maximum likelihood by L-BFGS, Adam or gradient descent with
        gradients from reverse-mode AD (``max_iter`` then counts optimiser
        iterations; ``sample_weight`` needs "em").
    n_threads : int or None, default=None
        Threads for fitting, prediction and scoring; None uses all cores.
        The fitted model does not depend on it.
    batch_size : int or None, default=None
        With "em": rows accumulated per block (default 4096; any value gives
        the same model up to rounding). With "adam" or "gd": mini-batch rows
        for stochastic gradients (None: full batch).

    C-ordered float64 and float32 arrays reach the core without a copy (float32
    data are computed in float32 with sums in float64: the fit agrees with the
    float64 fit of the same values to about 1e-4 in weights and means); other
    input is converted once. The fitted attributes have the input's float dtype.
    """

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        random_state=None,
        warm_start=False,
        verbose=0,
        verbose_interval=10,
        params="wmc",
        method="em",
        n_threads=None,
        batch_size=None,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.params = params
        self.method = method
        self.n_threads = n_threads
        self.batch_size = batch_size

    # ----------------------------------------------------------------- fitting

    def fit(self, X, y=None, sample_weight=None):
        """Fit the mixture to the rows of X (optionally weighted); returns self."""
        self._fit(X, sample_weight)
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit, then return the component of highest responsibility of each row."""
        Xf = self._fit(X, sample_weight)
        return self._model.predict(Xf, self.n_threads)

    def _fit(self, X, sample_weight):
        """Fits and returns the data as the core saw it."""
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2)
        n, d = X.shape
        self._check_parameters()
        if n < self.n_components:
            raise ValueError(
                "Expected n_samples >= n_components "
                f"but got n_components = {self.n_components}, n_samples = {n}"
            )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
            sample_weight = as_f64(sample_weight)
        Xf = as_rows(X)
        warm = (self.warm_start and hasattr(self, "_model") and self._model.covariance_type == self.covariance_type
                and len(self.weights_) == self.n_components)
        if warm and self.method == "em" and sorted(self.params) == sorted("wmc"):
            # Continue the previous fit, its last lower bound included.
            model, bounds, converged = _admix.gmm_continue(
                self._model, Xf, sample_weight, self.max_iter, float(self.tol), float(self.reg_covar),
                self.lower_bound_, self.n_threads,
            )
        else:
            if warm:
                m = self._model
                weights, means, covariances, n_init = m.weights, m.means, m.covariances, 1
            else:
                weights, means, covariances = self._initial_parameters(d)
                n_init = self.n_init
            model = _admix.gmm_fit(
                Xf,
                sample_weight,
                self.n_components,
                self.covariance_type,
                float(self.tol),
                float(self.reg_covar),
                self.max_iter,
                n_init,
                self.init_params,
                weights,
                means,
                covariances,
                seed_from(self.random_state),
                self.params,
                self.method,
                self.batch_size,
                self.n_threads,
            )
            bounds, converged = model.lower_bounds, model.converged
        if not converged and self.max_iter > 0:
            warnings.warn(
                "Best performing initialization did not converge. Try different init "
                "parameters, or increase max_iter, tol, or check for degenerate data.",
                ConvergenceWarning,
            )
        self._set_model(model, X.dtype, bounds, converged)
        return Xf

    def _check_parameters(self):
        check_int("n_components", self.n_components, 1)
        check_choice("covariance_type", self.covariance_type, _COVARIANCE_TYPES)
        check_float("tol", self.tol, 0.0)
        check_float("reg_covar", self.reg_covar, 0.0)
        check_int("max_iter", self.max_iter, 0)
        check_int("n_init", self.n_init, 1)
        check_choice("init_params", self.init_params, _INITS)
        check_choice("method", self.method, _METHODS)
        check_int("n_threads", self.n_threads, 1, allow_none=True)
        check_int("batch_size", self.batch_size, 1, allow_none=True)
        if not isinstance(self.params, str):
            raise ValueError(f"The 'params' parameter must be a string such as 'wmc'. Got {self.params!r} instead.")

    def _initial_parameters(self, d):
        """The given starting parameters as float64, checked with scikit-learn's
        messages; precisions become covariances (the core's parameter)."""
        k = self.n_components
        weights = means = covariances = None
        if self.weights_init is not None:
            weights = as_f64(self.weights_init)
            if weights.shape != (k,):
                raise ValueError(f"The parameter 'weights' should have the shape of ({k},), but got {weights.shape}")
            if np.any(weights < 0) or np.any(weights > 1):
                raise ValueError(
                    "The parameter 'weights' should be in the range [0, 1], but got "
                    f"max value {np.max(weights):.5f}, min value {np.min(weights):.5f}"
                )
            if not np.allclose(np.abs(1.0 - np.sum(weights)), 0.0, atol=1e-6):
                raise ValueError(
                    f"The parameter 'weights' should be normalized, but got sum(weights) = {np.sum(weights):.5f}"
                )
        if self.means_init is not None:
            means = as_f64(self.means_init)
            if means.shape != (k, d):
                raise ValueError(f"The parameter 'means' should have the shape of {(k, d)}, but got {means.shape}")
        if self.precisions_init is not None:
            covariances = _covariances_from_precisions(as_f64(self.precisions_init), self.covariance_type, k, d)
        return weights, means, covariances

    def _set_model(self, model, dtype, lower_bounds, converged):
        self._model = model
        self._dtype = dtype
        self.weights_ = model.weights.astype(dtype, copy=False)
        self.means_ = model.means.astype(dtype, copy=False)
        self.covariances_ = model.covariances.astype(dtype, copy=False)
        self.precisions_ = model.precisions.astype(dtype, copy=False)
        self.precisions_cholesky_ = model.precisions_cholesky.astype(dtype, copy=False)
        self.converged_ = bool(converged)
        self.n_iter_ = len(lower_bounds)
        self.lower_bounds_ = list(lower_bounds)
        self.lower_bound_ = self.lower_bounds_[-1] if self.lower_bounds_ else -np.inf

    # ------------------------------------------------------------- using it

    def _checked(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return as_rows(X)

    def predict(self, X):
        """Component of highest responsibility of each row."""
        X = self._checked(X)
        return self._model.predict(X, self.n_threads)

    def predict_proba(self, X):
        """Responsibilities (n_samples, n_components); rows sum to 1."""
        X = self._checked(X)
        return self._model.predict_proba(X, self.n_threads)

    def score_samples(self, X):
        """Log-density of each row under the mixture."""
        X = self._checked(X)
        return self._model.score_samples(X, self.n_threads)

    def score(self, X, y=None):
        """Mean log-likelihood per row."""
        return float(np.mean(self.score_samples(X)))

    def _n_parameters(self):
        return self._model.n_parameters

    def bic(self, X):
        """Bayesian information criterion (lower is better)."""
        n = np.asarray(X).shape[0]
        return -2 * self.score(X) * n + self._n_parameters() * np.log(n)

    def aic(self, X):
        """Akaike information criterion (lower is better)."""
        n = np.asarray(X).shape[0]
        return -2 * self.score(X) * n + 2 * self._n_parameters()

    def sample(self, n_samples=1):
        """`n_samples` draws and their components, grouped by component as in scikit-learn."""
        check_is_fitted(self)
        if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
            raise ValueError(
                f"Invalid value for 'n_samples': {n_samples} . The sampling requires at least one sample."
            )
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        X, y = self._model.sample(int(n_samples), seed)
        order = np.argsort(y, kind="stable")
        return X[order].astype(self._dtype, copy=False), y[order]

    # ------------------------------------------------------------ pickling

    def __getstate__(self):
        state = super().__getstate__()
        if "_model" in state:
            state = dict(state, _model=state["_model"].to_json())
        return state

    def __setstate__(self, state):
        if isinstance(state.get("_model"), str):
            state = dict(state, _model=_admix.gmm_from_json(state["_model"]))
        super().__setstate__(state)


def _covariances_from_precisions(p, covariance_type, k, d):
    """Covariances from precisions in scikit-learn's shapes, after its checks."""
    shapes = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}
    if p.shape != shapes[covariance_type]:
        raise ValueError(
            f"The parameter '{covariance_type} precision' should have the shape of "
            f"{shapes[covariance_type]}, but got {p.shape}"
        )
    message = f"'{covariance_type} precision' should be symmetric, positive-definite"
    if covariance_type in ("diag", "spherical"):
        if np.any(p <= 0.0):
            raise ValueError(f"'{covariance_type} precision' should be positive")
        return 1.0 / p
    matrices = p.reshape(-1, d, d)
    for m in matrices:
        if not np.allclose(m, m.T) or np.any(np.linalg.eigvalsh(m) <= 0.0):
            raise ValueError(message)
    return as_f64(np.linalg.inv(matrices).reshape(p.shape))


def load_model(path):
    """A fitted :class:`GaussianMixture` from a model file of ``admix fit --out``."""
    with open(path, encoding="utf-8") as f:
        model = _admix.gmm_from_json(f.read())
    est = GaussianMixture(n_components=len(model.weights), covariance_type=model.covariance_type)
    est.n_features_in_ = model.means.shape[1]
    est._set_model(model, np.dtype(np.float64), model.lower_bounds, model.converged)
    return est
