"""Objects: connected components, their properties, and first-order selectors.

Selectors take a property name (type ``prop``) rather than a function, so that a
value-based search can use them without lambdas: ``(select-max p-size (objects $0))``
is the largest object. Lists of objects are Python lists, ordered by position
(top, then left); selectors that meet a tie take the first object in that order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage  # type: ignore[import-untyped]

from hylo.domains.arc._geometry import step
from hylo.domains.arc._util import BoolArray, color, const, count, make, prim
from hylo.domains.arc.grid import EMPTY, MAX_SIDE, Array, Grid, Obj, obj_from_mask
from hylo.lang.program import Primitive

_FOUR = ndimage.generate_binary_structure(2, 1)
_EIGHT = ndimage.generate_binary_structure(2, 2)


# --- segmentation --------------------------------------------------------------------


def components(a: Array, mask: BoolArray, diagonal: bool) -> list[Obj]:
    """The connected parts of ``mask`` as objects of ``a``'s colours."""
    labels, _ = ndimage.label(mask, structure=_EIGHT if diagonal else _FOUR)
    out = []
    for k, box in enumerate(ndimage.find_objects(labels), 1):
        if box is None:
            continue
        sub = labels[box] == k
        out.append(Obj.wrap(np.where(sub, a[box], EMPTY), box[0].start, box[1].start))
    return out


def _segment(g: Grid, multicolor: bool, diagonal: bool) -> list[Obj]:
    a, b = g.array, g.background
    if multicolor:
        objs = components(a, a != b, diagonal)
    else:
        objs = []
        for c in np.unique(a):
            if c != b:
                objs.extend(components(a, a == c, diagonal))
    if not objs:
        raise ValueError("the grid has no objects (only background)")
    objs.sort(key=lambda o: (o.top, o.left))
    return objs


def objects(g: Grid) -> list[Obj]:
    return _segment(g, multicolor=False, diagonal=False)


def objects_diag(g: Grid) -> list[Obj]:
    return _segment(g, multicolor=False, diagonal=True)


def objects_multi(g: Grid) -> list[Obj]:
    return _segment(g, multicolor=True, diagonal=False)


def objects_multi_diag(g: Grid) -> list[Obj]:
    return _segment(g, multicolor=True, diagonal=True)


def bg_regions(g: Grid) -> list[Obj]:
    """The 4-connected regions of background cells (the spaces between shapes)."""
    objs = components(g.array, g.array == g.background, diagonal=False)
    objs.sort(key=lambda o: (o.top, o.left))
    return objs


def color_groups(g: Grid) -> list[Obj]:
    """One object per non-background colour, holding all its cells."""
    a, b = g.array, g.background
    objs = [obj_from_mask(a, a == c) for c in np.unique(a) if c != b]
    if not objs:
        raise ValueError("the grid has no objects (only background)")
    objs.sort(key=lambda o: (o.top, o.left))
    return objs


# --- properties ----------------------------------------------------------------------


def holes(o: Obj) -> int:
    """How many regions of non-object cells the object encloses (4-connected)."""
    outside = ~o.mask
    if not outside.any():
        return 0
    _, n = ndimage.label(np.pad(outside, 1, constant_values=True), structure=_FOUR)
    return int(n) - 1


def _shape(o: Obj) -> Hashable:
    return (o.patch.shape, o.mask.tobytes())


PROPS: dict[str, Callable[[Obj], Hashable]] = {
    "size": lambda o: o.size,
    "height": lambda o: o.height,
    "width": lambda o: o.width,
    "area": lambda o: o.height * o.width,
    "top": lambda o: o.top,
    "left": lambda o: o.left,
    "bottom": lambda o: o.top + o.height - 1,
    "right": lambda o: o.left + o.width - 1,
    "color": lambda o: o.color,
    "ncolors": lambda o: len(np.unique(o.patch[o.patch >= 0])),
    "holes": holes,
    "shape": _shape,
    "look": lambda o: (o.patch.shape, o.patch.tobytes()),
}
"""Object properties by name; ``shape`` (the mask) and ``look`` (mask and colours) are
keys for grouping, the others integers."""


