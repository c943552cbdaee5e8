"""The lecture's items (issue 17) from Python: the derivative programs of
``admix diff --emit``, the numbers of ``admix teach LESSON``, and EM's
iterates for the pictorial view. The numbers come from the same Rust
functions as the program's, so both print the same tables."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from . import _admix
from ._gmm import GaussianMixture

def emit(expr, language="c", mode="forward", variables=None, name="f"):
    """``expr`` as the source text of a self-contained function ``name``, one
    statement per elementary step, as ``admix diff EXPR --emit LANGUAGE --mode MODE``.

    language : "c" or "rust".
    mode : "forward" (tangent lines ``dw`` under value lines ``w``; C:
        ``double f(const double x[n], const double dx[n], double *df)``
        returns the value and writes ``grad f . dx``) or "reverse" (the forward
        sweep, then the adjoints in reverse order; C: ``double f(const double
        x[n], double grad[n])``). Rust: ``fn f(x: &[f64; n], dx: &[f64; n]) ->
        (f64, f64)`` and ``fn f(x: &[f64; n]) -> (f64, [f64; n])``.
    variables : the input names in order; default the expression's names in
        order of first appearance.
    """
    names = None if variables is None else [str(v) for v in variables]
    return _admix.emit(expr, language, mode, name, names)


def lesson_modes(sizes=None):
    """Forward against reverse mode (``admix teach modes``): for F: R^n -> R
    (the gradient) and G: R -> R^m (the m derivatives) at each size (default
    those of the program: 1 to 1000, about three per decade), a dict
    ``{"many_to_one": ..., "one_to_many": ...}`` whose values are dicts of
    arrays "size", "forward_sweeps", "reverse_sweeps", "forward_seconds",
    "reverse_seconds" (the best of a few timings; they vary from run to run)."""
    return _admix.lesson_modes(None if sizes is None else [int(s) for s in sizes])


def lesson_noisy():
    """When divided differences are as good as AD (``admix teach noisy``): a
    list with one dict per case (a table lookup of sin, a Monte Carlo
    probability): "name", "x", "exact" (the slope of the quantity the code
    estimates), "ad" (forward-mode AD of the code: 0, the code is flat), and
    arrays "h" and "central" (central differences of the code with step h)."""
    return _admix.lesson_noisy()


def lesson_means_only(iterations=20):
    """Learn means only (``admix teach means-only``): EM on 1-D data with two
    components whose weights (1/2) and variances (1) stay fixed. A dict: "x"
    (the data), "means" (shape (iterations + 1, 2): row i holds the means
    after i iterations, row 0 the start), "start_means", "true_means"."""
    return _admix.lesson_means_only(int(iterations))


def lesson_hard_assignments():
    """The evils of hard assignments (``admix teach hard-assignments``): K-means
    and a full-covariance GMM (k = 2) on overlapping elongated clusters. A
    dict: "x" (n, 2), the labels "truth", "kmeans", "gmm", and
    "kmeans_agreement", "gmm_agreement" (the fraction of labels that match
    the truth under the better pairing of the two labels)."""
    return _admix.lesson_hard_assignments()


def em_iterations(X, n_components, iterations, **kwargs):
    """EM's iterates for the lecture's pictorial view: for each ``i`` in
    ``iterations`` (such as ``[0, 1, 2, 3, 4, 5, 6, 20]``) a
    :class:`GaussianMixture` fitted with ``max_iter=i`` and ``tol=0``, so
    every fit starts from the same parameters and stops after exactly ``i``
    EM steps: the i-th iterate (``i = 0`` is the start). ``kwargs`` are
    further GaussianMixture parameters; give ``random_state`` (or the
    ``*_init`` parameters) so that the start is the same for every ``i``.

    Returns a list of fitted models, one per iteration; ``model.predict_proba(X)``
    gives the responsibilities to colour the data by, ``model.means_`` and
    ``model.covariances_`` the ellipses. As ``admix fit --plot-iterations``.
    """
    for key in ("max_iter", "tol", "n_init", "method", "warm_start"):
        if key in kwargs:
            raise ValueError(
                f"em_iterations sets {key} itself (one EM start, max_iter = i, tol = 0): drop {key}={kwargs[key]!r}"
            )
    steps = [int(i) for i in np.ravel(iterations)]
    if any(i < 0 for i in steps):
        raise ValueError(f"iterations must be >= 0, got {steps}")
    models = []
    for i in steps:
        gm = GaussianMixture(n_components, max_iter=i, tol=0.0, n_init=1, method="em", **kwargs)
        with warnings.catch_warnings():
            # Stopping before convergence is the point here.
            warnings.simplefilter("ignore", ConvergenceWarning)
            models.append(gm.fit(X))
    return models
