"""Continuations: the output carries a grid's repeating pattern on to a larger size.

Some ARC tasks show the start of a pattern and ask for more of it: a zigzag that
goes on down to ten rows, a row of ``233`` twice as long, a strip of motifs half as
tall again. The output's top-left part is the grid itself; the rest repeats it by
the grid's smallest *translation symmetry* — the shortest step (down, or right)
under which every cell the grid shows agrees with the cell it lands on; a step with
a sideways slant (a staircase repeats two down and two right) only where no straight
one exists, since the cells it brings in from outside the grid are background; the
whole grid (plain tiling) where nothing shorter repeats. How large the output is, per axis, is
learned from the training pairs: the ``same`` size, a fixed size (``=10``), a
multiple (``x2``) or a fixed number more (``+3``).

A continuation is a primitive of type ``grid -> grid`` whose name holds its sizes,
rows first, as the neighbourhood rules' (:mod:`hylo.domains.arc.rules`) do::

    continue:=10.same

reads "continue the pattern down to 10 rows, keeping the width".

>>> from hylo.lang.program import Index, show
>>> g = Grid.from_text("23323/00000").with_background(0)
>>> wrap, run = continuation_completion([g], [Grid.from_text("2332332332/0000000000")])
>>> show(wrap(Index(0))), run(Grid.from_text("1211/0000").with_background(0)).to_text()
('(continue:same.x2 $0)', '12112112/00000000')
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from hylo.domains.arc._util import make
from hylo.domains.arc.finish import Completion, grid_pairs, learned_step
from hylo.domains.arc.grid import MAX_SIDE, Array, Grid
from hylo.domains.arc.tasks import GRID_TO_GRID
from hylo.lang.program import Primitive

PREFIX = "continue:"
_SIZE = re.compile(r"same|=[1-9]\d*|x[2-9]|\+[1-9]\d*")


def grown(rule: str, n: int) -> int:
    """The size ``rule`` gives a side of ``n`` cells."""
    if rule == "same":
        return n
    number = int(rule[1:])
    return {"=": number, "x": n * number, "+": n + number}[rule[0]]


def continue_pattern(rows: str, cols: str, g: Grid) -> Grid:
    """``g`` with its pattern carried on to the sizes ``rows`` and ``cols`` give."""
    h, w = g.shape
    height, width = grown(rows, h), grown(cols, w)
    if height < h or width < w or (height, width) == (h, w):
        raise ValueError(f"a {h}x{w} grid does not grow to {height}x{width}")
    if height > MAX_SIDE or width > MAX_SIDE:
        raise ValueError(f"{height}x{width} exceeds 30x30")
    out = np.full((height, width), g.background, dtype=np.int8)
    out[:h, :w] = g.array
    if height > h:
        _carry_down(out, h, w, g.background)
    if width > w:
        _carry_down(out.T, w, height, g.background)  # columns are the transpose's rows
    return make(out, g.background)


def _carry_down(out: Array, h: int, w: int, background: int) -> None:
    """Fill ``out``'s rows below ``h`` (its first ``w`` columns) by the pattern's step."""
    dr, dc = _step_down(out[:h, :w], background)
    for i in range(h, out.shape[0]):
        lo, hi = max(0, dc), min(w, w + dc)  # columns whose source lies inside
        out[i, lo:hi] = out[i - dr, lo - dc : hi - dc]


def _step_down(a: Array, background: int) -> tuple[int, int]:
    """The translation ``(dr, dc)`` by which ``a`` repeats downwards: the shortest straight
    one (``dc = 0``) under which ``a`` agrees with itself wherever both cells lie inside,
    with some foreground in the overlap, else the shortest slanted one (least slant
    first; a slant brings background in at one side), else the whole grid's height."""
    h, w = a.shape
    slants = sorted(range(-(w - 1), w), key=lambda d: (abs(d), d))[1:]
    for dr, dc in [(dr, 0) for dr in range(1, h)] + [
        (dr, dc) for dr in range(1, h) for dc in slants
    ]:
        lo, hi = max(0, dc), min(w, w + dc)
        below, above = a[dr:, lo:hi], a[: h - dr, lo - dc : hi - dc]
        if np.array_equal(below, above) and (below != background).any():
            return dr, dc
    return h, 0


def continuation_name(rows: str, cols: str) -> str:
    return f"{PREFIX}{rows}.{cols}"


@functools.lru_cache(maxsize=256)
def resolve_continuation(name: str) -> Primitive | None:
    """The continuation primitive a name stands for (see the module doc), or ``None``."""
    if not name.startswith(PREFIX):
        return None
    rows, _, cols = name.removeprefix(PREFIX).partition(".")
    if not (_SIZE.fullmatch(rows) and _SIZE.fullmatch(cols)) or rows == cols == "same":
        return None
    doc = f"the grid's pattern carried on to {rows} rows and {cols} columns"
    return Primitive(name, GRID_TO_GRID, functools.partial(continue_pattern, rows, cols), doc)


def continuation_completion(
    candidates: Sequence[Any], targets: Sequence[Any], tests: Sequence[Any] = ()
) -> Completion | None:
    """The continuation that grows every candidate into its target, or ``None``.

    Each target must start with its candidate (top-left), be larger in some pair, and
    be the candidate's pattern carried on; the sizes must follow one rule per axis."""
    pairs = grid_pairs(candidates, targets)
    if pairs is None:
        return None
    if not all(_starts_with(t, c) for c, t in pairs) or all(c.shape == t.shape for c, t in pairs):
        return None
    rows = _size_rule([(c.height, t.height) for c, t in pairs])
    cols = _size_rule([(c.width, t.width) for c, t in pairs])
    if rows is None or cols is None:
        return None
    primitive = resolve_continuation(continuation_name(rows, cols))
    assert primitive is not None  # some axis grows, so the name always resolves
    try:
        if not all(primitive.fn(c) == t for c, t in pairs):
            return None
    except ValueError:
        return None
    return learned_step(primitive)


def _starts_with(target: Grid, candidate: Grid) -> bool:
    (h, w), (height, width) = candidate.shape, target.shape
    return h <= height and w <= width and np.array_equal(target.array[:h, :w], candidate.array)


def _size_rule(sizes: Sequence[tuple[int, int]]) -> str | None:
    """The first of ``same``, ``xK``, ``=N``, ``+K`` that takes every ``n`` to its ``m``."""
    if all(n == m for n, m in sizes):
        return "same"
    n0, m0 = sizes[0]
    rules = []
    if m0 % n0 == 0:
        rules.append(f"x{m0 // n0}")
    rules += [f"={m0}", f"+{m0 - n0}"]
    for rule in rules:
        if _SIZE.fullmatch(rule) and all(grown(rule, n) == m for n, m in sizes):
            return rule
    return None