def _prop(name: str) -> Callable[[Obj], Hashable]:
    try:
        return PROPS[name]
    except KeyError:
        raise ValueError(f"unknown object property {name!r}; use one of {list(PROPS)}") from None


def prop_of(p: str, o: Obj) -> int:
    value = _prop(p)(o)
    if not isinstance(value, int):
        raise ValueError(f"property {p!r} is not a number")
    return value


def _numeric(p: str, objs: list[Obj]) -> list[int]:
    f = _prop(p)
    values = [f(o) for o in objs]
    if not objs:
        raise ValueError("no objects to select from")
    if not isinstance(values[0], int):
        raise ValueError(f"property {p!r} is not a number; it only groups objects")
    return values  # type: ignore[return-value]


# --- selection -----------------------------------------------------------------------


def select_max(p: str, objs: list[Obj]) -> Obj:
    values = _numeric(p, objs)
    return objs[values.index(max(values))]


def select_min(p: str, objs: list[Obj]) -> Obj:
    values = _numeric(p, objs)
    return objs[values.index(min(values))]


def select_unique(p: str, objs: list[Obj]) -> Obj:
    """The one object whose property value no other object shares."""
    f = _prop(p)
    values = [f(o) for o in objs]
    tally = Counter(values)
    unique = [o for o, v in zip(objs, values, strict=True) if tally[v] == 1]
    if len(unique) != 1:
        raise ValueError(f"{len(unique)} objects have a unique {p}; need exactly one")
    return unique[0]


def select_common(p: str, objs: list[Obj]) -> Obj:
    """The first object whose property value is the most common one."""
    if not objs:
        raise ValueError("no objects to select from")
    f = _prop(p)
    values = [f(o) for o in objs]
    best = Counter(values).most_common(1)[0][0]
    return objs[values.index(best)]


def keep_max(p: str, objs: list[Obj]) -> list[Obj]:
    values = _numeric(p, objs)
    top = max(values)
    return [o for o, v in zip(objs, values, strict=True) if v == top]


def keep_min(p: str, objs: list[Obj]) -> list[Obj]:
    values = _numeric(p, objs)
    low = min(values)
    return [o for o, v in zip(objs, values, strict=True) if v == low]


def _nonempty(objs: list[Obj]) -> list[Obj]:
    if not objs:
        raise ValueError("no object is left")
    return objs


def filter_prop(p: str, n: int, objs: list[Obj]) -> list[Obj]:
    f = _prop(p)
    return _nonempty([o for o in objs if f(o) == n])


def exclude_prop(p: str, n: int, objs: list[Obj]) -> list[Obj]:
    f = _prop(p)
    return _nonempty([o for o in objs if f(o) != n])


def filter_color(c: int, objs: list[Obj]) -> list[Obj]:
    color(c)
    return _nonempty([o for o in objs if o.color == c])


def exclude_color(c: int, objs: list[Obj]) -> list[Obj]:
    color(c)
    return _nonempty([o for o in objs if o.color != c])


def _touches_border(g: Grid, o: Obj) -> bool:
    return o.top == 0 or o.left == 0 or o.top + o.height == g.height or o.left + o.width == g.width


def at_border(g: Grid, objs: list[Obj]) -> list[Obj]:
    return _nonempty([o for o in objs if _touches_border(g, o)])


def off_border(g: Grid, objs: list[Obj]) -> list[Obj]:
    return _nonempty([o for o in objs if not _touches_border(g, o)])


def sort_by(p: str, objs: list[Obj]) -> list[Obj]:
    values = _numeric(p, objs) if objs else []
    order = sorted(range(len(objs)), key=values.__getitem__)
    return [objs[i] for i in order]


def sort_by_desc(p: str, objs: list[Obj]) -> list[Obj]:
    values = _numeric(p, objs) if objs else []
    order = sorted(range(len(objs)), key=lambda i: -values[i])
    return [objs[i] for i in order]


def nth(n: int, objs: list[Obj]) -> Obj:
    if not 0 <= n < len(objs):
        raise ValueError(f"no object {n} among {len(objs)}")
    return objs[n]


