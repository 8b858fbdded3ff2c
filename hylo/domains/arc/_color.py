"""Colour: recolouring, colour statistics, background detection, colour filters."""

from __future__ import annotations

import numpy as np

from hylo.domains.arc._util import bg, color, const, count, fg_mask, full, make, prim
from hylo.domains.arc.grid import NUM_COLORS, Grid
from hylo.lang.program import Primitive


def _counts(g: Grid) -> np.ndarray:
    return np.bincount(g.array.ravel(), minlength=NUM_COLORS)


def recolor(g: Grid, a: int, b: int) -> Grid:
    arr = g.array.copy()
    arr[g.array == color(a)] = color(b)
    return make(arr, g.background)


def swap_colors(g: Grid, a: int, b: int) -> Grid:
    arr = g.array.copy()
    arr[g.array == color(a)] = color(b)
    arr[g.array == b] = a
    return make(arr, g.background)


def majority_color(g: Grid) -> int:
    """The grid's own most common colour, whatever its task's background is."""
    return int(_counts(g).argmax())


def recolor_except(g: Grid, keep: int, c: int) -> Grid:
    """Every cell not of colour ``keep`` gets colour ``c``."""
    return make(np.where(g.array == color(keep), keep, color(c)), g.background)


def fg_color(g: Grid) -> int:
    counts = _counts(g)
    counts[g.background] = 0
    if not counts.any():
        raise ValueError("the grid has no foreground colour")
    return int(counts.argmax())


def least_color(g: Grid) -> int:
    counts = _counts(g).astype(np.int64)
    counts[counts == 0] = 10_000  # absent colours are not candidates
    return int(counts.argmin())


def num_colors(g: Grid) -> int:
    return int(np.count_nonzero(_counts(g))) - 1


def count_color(g: Grid, c: int) -> int:
    return int(np.count_nonzero(g.array == color(c)))


def keep_color(g: Grid, c: int) -> Grid:
    return make(np.where(g.array == color(c), g.array, g.background), g.background)


def remove_color(g: Grid, c: int) -> Grid:
    return make(np.where(g.array == color(c), g.background, g.array), g.background)


def paint_fg(g: Grid, c: int) -> Grid:
    return make(np.where(fg_mask(g), color(c), g.array), g.background)


def blank(g: Grid, c: int) -> Grid:
    return make(full(g.height, g.width, color(c)), None)


def canvas(h: int, w: int, c: int) -> Grid:
    return make(full(count(h), count(w), color(c)), None)


def has_color(g: Grid, c: int) -> bool:
    return bool((g.array == color(c)).any())


COLOR_CONSTANTS: tuple[Primitive, ...] = tuple(
    prim(f"c{k}", "color", const(k), f"the colour {k}") for k in range(NUM_COLORS)
)

PRIMITIVES: tuple[Primitive, ...] = (
    *COLOR_CONSTANTS,
    prim("recolor", "grid -> color -> color -> grid", recolor, "(recolor g a b): a becomes b"),
    prim("swap-colors", "grid -> color -> color -> grid", swap_colors, "exchange two colours"),
    prim(
        "recolor-except",
        "grid -> color -> color -> grid",
        recolor_except,
        "(recolor-except g a c): every cell not of colour a becomes c",
    ),
    prim("bg-color", "grid -> color", bg, "the background: the most common colour"),
    prim("majority-color", "grid -> color", majority_color, "the grid's own most common colour"),
    prim("fg-color", "grid -> color", fg_color, "the most common non-background colour"),
    prim("least-color", "grid -> color", least_color, "the least common colour present"),
    prim("num-colors", "grid -> int", num_colors, "how many non-background colours occur"),
    prim("count-color", "grid -> color -> int", count_color, "how many cells have a colour"),
    prim("keep-color", "grid -> color -> grid", keep_color, "only one colour's cells stay"),
    prim("remove-color", "grid -> color -> grid", remove_color, "a colour's cells become bg"),
    prim("paint-fg", "grid -> color -> grid", paint_fg, "every non-background cell gets c"),
    prim("blank", "grid -> color -> grid", blank, "a grid of the same shape filled with c"),
    prim("canvas", "int -> int -> color -> grid", canvas, "(canvas h w c): h x w cells of c"),
    prim("has-color", "grid -> color -> bool", has_color, "does a colour occur in the grid?"),
)
