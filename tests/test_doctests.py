"""Run the doctests of every module (the examples in the docstrings)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import psfkg

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(psfkg.__path__, "psfkg.")
    if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
