"""The package claims Python >= 3.9 (pyproject.toml); .ci/run runs this suite on
3.9, 3.10 and 3.11. This test also holds on a newer interpreter alone: every
Python file of the package, its tests and examples parses with 3.9's grammar,
so a `match` statement or a parenthesised context manager fails here first."""

import ast
import pathlib
import sys

import pytest

PACKAGE_ROOT = pathlib.Path(__file__).resolve().parents[1]
SOURCES = sorted(
    p for folder in ("admix", "tests", "examples", "benchmarks") for p in (PACKAGE_ROOT / folder).rglob("*.py")
)


def test_the_sources_are_found():
    assert PACKAGE_ROOT.joinpath("pyproject.toml").is_file()
    assert any(p.name == "_gmm.py" for p in SOURCES), SOURCES


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE_ROOT)))
def test_parses_as_python_3_9(path):
    ast.parse(path.read_text(encoding="utf-8"), str(path), feature_version=(3, 9))


def test_a_3_10_only_construct_is_refused():
    # The check above can fail: a match statement is 3.10 grammar.
    source = "match x:\n    case 1:\n        pass\n"
    with pytest.raises(SyntaxError):
        ast.parse(source, feature_version=(3, 9))


def test_runs_on_a_supported_interpreter():
    assert sys.version_info >= (3, 9)
