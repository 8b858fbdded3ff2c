"""Neighbourhood rules: each cell's new colour, looked up from what surrounds it.

Many same-size ARC tasks edit a grid in place by a local law: outline the shapes,
fill the cells that touch two markers, recolour what lies on a marked row. A
*neighbourhood rule* is such a law written as a table, learned from the training
pairs: a cell's *key* (its colour and a feature of its neighbourhood) gives its new
colour. The features, coarsest first:

* ``sides``: which of the four side neighbours are foreground (not background);
* ``count``: how many of the eight neighbours are foreground;
* ``ring``: the colours of the four side neighbours, as a multiset;
* ``around``: the set of colours among the eight neighbours;
* ``lines``: the sets of colours in the cell's row and in its column;
* ``rays``: whether there is foreground straight up, down, left and right of the cell;
* ``row``, ``column``, ``reach``: the colours of the nearest foreground cells left and
  right, up and down, and all four (a cell between two of one colour, a cell a marker
  shines on);

and of the cell's object (its 4-connected same-colour part; 0 on background):

* ``extreme``: whether the object is the largest (1), the smallest (2) or both (3);
* ``border``: whether the object touches the grid's edge;
* ``holes``: whether the object encloses cells of other colours;
* ``size``: the object's number of cells;

and of the cell's region (its 4-connected part of the background; 0 on foreground):

* ``region``: whether the region is the largest (1), the smallest (2) or both (3) of
  the regions the walls of foreground cut the background into;

and, finest and tried last:

* ``window``: which of the eight neighbours are foreground (the shape around a cell,
  e.g. the corner an L of three cells leaves open);
* ``twins``: whether the cell's object is the only one of its shape (1) or shares it
  with another (2).

When no single feature decides, two are read together (:data:`PAIRS`, e.g.
``sides+extreme``: "the inner cells of the largest object"), but only when the colour
and all the features together decide every target, so a task no key can explain
costs one check, not dozens of failed tables.

Cells outside the grid count as background (``sides``, ``count``) or as a colour
of their own (``ring``, ``around``). A rule is kept only when no key asks for two
colours in the training pairs, and it applies only to a grid whose every key it has
seen: an unseen neighbourhood is an unknown, not a guess.

A rule is a primitive of type ``grid -> grid`` whose name holds its table, so a
program with a rule prints, parses and runs like any other::

    rule-sides:0.15>4,0.0,4.15

reads "a cell of colour 0 with all four sides foreground becomes 4; cells of key
0.0 and 4.15 stay" (key ``<colour>.<feature>``). The domain's namespace resolves
such names on demand (:func:`resolve_rule`); the search never proposes them:
:func:`rule_completion` writes them as a last step.

>>> from hylo.domains.arc.grid import Grid
>>> before = Grid.from_lists([[1, 1, 1], [1, 0, 1], [1, 1, 1]]).with_background(0)
>>> after = Grid.from_lists([[1, 1, 1], [1, 4, 1], [1, 1, 1]])
>>> wrap, run = rule_completion([before], [after])
>>> from hylo.lang.program import Index, show
>>> show(wrap(Index(0))).split(":")[0], run(before) == after
('(rule-sides', True)
"""

from __future__ import annotations

import collections
import functools
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage  # type: ignore[import-untyped]

from hylo.domains.arc._util import make
from hylo.domains.arc.finish import Completion, grid_pairs, learned_step
from hylo.domains.arc.grid import Grid
from hylo.domains.arc.tasks import GRID_TO_GRID
from hylo.lang.program import Primitive

Table = dict[tuple[int, int], int]

PREFIX = "rule-"
_OUTSIDE = 10  # the "colour" of a cell beyond the border, for the colour features
_SIDES = ((0, 1), (2, 1), (1, 0), (1, 2))  # up, down, left, right in a 3×3 window
_FOUR_COLOURS = np.array([1331, 121, 11, 1])  # four colours 0..10 as one base-11 number
_EIGHT = tuple((r, c) for r in range(3) for c in range(3) if (r, c) != (1, 1))


def _windows(arr: NDArray[Any], pad: int) -> NDArray[Any]:
    """``(h, w, 3, 3)``: each cell's 3×3 neighbourhood, the border padded with ``pad``."""
    padded = np.pad(arr.astype(np.int64), 1, constant_values=pad)
    return np.lib.stride_tricks.sliding_window_view(padded, (3, 3))


