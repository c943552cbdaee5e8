"""Public behaviour that scikit-learn's own GaussianMixture tests
(sklearn/mixture/tests/test_gaussian_mixture.py) expect of its class, asked
of admix.GaussianMixture. Written anew; reference values are closed forms,
the generating parameters, or scikit-learn's class."""

import pickle
import re
import warnings

import numpy as np
import pytest
import sklearn.mixture
from conftest import mixture_data
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import adjusted_rand_score

import admix

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


def test_attributes_and_bad_parameters():
    X = mixture_data()[0]
    for name, value in [
        ("n_components", 0),
        ("tol", -1.0),
        ("reg_covar", -1.0),
        ("max_iter", -1),
        ("n_init", 0),
        ("covariance_type", "bad"),
        ("init_params", "bad"),
        ("method", "newton"),
    ]:
        with pytest.raises(ValueError, match=name):
            admix.GaussianMixture(**{name: value}).fit(X)
    g = admix.GaussianMixture(2, covariance_type="diag", tol=1e-4, reg_covar=1e-5, max_iter=50, n_init=2,
                              init_params="random", random_state=0).fit(X)
    assert (g.n_components, g.covariance_type, g.tol, g.max_iter, g.n_init) == (2, "diag", 1e-4, 50, 2)
    assert g.n_features_in_ == X.shape[1]


def test_check_weights():
    X = mixture_data()[0]
    for weights, message in [
        ([0.5], "should have the shape of"),
        ([0.5, 0.6, -0.1], r"should be in the range \[0, 1\]"),
        ([0.5, 0.6, 0.3], "should be normalized"),
    ]:
        with pytest.raises(ValueError, match=message):
            admix.GaussianMixture(3, weights_init=weights).fit(X)
    w = np.array([0.2, 0.3, 0.5])
    g = admix.GaussianMixture(3, weights_init=w, max_iter=0, random_state=0).fit(X)
    assert_allclose(g.weights_, w)


def test_check_means_and_precisions():
    X = mixture_data()[0]
    with pytest.raises(ValueError, match="'means' should have the shape"):
        admix.GaussianMixture(3, means_init=np.zeros((2, 3))).fit(X)
    not_pd = np.array([np.eye(3), np.eye(3), -np.eye(3)])
    with pytest.raises(ValueError, match="symmetric, positive-definite"):
        admix.GaussianMixture(3, precisions_init=not_pd).fit(X)
    with pytest.raises(ValueError, match="positive"):
        admix.GaussianMixture(3, covariance_type="diag", precisions_init=-np.ones((3, 3))).fit(X)
    with pytest.raises(ValueError, match="shape"):
        admix.GaussianMixture(3, covariance_type="spherical", precisions_init=np.ones(2)).fit(X)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_recovers_generating_labels(covariance_type):
    X, y = mixture_data(seed=1, n_samples=600)
    g = admix.GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    assert adjusted_rand_score(y, g.predict(X)) > 0.95
    assert adjusted_rand_score(y, g.fit_predict(X)) > 0.95
    assert_array_equal(g.predict(X), np.argmax(g.predict_proba(X), axis=1))
    assert_allclose(g.predict_proba(X).sum(axis=1), 1.0)