# --- objects and grids -----------------------------------------------------------------


def obj_grid(o: Obj) -> Grid:
    """The object's own cells on a background of 0."""
    return make(np.where(o.patch >= 0, o.patch, 0), None)


def subgrid(g: Grid, o: Obj) -> Grid:
    """The part of ``g`` under the object's bounding box."""
    if o.top + o.height > g.height or o.left + o.width > g.width:
        raise ValueError("the object lies outside the grid")
    return make(g.array[o.top : o.top + o.height, o.left : o.left + o.width], g.background)


def as_obj(g: Grid) -> Obj:
    """The whole grid's non-background cells as one object."""
    return obj_from_mask(g.array, g.array != g.background)


def recolor_obj(c: int, o: Obj) -> Obj:
    return Obj.wrap(np.where(o.patch >= 0, color(c), EMPTY), o.top, o.left)


def recolor_objs(c: int, objs: list[Obj]) -> list[Obj]:
    return [recolor_obj(c, o) for o in objs]


def move_obj(d: str, n: int, o: Obj) -> Obj:
    dr, dc = step(d)
    n = count(n, 0)
    return Obj.wrap(o.patch, o.top + dr * n, o.left + dc * n)


def flip_obj(o: Obj) -> Obj:
    return Obj.wrap(o.patch[:, ::-1], o.top, o.left)


def obj_box(o: Obj) -> Obj:
    """The object's bounding box filled: its own cells kept, the rest in its colour."""
    return Obj.wrap(np.where(o.patch >= 0, o.patch, o.color), o.top, o.left)


def obj_outbox(o: Obj) -> Obj:
    """The ring of cells just outside the object's bounding box, in its colour."""
    ring = np.full((o.height + 2, o.width + 2), o.color, dtype=np.int8)
    ring[1:-1, 1:-1] = EMPTY
    return Obj.wrap(ring, o.top - 1, o.left - 1)


def _paint(a: Array, o: Obj) -> None:
    """Paint ``o`` onto ``a`` in place, clipping what falls outside."""
    h, w = a.shape
    t, lft = o.top, o.left
    r0, c0 = max(0, -t), max(0, -lft)
    r1, c1 = min(o.height, h - t), min(o.width, w - lft)
    if r0 >= r1 or c0 >= c1:
        return
    patch = o.patch[r0:r1, c0:c1]
    region = a[t + r0 : t + r1, lft + c0 : lft + c1]
    region[patch >= 0] = patch[patch >= 0]


def paint_obj(g: Grid, o: Obj) -> Grid:
    a = g.array.copy()
    _paint(a, o)
    return make(a, g.background)


def paint_objs(g: Grid, objs: list[Obj]) -> Grid:
    a = g.array.copy()
    for o in objs:
        _paint(a, o)
    return make(a, g.background)


def recolor_in(g: Grid, objs: list[Obj], c: int) -> Grid:
    """The objects' cells of ``g`` get colour ``c`` (a common two-step, as one)."""
    mask = np.zeros(g.shape, dtype=bool)
    for o in objs:
        _paint_mask(mask, o)
    return make(np.where(mask, color(c), g.array), g.background)


def keep_objs(g: Grid, objs: list[Obj]) -> Grid:
    """Only the objects stay; every other cell becomes background."""
    a = np.full_like(g.array, g.background)
    for o in objs:
        _paint(a, o)
    return make(a, g.background)


def erase_obj(g: Grid, o: Obj) -> Grid:
    return erase_objs(g, [o])


def erase_objs(g: Grid, objs: list[Obj]) -> Grid:
    mask = np.zeros(g.shape, dtype=bool)
    for o in objs:
        _paint_mask(mask, o)
    return make(np.where(mask, g.background, g.array), g.background)


def move_in_grid(g: Grid, o: Obj, d: str, n: int) -> Grid:
    """Erase the object and paint it back ``n`` cells towards ``d``."""
    return paint_obj(erase_obj(g, o), move_obj(d, n, o))


