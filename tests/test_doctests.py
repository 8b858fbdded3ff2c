"""Every example in the package's docstrings runs and shows what it says."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import hylo

# ``hylo.__main__`` runs the command line when imported.
MODULES = sorted(
    m.name for m in pkgutil.walk_packages(hylo.__path__, "hylo.") if m.name != "hylo.__main__"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