@pytest.mark.parametrize("max_iter,tol", [(1, 1e-1), (5, 1e-7), (30, 0.0)])
def test_fit_predict_equals_fit_then_predict(max_iter, tol):
    X = mixture_data(seed=2)[0]
    kwargs = dict(n_components=3, max_iter=max_iter, tol=tol, random_state=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = admix.GaussianMixture(**kwargs).fit_predict(X)
        b = admix.GaussianMixture(**kwargs).fit(X).predict(X)
    assert_array_equal(a, b)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_precisions_are_inverse_covariances(covariance_type):
    X = mixture_data(seed=4)[0]
    g = admix.GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    if covariance_type in ("diag", "spherical"):
        assert_allclose(g.covariances_ * g.precisions_, 1.0, rtol=1e-10)
        assert_allclose(g.precisions_cholesky_**2, g.precisions_, rtol=1e-10)
    else:
        c = g.covariances_.reshape(-1, 3, 3)
        p = g.precisions_.reshape(-1, 3, 3)
        u = g.precisions_cholesky_.reshape(-1, 3, 3)
        for cj, pj, uj in zip(c, p, u):
            assert_allclose(cj @ pj, np.eye(3), atol=1e-9)
            assert_allclose(uj @ uj.T, pj, rtol=1e-9)
            assert_allclose(np.tril(uj, -1), 0.0)


def test_convergence_warning():
    X = mixture_data()[0]
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        admix.GaussianMixture(3, max_iter=1, tol=1e-12, random_state=0).fit(X)


def test_more_inits_never_worse():
    X = mixture_data(seed=6, n_components=4)[0]
    one = admix.GaussianMixture(6, n_init=1, init_params="random", random_state=0, max_iter=20)
    many = admix.GaussianMixture(6, n_init=5, init_params="random", random_state=0, max_iter=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert many.fit(X).score(X) >= one.fit(X).score(X) - 1e-12


def test_n_parameters_bic_aic_closed_form():
    X = mixture_data()[0]
    n, d, k = X.shape[0], X.shape[1], 3
    expected = {"full": k * d * (d + 1) / 2, "tied": d * (d + 1) / 2, "diag": k * d, "spherical": k}
    for t, cov in expected.items():
        g = admix.GaussianMixture(k, covariance_type=t, random_state=0).fit(X)
        p = (k - 1) + k * d + cov
        assert g._n_parameters() == p
        log_lik = g.score(X) * n
        assert_allclose(g.bic(X), -2 * log_lik + p * np.log(n), rtol=1e-12)
        assert_allclose(g.aic(X), -2 * log_lik + 2 * p, rtol=1e-12)


def test_one_component_bic_is_gaussian_closed_form():
    rng = np.random.RandomState(0)
    X = rng.randn(500, 1) * 2.0 + 1.0
    g = admix.GaussianMixture(1, reg_covar=0.0).fit(X)
    var = X.var()
    log_lik = -0.5 * len(X) * (np.log(2 * np.pi * var) + 1)
    assert_allclose(g.bic(X), -2 * log_lik + 2 * np.log(len(X)), rtol=1e-10)
    assert_allclose(g.means_[0, 0], X.mean(), rtol=1e-12)


def test_warm_start_equals_longer_fit():
    rng = np.random.RandomState(0)
    X = rng.rand(500, 2)
    g = admix.GaussianMixture(2, max_iter=2, reg_covar=0, random_state=0)
    h = admix.GaussianMixture(2, max_iter=1, reg_covar=0, random_state=0, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        g.fit(X)
        s1 = h.fit(X).score(X)
        s2 = h.fit(X).score(X)
    assert_allclose(g.means_, h.means_, rtol=1e-10)
    assert_allclose(g.precisions_, h.precisions_, rtol=1e-10)
    assert s2 > s1


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_warm_start_one_iteration_at_a_time_is_monotone_and_converges(covariance_type):
    X = mixture_data(seed=7)[0]
    g = admix.GaussianMixture(3, covariance_type=covariance_type, reg_covar=0, warm_start=True,
                              max_iter=1, tol=1e-7, random_state=0)
    previous = -np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(600):
            current = g.fit(X).score(X)
            assert current >= previous - 1e-12
            previous = current
            if g.converged_:
                break
    assert g.converged_ and g.n_iter_ == 1


def test_score_and_score_samples():
    X = mixture_data()[0]
    g = admix.GaussianMixture(3, random_state=0)
    with pytest.raises(NotFittedError):
        g.score_samples(X)
    with pytest.raises(NotFittedError):
        g.predict(X)
    g.fit(X)
    s = g.score_samples(X)
    assert s.shape == (X.shape[0],)
    assert_allclose(g.score(X), s.mean())
    # Density by hand: sum_j w_j N(x | m_j, C_j).
    dens = np.zeros(len(X))
    for w, m, c in zip(g.weights_, g.means_, g.covariances_):
        diff = X - m
        q = np.einsum("ij,jk,ik->i", diff, np.linalg.inv(c), diff)
        dens += w * np.exp(-0.5 * q) / np.sqrt(np.linalg.det(2 * np.pi * c))
    assert_allclose(s, np.log(dens), rtol=1e-10)


def test_regularisation_and_ill_defined_covariance():
    X = np.vstack((np.ones((5, 5)), np.zeros((5, 5))))
    message = re.escape("Fitting the mixture model failed because some components have ill-defined empirical covariance")
    for t in COVARIANCE_TYPES:
        with pytest.raises(ValueError, match=message):
            admix.GaussianMixture(2, reg_covar=0, covariance_type=t, random_state=0).fit(X)
        admix.GaussianMixture(2, reg_covar=1e-6, covariance_type=t, random_state=0).fit(X)


def test_too_few_samples_and_bad_data():
    with pytest.raises(ValueError, match="n_samples >= n_components"):
        admix.GaussianMixture(5).fit(np.random.RandomState(0).rand(3, 2))
    with pytest.raises(ValueError):
        admix.GaussianMixture(2).fit(np.array([[1.0, np.nan], [0.0, 1.0], [2.0, 2.0]]))
    g = admix.GaussianMixture(2, random_state=0).fit(mixture_data()[0])
    with pytest.raises(ValueError, match="features"):
        g.predict(np.zeros((4, 2)))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_sample(covariance_type):
    X = mixture_data(seed=8, n_features=2)[0]
    g = admix.GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    with pytest.raises(ValueError, match="at least one sample"):
        g.sample(0)
    Xs, ys = g.sample(20000)
    assert Xs.shape == (20000, 2)
    assert np.all(np.diff(ys) >= 0)  # grouped by component, as in scikit-learn
    for j in range(3):
        rows = Xs[ys == j]
        assert_allclose(len(rows) / 20000, g.weights_[j], atol=0.02)
        assert_allclose(rows.mean(axis=0), g.means_[j], atol=0.1)
    full = g.covariances_ if covariance_type == "full" else None
    if full is not None:
        for j in range(3):
            assert_allclose(np.cov(Xs[ys == j].T), full[j], atol=0.15)
    assert_array_equal(g.sample(5)[0], g.sample(5)[0])  # an int random_state repeats


def test_max_iter_zero_returns_given_means():
    X = mixture_data(seed=9, n_features=2)[0]
    means = np.array([[20.0, 30.0], [30.0, 25.0], [0.0, 0.0]])
    g = admix.GaussianMixture(3, means_init=means, max_iter=0, random_state=0).fit(X)
    assert_allclose(g.means_, means)
    assert g.n_iter_ == 0 and not g.converged_


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "random_from_data"])
def test_every_init_gives_distinct_means_inside_the_data(init_params):
    X = mixture_data(seed=10)[0]
    g = admix.GaussianMixture(3, init_params=init_params, max_iter=0, random_state=0).fit(X)
    assert len(np.unique(g.means_.round(8), axis=0)) == 3
    assert np.all(X.min(axis=0) <= g.means_) and np.all(g.means_ <= X.max(axis=0))


def test_float32_in_float32_out():
    X = mixture_data(seed=11)[0].astype(np.float32)
    g = admix.GaussianMixture(3, random_state=0).fit(X)
    for attr in ["weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"]:
        assert getattr(g, attr).dtype == np.float32
    assert g.converged_


def test_sample_weight_equals_repeated_rows_from_same_start():
    X = mixture_data(seed=12)[0]
    w = np.random.RandomState(0).randint(0, 4, size=len(X)).astype(float)
    start = admix.GaussianMixture(3, max_iter=0, random_state=0).fit(X)
    init = dict(weights_init=start.weights_, means_init=start.means_, precisions_init=start.precisions_, tol=0.0,
                max_iter=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = admix.GaussianMixture(3, **init).fit(X, sample_weight=w)
        b = admix.GaussianMixture(3, **init).fit(np.repeat(X, w.astype(int), axis=0))
    assert_allclose(a.means_, b.means_, rtol=1e-9)
    assert_allclose(a.covariances_, b.covariances_, rtol=1e-8)


@pytest.mark.parametrize("method", ["lbfgs", "adam"])
def test_gradient_methods_reach_em_likelihood(method, faithful):
    em = admix.GaussianMixture(2, random_state=0, tol=1e-8, max_iter=500).fit(faithful)
    kwargs = dict(max_iter=2000, tol=1e-9) if method == "adam" else dict(max_iter=500, tol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        g = admix.GaussianMixture(2, random_state=0, method=method, **kwargs).fit(faithful)
    assert abs(g.score(faithful) - em.score(faithful)) < (1e-6 if method == "lbfgs" else 1e-3)


def test_params_keeps_the_others_fixed():
    X = mixture_data(seed=13)[0]
    start = admix.GaussianMixture(3, max_iter=0, random_state=0).fit(X)
    g = admix.GaussianMixture(3, params="m", weights_init=start.weights_, means_init=start.means_,
                              precisions_init=start.precisions_, random_state=0).fit(X)
    assert_allclose(g.weights_, start.weights_, rtol=1e-12)
    assert_allclose(g.covariances_, start.covariances_, rtol=1e-9)
    with pytest.raises(ValueError, match="wmc"):
        admix.GaussianMixture(3, params="x").fit(X)


def test_threads_do_not_change_the_model():
    X = mixture_data(seed=14, n_samples=3000)[0]
    a = admix.GaussianMixture(3, random_state=0, n_threads=1).fit(X)
    b = admix.GaussianMixture(3, random_state=0, n_threads=2, batch_size=100).fit(X)
    assert_allclose(a.means_, b.means_, rtol=1e-12)


def test_pickle_round_trip():
    X = mixture_data(seed=15)[0]
    g = admix.GaussianMixture(3, random_state=0).fit(X)
    state = g.__getstate__()
    assert isinstance(state["_model"], str) and '"weights"' in state["_model"]
    h = pickle.loads(pickle.dumps(g))
    assert_array_equal(h.means_, g.means_)
    assert_array_equal(h.score_samples(X), g.score_samples(X))


def test_load_model_reads_the_cli_model_file(tmp_path):
    X = mixture_data(seed=16)[0]
    g = admix.GaussianMixture(3, random_state=0).fit(X)
    path = tmp_path / "model.json"
    path.write_text(g._model.to_json())
    h = admix.load_model(path)
    assert h.n_components == 3 and h.n_features_in_ == 3
    assert_allclose(h.score_samples(X), g.score_samples(X), rtol=1e-15)
    path.write_text("{}")
    with pytest.raises(ValueError, match="model file is invalid"):
        admix.load_model(path)


def test_no_panic_reaches_python():
    g = admix.GaussianMixture(2, random_state=0).fit(mixture_data()[0])
    with pytest.raises(ValueError):
        g._model.sample(0, 0)
    with pytest.raises(ValueError):
        admix.GaussianMixture(2, n_threads=0).fit(mixture_data()[0])


@pytest.mark.parametrize("name", ["faithful_cli_model.json", "iris_diag_cli_model.json"])
def test_load_model_of_the_program(name, faithful, iris):
    # Written by `admix fit faithful -k 2 --seed 0 --out ...` and
    # `admix fit iris -k 3 --covariance diag --seed 0 --out ...` (admix 0.1.0).
    import json
    from pathlib import Path

    path = Path(__file__).parent / "data" / name
    fields = json.loads(path.read_text())
    g = admix.load_model(path)
    X = faithful if name.startswith("faithful") else iris
    assert g.covariance_type == fields["covariance_type"]
    assert_allclose(g.weights_, fields["weights"], rtol=0)
    # Log-density by hand from the file's parameters.
    dens = np.zeros(len(X))
    for w, m, c in zip(fields["weights"], np.array(fields["means"]), np.array(fields["covariances"])):
        c = np.diag(c) if c.ndim == 1 else c
        diff = X - m
        q = np.einsum("ij,jk,ik->i", diff, np.linalg.inv(c), diff)
        dens += w * np.exp(-0.5 * q) / np.sqrt(np.linalg.det(2 * np.pi * c))
    assert_allclose(g.score_samples(X), np.log(dens), rtol=1e-10)
    assert g.converged_ == fields["converged"] and g.n_iter_ == fields["n_iter"]


def test_one_component_on_three_samples():
    X = np.random.RandomState(0).multivariate_normal(np.zeros(2), np.eye(2), size=3)
    g = admix.GaussianMixture(1).fit(X)
    assert_allclose(g.means_[0], X.mean(axis=0), rtol=1e-12)
    assert_allclose(g.covariances_[0], np.cov(X.T, bias=True) + 1e-6 * np.eye(2), rtol=1e-10)
    assert g.sample()[0].shape == (1, 2)


def test_best_restart_sets_consistent_attributes():
    X = mixture_data(seed=17, n_components=4)[0]
    g = admix.GaussianMixture(4, n_init=5, init_params="random_from_data", tol=1e-6, max_iter=300,
                              random_state=3).fit(X)
    assert g.converged_ and g.n_iter_ == len(g.lower_bounds_) >= 2
    assert g.lower_bound_ == g.lower_bounds_[-1]
    assert np.all(np.diff(g.lower_bounds_) >= -1e-12)  # EM never lowers the likelihood
    # The kept parameters are one M-step past the last lower bound: at least as likely.
    assert g.score(X) >= g.lower_bound_ - 1e-12
    assert g.score(X) - g.lower_bound_ < 1e-5
