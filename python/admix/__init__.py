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

__all__ = [
    "GaussianMixture",
    "KMeans",
    "load_model",
    "cube_table",
    "divided_differences",
    "diff",
    "load_faithful",
    "load_iris",
]
