"""Windows: the output is the part of a grid at a fixed place, counted from a corner.

Some ARC tasks cut the same window out of every input: its top-left 2×2 corner, the
3×3 block at its top right. The window's place is fixed relative to one corner of
the grid, not to any object, so no object primitive finds it and a chain of halves
reaches few sizes. :func:`window_completion` learns the place from the training
pairs: a corner, an offset from it and the window's size, all the same in every pair.

A window is a primitive of type ``grid -> grid`` whose name holds its place, as the
neighbourhood rules' (:mod:`hylo.domains.arc.rules`) do::

    window:tr.0.0.3.3

reads "the 3×3 window whose top-right cell is the grid's top-right cell" (corner
``tl``, ``tr``, ``bl`` or ``br``, then the rows and columns from that corner, then the
height and width).

>>> from hylo.domains.arc.grid import Grid
>>> from hylo.lang.program import Index, show
>>> pairs = [
...     (Grid.from_lists([[1, 2, 3], [4, 5, 6], [7, 8, 9]]), Grid.from_lists([[2, 3], [5, 6]])),
...     (Grid.from_lists([[0, 0, 1, 1], [0, 0, 1, 2]]), Grid.from_lists([[1, 1], [1, 2]])),
... ]
>>> wrap, run = window_completion(*zip(*pairs))
>>> show(wrap(Index(0)))
'(window:tr.0.0.2.2 $0)'
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from hylo.domains.arc._util import make
from hylo.domains.arc.finish import Completion, grid_pairs, learned_step
from hylo.domains.arc.grid import Grid
from hylo.domains.arc.tasks import GRID_TO_GRID
from hylo.lang.program import Primitive

PREFIX = "window:"
CORNERS = ("tl", "tr", "bl", "br")

Place = tuple[str, int, int, int, int]
"""``(corner, rows from it, columns from it, height, width)``."""

# A window of a cell or two matches some fixed place of most grids by chance.
_MIN_CELLS = 4


def cut_window(place: Place, g: Grid) -> Grid:
    """The window at ``place`` of ``g`` (an error where it does not fit)."""
    corner, dr, dc, h, w = place
    top = dr if corner[0] == "t" else g.height - dr - h
    left = dc if corner[1] == "l" else g.width - dc - w
    if top < 0 or left < 0 or top + h > g.height or left + w > g.width:
        raise ValueError(f"a {h}x{w} window {dr},{dc} from the {corner} corner leaves the grid")
    return make(g.array[top : top + h, left : left + w].copy(), g.background)


def window_name(place: Place) -> str:
    return PREFIX + ".".join(map(str, place))


@functools.lru_cache(maxsize=1024)
def resolve_window(name: str) -> Primitive | None:
    """The window primitive a name stands for (see the module doc), or ``None``."""
    if not name.startswith(PREFIX):
        return None
    corner, *numbers = name.removeprefix(PREFIX).split(".")
    if corner not in CORNERS or len(numbers) != 4 or not all(n.isdigit() for n in numbers):
        return None
    dr, dc, h, w = map(int, numbers)
    if h < 1 or w < 1:
        return None
    place: Place = (corner, dr, dc, h, w)
    doc = f"the {h}x{w} window {dr},{dc} cells from the grid's {corner} corner"
    return Primitive(name, GRID_TO_GRID, functools.partial(cut_window, place), doc)


def window_completion(
    candidates: Sequence[Any], targets: Sequence[Any], tests: Sequence[Any] = ()
) -> Completion | None:
    """The fixed window of every candidate that is its target, or ``None``.

    The window must fit every grid in ``tests`` too; of the places that fit, the one
    nearest its corner is taken (the first in :data:`CORNERS` among equals)."""
    pairs = grid_pairs(candidates, targets)
    if pairs is None:
        return None
    h, w = pairs[0][1].shape
    if h * w < _MIN_CELLS or any(t.shape != (h, w) for _, t in pairs):
        return None
    if all(c.shape == (h, w) for c, _ in pairs):
        return None  # the whole grid: not a window
    for place in _places(*pairs[0]):
        if _fits(place, pairs, tests):
            primitive = resolve_window(window_name(place))
            assert primitive is not None  # its own name always resolves
            return learned_step(primitive)
    return None


def _places(candidate: Grid, target: Grid) -> list[Place]:
    """Every place of ``target`` in ``candidate``, nearest its corner first."""
    (h, w), (height, width) = target.shape, candidate.shape
    if h > height or w > width:
        return []
    views = sliding_window_view(candidate.array, (h, w))
    found = np.argwhere((views == target.array).all(axis=(2, 3)))
    places = []
    for top, left in found.tolist():
        bottom, right = height - top - h, width - left - w
        for corner in CORNERS:
            dr, dc = top if corner[0] == "t" else bottom, left if corner[1] == "l" else right
            places.append((corner, dr, dc, h, w))
    places.sort(key=lambda p: (p[1] + p[2], CORNERS.index(p[0])))
    return places


def _fits(place: Place, pairs: Sequence[tuple[Grid, Grid]], tests: Sequence[Any]) -> bool:
    try:
        if not all(np.array_equal(cut_window(place, c).array, t.array) for c, t in pairs[1:]):
            return False
        for g in tests:
            cut_window(place, g)
    except ValueError:
        return False
    return True