def _foreground_bits(g: Grid, places: Sequence[tuple[int, int]]) -> NDArray[np.int64]:
    """Per cell, bit ``i`` set when the neighbour at ``places[i]`` (3×3 window) is
    foreground."""
    fg = _windows(g.array, g.background) != g.background
    out = np.zeros(g.shape, dtype=np.int64)
    for i, (r, c) in enumerate(places):
        out |= fg[:, :, r, c].astype(np.int64) << i
    return out


def _sides(g: Grid) -> NDArray[np.int64]:
    return _foreground_bits(g, _SIDES)


def _count(g: Grid) -> NDArray[np.int64]:
    fg = _windows(g.array, g.background) != g.background
    out = np.zeros(g.shape, dtype=np.int64)
    for r, c in _EIGHT:
        out += fg[:, :, r, c]
    return out


def _ring(g: Grid) -> NDArray[np.int64]:
    win = _windows(g.array, _OUTSIDE)
    sides = np.sort(np.stack([win[:, :, r, c] for r, c in _SIDES], axis=-1), axis=-1)
    return (sides * _FOUR_COLOURS).sum(axis=-1)  # type: ignore[no-any-return]


def _around(g: Grid) -> NDArray[np.int64]:
    win = _windows(g.array, _OUTSIDE)
    bits = np.zeros(g.shape, dtype=np.int64)
    for r, c in _EIGHT:
        bits |= np.left_shift(1, win[:, :, r, c])
    return bits


def _lines(g: Grid) -> NDArray[np.int64]:
    onehot = np.left_shift(1, g.array.astype(np.int64))
    rows = np.bitwise_or.reduce(onehot, axis=1)
    cols = np.bitwise_or.reduce(onehot, axis=0)
    return (rows[:, None] << 10) | cols[None, :]  # type: ignore[no-any-return]


def _nearest(g: Grid) -> NDArray[np.int64]:
    """``(h, w, 4)``: the colour of the nearest foreground cell up, down, left and right
    of each cell (not the cell itself), or :data:`_OUTSIDE` when there is none."""
    return _nearest_cached(g, g.background)


@functools.lru_cache(maxsize=256)
def _nearest_cached(g: Grid, background: int) -> NDArray[np.int64]:
    # Cached like _objects: four features read it; the background is part of the key
    # because a grid's equality ignores it.
    a = g.array.astype(np.int64)
    out = np.empty((*g.shape, 4), dtype=np.int64)
    for i, (axis, flip) in enumerate(((0, False), (0, True), (1, False), (1, True))):
        view = np.flip(a, axis) if flip else a
        fg = view != background
        idx = np.where(
            fg, np.arange(view.shape[axis]).reshape((-1, 1) if axis == 0 else (1, -1)), -1
        )
        last = np.maximum.accumulate(idx, axis=axis)
        # Exclude the cell itself: the nearest one strictly before it along the axis.
        before = np.full_like(last, -1)
        if axis == 0:
            before[1:] = last[:-1]
        else:
            before[:, 1:] = last[:, :-1]
        colour = np.take_along_axis(view, np.maximum(before, 0), axis=axis)
        seen = np.where(before >= 0, colour, _OUTSIDE)
        out[:, :, i] = np.flip(seen, axis) if flip else seen
    out.setflags(write=False)  # shared through the cache
    return out


def _rays(g: Grid) -> NDArray[np.int64]:
    """Four bits: is there foreground straight up, down, left, right of the cell."""
    seen = _nearest(g) != _OUTSIDE
    return (seen * np.array([1, 2, 4, 8])).sum(axis=-1)  # type: ignore[no-any-return]


def _row(g: Grid) -> NDArray[np.int64]:
    """The colours of the nearest foreground cells left and right."""
    near = _nearest(g)
    return near[:, :, 2] * 11 + near[:, :, 3]


def _column(g: Grid) -> NDArray[np.int64]:
    """The colours of the nearest foreground cells up and down."""
    near = _nearest(g)
    return near[:, :, 0] * 11 + near[:, :, 1]


def _reach(g: Grid) -> NDArray[np.int64]:
    """The colours of the nearest foreground cells up, down, left and right."""
    return (_nearest(g) * _FOUR_COLOURS).sum(axis=-1)  # type: ignore[no-any-return]


Objects = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]


