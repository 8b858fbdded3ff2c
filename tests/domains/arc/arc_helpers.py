"""Small helpers for the ARC tests: grids written as ``"012/345"`` strings."""

from __future__ import annotations

from typing import Any

from hylo.domains.arc import ARC, Grid
from hylo.lang.evaluate import Evaluator
from hylo.lang.program import parse


def G(text: str) -> Grid:
    """``G("01/23")`` is the grid with rows 01 and 23."""
    return Grid.from_text(text)


def run(program: str, *args: Any) -> Any:
    """Run an ARC program (text) on arguments."""
    return Evaluator().function(parse(program, ARC.namespace))(*args)


def call(name: str, *args: Any) -> Any:
    """Call one primitive's implementation directly (exceptions surface unwrapped)."""
    return ARC[name].fn(*args)
