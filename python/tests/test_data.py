"""The data sets shipped in the package are the repository's data/ files."""

from pathlib import Path

import numpy as np
import pytest

import admix

REPO_DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.mark.parametrize("name,load,shape", [("faithful", admix.load_faithful, (272, 2)),
                                              ("iris", admix.load_iris, (150, 4))])
def test_shipped_copies_match_the_repository(name, load, shape):
    X = load()
    assert X.shape == shape and X.dtype == np.float64 and X.flags.c_contiguous
    source = REPO_DATA / f"{name}.csv"
    if not source.exists():
        pytest.skip("not run from the repository")
    shipped = Path(admix.__file__).parent / "data" / f"{name}.csv"
    assert shipped.read_bytes() == source.read_bytes()