@functools.lru_cache(maxsize=256)
def _objects(g: Grid, background: int) -> Objects:
    """Each cell's same-colour object (4-connected; 0 on background), and per object
    (index 0: background): its size, whether it touches the edge, and whether it
    encloses other cells.

    Cached, as every candidate's grid is read by all four object features; the
    background is part of the key because a grid's equality ignores it.
    """
    a = g.array
    labels = np.zeros(g.shape, dtype=np.int64)
    enclosing = np.zeros(g.shape, dtype=bool)
    n = 0
    for c in np.unique(a):
        if c == background:
            continue
        mask = a == c
        part, k = ndimage.label(mask)
        labels[mask] = part[mask] + n
        n += k
        # One fill per colour, not per object: the parts of a colour that enclose
        # something are those whose filled region holds cells of another colour.
        filled = ndimage.binary_fill_holes(mask)
        inner = filled & ~mask
        if inner.any():
            regions, _ = ndimage.label(filled)
            enclosing |= np.isin(regions, np.unique(regions[inner])) & mask
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    edge = np.zeros(n + 1, dtype=np.int64)
    edge[np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])] = 1
    closed = np.zeros(n + 1, dtype=np.int64)
    closed[labels[enclosing]] = 1
    for per_object in (sizes, edge, closed):
        per_object[0] = 0
    out = (labels, sizes, edge, closed)
    for arr in out:
        arr.setflags(write=False)  # shared through the cache
    return out


def _extreme(g: Grid) -> NDArray[np.int64]:
    """1 on the largest objects, 2 on the smallest, 3 when all are one size."""
    labels, sizes, _, _ = _objects(g, g.background)
    if len(sizes) < 2:
        return np.zeros(g.shape, dtype=np.int64)
    return _size_rank(sizes)[labels]


def _size_rank(sizes: NDArray[np.int64]) -> NDArray[np.int64]:
    """Per part (index 0, the rest of the grid, gets 0): 1 for the largest parts, 2 for
    the smallest, 3 when all are one size."""
    parts = sizes[1:]
    flag: NDArray[np.int64] = (sizes == parts.max()).astype(np.int64)
    flag |= (sizes == parts.min()).astype(np.int64) << 1
    flag[0] = 0
    return flag


def _size(g: Grid) -> NDArray[np.int64]:
    labels, sizes, _, _ = _objects(g, g.background)
    return sizes[labels]


def _border(g: Grid) -> NDArray[np.int64]:
    """1 on objects that touch the grid's edge."""
    labels, _, edge, _ = _objects(g, g.background)
    return edge[labels]


def _holes(g: Grid) -> NDArray[np.int64]:
    """1 on objects that (with others of their colour) enclose cells of other colours."""
    labels, _, _, closed = _objects(g, g.background)
    return closed[labels]


def _region(g: Grid) -> NDArray[np.int64]:
    """On background cells: 1 in the largest regions, 2 in the smallest, 3 when all
    are one size."""
    labels, n = ndimage.label(g.array == g.background)
    if n == 0:
        return np.zeros(g.shape, dtype=np.int64)
    return _size_rank(np.bincount(labels.ravel()))[labels]  # type: ignore[no-any-return]


def _window(g: Grid) -> NDArray[np.int64]:
    return _foreground_bits(g, _EIGHT)


def _twins(g: Grid) -> NDArray[np.int64]:
    """1 on objects whose shape no other object has, 2 on the others."""
    labels, sizes, _, _ = _objects(g, g.background)
    boxes = ndimage.find_objects(labels)
    keys = [(labels[b].shape, (labels[b] == i).tobytes()) for i, b in enumerate(boxes, start=1)]
    counts = collections.Counter(keys)
    per_object = np.zeros(len(sizes), dtype=np.int64)
    per_object[1:] = [1 if counts[k] == 1 else 2 for k in keys]
    return per_object[labels]


FEATURES: dict[str, Callable[[Grid], NDArray[np.int64]]] = {
    "sides": _sides,
    "count": _count,
    "ring": _ring,
    "around": _around,
    "lines": _lines,
    "rays": _rays,
    "row": _row,
    "column": _column,
    "reach": _reach,
    "extreme": _extreme,
    "border": _border,
    "holes": _holes,
    "size": _size,
    "region": _region,
    "window": _window,
    "twins": _twins,
}
"""Feature name → the feature of every cell of a grid, coarsest first."""


