"""Cell logic of two halves: each output cell a function of the same cell in both halves.

A family of ARC tasks lays two grids side by side or one above the other (often with
a separator line between them) and asks for a grid of the size of one: the cells
where both have foreground, where exactly one has, where neither has, each painted a
colour. The domain's ``cell-and``, ``cell-xor`` & co. write a few of these, but as a
program of five steps (two halves, the operation, a colour), which the search reaches
late. :func:`halves_completion` learns the whole truth table from the training pairs
instead: which colour a cell becomes for each of the four ways its two cells can be
foreground or not.

A table is a primitive of type ``grid -> grid`` whose name holds it, as the
neighbourhood rules' (:mod:`hylo.domains.arc.rules`) do::

    halves-lr:0002

reads "split the grid into its left and right halves (a middle column dropped); a
cell foreground in neither half, only in the right one, only in the left one or in
both becomes 0, 0, 0 or 2" (``halves-tb`` splits top and bottom; ``_`` marks a case
the training pairs never showed, which the primitive refuses to guess).

>>> from hylo.domains.arc.grid import Grid
>>> from hylo.lang.program import Index, show
>>> before = Grid.from_lists([[1, 0, 5, 1, 1], [0, 1, 5, 0, 0]]).with_background(0)
>>> wrap, run = halves_completion([before], [Grid.from_lists([[2, 0], [0, 0]])])
>>> show(wrap(Index(0)))
'(halves-lr:0002 $0)'
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hylo.domains.arc._compose import bottom_half, left_half, right_half, top_half
from hylo.domains.arc._util import make
from hylo.domains.arc.finish import Completion, grid_pairs, learned_step
from hylo.domains.arc.grid import Grid
from hylo.domains.arc.tasks import GRID_TO_GRID
from hylo.lang.program import Primitive

PREFIX = "halves-"
SPLITS = ("lr", "tb")
_UNSEEN = -1

Table = tuple[int, ...]
"""The colour for each case ``2 * first + second`` (foreground in the first half, in the
second), :data:`_UNSEEN` where no training cell showed it."""


_HALVES = {"lr": (left_half, right_half), "tb": (top_half, bottom_half)}


def _cases(split: str, g: Grid) -> NDArray[np.int64]:
    """Each cell of a half's shape: ``2 * (foreground in the first) + (in the second)``."""
    first, second = (half(g).array for half in _HALVES[split])
    in_first: NDArray[np.int64] = (first != g.background).astype(np.int64)
    in_second: NDArray[np.int64] = (second != g.background).astype(np.int64)
    return 2 * in_first + in_second


def apply_halves(split: str, table: Table, g: Grid) -> Grid:
    """The grid ``table`` makes of ``g``'s two halves (an error on a case it never saw)."""
    if g.array.shape[0 if split == "tb" else 1] < 2:
        raise ValueError("a grid of one line has no two halves")
    out = np.asarray(table)[_cases(split, g)]
    if (out == _UNSEEN).any():
        raise ValueError("the halves show a case the table never saw")
    return make(out, g.background)


def halves_name(split: str, table: Table) -> str:
    return f"{PREFIX}{split}:" + "".join("_" if c == _UNSEEN else str(c) for c in table)


@functools.lru_cache(maxsize=1024)
def resolve_halves(name: str) -> Primitive | None:
    """The cell-logic primitive a name stands for (see the module doc), or ``None``."""
    split, _, digits = name.removeprefix(PREFIX).partition(":")
    if not name.startswith(PREFIX) or split not in SPLITS or len(digits) != 4:
        return None
    if not all(d == "_" or d.isdigit() for d in digits):
        return None
    table = tuple(_UNSEEN if d == "_" else int(d) for d in digits)
    doc = f"the cell logic {digits} of the grid's two halves ({split})"
    return Primitive(name, GRID_TO_GRID, functools.partial(apply_halves, split, table), doc)


def halves_completion(
    candidates: Sequence[Any], targets: Sequence[Any], tests: Sequence[Any] = ()
) -> Completion | None:
    """The cell logic that turns every candidate's halves into its target, or ``None``.

    The table must name at least three cases (fewer fit a single colour by chance) and
    every case the halves of the grids in ``tests`` show."""
    pairs = grid_pairs(candidates, targets)
    if pairs is None:
        return None
    for split in SPLITS:
        table = _learned(split, pairs)
        if table is None or sum(c != _UNSEEN for c in table) < 3:
            continue
        try:
            for g in tests:
                apply_halves(split, table, g)
        except ValueError:
            continue
        primitive = resolve_halves(halves_name(split, table))
        assert primitive is not None  # its own name always resolves
        return learned_step(primitive)
    return None


def _learned(split: str, pairs: Sequence[tuple[Grid, Grid]]) -> Table | None:
    table = [_UNSEEN] * 4
    axis = 0 if split == "tb" else 1
    for candidate, target in pairs:
        if candidate.shape[axis] < 2:
            return None  # no two halves
        cases = _cases(split, candidate)
        if cases.shape != target.shape:
            return None
        for case in range(4):
            colours = np.unique(target.array[cases == case])
            if len(colours) > 1 or (len(colours) and table[case] not in (_UNSEEN, colours[0])):
                return None
            if len(colours):
                table[case] = int(colours[0])
    return tuple(table)
