"""Stamps: every cell of a colour paints a fixed pattern on the background around it.

Some ARC tasks decorate markers: each red cell gets yellow corners, each blue cell
orange sides; each cell of colour 3 gets a ring of 6. A neighbourhood rule reads a
cell's whole surroundings, so two markers near each other make a key it has never
seen; a stamp is learned per colour and the stamps of different cells simply add up,
so it generalises to any arrangement of markers.

A *stamp table* maps ``(colour, cell of the 3×3 window)`` to the colour painted
there: the window's cells are numbered 0–8 row by row, 4 being the marker itself
(never painted). Only background cells are painted; a stamp never overwrites a
shape. The table is learned from the training pairs (an entry is kept when every
background cell at that place next to that colour becomes one same non-background
colour) and kept only when painting reproduces every pair exactly. Stamps reach one
cell: wider ones fitted the training split's small grids by chance.

A stamp is a primitive of type ``grid -> grid`` whose name holds its table, as the
neighbourhood rules' (:mod:`hylo.domains.arc.rules`) do::

    stamp:2.0>4,2.2>4,2.6>4,2.8>4

reads "every cell of colour 2 paints 4 on its four diagonal neighbours".

>>> from hylo.domains.arc.grid import Grid
>>> before = Grid.from_lists([[0, 0, 0], [0, 2, 0], [0, 0, 0]]).with_background(0)
>>> after = Grid.from_lists([[4, 0, 4], [0, 2, 0], [4, 0, 4]])
>>> wrap, run = stamp_completion([before], [after])
>>> from hylo.lang.program import Index, show
>>> show(wrap(Index(0)))
'(stamp:2.0>4,2.2>4,2.6>4,2.8>4 $0)'
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hylo.domains.arc._util import make
from hylo.domains.arc.finish import Completion, grid_pairs, learned_step
from hylo.domains.arc.grid import Grid
from hylo.domains.arc.tasks import GRID_TO_GRID
from hylo.lang.program import Primitive

Stamp = dict[tuple[int, int], int]
"""``(marker colour, window cell 0-8)`` → the colour painted there."""

PREFIX = "stamp:"
_CENTRE = 4
_OFFSETS = {i: (i // 3 - 1, i % 3 - 1) for i in range(9) if i != _CENTRE}


def _markers(g: Grid, cell: int) -> NDArray[np.int64]:
    """Per cell, the colour of the neighbour that would paint it through window cell
    ``cell`` (the neighbour at minus that offset; -1 beyond the edge)."""
    h, w = g.shape
    dy, dx = _OFFSETS[cell]
    padded = np.pad(g.array.astype(np.int64), 1, constant_values=-1)
    return padded[1 - dy : 1 - dy + h, 1 - dx : 1 - dx + w]


def learn_stamp(pairs: Sequence[tuple[Grid, Grid]]) -> Stamp:
    """Each colour's stamp: the window cells whose background always becomes one
    colour in the targets (possibly empty; check it with :func:`apply_stamp`)."""
    painted: dict[tuple[int, int], set[int]] = {}
    for a, b in pairs:
        target = b.array.astype(np.int64)
        for cell in _OFFSETS:
            marker = _markers(a, cell)
            on = (a.array == a.background) & (marker >= 0) & (marker != a.background)
            for key in np.unique(marker[on] * 16 + target[on]).tolist():
                painted.setdefault((key >> 4, cell), set()).add(key & 15)
    background = pairs[0][0].background if pairs else -1
    return {
        key: colours.pop()
        for key, colours in sorted(painted.items())
        if len(colours) == 1 and background not in colours
    }


def apply_stamp(stamp: Stamp, g: Grid) -> Grid:
    """``g`` with every stamp painted on the background around its colour's cells."""
    on_bg = g.array == g.background
    out = g.array.copy()
    for (colour, cell), target in sorted(stamp.items()):
        out[on_bg & (_markers(g, cell) == colour)] = target
    return make(out, g.background)


def stamp_name(stamp: Stamp) -> str:
    return PREFIX + ",".join(f"{c}.{cell}>{t}" for (c, cell), t in sorted(stamp.items()))


@functools.lru_cache(maxsize=1024)
def resolve_stamp(name: str) -> Primitive | None:
    """The stamp primitive a name stands for (see the module doc), or ``None``."""
    if not name.startswith(PREFIX) or name == PREFIX:
        return None
    stamp: Stamp = {}
    try:
        for entry in name.removeprefix(PREFIX).split(","):
            key, _, target = entry.partition(">")
            colour, _, cell = key.partition(".")
            c, i, t = int(colour), int(cell), int(target)
            if not (0 <= c <= 9 and 0 <= t <= 9 and i in _OFFSETS):
                return None
            stamp[(c, i)] = t
    except ValueError:
        return None
    doc = f"stamps learned from the examples: {len(stamp)} painted cells"
    return Primitive(name, GRID_TO_GRID, functools.partial(apply_stamp, stamp), doc)


def stamp_completion(
    candidates: Sequence[Any], targets: Sequence[Any], tests: Sequence[Any] = ()
) -> Completion | None:
    """The stamps that turn every candidate into its target, or ``None``.

    A grid in ``tests`` (those the program will be run on) may hold a colour the
    candidates lack only when some colour they show stamps nothing: stamping is then a
    property of particular colours, and a colour never seen stamping is taken to stamp
    nothing. When every colour seen stamps, what a new one would paint is unknown: ``None``.
    """
    pairs = grid_pairs(candidates, targets, same_shape=True)
    if pairs is None:
        return None
    background = pairs[0][0].background
    if any(c.background != background for c, _ in pairs) or all(c == t for c, t in pairs):
        return None
    if any(((c.array != t.array) & (c.array != background)).any() for c, t in pairs):
        return None  # a stamp only paints background: a changed shape is not its work
    stamp = learn_stamp(pairs)
    if not stamp or not all(apply_stamp(stamp, c) == t for c, t in pairs):
        return None
    if not all(isinstance(g, Grid) for g in tests):
        return None
    seen = frozenset().union(*(c.colors for c, _ in pairs))
    quiet = seen - {colour for colour, _ in stamp} - {background}
    if not quiet and any(g.colors - seen for g in tests):
        return None
    primitive = resolve_stamp(stamp_name(stamp))
    assert primitive is not None  # its own name always resolves
    return learned_step(primitive)