def _toward(cells: tuple[NDArray[np.intp], ...], box: tuple[int, int, int, int]) -> tuple[int, int]:
    """The unit step from ``cells`` towards ``box`` (top, bottom, left, right, inclusive):
    along a row or column when they share one, else along a diagonal."""
    rows, cols = cells
    t, b, lft, r = box
    dy = 0 if rows.max() >= t and rows.min() <= b else (1 if rows.max() < t else -1)
    dx = 0 if cols.max() >= lft and cols.min() <= r else (1 if cols.max() < lft else -1)
    return dy, dx


def _attract(g: Grid, c: int, max_steps: int) -> Grid:
    """Every object not of colour ``c`` (8-connected, any colours) moves straight towards
    the cells of ``c``, at most ``max_steps`` cells: it stops when it touches them side
    by side, when its next step would overlap a cell already placed, or at the edge."""
    a, bg = g.array, g.background
    anchor = a == color(c)
    if not anchor.any():
        raise ValueError(f"no cell of colour {c} to move towards")
    labels, n = ndimage.label((a != bg) & ~anchor, structure=_EIGHT)
    if n == 0:
        raise ValueError(f"nothing but colour {c} to move")
    rows, cols = np.nonzero(anchor)
    box = (int(rows.min()), int(rows.max()), int(cols.min()), int(cols.max()))
    touching = ndimage.binary_dilation(anchor, structure=_FOUR) & ~anchor
    placed = anchor.copy()
    out = np.where(anchor, a, bg)
    h, w = a.shape
    for i in range(1, n + 1):
        cells = np.nonzero(labels == i)
        dy, dx = _toward(cells, box)
        if (dy, dx) == (0, 0):
            raise ValueError("an object overlaps the box it should move towards")
        rr, cc = cells
        for _ in range(max_steps):
            nr, nc = rr + dy, cc + dx
            if touching[rr, cc].any() or nr.min() < 0 or nc.min() < 0:
                break
            if nr.max() >= h or nc.max() >= w or placed[nr, nc].any():
                break
            rr, cc = nr, nc
        out[rr, cc] = a[cells]
        placed[rr, cc] = True
    return make(out, bg)


def gravitate(g: Grid, c: int) -> Grid:
    """Every other object moves towards colour ``c`` until it touches it."""
    return _attract(g, c, MAX_SIDE)


def step_toward(g: Grid, c: int) -> Grid:
    """Every other object moves one cell towards colour ``c`` (unless it touches it)."""
    return _attract(g, c, 1)


def fill_boxes(g: Grid, objs: list[Obj], c: int) -> Grid:
    """Background cells inside each object's bounding box get colour ``c``."""
    a, b = g.array.copy(), g.background
    color(c)
    for o in objs:
        region = a[o.top : o.top + o.height, o.left : o.left + o.width]
        region[region == b] = c
    return make(a, g.background)


def outline_objs(g: Grid, objs: list[Obj], c: int) -> Grid:
    """Background cells touching an object (diagonals included) get colour ``c``."""
    cells = np.zeros(g.shape, dtype=bool)
    for o in objs:
        _paint_mask(cells, o)
    # Around the union is around some object: one dilation serves them all.
    mask = ndimage.binary_dilation(cells, structure=_EIGHT) & ~cells
    a = g.array.copy()
    a[mask & (g.array == g.background)] = color(c)
    return make(a, g.background)


def frame_objs(g: Grid, objs: list[Obj], c: int) -> Grid:
    """A rectangle of colour ``c`` one cell outside each object's bounding box."""
    a = g.array.copy()
    h, w = a.shape
    color(c)
    for o in objs:
        t, lft, b, r = o.top - 1, o.left - 1, o.top + o.height, o.left + o.width
        rows, cols = slice(max(t, 0), min(b, h - 1) + 1), slice(max(lft, 0), min(r, w - 1) + 1)
        for row in (t, b):
            if 0 <= row < h:
                a[row, cols] = c
        for col in (lft, r):
            if 0 <= col < w:
                a[rows, col] = c
    return make(a, g.background)


