"""Filling: enclosed regions, lines between points, flood fill, rays, borders."""

from __future__ import annotations

import numpy as np
from scipy import ndimage  # type: ignore[import-untyped]

from hylo.domains.arc._geometry import quarter_turns, step
from hylo.domains.arc._util import color, const, make, prim
from hylo.domains.arc.grid import Array, Grid
from hylo.lang.program import Primitive

_FOUR = ndimage.generate_binary_structure(2, 1)
AXES = ("horizontal", "vertical", "both-axes")


def fill_enclosed(g: Grid, c: int) -> Grid:
    """Background cells that cannot reach the grid's edge (4-connected) get colour ``c``."""
    a = g.array
    bgmask = np.pad(a == g.background, 1, constant_values=True)
    labels, _ = ndimage.label(bgmask, structure=_FOUR)
    enclosed = (labels != labels[0, 0])[1:-1, 1:-1] & (a == g.background)
    if not enclosed.any():
        raise ValueError("no enclosed background region")
    return make(np.where(enclosed, color(c), a), g.background)


def _connect_lines(a: Array, b: int) -> Array:
    """Fill background between consecutive same-coloured cells of each row."""
    w = a.shape[1]
    fg = a != b
    cols = np.arange(w)
    left = np.maximum.accumulate(np.where(fg, cols, -1), axis=1)
    right = np.minimum.accumulate(np.where(fg, cols, w)[:, ::-1], axis=1)[:, ::-1]
    left_color = np.take_along_axis(a, np.clip(left, 0, w - 1), axis=1)
    right_color = np.take_along_axis(a, np.clip(right, 0, w - 1), axis=1)
    fill = ~fg & (left >= 0) & (right < w) & (left_color == right_color)
    out: Array = np.where(fill, left_color, a)
    return out


def connect(g: Grid) -> Grid:
    """Draw lines between same-coloured cells that face each other in a row or column."""
    b = g.background
    rows = _connect_lines(g.array, b)
    cols = _connect_lines(g.array.T, b).T
    out = np.where(rows != b, rows, cols)
    return make(out, g.background)


def _connect_diagonals(a: Array, b: int) -> Array:
    """Connect along the diagonals r - c = k by shearing them into columns."""
    h, w = a.shape
    rows = np.arange(h)[:, None]
    cols = np.arange(w)[None, :] - rows + (h - 1)
    sheared = np.full((h, h + w - 1), b, dtype=a.dtype)
    sheared[rows, cols] = a
    joined = _connect_lines(sheared.T, b).T
    out: Array = joined[rows, cols]
    return out


def connect_diag(g: Grid) -> Grid:
    """Draw diagonal lines between same-coloured cells that face each other."""
    a, b = g.array, g.background
    main = _connect_diagonals(a, b)
    anti = _connect_diagonals(a[:, ::-1], b)[:, ::-1]
    return make(np.where(main != b, main, anti), b)


def fill_interior(g: Grid, c: int) -> Grid:
    """Foreground cells whose four neighbours are all foreground get colour ``c``."""
    fg = np.pad(g.array != g.background, 1, constant_values=False)
    inner = fg[1:-1, 1:-1] & fg[:-2, 1:-1] & fg[2:, 1:-1] & fg[1:-1, :-2] & fg[1:-1, 2:]
    if not inner.any():
        raise ValueError("no foreground cell is surrounded by foreground")
    return make(np.where(inner, color(c), g.array), g.background)


def flood_fill(g: Grid, r: int, c: int, new: int) -> Grid:
    """The 4-connected one-colour region around (r, c) gets colour ``new``."""
    if not (0 <= r < g.height and 0 <= c < g.width):
        raise ValueError(f"({r}, {c}) is outside a {g.height}x{g.width} grid")
    a = g.array
    labels, _ = ndimage.label(a == a[r, c], structure=_FOUR)
    return make(np.where(labels == labels[r, c], color(new), a), g.background)


def _rays(g: Grid, sources: np.ndarray, direction: str) -> Grid:
    """Rays from the ``sources`` cells over background; other colours block them."""
    dr, dc = step(direction)
    if dr and dc:
        return _diagonal_rays(g, sources, dr, dc)
    turns = quarter_turns(direction)  # make it "down"
    a = np.rot90(g.array, turns)
    carry = np.where(np.rot90(sources, turns), a, -1)
    free = a == g.background
    for r in range(1, a.shape[0]):
        take = free[r] & (carry[r - 1] >= 0)
        carry[r] = np.where(take, carry[r - 1], carry[r])
    return make(np.rot90(np.where(carry >= 0, carry, a), -turns), g.background)


