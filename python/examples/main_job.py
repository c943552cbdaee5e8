"""The README's main job from Python: the x^3 table of divided differences
against automatic differentiation, then Old Faithful fitted by EM and by
L-BFGS from the same start. Run: python python/examples/main_job.py"""

import time

import numpy as np

import admix


def cube_table():
    t = admix.cube_table()
    print("== Divided differences against automatic differentiation")
    for x in np.unique(t["x"]):
        rows = t["x"] == x
        print(f"f(x) = x^3 at x = {x:g}: f'(x) = {3 * x * x:g}, AD error = {t['ad_error'][rows][0]:.1e}")
        print(f"{'h':>7}  {'forward error':>13}  {'3xh + h^2':>13}  {'central error':>13}  {'h^2':>13}")
        for h, fe, ft, ce, ct in zip(*(t[c][rows] for c in
                                      ["h", "forward_error", "forward_truncation", "central_error", "central_truncation"])):
            print(f"{h:>7.0e}  {fe:>13.3e}  {ft:>13.3e}  {ce:>13.3e}  {ct:>13.3e}")
        print()


def old_faithful():
    print("== Old Faithful, two full-covariance components: EM against L-BFGS from one start")
    X = admix.load_faithful()
    start = admix.GaussianMixture(2, max_iter=0, random_state=0).fit(X)
    init = dict(weights_init=start.weights_, means_init=start.means_, precisions_init=start.precisions_,
                tol=1e-9, max_iter=1000)
    fits = {}
    for method in ["em", "lbfgs"]:
        t0 = time.perf_counter()
        g = admix.GaussianMixture(2, method=method, **init).fit(X)
        seconds = time.perf_counter() - t0
        fits[method] = g
        print(f"{method:>6}: {g.n_iter_:4d} iterations, {seconds * 1e3:7.2f} ms, "
              f"mean log-likelihood {g.score(X):.10f}, converged {g.converged_}")
        for w, m in zip(g.weights_, g.means_):
            print(f"        weight {w:.4f}  mean ({m[0]:.4f}, {m[1]:.4f})")
    gap = abs(fits["em"].score(X) - fits["lbfgs"].score(X))
    print(f"log-likelihood gap between EM and L-BFGS: {gap:.1e}")
    assert gap < 1e-6, "EM and L-BFGS should reach the same maximum"


if __name__ == "__main__":
    cube_table()
    old_faithful()
