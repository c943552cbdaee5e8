"""The data sets of the repository's data/ folder, shipped inside the package."""

from pathlib import Path

import numpy as np

_DATA = Path(__file__).parent / "data"


def load_faithful():
    """Old Faithful: 272 eruptions, columns (duration in minutes, waiting time in minutes)."""
    return np.loadtxt(_DATA / "faithful.csv", delimiter=",", skiprows=1)


def load_iris():
    """Fisher's iris: 150 flowers, four measurements in cm (the species column is left out)."""
    return np.loadtxt(_DATA / "iris.csv", delimiter=",", skiprows=1, usecols=(0, 1, 2, 3))
