"""Count drawings: the output draws a number the search has counted.

Some ARC tasks answer with a number, drawn: as many cells in a row as there are
coloured cells, a diagonal as long as the number of shapes, a bar of five cells whose
first ones fill up with the count. A lookup (:mod:`hylo.domains.arc.lookups`) can
only repeat an output it has seen for a count it has seen; a *count drawing* draws any
count, in one of a few layouts learned from the training pairs (with the drawing's
colour ``c`` and its background ``b``):

* ``row``: a 1×n grid of ``c``; ``column``: n×1; ``square``: n×n;
* ``diagonal``: an n×n grid of ``b`` with ``c`` on its main diagonal;
* ``barHxW``: an H×W grid whose first n cells, in reading order, are ``c`` and the
  rest ``b``.

A count drawing is a primitive of type ``int -> grid`` whose name holds its layout and
colours, as the neighbourhood rules' (:mod:`hylo.domains.arc.rules`) do::

    draw-count:diagonal.8.0

reads "an n×n grid of 0 with 8 on the diagonal". The layout must draw every training
output from its count, and the counts must differ between pairs: one count drawn the
same way in every pair is a constant, not a drawing.

>>> from hylo.lang.program import Index, show
>>> targets = [Grid.from_text("10/01"), Grid.from_text("100/010/001")]
>>> wrap, run = count_drawing_completion([2, 3], targets, [4])
>>> show(wrap(Index(0))), run(1).to_text()
('(draw-count:diagonal.1.0 $0)', '1')
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from hylo.domains.arc._util import full, make
from hylo.domains.arc.finish import Completion, learned_step
from hylo.domains.arc.grid import MAX_SIDE, Grid
from hylo.lang.program import Primitive
from hylo.lang.types import parse_type

PREFIX = "draw-count:"
_NAME = re.compile(r"(row|column|square|diagonal|bar([1-9]\d?)x([1-9]\d?))\.(\d)\.(\d)")
_INT_TO_GRID = parse_type("int -> grid")
COUNT = parse_type("int")
"""The type of the values a count drawing reads (its key)."""


def draw_count(layout: str, c: int, b: int, n: int) -> Grid:
    """The number ``n`` drawn in ``layout`` (see the module) in colour ``c`` on ``b``.

    Raises:
        ValueError: the drawing would be empty, larger than 30×30, or (a bar) has fewer
            cells than ``n``.
    """
    if layout.startswith("bar"):
        h, w = (int(x) for x in layout[3:].split("x"))
        if not 0 <= n <= h * w:
            raise ValueError(f"a {h}x{w} bar cannot show {n}")
        cells = np.full(h * w, b, dtype=np.int8)
        cells[:n] = c
        return make(cells.reshape(h, w), b)
    if not 1 <= n <= MAX_SIDE:
        raise ValueError(f"a count drawing is 1 to {MAX_SIDE} cells long, got {n}")
    if layout == "row":
        return make(full(1, n, c), b)
    if layout == "column":
        return make(full(n, 1, c), b)
    if layout == "square":
        return make(full(n, n, c), b)
    cells = full(n, n, b)
    np.fill_diagonal(cells, c)
    return make(cells, b)


def _layouts(target: Grid) -> list[tuple[str, int, int]]:
    """The layouts (with colours) that could have drawn ``target``, whatever its count."""
    h, w = target.shape
    first, last = int(target.array.flat[0]), int(target.array.flat[-1])
    other = next((int(v) for v in np.unique(target.array) if v != first), first)
    found = [(f"bar{h}x{w}", first, last if last != first else other)]
    if h == 1:
        found.append(("row", first, other))
    if w == 1:
        found.append(("column", first, other))
    if h == w:
        found.append(("square", first, other))
        if h > 1:
            found.append(("diagonal", first, int(target.array[0, 1])))
    return found


def count_drawing_completion(
    keys: Sequence[Any], targets: Sequence[Any], tests: Sequence[Any] = ()
) -> Completion | None:
    """The count drawing that draws each target from its key (a count), or ``None``.

    ``None`` when the keys do not vary, no layout draws every target, or a test key
    cannot be drawn."""
    if not targets or not all(isinstance(t, Grid) for t in targets):
        return None
    counts = [int(k) for k in keys]
    if len(set(counts)) < 2:
        return None  # one count for every pair: a constant output, not a drawing
    layouts = dict.fromkeys(x for t in targets for x in _layouts(t))  # ordered, no repeats
    for layout, c, b in layouts:
        if _draws(layout, c, b, list(zip(counts, targets, strict=True)), [int(n) for n in tests]):
            primitive = resolve_drawing(f"{PREFIX}{layout}.{c}.{b}")
            assert primitive is not None, "a learned drawing's name must resolve"
            return learned_step(primitive)
    return None


def _draws(
    layout: str, c: int, b: int, pairs: Sequence[tuple[int, Grid]], tests: Sequence[int]
) -> bool:
    """Whether the layout draws each pair's target from its count, and every test count."""
    try:
        if not all(draw_count(layout, c, b, n) == target for n, target in pairs):
            return False
        for n in tests:
            draw_count(layout, c, b, n)
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=256)
def resolve_drawing(name: str) -> Primitive | None:
    """The count drawing a name stands for (see the module doc), or ``None``."""
    match = _NAME.fullmatch(name.removeprefix(PREFIX)) if name.startswith(PREFIX) else None
    if match is None:
        return None
    layout, c, b = match.group(1), int(match.group(4)), int(match.group(5))
    doc = f"a count drawn as {layout}, colour {c} on {b}, learned from the pairs"
    return Primitive(name, _INT_TO_GRID, functools.partial(draw_count, layout, c, b), doc)
