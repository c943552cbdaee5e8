"""admix from Python: scikit-learn-compatible GaussianMixture and KMeans on
the admix Rust core, and automatic differentiation for the classroom.

>>> import admix
>>> gm = admix.GaussianMixture(2, random_state=0).fit(admix.load_faithful())
>>> gm.means_.shape
(2, 2)
"""

from ._ad import cube_table, diff, divided_differences
from ._data import load_faithful, load_iris
from ._gmm import GaussianMixture, load_model
from ._kmeans import KMeans
from ._teaching import (
    em_iterations,
    emit,
    lesson_hard_assignments,
    lesson_means_only,
    lesson_modes,
    lesson_noisy,
)

__all__ = [
    "GaussianMixture",
    "KMeans",
    "load_model",
    "cube_table",
    "divided_differences",
    "diff",
    "emit",
    "lesson_modes",
    "lesson_noisy",
    "lesson_means_only",
    "lesson_hard_assignments",
    "em_iterations",
    "load_faithful",
    "load_iris",
]
