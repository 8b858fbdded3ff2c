"""Composition: overlaying, pasting, concatenating, splitting, cell-wise logic of grids."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np

from hylo.domains.arc._symmetry import is_mirror_image
from hylo.domains.arc._util import BoolArray, color, count, make, prim
from hylo.domains.arc.grid import NUM_COLORS, Array, Grid
from hylo.lang.program import Primitive


def _same_shape(a: Grid, b: Grid) -> None:
    if a.shape != b.shape:
        raise ValueError(f"grids of different shapes: {a.shape} and {b.shape}")


def overlay(a: Grid, b: Grid) -> Grid:
    """``b``'s non-background cells drawn over ``a`` (same shapes)."""
    _same_shape(a, b)
    return make(np.where(b.array != b.background, b.array, a.array), a.background)


def paste(a: Grid, b: Grid, r: int, c: int) -> Grid:
    """``b`` copied into ``a`` with its top-left corner at row ``r``, column ``c``."""
    if not (r >= 0 and c >= 0 and r + b.height <= a.height and c + b.width <= a.width):
        raise ValueError(f"a {b.shape} grid does not fit in {a.shape} at ({r}, {c})")
    out = a.array.copy()
    out[r : r + b.height, c : c + b.width] = b.array
    return make(out, a.background)


def hconcat(a: Grid, b: Grid) -> Grid:
    if a.height != b.height:
        raise ValueError(f"cannot put side by side grids of heights {a.height} and {b.height}")
    return make(np.hstack([a.array, b.array]), a.background)


def vconcat(a: Grid, b: Grid) -> Grid:
    if a.width != b.width:
        raise ValueError(f"cannot stack grids of widths {a.width} and {b.width}")
    return make(np.vstack([a.array, b.array]), a.background)


