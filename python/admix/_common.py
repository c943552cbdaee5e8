"""Input conversion shared by the estimators: what reaches the Rust core is
C-ordered float64 or float32 (no copy when it already is), and every seed is
an int."""

import numpy as np
from sklearn.utils import check_random_state


def as_f64(a):
    """A C-ordered float64 view of `a`, copied only when its layout or dtype differs."""
    return np.ascontiguousarray(a, dtype=np.float64)


def as_rows(a):
    """C-ordered data rows for the core: float32 stays float32 (the core computes
    in it and sums in float64), anything else becomes float64; copied only when
    the layout or dtype differs."""
    return np.ascontiguousarray(a, dtype=np.float32 if a.dtype == np.float32 else np.float64)


def seed_from(random_state):
    """The core's u64 seed: the int itself, else a draw from the numpy generator
    that scikit-learn's `check_random_state` gives (so None and RandomState
    instances behave as in scikit-learn: a new draw every call)."""
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state = {random_state} is invalid: pass an int >= 0, a RandomState or None")
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def check_choice(name, value, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"The '{name}' parameter must be one of {sorted(choices)}. Got {value!r} instead.")


def check_int(name, value, low, allow_none=False):
    if allow_none and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"The '{name}' parameter must be an int >= {low}{' or None' if allow_none else ''}. Got {value!r} instead.")


def check_float(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not (value >= low) or not np.isfinite(value):
        raise ValueError(f"The '{name}' parameter must be a finite number >= {low}. Got {value!r} instead.")
