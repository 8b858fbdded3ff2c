"""Symmetry: making grids symmetric, and completing a masked region from symmetry.

:func:`complete` treats the cells of one colour as unknown and fills them from the
grid's own symmetries: mirror axes anywhere in the grid (not only in the middle),
half turns about points near the middle, diagonal mirrors, and translations
(periodic tilings); each is used only when it maps at least half of the known
cells onto known cells and never contradicts one.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from hylo.domains.arc._util import BoolArray, bbox, color, make, prim
from hylo.domains.arc.grid import Array, Grid
from hylo.lang.program import Primitive

IntArray = NDArray[np.int_]


def _fill_bg(g: Grid, other: Array) -> Grid:
    a = g.array
    return make(np.where(a == g.background, other, a), g.background)


def sym_lr(g: Grid) -> Grid:
    """Background cells take the colour of their left-right mirror cell."""
    return _fill_bg(g, g.array[:, ::-1])


def sym_ud(g: Grid) -> Grid:
    return _fill_bg(g, g.array[::-1, :])


def sym_both(g: Grid) -> Grid:
    """Both mirrors, with the background of ``g`` (the first pass may change the majority)."""
    b = g.background
    a = np.where(g.array == b, g.array[:, ::-1], g.array)
    a = np.where(a == b, a[::-1, :], a)
    return make(np.where(a == b, a[:, ::-1], a), g.background)


def _square(g: Grid) -> None:
    if g.height != g.width:
        raise ValueError(f"a {g.height}x{g.width} grid is not square")


def sym_rot(g: Grid) -> Grid:
    """Background cells filled from the grid's quarter-turn rotations (square grids)."""
    _square(g)
    a = g.array.copy()
    b = g.background
    for k in (1, 2, 3):
        r = np.rot90(a, k)
        a = np.where(a == b, r, a)
    return make(a, g.background)


def sym_diag(g: Grid) -> Grid:
    _square(g)
    return _fill_bg(g, g.array.T)


def is_sym_lr(g: Grid) -> bool:
    return bool((g.array == g.array[:, ::-1]).all())


def is_sym_ud(g: Grid) -> bool:
    return bool((g.array == g.array[::-1, :]).all())


def is_mirror_image(g: Grid) -> bool:
    """Whether the grid is its own mirror image (left-right, up-down or on a diagonal)."""
    if is_sym_lr(g) or is_sym_ud(g):
        return True
    a = g.array
    return a.shape[0] == a.shape[1] and bool((a == a.T).all() or (a == a[::-1, ::-1].T).all())


def sym_complete(g: Grid) -> Grid:
    """Fill background in the foreground's box from the box's agreeing symmetries.

    The mirror images and rotations of the bounding box of the foreground that never
    put one colour on another fill in the background cells they cover.
    """
    a, b = g.array.copy(), g.background
    t, bottom, lft, r = bbox(a != b)
    box = a[t:bottom, lft:r]
    views = [box[::-1, :], box[:, ::-1], box[::-1, ::-1]]
    if box.shape[0] == box.shape[1]:
        views += [box.T, np.rot90(box, 1), np.rot90(box, -1), box[::-1, ::-1].T]
    fg = box != b
    agreeing = [v for v in views if not (fg & (v != b) & (box != v)).any()]
    filled = box.copy()
    for v in agreeing:
        filled = np.where(filled == b, v, filled)
    if (filled == box).all():
        raise ValueError("no symmetry adds a cell")
    a[t:bottom, lft:r] = filled
    return make(a, b)


# --- completion ------------------------------------------------------------------------

_MIN_OVERLAP = 0.5  # share of known cells a symmetry must map onto known cells


