"""Geometry: rigid transforms, cropping, padding, scaling, tiling, shifting, gravity."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from hylo.domains.arc._util import bbox, bg, color, count, fg_mask, make, prim
from hylo.domains.arc.grid import MAX_SIDE, Grid
from hylo.lang.program import Primitive

_STEP = {
    "up": (-1, 0),
    "down": (1, 0),
    "left": (0, -1),
    "right": (0, 1),
    "up-left": (-1, -1),
    "up-right": (-1, 1),
    "down-left": (1, -1),
    "down-right": (1, 1),
}
DIRECTIONS = tuple(_STEP)
_TURNS = {(1, 0): 0, (0, 1): 3, (-1, 0): 2, (0, -1): 1}
"""Quarter turns (``np.rot90``'s k) that make an orthogonal direction point down."""


def quarter_turns(direction: str) -> int:
    """How to rotate a grid so that ``direction`` points down; diagonals raise ValueError."""
    turns = _TURNS.get(step(direction))
    if turns is None:
        raise ValueError(f"{direction!r} is diagonal; use up, down, left or right")
    return turns


def step(direction: str) -> tuple[int, int]:
    """``(dr, dc)`` of a direction name; ``ValueError`` for an unknown one."""
    try:
        return _STEP[direction]
    except KeyError:
        raise ValueError(f"unknown direction {direction!r}; use one of {DIRECTIONS}") from None


def rot90(g: Grid) -> Grid:
    return make(np.rot90(g.array, k=-1), g.background)


def rot180(g: Grid) -> Grid:
    return make(g.array[::-1, ::-1], g.background)


def rot270(g: Grid) -> Grid:
    return make(np.rot90(g.array, k=1), g.background)


def flip_lr(g: Grid) -> Grid:
    return make(g.array[:, ::-1], g.background)


def flip_ud(g: Grid) -> Grid:
    return make(g.array[::-1, :], g.background)


def transpose(g: Grid) -> Grid:
    return make(g.array.T, g.background)


def anti_transpose(g: Grid) -> Grid:
    return make(g.array[::-1, ::-1].T, g.background)


def crop(g: Grid) -> Grid:
    t, b, lft, r = bbox(fg_mask(g))
    return make(g.array[t:b, lft:r], g.background)


def crop_color(g: Grid, c: int) -> Grid:
    t, b, lft, r = bbox(g.array == color(c))
    return make(g.array[t:b, lft:r], g.background)


def trim(g: Grid) -> Grid:
    if g.height < 3 or g.width < 3:
        raise ValueError(f"cannot trim the border of a {g.height}x{g.width} grid")
    return make(g.array[1:-1, 1:-1], g.background)


def pad(g: Grid, c: int) -> Grid:
    return make(np.pad(g.array, 1, constant_values=color(c)), g.background)


def upscale(g: Grid, k: int) -> Grid:
    k = count(k)
    return make(np.kron(g.array, np.ones((k, k), dtype=np.int8)), g.background)


def downscale(g: Grid, k: int) -> Grid:
    k = count(k, 2)
    return make(g.array[::k, ::k], g.background)


def tile(g: Grid, rows: int, cols: int) -> Grid:
    rows, cols = count(rows), count(cols)
    if g.height * rows > MAX_SIDE or g.width * cols > MAX_SIDE:
        raise ValueError("tiling would exceed 30x30")
    return make(np.tile(g.array, (rows, cols)), g.background)


def mirror_tile(g: Grid) -> Grid:
    a = g.array
    top = np.hstack([a, a[:, ::-1]])
    return make(np.vstack([top, top[::-1, :]]), g.background)


def rot_tile(g: Grid) -> Grid:
    """2x2 of g turned about the centre: g, then a quarter turn clockwise at each corner."""
    a = g.array
    if a.shape[0] != a.shape[1]:
        raise ValueError("only a square grid turns into a 2x2 of itself")
    top = np.hstack([a, np.rot90(a, -1)])
    return make(np.vstack([top, np.rot90(top, 2)]), g.background)


def fractal(g: Grid) -> Grid:
    """Each foreground cell becomes a copy of the grid, each background cell a blank."""
    return _copies_at(g.array != bg(g), g)


def fractal_at(g: Grid, c: int) -> Grid:
    """Each cell of colour ``c`` becomes a copy of the grid, every other cell a blank."""
    return _copies_at(g.array == color(c), g)


def _copies_at(mask: NDArray[np.bool_], g: Grid) -> Grid:
    """A copy of ``g`` for each true cell of ``mask``, a blank of its size elsewhere:
    icecuber's outer product of a grid with itself. (Its two-grid form, tried as a
    primitive, paired every small grid value with every other and halved the search's
    speed on small-grid tasks.)"""
    (mh, mw), (h, w) = mask.shape, g.shape
    if mh * h > MAX_SIDE or mw * w > MAX_SIDE:
        raise ValueError("the copies would exceed 30x30")
    out = np.full((mh * h, mw * w), bg(g), dtype=np.int8)
    for r, c in zip(*np.nonzero(mask), strict=True):
        out[r * h : (r + 1) * h, c * w : (c + 1) * w] = g.array
    return make(out, g.background)


def shift(g: Grid, direction: str, n: int) -> Grid:
    dr, dc = step(direction)
    n = count(n)
    a = g.array
    h, w = a.shape
    out = np.full_like(a, bg(g))
    dr, dc = dr * n, dc * n
    src = a[max(0, -dr) : h - max(0, dr), max(0, -dc) : w - max(0, dc)]
    if src.size:
        out[max(0, dr) : max(0, dr) + src.shape[0], max(0, dc) : max(0, dc) + src.shape[1]] = src
    return make(out, g.background)


def gravity(g: Grid, direction: str) -> Grid:
    """Every foreground cell falls towards ``direction`` until it meets another or the edge."""
    # Work on columns falling down: rotate the direction to "down", then back.
    turns = quarter_turns(direction)
    a = np.rot90(g.array, k=turns)
    b = bg(g)
    out = np.full_like(a, b)
    h = a.shape[0]
    for c in range(a.shape[1]):
        cells = a[:, c][a[:, c] != b]
        if cells.size:
            out[h - cells.size :, c] = cells
    return make(np.rot90(out, k=-turns), g.background)


def compress(g: Grid) -> Grid:
    """Drop every row and column made of a single colour."""
    a = g.array
    rows = ~(a == a[:, :1]).all(axis=1)
    cols = ~(a == a[:1, :]).all(axis=0)
    return make(a[rows][:, cols], g.background)


def dedup_lines(g: Grid) -> Grid:
    """Collapse runs of identical adjacent rows, then of identical adjacent columns."""
    a = g.array
    keep_r = np.ones(a.shape[0], dtype=bool)
    keep_r[1:] = (a[1:] != a[:-1]).any(axis=1)
    a = a[keep_r]
    keep_c = np.ones(a.shape[1], dtype=bool)
    keep_c[1:] = (a[:, 1:] != a[:, :-1]).any(axis=0)
    return make(a[:, keep_c], g.background)


PRIMITIVES: tuple[Primitive, ...] = (
    prim("rot90", "grid -> grid", rot90, "rotate a quarter turn clockwise"),
    prim("rot180", "grid -> grid", rot180, "rotate a half turn"),
    prim("rot270", "grid -> grid", rot270, "rotate a quarter turn anticlockwise"),
    prim("flip-lr", "grid -> grid", flip_lr, "mirror left to right"),
    prim("flip-ud", "grid -> grid", flip_ud, "mirror top to bottom"),
    prim("transpose", "grid -> grid", transpose, "swap rows and columns (main diagonal)"),
    prim("anti-transpose", "grid -> grid", anti_transpose, "mirror along the anti-diagonal"),
    prim("crop", "grid -> grid", crop, "crop to the bounding box of the non-background cells"),
    prim("crop-color", "grid -> color -> grid", crop_color, "crop to the box of one colour"),
    prim("trim", "grid -> grid", trim, "remove the outermost ring of cells"),
    prim("pad", "grid -> color -> grid", pad, "add a one-cell border of a colour"),
    prim("upscale", "grid -> int -> grid", upscale, "each cell becomes a k x k block"),
    prim("downscale", "grid -> int -> grid", downscale, "keep every k-th row and column"),
    prim("tile", "grid -> int -> int -> grid", tile, "(tile g r c): r x c copies of g"),
    prim("mirror-tile", "grid -> grid", mirror_tile, "2x2 of g and its mirror images"),
    prim("rot-tile", "grid -> grid", rot_tile, "2x2 of g turned a quarter at each corner"),
    prim("fractal", "grid -> grid", fractal, "each foreground cell becomes a copy of the grid"),
    prim("fractal-at", "grid -> color -> grid", fractal_at, "a copy of g per cell of colour c"),
    prim("shift", "grid -> dir -> int -> grid", shift, "move everything n cells (bg fills in)"),
    prim("gravity", "grid -> dir -> grid", gravity, "foreground cells fall towards a side"),
    prim("compress", "grid -> grid", compress, "drop the rows and columns of a single colour"),
    prim("dedup-lines", "grid -> grid", dedup_lines, "collapse repeated adjacent rows/columns"),
)