def _paint_mask(m: BoolArray, o: Obj) -> None:
    h, w = m.shape
    t, lft = o.top, o.left
    r0, c0 = max(0, -t), max(0, -lft)
    r1, c1 = min(o.height, h - t), min(o.width, w - lft)
    if r0 < r1 and c0 < c1:
        m[t + r0 : t + r1, lft + c0 : lft + c1] |= o.mask[r0:r1, c0:c1]


def number_objs(g: Grid, objs: list[Obj]) -> Grid:
    """Object ``i`` of the list painted in colour ``i + 1``: a rank that a colour map renames."""
    if not 0 < len(objs) < 10:
        raise ValueError(f"cannot number {len(objs)} objects with colours 1-9")
    return paint_objs(g, [recolor_obj(i + 1, o) for i, o in enumerate(objs)])


def _cells(o: Obj) -> set[tuple[int, int]]:
    rows, cols = np.nonzero(o.mask)
    return {(int(r) + o.top, int(c) + o.left) for r, c in zip(rows, cols, strict=True)}


def _touching(a: set[tuple[int, int]], b: set[tuple[int, int]]) -> bool:
    return any((r + dr, c + dc) in b for r, c in a for dr, dc in _STEPS)


_STEPS = ((1, 0), (-1, 0), (0, 1), (0, -1))


def move_until_touch(g: Grid, mover: Obj, target: Obj) -> Grid:
    """Slide ``mover`` in a straight line towards ``target`` until they touch."""
    src, dst = _cells(mover), _cells(target)
    if src & dst:
        raise ValueError("the objects overlap")
    if mover.top < target.top + target.height and target.top < mover.top + mover.height:
        d = (0, 1 if target.left > mover.left else -1)  # side by side: slide sideways
    elif mover.left < target.left + target.width and target.left < mover.left + mover.width:
        d = (1 if target.top > mover.top else -1, 0)
    else:
        raise ValueError("the objects are not in line")
    for n in range(MAX_SIDE):
        if _touching(src, dst):
            moved = Obj.wrap(mover.patch, mover.top + d[0] * n, mover.left + d[1] * n)
            return paint_obj(erase_obj(g, mover), moved)
        src = {(r + d[0], c + d[1]) for r, c in src}
    raise ValueError("the objects never touch")


def obj_grids(objs: list[Obj]) -> list[Grid]:
    return [obj_grid(o) for o in objs]


def map_objs(f: Callable[[Obj], Obj], objs: list[Obj]) -> list[Obj]:
    return [f(o) for o in objs]


def filter_objs(p: Callable[[Obj], bool], objs: list[Obj]) -> list[Obj]:
    return _nonempty([o for o in objs if p(o)])


PROP_CONSTANTS: tuple[Primitive, ...] = tuple(
    prim(f"p-{name}", "prop", const(name), f"the object property {name!r}") for name in PROPS
)