def left_half(g: Grid) -> Grid:
    return make(g.array[:, : g.width // 2], g.background)


def right_half(g: Grid) -> Grid:
    return make(g.array[:, g.width - g.width // 2 :], g.background)


def top_half(g: Grid) -> Grid:
    return make(g.array[: g.height // 2], g.background)


def bottom_half(g: Grid) -> Grid:
    return make(g.array[g.height - g.height // 2 :], g.background)


def _split(a: Array, n: int) -> list[Array]:
    """``n`` equal parts along axis 0, skipping one-cell separators when they fit."""
    n = count(n, 2)
    size = a.shape[0]
    if size % n == 0:
        k = size // n
        return [a[i * k : (i + 1) * k] for i in range(n)]
    if (size - (n - 1)) % n == 0 and size > n:
        k = (size - (n - 1)) // n
        return [a[i * (k + 1) : i * (k + 1) + k] for i in range(n)]
    raise ValueError(f"cannot split {size} cells into {n} equal parts")


def split_rows(g: Grid, n: int) -> list[Grid]:
    return [make(p, g.background) for p in _split(g.array, n)]


def split_cols(g: Grid, n: int) -> list[Grid]:
    return [make(p.T, g.background) for p in _split(g.array.T, n)]


def _runs(keep: BoolArray) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, k in enumerate([*keep.tolist(), False]):
        if k and start is None:
            start = i
        elif not k and start is not None:
            runs.append((start, i))
            start = None
    return runs


def separator_color(g: Grid) -> int:
    """The colour of the full rows/columns that divide the grid (most such lines wins)."""
    a = g.array
    lines: Counter[int] = Counter()
    for lines_of in (a, a.T):
        uniform = (lines_of == lines_of[:, :1]).all(axis=1)
        lines.update(int(c) for c in lines_of[uniform, 0])
    candidates = [(n, c != g.background, c) for c, n in lines.items()]
    if not candidates:
        raise ValueError("the grid has no separator lines")
    return max(candidates, key=lambda x: (x[1], x[0]))[2]


def split_sep(g: Grid) -> list[Grid]:
    """The cells between full separator lines of one colour, row by row."""
    a = g.array
    s = separator_color(g)
    row_runs = _runs(~(a == s).all(axis=1))
    col_runs = _runs(~(a == s).all(axis=0))
    parts = [make(a[r0:r1, c0:c1], g.background) for r0, r1 in row_runs for c0, c1 in col_runs]
    if len(parts) < 2:
        raise ValueError("the separator lines do not divide the grid")
    return parts


def _pair_bg(a: Grid, b: Grid) -> int:
    """The background the two grids share; else their most common colour together.

    (Two halves of one grid share its background even when one of them holds more of
    another colour: 99b1bc43's lower half is mostly red.)"""
    _same_shape(a, b)
    if a.background == b.background:
        return a.background
    counts = np.bincount(a.array.ravel(), minlength=NUM_COLORS)
    counts += np.bincount(b.array.ravel(), minlength=NUM_COLORS)
    return int(counts.argmax())


def _cellwise(rule: Callable[[BoolArray, BoolArray], BoolArray]) -> Callable[..., Grid]:
    def apply(a: Grid, b: Grid, c: int) -> Grid:
        back = _pair_bg(a, b)
        on = rule(a.array != back, b.array != back)
        return make(np.where(on, color(c), back), back)

    return apply


cell_and = _cellwise(lambda x, y: x & y)
cell_or = _cellwise(lambda x, y: x | y)
cell_xor = _cellwise(lambda x, y: x ^ y)
cell_nor = _cellwise(lambda x, y: ~(x | y))
cell_diff = _cellwise(lambda x, y: x & ~y)


def _need(grids: list[Grid]) -> list[Grid]:
    if not grids:
        raise ValueError("no grids")
    return grids


def stack_h(grids: list[Grid]) -> Grid:
    grids = _need(grids)
    if len({g.height for g in grids}) != 1:
        raise ValueError("grids of different heights cannot be put side by side")
    return make(np.hstack([g.array for g in grids]), grids[0].background)


def stack_v(grids: list[Grid]) -> Grid:
    grids = _need(grids)
    if len({g.width for g in grids}) != 1:
        raise ValueError("grids of different widths cannot be stacked")
    return make(np.vstack([g.array for g in grids]), grids[0].background)


def overlay_all(grids: list[Grid]) -> Grid:
    grids = _need(grids)
    out = grids[0]
    for g in grids[1:]:
        out = overlay(out, g)
    return out


def grid_at(n: int, grids: list[Grid]) -> Grid:
    if not 0 <= n < len(grids):
        raise ValueError(f"no grid {n} among {len(grids)}")
    return grids[n]


def _fg_cells(g: Grid) -> int:
    return int(np.count_nonzero(g.array != g.background))


def _ncolors(g: Grid) -> int:
    return len(np.unique(g.array))


def pick_max_fg(grids: list[Grid]) -> Grid:
    return max(_need(grids), key=_fg_cells)


def pick_min_fg(grids: list[Grid]) -> Grid:
    return min(_need(grids), key=_fg_cells)


def pick_most_colors(grids: list[Grid]) -> Grid:
    return max(_need(grids), key=_ncolors)


def pick_least_colors(grids: list[Grid]) -> Grid:
    return min(_need(grids), key=_ncolors)


def _the_one(grids: list[Grid], symmetric: bool, what: str) -> Grid:
    found = [g for g in grids if is_mirror_image(g) == symmetric]
    if len(found) != 1:
        raise ValueError(f"{len(found)} of the grids are {what}, not one")
    return found[0]


def pick_symmetric(grids: list[Grid]) -> Grid:
    return _the_one(grids, True, "symmetric")


def pick_asymmetric(grids: list[Grid]) -> Grid:
    return _the_one(grids, False, "asymmetric")


def pick_unique(grids: list[Grid]) -> Grid:
    """The one grid that differs from all the others (by cells, else by its colours)."""
    for key in (lambda g: g, lambda g: tuple(np.unique(g.array)), _fg_cells):
        values = [key(g) for g in grids]
        tally = Counter(values)
        unique = [g for g, v in zip(grids, values, strict=True) if tally[v] == 1]
        if len(unique) == 1:
            return unique[0]
    raise ValueError("no single grid differs from the others")


def map_grids(f: Callable[[Grid], Grid], grids: list[Grid]) -> list[Grid]:
    return [f(g) for g in grids]


_CELL = "grid -> grid -> color -> grid"
_PICK = "list(grid) -> grid"
PRIMITIVES: tuple[Primitive, ...] = (
    prim("overlay", "grid -> grid -> grid", overlay, "the second grid's foreground over the first"),
    prim("paste", "grid -> grid -> int -> int -> grid", paste, "(paste a b r c): b into a at r,c"),
    prim("hconcat", "grid -> grid -> grid", hconcat, "put two grids side by side"),
    prim("vconcat", "grid -> grid -> grid", vconcat, "put one grid above another"),
    prim("left-half", "grid -> grid", left_half, "the left half (middle column dropped)"),
    prim("right-half", "grid -> grid", right_half, "the right half (middle column dropped)"),
    prim("top-half", "grid -> grid", top_half, "the top half (middle row dropped)"),
    prim("bottom-half", "grid -> grid", bottom_half, "the bottom half (middle row dropped)"),
    prim("split-rows", "grid -> int -> list(grid)", split_rows, "n equal bands, top to bottom"),
    prim("split-cols", "grid -> int -> list(grid)", split_cols, "n equal bands, left to right"),
    prim("split-sep", "grid -> list(grid)", split_sep, "the cells between separator lines"),
    prim("cell-and", _CELL, cell_and, "c where both grids have foreground, else background"),
    prim("cell-or", _CELL, cell_or, "c where either grid has foreground, else background"),
    prim("cell-xor", _CELL, cell_xor, "c where exactly one grid has foreground"),
    prim("cell-nor", _CELL, cell_nor, "c where neither grid has foreground"),
    prim("cell-diff", _CELL, cell_diff, "c where the first has foreground and not the second"),
    prim("stack-h", "list(grid) -> grid", stack_h, "all grids side by side"),
    prim("stack-v", "list(grid) -> grid", stack_v, "all grids one above another"),
    prim("overlay-all", _PICK, overlay_all, "overlay every grid in turn"),
    prim("grid-at", "int -> list(grid) -> grid", grid_at, "the grid at a 0-based position"),
    prim("pick-max-fg", _PICK, pick_max_fg, "the grid with the most foreground cells"),
    prim("pick-min-fg", _PICK, pick_min_fg, "the grid with the fewest foreground cells"),
    prim("pick-most-colors", _PICK, pick_most_colors, "the grid with the most colours"),
    prim("pick-least-colors", _PICK, pick_least_colors, "the grid with the fewest colours"),
    prim("pick-unique", _PICK, pick_unique, "the grid unlike all others"),
    prim("pick-symmetric", _PICK, pick_symmetric, "the one grid that is its own mirror image"),
    prim("pick-asymmetric", _PICK, pick_asymmetric, "the one grid not its own mirror image"),
    prim("map-grids", "(grid -> grid) -> list(grid) -> list(grid)", map_grids, "apply to each"),
)
