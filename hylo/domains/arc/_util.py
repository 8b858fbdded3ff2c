"""Shared helpers for the ARC primitives: construction, checks, background."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hylo.domains.arc.grid import MAX_SIDE, NUM_COLORS, Array, Grid
from hylo.lang.program import Primitive
from hylo.lang.types import parse_type

BoolArray = NDArray[np.bool_]


def prim(name: str, tp: str, fn: Callable[..., Any], doc: str) -> Primitive:
    return Primitive(name, parse_type(tp), fn, doc)


def const(value: Any) -> Callable[[], Any]:
    return lambda: value


def make(array: NDArray[Any], background: int | None) -> Grid:
    """A grid of a result array: ``ValueError`` when it is empty or beyond 30×30.

    ``background`` is the source grid's, passed on so that one program sees one
    background (``None``: the result's most common colour).
    """
    return Grid.wrap(array, background)


def color(c: int) -> int:
    if not 0 <= c < NUM_COLORS:
        raise ValueError(f"colours are 0-9, got {c}")
    return c


def count(n: int, low: int = 1, high: int = MAX_SIDE) -> int:
    if not low <= n <= high:
        raise ValueError(f"expected an integer in {low}..{high}, got {n}")
    return n


def bg(g: Grid) -> int:
    return g.background


def fg_mask(g: Grid) -> BoolArray:
    """True on the cells that are not the background colour."""
    mask: BoolArray = g.array != g.background
    return mask


def bbox(mask: BoolArray) -> tuple[int, int, int, int]:
    """``(top, bottom, left, right)`` (half-open) of a mask; ``ValueError`` if empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        raise ValueError("nothing to crop: the grid holds only its background")
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def full(h: int, w: int, c: int) -> Array:
    if not (1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE):
        raise ValueError(f"a grid is 1x1 to 30x30, got {h}x{w}")
    return np.full((h, w), c, dtype=np.int8)
