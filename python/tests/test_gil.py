"""Fits, predictions and scoring release the GIL: Python code in another
thread keeps running while they do."""

import threading
import time

import numpy as np
import pytest

import admix


def _share_of_python_time(work):
    """Python loop steps the main thread makes per second while `work` runs
    in another thread, over its rate alone. With the GIL held during the
    Rust calls, it runs only between them (a few switch intervals of 5 ms);
    released, it runs throughout (one core each: `n_threads=1`)."""
    steps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 0.2:
        steps += 1
    alone = steps / (time.perf_counter() - t0)
    done = threading.Event()

    def run():
        work()
        done.set()

    t = threading.Thread(target=run)
    steps = 0
    t0 = time.perf_counter()
    t.start()
    while not done.is_set():
        steps += 1
    seconds = time.perf_counter() - t0
    t.join()
    return steps / seconds / alone


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_gil_released_during_fit_predict_and_scoring():
    X = np.random.RandomState(0).randn(200_000, 8)
    g = admix.GaussianMixture(8, max_iter=10, tol=0.0, random_state=0, n_threads=1)
    assert _share_of_python_time(lambda: g.fit(X)) > 0.3
    assert _share_of_python_time(lambda: [g.score_samples(X) for _ in range(5)]) > 0.3
    assert _share_of_python_time(lambda: [g.predict(X) for _ in range(5)]) > 0.3
