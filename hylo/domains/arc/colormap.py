"""Colour maps learned from examples: the last step of many ARC programs.

When a program gets every training output right up to a renaming of colours, the
renaming itself is learned from the examples with :func:`learned_color_map` and
applied with :func:`apply_color_map`.

>>> from hylo.domains.arc.grid import Grid
>>> a, b = Grid.from_lists([[1, 0]]), Grid.from_lists([[2, 0]])
>>> m = learned_color_map([(a, b)])
>>> m
{0: 0, 1: 2}
>>> apply_color_map(Grid.from_lists([[0, 1, 1]]), m)
Grid(1x3: 022)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from hylo.domains.arc.grid import NUM_COLORS, Grid


def learned_color_map(pairs: Iterable[tuple[Grid, Grid]]) -> dict[int, int] | None:
    """The one colour map sending every candidate grid to its target, or ``None``.

    ``pairs`` are ``(candidate, target)``; the map must be a function (a colour of the
    candidates always becomes the same colour) and the shapes must match. Colours
    that no candidate shows are left out: :func:`apply_color_map` keeps them.
    """
    table = np.full(NUM_COLORS, -1, dtype=np.int64)
    seen = False
    for candidate, target in pairs:
        if candidate.shape != target.shape:
            return None
        src, dst = candidate.array.ravel(), target.array.ravel()
        # For each source colour, every target cell must agree on one colour.
        for c in np.unique(src):
            values = np.unique(dst[src == c])
            if values.size != 1 or table[c] not in (-1, values[0]):
                return None
            table[c] = values[0]
        seen = True
    if not seen:
        return None
    return {c: int(table[c]) for c in range(NUM_COLORS) if table[c] >= 0}


def apply_color_map(grid: Grid, mapping: Mapping[int, int]) -> Grid:
    """``grid`` with colours renamed by ``mapping`` (colours not in it are kept)."""
    lut = np.arange(NUM_COLORS, dtype=np.int8)
    for a, b in mapping.items():
        if not (0 <= a < NUM_COLORS and 0 <= b < NUM_COLORS):
            raise ValueError(f"a colour map sends colours 0-9 to 0-9, got {a} -> {b}")
        lut[a] = b
    return Grid.wrap(lut[grid.array])
