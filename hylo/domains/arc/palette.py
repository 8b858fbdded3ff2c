"""Colour roles: a task seen with each grid's colours renamed by the part they play.

Many ARC tasks are about roles, not colours: "fill each shape with the colour of
its marker", where the test grid uses colours no training pair shows, or each pair
uses colours of its own. A program
with colour constants (``recolor … c2 c4``) cannot carry over to new colours, but
the same program on *normalised* grids can: each input grid's colours renamed in
a fixed order — its background to 0, then the others by how many cells they cover
(ties: the one met first, reading row by row) to 1, 2, … — and its output renamed
the same way. Colours an input lacks keep their number where it is free, so a
colour that every output paints regardless of the input (an 8, say) stays 8.

A program found on the normalised task lifts back to one on the real grids,
``(restore-colors $0 P[(normalize-colors $0)])``: both steps are primitives of the
domain (resolved by name, never enumerated), so the lifted program prints, parses
and runs like any other.

>>> g = Grid.from_lists([[0, 0, 7], [0, 3, 3]])
>>> normalize_colors(g).to_lists()
[[0, 0, 2], [0, 1, 1]]
>>> restore_colors(g, Grid.from_lists([[2, 1]])).to_lists()
[[7, 3]]
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hylo.domains.arc.grid import NUM_COLORS, Grid
from hylo.domains.task import Example, Task
from hylo.lang.program import Abstraction, Index, Primitive, Program, apply_to, substitute
from hylo.lang.types import parse_type

__all__ = [
    "NORMALIZE",
    "RESTORE",
    "lift_normalized",
    "normalize_colors",
    "normalized_task",
    "own_colors",
    "palette",
    "resolve_palette",
    "restore_colors",
    "roles_may_help",
    "shows_new_colors",
]


def palette(grid: Grid) -> NDArray[np.int8]:
    """The renaming of ``grid``'s colours: ``palette(g)[c]`` is colour ``c``'s role."""
    colors, first, counts = np.unique(grid.array.ravel(), return_index=True, return_counts=True)
    bg = grid.background
    order = sorted(range(len(colors)), key=lambda i: (colors[i] != bg, -counts[i], first[i]))
    ranked = [int(colors[i]) for i in order]
    out = np.full(NUM_COLORS, -1, dtype=np.int8)
    out[ranked] = np.arange(len(ranked))
    # Absent colours keep their number when it is free; those whose number a role
    # took get the numbers the ranked colours left.
    k = len(ranked)
    absent = [c for c in range(NUM_COLORS) if c not in ranked]
    for c in absent:
        if c >= k:
            out[c] = c
    spare = iter(c for c in ranked if c >= k)
    for c in absent:
        if c < k:
            out[c] = next(spare)
    return out


def _renamed(grid: Grid, perm: NDArray[np.int8]) -> Grid:
    return Grid.wrap(perm[grid.array], int(perm[grid.background]))


def normalize_colors(grid: Grid) -> Grid:
    """``grid`` with its colours renamed by role (see the module)."""
    return _renamed(grid, palette(grid))


def restore_colors(source: Grid, grid: Grid) -> Grid:
    """``grid``, whose colours are roles of ``source``, in ``source``'s own colours."""
    return _renamed(grid, np.argsort(palette(source)).astype(np.int8))


NORMALIZE = Primitive(
    "normalize-colors",
    parse_type("grid -> grid"),
    normalize_colors,
    "rename the colours by role: background 0, then by cells covered",
)
RESTORE = Primitive(
    "restore-colors",
    parse_type("grid -> grid -> grid"),
    restore_colors,
    "the second grid's role colours back in the first grid's colours",
)


def resolve_palette(name: str) -> Primitive | None:
    """The palette step a name stands for (they are not offered to search)."""
    return {NORMALIZE.name: NORMALIZE, RESTORE.name: RESTORE}.get(name)


def shows_new_colors(task: Task) -> bool:
    """Whether a test input has a colour no training grid shows: constants cannot carry over."""
    seen: set[int] = set()
    for e in task.train:
        seen |= e.inputs[0].colors | e.output.colors
    return any(e.inputs[0].colors - seen for e in task.test)


def own_colors(task: Task) -> bool:
    """Whether no foreground colour is common to every training input: each pair brings
    its own colours, so what a colour does cannot be its number."""
    foregrounds = [e.inputs[0].colors - {e.inputs[0].background} for e in task.train]
    return bool(foregrounds) and not frozenset.intersection(*foregrounds)


def roles_may_help(task: Task) -> bool:
    """Whether to search ``task`` by roles: a test input shows new colours or each pair has
    its own, and renaming changes some grid (else the renamed task is the task itself)."""
    identity = np.arange(NUM_COLORS)
    grids = [e.inputs[0] for e in (*task.train, *task.test)]
    changes = any((palette(g) != identity).any() for g in grids)
    return changes and (shows_new_colors(task) or own_colors(task))


def normalized_task(task: Task) -> Task:
    """``task`` with every grid renamed by its input's palette."""

    def norm(e: Example) -> Example:
        (grid,) = e.inputs
        perm = palette(grid)
        out: Any = e.output
        if isinstance(out, Grid):
            out = _renamed(out, perm)
        return Example((_renamed(grid, perm),), out)

    return replace(task, train=tuple(map(norm, task.train)), test=tuple(map(norm, task.test)))


def lift_normalized(program: Program) -> Program:
    """A program of the normalised task as one of the real task (see the module).

    >>> from hylo.lang.program import show
    >>> from hylo.domains.arc._geometry import PRIMITIVES
    >>> rot = next(p for p in PRIMITIVES if p.name == "rot90")
    >>> show(lift_normalized(Abstraction(apply_to(rot, Index(0)))))
    '(lam (restore-colors $0 (rot90 (normalize-colors $0))))'
    """
    if not isinstance(program, Abstraction):
        raise ValueError(f"a grid program is (lam ...), got {program!r}")
    body = substitute(program.body, 0, apply_to(NORMALIZE, Index(0)))
    return Abstraction(apply_to(RESTORE, Index(0), body))