_PAIR_SHIFT = 20  # every feature is below 2**20 (``lines``, the widest, takes 20 bits)
PAIRS = tuple(f"{a}+{b}" for a, b in itertools.combinations(FEATURES, 2))
"""Two features read together (``"size+reach"``), tried after every single one."""
KINDS = frozenset(FEATURES) | frozenset(PAIRS)


def feature(kind: str, g: Grid) -> NDArray[np.int64]:
    """The feature ``kind`` (one of :data:`FEATURES` or :data:`PAIRS`) of every cell."""
    first, _, second = kind.partition("+")
    f = _single(first, g, g.background)
    return f if not second else (f << _PAIR_SHIFT) | _single(second, g, g.background)


@functools.lru_cache(maxsize=4096)
def _single(kind: str, g: Grid, background: int) -> NDArray[np.int64]:
    # Cached: a completion reads each feature of a grid once per pair it is part of.
    del background  # part of the key only: a grid's equality ignores it
    out = FEATURES[kind](g)
    out.setflags(write=False)
    return out


def _keys(kind: str, g: Grid) -> NDArray[np.int64]:
    """One key per cell: feature * 16 + colour."""
    return (feature(kind, g) << 4) | g.array.astype(np.int64)


def _entry(key: int) -> tuple[int, int]:
    """A cell's key as the table's ``(colour, feature)``."""
    return key & 15, key >> 4


def learn_rule(kind: str, pairs: Sequence[tuple[Grid, Grid]]) -> Table | None:
    """The table mapping each key seen to its target colour, or ``None`` if a key
    asks for two colours (or a pair's grids differ in shape)."""
    if any(a.shape != b.shape for a, b in pairs):
        return None
    keys = np.concatenate([_keys(kind, a).ravel() for a, _ in pairs])
    seen = _key_targets(keys, pairs)
    if seen is None:
        return None
    return {_entry(int(k)): int(t) for k, t in zip(seen >> 4, seen & 15, strict=True)}


def _key_targets(
    keys: NDArray[np.int64], pairs: Sequence[tuple[Grid, Grid]]
) -> NDArray[np.int64] | None:
    """The distinct ``key << 4 | target`` of the cells (``keys`` in the pairs' cell
    order), or ``None`` when some key asks for two targets."""
    targets = np.concatenate([b.array.ravel().astype(np.int64) for _, b in pairs])
    seen = (keys << 4) | targets
    seen.sort()  # a fresh array; one sort instead of np.unique's two (a hot path)
    seen = seen[np.concatenate(([True], seen[1:] != seen[:-1]))]
    cell_keys = seen >> 4  # sorted too: a key asking for two targets appears twice in a row
    return None if bool((cell_keys[1:] == cell_keys[:-1]).any()) else seen


def apply_rule(kind: str, table: Table, g: Grid) -> Grid:
    """``g`` with every cell looked up in ``table``.

    Raises:
        ValueError: some cell's key is not in the table (the rule does not know it).
    """
    keys = _keys(kind, g)
    out = np.empty(g.shape, dtype=np.int8)
    for (r, c), key in np.ndenumerate(keys):
        found = table.get(_entry(int(key)))
        if found is None:
            raise ValueError(f"the {kind} rule has not seen the neighbourhood of cell {r},{c}")
        out[r, c] = found
    return make(out, g.background)


def _covers(kind: str, table: Table, g: Grid) -> bool:
    return all(_entry(int(k)) in table for k in np.unique(_keys(kind, g)))


def rule_name(kind: str, table: Table) -> str:
    entries = []
    for (colour, feature), target in sorted(table.items()):
        key = f"{colour}.{feature}"
        entries.append(key if target == colour else f"{key}>{target}")
    return f"{PREFIX}{kind}:{','.join(entries)}"


@functools.lru_cache(maxsize=1024)
def resolve_rule(name: str) -> Primitive | None:
    """The rule primitive a name stands for (see the module doc), or ``None``."""
    head, _, body = name.partition(":")
    kind = head.removeprefix(PREFIX)
    if not head.startswith(PREFIX) or kind not in KINDS or not body:
        return None
    table: Table = {}
    try:
        for entry in body.split(","):
            key, _, target = entry.partition(">")
            colour, _, feature = key.partition(".")
            c, f = int(colour), int(feature)
            t = int(target) if target else c
            if not (0 <= c <= 9 and 0 <= t <= 9 and f >= 0):
                return None
            table[(c, f)] = t
    except ValueError:
        return None
    doc = f"neighbourhood rule ({kind}) learned from the examples: {len(table)} keys"
    return Primitive(name, GRID_TO_GRID, functools.partial(apply_rule, kind, table), doc)


