"""Automatic differentiation for teaching, from the expression language of `admix diff`."""

import numpy as np

from . import _admix


def cube_table():
    """The lecture's table for f(x) = x^3 at x = 0.5, 2 and 10 with steps
    h = 1e-1 ... 1e-16: a dict of numpy arrays ("x", "h", "forward_error",
    "forward_truncation", "central_error", "central_truncation", "ad_error"),
    one entry per row."""
    return _admix.cube_table()


def divided_differences(f_expr, x, hs):
    """Forward and central differences of ``f_expr`` (an expression in ``x``,
    such as "x^3" or "sin(x)*exp(x)") at ``x`` for each step in ``hs``, and
    the derivative by a dual number: a dict with "h", "forward", "central"
    (arrays) and "ad" (a float)."""
    return _admix.divided_differences(f_expr, float(x), [float(h) for h in np.ravel(hs)])


def diff(expr, at=None, hessian=False, trace=None, wrt=None):
    """Value and gradient of ``expr`` at the point ``at`` (a dict name -> value,
    in the order of the variables) by forward mode, reverse mode and central
    differences, as ``admix diff --json``; the Hessian (nested duals) when
    ``hessian``; and the evaluation trace when ``trace`` is "forward"
    (tangents along ``wrt``, default the first variable) or "reverse"
    (adjoints)."""
    point = [(str(k), float(v)) for k, v in (at or {}).items()]
    return _admix.diff(expr, point, hessian, trace, wrt)