_SEL = "prop -> list(obj) -> obj"
_KEEP = "prop -> list(obj) -> list(obj)"
PRIMITIVES: tuple[Primitive, ...] = (
    *PROP_CONSTANTS,
    prim("objects", "grid -> list(obj)", objects, "one-colour 4-connected objects, no bg"),
    prim("objects-diag", "grid -> list(obj)", objects_diag, "one-colour 8-connected objects"),
    prim("objects-multi", "grid -> list(obj)", objects_multi, "multicolour 4-connected objects"),
    prim("objects-multi-diag", "grid -> list(obj)", objects_multi_diag, "multicolour 8-connected"),
    prim("color-groups", "grid -> list(obj)", color_groups, "one object per non-bg colour"),
    prim("bg-regions", "grid -> list(obj)", bg_regions, "the connected regions of background"),
    prim("prop-of", "prop -> obj -> int", prop_of, "a numeric property of an object"),
    prim("obj-color", "obj -> color", lambda o: o.color, "an object's most common colour"),
    prim("select-max", _SEL, select_max, "the object with the largest property value"),
    prim("select-min", _SEL, select_min, "the object with the smallest property value"),
    prim("select-unique", _SEL, select_unique, "the only object with its property value"),
    prim("select-common", _SEL, select_common, "an object with the most common value"),
    prim("keep-max", _KEEP, keep_max, "all objects with the largest property value"),
    prim("keep-min", _KEEP, keep_min, "all objects with the smallest property value"),
    prim("filter-prop", "prop -> int -> list(obj) -> list(obj)", filter_prop, "objects with p = n"),
    prim("exclude-prop", "prop -> int -> list(obj) -> list(obj)", exclude_prop, "objects, p != n"),
    prim("filter-color", "color -> list(obj) -> list(obj)", filter_color, "objects of colour c"),
    prim("exclude-color", "color -> list(obj) -> list(obj)", exclude_color, "not colour c"),
    prim("at-border", "grid -> list(obj) -> list(obj)", at_border, "objects touching the edge"),
    prim("off-border", "grid -> list(obj) -> list(obj)", off_border, "objects off the edge"),
    prim("sort-by", _KEEP, sort_by, "sort objects by a property, ascending"),
    prim("sort-by-desc", _KEEP, sort_by_desc, "sort objects by a property, descending"),
    prim("nth", "int -> list(obj) -> obj", nth, "the object at a 0-based position"),
    prim("count-objs", "list(obj) -> int", len, "how many objects"),
    prim("obj-grid", "obj -> grid", obj_grid, "the object's own cells, on background 0"),
    prim("subgrid", "grid -> obj -> grid", subgrid, "the part of a grid under an object's box"),
    prim("as-obj", "grid -> obj", as_obj, "all non-background cells as one object"),
    prim("recolor-obj", "color -> obj -> obj", recolor_obj, "an object in one colour"),
    prim("recolor-objs", "color -> list(obj) -> list(obj)", recolor_objs, "objects in colour c"),
    prim("move-obj", "dir -> int -> obj -> obj", move_obj, "an object moved n cells"),
    prim("flip-obj", "obj -> obj", flip_obj, "an object mirrored left to right in place"),
    prim("obj-box", "obj -> obj", obj_box, "the object's bounding box, filled in its colour"),
    prim("obj-outbox", "obj -> obj", obj_outbox, "the ring around the object's box"),
    prim("paint-obj", "grid -> obj -> grid", paint_obj, "draw an object onto a grid"),
    prim("paint-objs", "grid -> list(obj) -> grid", paint_objs, "draw objects onto a grid"),
    prim("erase-obj", "grid -> obj -> grid", erase_obj, "an object's cells become background"),
    prim("erase-objs", "grid -> list(obj) -> grid", erase_objs, "objects become background"),
    prim("recolor-in", "grid -> list(obj) -> color -> grid", recolor_in, "objects' cells get c"),
    prim("keep-objs", "grid -> list(obj) -> grid", keep_objs, "erase all but the objects"),
    prim("move-in-grid", "grid -> obj -> dir -> int -> grid", move_in_grid, "move an object in g"),
    prim("gravitate", "grid -> color -> grid", gravitate, "objects move to touch colour c"),
    prim("step-toward", "grid -> color -> grid", step_toward, "objects step once towards c"),
    prim(
        "fill-boxes",
        "grid -> list(obj) -> color -> grid",
        fill_boxes,
        "background inside each object's bounding box gets colour c",
    ),
    prim(
        "outline-objs",
        "grid -> list(obj) -> color -> grid",
        outline_objs,
        "background cells around objects (diagonals too) get colour c",
    ),
    prim(
        "frame-objs",
        "grid -> list(obj) -> color -> grid",
        frame_objs,
        "a rectangle of colour c around each object's bounding box",
    ),
    prim("obj-grids", "list(obj) -> list(grid)", obj_grids, "each object's own grid"),
    prim(
        "number-objs",
        "grid -> list(obj) -> grid",
        number_objs,
        "paint the objects in colours 1, 2, ... in list order (a rank for a colour map)",
    ),
    prim(
        "move-until-touch",
        "grid -> obj -> obj -> grid",
        move_until_touch,
        "slide the first object towards the second until they touch",
    ),
    prim("map-objs", "(obj -> obj) -> list(obj) -> list(obj)", map_objs, "apply to each object"),
    prim("filter-objs", "(obj -> bool) -> list(obj) -> list(obj)", filter_objs, "objects with p"),
)