def rule_completion(
    candidates: Sequence[Any], targets: Sequence[Any], tests: Sequence[Any] = ()
) -> Completion | None:
    """The coarsest neighbourhood rule that turns every candidate into its target and
    knows every neighbourhood of the candidate's ``tests`` (grids it will be run on).

    ``None`` when the candidates are not grids of the targets' shapes, already equal
    them, or no rule fits.
    """
    found = rule_completions(candidates, targets, tests, most=1)
    return found[0] if found else None


def rule_completions(
    candidates: Sequence[Any], targets: Sequence[Any], tests: Sequence[Any] = (), most: int = 3
) -> list[Completion]:
    """Up to ``most`` fitting rules, coarsest first, each predicting something else on the
    ``tests``: ARC's other attempts, where the training pairs do not tell two features
    apart (the cells between two markers on a row, or all cells with two marked sides?).
    """
    pairs = grid_pairs(candidates, targets, same_shape=True)
    if pairs is None:
        return []
    if all(c == t for c, t in pairs):
        return []
    # Every key is a coarsening of the colour and all features together: where those
    # do not decide each target no table can, and one check replaces them all (most
    # candidates a search offers are such).
    if not _determined(pairs):
        return []
    found: list[Completion] = []
    predicted: list[list[Any]] = []
    for kind in (*FEATURES, *PAIRS):
        if completion := _fitting(kind, pairs, tests):
            predictions = [completion[1](g) for g in tests]
            if predictions not in predicted:
                found.append(completion)
                predicted.append(predictions)
                if len(found) == most:
                    break
    return found


def _fitting(
    kind: str, pairs: Sequence[tuple[Grid, Grid]], tests: Sequence[Any]
) -> Completion | None:
    """The ``kind`` rule as a completion, if it fits the pairs, changes something and
    knows every key of the tests."""
    table = learn_rule(kind, pairs)
    if table is None or all(t == c for (c, _), t in table.items()):
        return None
    if not all(isinstance(g, Grid) and _covers(kind, table, g) for g in tests):
        return None
    primitive = resolve_rule(rule_name(kind, table))
    assert primitive is not None  # its own name always resolves
    return learned_step(primitive)


def _determined(pairs: Sequence[tuple[Grid, Grid]]) -> bool:
    """Whether each cell's target is a function of its colour and all its features."""
    # One 64-bit hash per cell of (colour, features) instead of a row-wise unique, which
    # sorts whole rows; a collision (odds ~cells²/2⁶⁴) could only hide a rule. Nine in
    # ten candidates that fail, fail on the first pair alone (measured on training
    # tasks): it is checked before the features of the others are computed.
    hashes = [_all_features_hash(pairs[0][0])]
    if len(pairs) > 1 and not _decides(hashes, pairs[:1]):
        return False
    hashes += [_all_features_hash(a) for a, _ in pairs[1:]]
    return _decides(hashes, pairs)


def _decides(hashes: Sequence[NDArray[np.uint64]], pairs: Sequence[tuple[Grid, Grid]]) -> bool:
    """Whether the cells' hashes (one array per pair) decide their targets."""
    _, index = np.unique(np.concatenate(hashes), return_inverse=True)
    return _key_targets(index.ravel().astype(np.int64), pairs) is not None


_HASH_MULTIPLIERS = np.random.default_rng(0).integers(
    1, 2**63, size=len(FEATURES) + 1, dtype=np.uint64
) | np.uint64(1)


def _all_features_hash(g: Grid) -> NDArray[np.uint64]:
    h: NDArray[np.uint64] = g.array.ravel().astype(np.uint64) * _HASH_MULTIPLIERS[0]
    for i, kind in enumerate(FEATURES, start=1):
        h ^= (feature(kind, g).ravel().astype(np.uint64) + np.uint64(i)) * _HASH_MULTIPLIERS[i]
        h = (h << np.uint64(13)) | (h >> np.uint64(51))  # rotate, so order matters
    return h