def _maps(h: int, w: int) -> Iterator[tuple[IntArray, IntArray]]:
    """Candidate symmetries as (row, column) index arrays, -1 where off the grid."""
    r, c = np.indices((h, w))
    for s in range(1, 2 * w - 2):  # mirror axes: column c <-> s - c
        yield r, s - c
    for s in range(1, 2 * h - 2):
        yield s - r, c
    for sr in range(max(1, h - 4), min(2 * h - 2, h + 3)):  # half-turns near the middle
        for sc in range(max(1, w - 4), min(2 * w - 2, w + 3)):
            yield sr - r, sc - c
    for d in range(-(h // 2), h // 2 + 1):  # diagonals r - c = d
        yield c + d, r - d
        yield (w - 1 - c) + d, (h - 1 - r) - d
    for p in range(1, h):  # translations
        yield r + p, c
        yield r - p, c
    for p in range(1, w):
        yield r, c + p
        yield r, c - p


FlatMap = tuple[BoolArray, NDArray[np.int32], int]
"""A symmetry on flattened cells: which cells it maps from inside the grid, the flat
index it maps each from (0 where outside) and how many cells lie inside."""


@functools.lru_cache(maxsize=16)
def _flat_maps(h: int, w: int) -> tuple[FlatMap, ...]:
    """The candidate symmetries of an ``h``×``w`` grid, computed once per shape: a
    search completes grids of a handful of shapes tens of thousands of times."""
    out = []
    for rr, cc in _maps(h, w):
        inside = ((rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)).ravel()
        src = np.where(inside, (rr * w + cc).ravel(), 0).astype(np.int32)
        inside.setflags(write=False)
        src.setflags(write=False)
        out.append((inside, src, int(inside.sum())))
    return tuple(out)


def _consistent(a: Array, known: BoolArray, m: FlatMap, num_known: int) -> bool:
    """Does the map never contradict a known cell, and map enough known cells to known?
    (``a`` and ``known`` flattened.)"""
    inside, src, num_inside = m
    if num_inside < _MIN_OVERLAP * num_known:
        return False  # cannot reach the overlap: no need to look at the cells
    both = inside & known & known[src]
    if both.sum() < _MIN_OVERLAP * num_known:
        return False
    return not (a[both] != a[src[both]]).any()


def complete(g: Grid, mask_color: int) -> Grid:
    """Fill the cells of ``mask_color`` from the symmetries that the rest of the grid has."""
    a = g.array.ravel().copy()
    known = a != color(mask_color)
    if known.all():
        raise ValueError(f"no cell of colour {mask_color} to fill")
    num_known = int(known.sum())
    useful = [m for m in _flat_maps(*g.shape) if _consistent(a, known, m, num_known)]
    for _ in range(4):  # symmetries compose: repeat until nothing changes
        before = int(known.sum())
        for inside, src, _ in useful:
            fill = ~known & inside & known[src]
            a[fill] = a[src[fill]]
            known |= fill
        if known.all() or known.sum() == before:
            break
    if not known.all():
        raise ValueError("the grid's symmetries do not determine every masked cell")
    return make(a.reshape(g.shape), g.background)


def masked_patch(g: Grid, mask_color: int) -> Grid:
    """The completed cells under the mask, cropped to the mask's bounding box."""
    t, b, lft, r = bbox(g.array == color(mask_color))
    return make(complete(g, mask_color).array[t:b, lft:r], g.background)


PRIMITIVES: tuple[Primitive, ...] = (
    prim("sym-lr", "grid -> grid", sym_lr, "background filled from the left-right mirror"),
    prim("sym-ud", "grid -> grid", sym_ud, "background filled from the top-bottom mirror"),
    prim("sym-both", "grid -> grid", sym_both, "background filled from both mirrors"),
    prim("sym-rot", "grid -> grid", sym_rot, "background filled from quarter-turn rotations"),
    prim("sym-diag", "grid -> grid", sym_diag, "background filled from the transpose"),
    prim("sym-complete", "grid -> grid", sym_complete, "complete the foreground's symmetries"),
    prim("complete", "grid -> color -> grid", complete, "fill cells of colour c by symmetry"),
    prim("masked-patch", "grid -> color -> grid", masked_patch, "what lies under colour c"),
    prim("is-sym-lr", "grid -> bool", is_sym_lr, "is the grid its own left-right mirror?"),
    prim("is-sym-ud", "grid -> bool", is_sym_ud, "is the grid its own top-bottom mirror?"),
)
