"""The teaching functions against closed forms."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import admix


def test_cube_table_rows_and_closed_forms():
    t = admix.cube_table()
    assert len(t["h"]) == 48
    assert_allclose(np.unique(t["x"]), [0.5, 2.0, 10.0])
    assert_allclose(t["forward_truncation"], 3 * t["x"] * t["h"] + t["h"] ** 2)
    assert_allclose(t["central_truncation"], t["h"] ** 2)
    # At h = 0.1 rounding is negligible: the error is the truncation.
    big = t["h"] == 0.1
    assert_allclose(t["forward_error"][big], t["forward_truncation"][big], rtol=1e-9)
    assert_allclose(t["central_error"][big], t["central_truncation"][big], rtol=1e-6)
    assert np.all(t["ad_error"] <= 4 * np.finfo(float).eps * 3 * t["x"] ** 2)
    # Past the best step, round-off makes the smallest steps worse.
    at2 = t["x"] == 2.0
    assert t["forward_error"][at2][-1] > t["forward_error"][at2].min() * 1e3


def test_divided_differences_closed_form():
    hs = [1e-1, 1e-2, 1e-3]
    r = admix.divided_differences("x^3", 2.0, hs)
    h = np.array(hs)
    assert_allclose(r["forward"], 12 + 6 * h + h**2, rtol=1e-9)
    assert_allclose(r["central"], 12 + h**2, rtol=1e-9)
    assert r["ad"] == 12.0
    with pytest.raises(ValueError, match="unknown variable"):
        admix.divided_differences("y^2", 1.0, hs)
    with pytest.raises(ValueError):
        admix.divided_differences("x^2", 1.0, [-1.0])


def test_diff_gradients_hessian_and_trace():
    x, y = 1.5, 2.0
    r = admix.diff("x*y + sin(x)", at={"x": x, "y": y}, hessian=True, trace="reverse")
    assert r["variables"] == ["x", "y"]
    assert_allclose(r["value"], x * y + np.sin(x), rtol=1e-15)
    exact = [y + np.cos(x), x]
    assert_allclose(r["gradient"]["forward"], exact, rtol=1e-15)
    assert_allclose(r["gradient"]["reverse"], exact, rtol=1e-15)
    assert_allclose(r["gradient"]["central"], exact, rtol=1e-8)
    assert_allclose(r["hessian"], [[-np.sin(x), 1.0], [1.0, 0.0]], atol=1e-15)
    steps = [row["step"] for row in r["trace"]]
    assert any("sin" in s for s in steps)
    assert r["trace"][-1]["derivative"] == 1.0  # the output's adjoint
    f = admix.diff("x^2*y", at={"x": 3.0, "y": 2.0}, trace="forward", wrt="y")
    assert f["hessian"] is None
    assert f["trace"][-1]["derivative"] == 9.0  # d(x^2 y)/dy
    with pytest.raises(ValueError, match="unexpected character"):
        admix.diff("x $ 2", at={"x": 1.0})
    with pytest.raises(ValueError, match="finite"):
        admix.diff("x", at={"x": float("nan")})