def _diagonal_rays(g: Grid, sources: np.ndarray, dr: int, dc: int) -> Grid:
    a, b = g.array, g.background
    h, w = a.shape
    carry = np.where(sources, a, -1)
    free = a == b
    for _ in range(max(h, w)):  # each round extends every ray by one cell
        moved = np.full_like(carry, -1)
        src = carry[max(0, -dr) : h - max(0, dr), max(0, -dc) : w - max(0, dc)]
        moved[max(0, dr) : h - max(0, -dr), max(0, dc) : w - max(0, -dc)] = src
        take = free & (carry < 0) & (moved >= 0)
        if not take.any():
            break
        carry = np.where(take, moved, carry)
    return make(np.where(carry >= 0, carry, a), b)


def extend(g: Grid, direction: str) -> Grid:
    """Every foreground cell shoots a ray of its colour over background towards a side."""
    return _rays(g, g.array != g.background, direction)


def rays(g: Grid, c: int, direction: str) -> Grid:
    """Cells of colour ``c`` shoot rays over background towards a side."""
    return _rays(g, g.array == color(c), direction)


def lines_through(g: Grid, c: int, axis: str) -> Grid:
    """Full rows and/or columns through every cell of colour ``c`` (over background)."""
    if axis not in AXES:
        raise ValueError(f"unknown axis {axis!r}; use one of {AXES}")
    a = g.array
    hit = a == color(c)
    if not hit.any():
        raise ValueError(f"colour {c} does not occur")
    line = np.zeros(a.shape, dtype=bool)
    if axis in ("horizontal", "both-axes"):
        line |= hit.any(axis=1)[:, None]
    if axis in ("vertical", "both-axes"):
        line |= hit.any(axis=0)[None, :]
    return make(np.where(line & (a == g.background), c, a), g.background)


def _period(a: Array, b: int) -> tuple[int, int, int] | None:
    """``(p, first, last)``: the smallest column period of the foreground's column span."""
    cols = np.flatnonzero((a != b).any(axis=0))
    if cols.size == 0:
        return None
    first, last = int(cols[0]), int(cols[-1])
    span = a[:, first : last + 1]
    for p in range(1, span.shape[1] // 2 + 1):  # two whole periods at least
        if (span[:, p:] == span[:, :-p]).all():
            return p, first, last
    return None


def _continue_cols(a: Array, b: int) -> Array | None:
    found = _period(a, b)
    if found is None:
        return None
    p, first, last = found
    out = a.copy()
    for c in range(last + 1, a.shape[1]):
        out[:, c] = out[:, c - p]
    for c in range(first - 1, -1, -1):
        out[:, c] = out[:, c + p]
    return out


def continue_pattern(g: Grid, axis: str) -> Grid:
    """Repeat the foreground's periodic pattern beyond its span, along rows and/or columns.

    The span of columns that hold foreground must repeat itself with some period
    (seen whole at least twice); the columns beyond are filled with it.
    """
    if axis not in AXES:
        raise ValueError(f"unknown axis {axis!r}; use one of {AXES}")
    a, b = g.array, g.background
    if axis in ("horizontal", "both-axes"):
        cols = _continue_cols(a, b)
        a = a if cols is None else cols
    if axis in ("vertical", "both-axes"):
        rows = _continue_cols(a.T, b)
        a = a if rows is None else rows.T
    if (a == g.array).all():
        raise ValueError("no periodic pattern to continue")
    return make(a, b)


def border(g: Grid, c: int) -> Grid:
    a = g.array.copy()
    color(c)
    a[0, :] = a[-1, :] = c
    a[:, 0] = a[:, -1] = c
    return make(a, g.background)


AXIS_CONSTANTS: tuple[Primitive, ...] = tuple(
    prim(name, "axis", const(name), f"the {name.replace('-axes', '')} direction") for name in AXES
)

PRIMITIVES: tuple[Primitive, ...] = (
    *AXIS_CONSTANTS,
    prim("fill-enclosed", "grid -> color -> grid", fill_enclosed, "enclosed background gets c"),
    prim("connect", "grid -> grid", connect, "join same-coloured cells facing each other"),
    prim("connect-diag", "grid -> grid", connect_diag, "join same colours along diagonals"),
    prim("fill-interior", "grid -> color -> grid", fill_interior, "inner cells of shapes get c"),
    prim("flood-fill", "grid -> int -> int -> color -> grid", flood_fill, "fill a region at r,c"),
    prim("extend", "grid -> dir -> grid", extend, "every foreground cell shoots a ray"),
    prim("rays", "grid -> color -> dir -> grid", rays, "cells of colour c shoot rays"),
    prim("lines-through", "grid -> color -> axis -> grid", lines_through, "lines through c"),
    prim("border", "grid -> color -> grid", border, "the outermost ring gets colour c"),
    prim(
        "continue-pattern",
        "grid -> axis -> grid",
        continue_pattern,
        "repeat the periodic foreground beyond its span along an axis",
    ),
)
