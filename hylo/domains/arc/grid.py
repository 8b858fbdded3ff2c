"""ARC values: immutable grids of colours 0–9 and objects cut out of them.

A :class:`Grid` wraps a read-only 2-D ``numpy.int8`` array of 1×1 to 30×30 cells.
It compares and hashes by shape and cells (the hash is computed once, from the
bytes), so a value-based search can keep one program per distinct grid cheaply.

Each grid also carries its *background* colour, which object and filling
primitives leave alone. By default it is the grid's most common colour; a task
loader sets it for a whole task (the most common colour over all its inputs, so
that a dense 3×3 input still has the background its task has), and primitives
pass it on to the grids they derive. It takes no part in equality.

An :class:`Obj` is a part of a grid: a patch array in which cells outside the
object are ``-1``, and the position (``top``, ``left``) of the patch in the grid
it came from.

>>> g = Grid.from_lists([[0, 1], [2, 0]])
>>> g.shape, g == Grid.from_lists([[0, 1], [2, 0]])
((2, 2), True)
>>> g.to_lists()
[[0, 1], [2, 0]]
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

MAX_SIDE = 30
NUM_COLORS = 10
EMPTY = -1
"""The value of a patch cell that is not part of an :class:`Obj`."""

Array = NDArray[np.int8]


def _frozen(array: NDArray[Any]) -> Array:
    out = np.array(array, dtype=np.int8, order="C", copy=True)
    out.flags.writeable = False
    return out


class _ValueSemantics:
    """Equality and a cached hash through ``key``: grids and objects are dictionary keys
    on the search's hot path (observational equivalence), so the hash is computed once."""

    __slots__ = ("_hash",)
    _hash: int | None

    @property
    def key(self) -> Hashable:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self is other or (isinstance(other, _ValueSemantics) and self.key == other.key)

    def __hash__(self) -> int:
        cached: int | None = self._hash
        if cached is None:
            cached = self._hash = hash(self.key)
        return cached


class Grid(_ValueSemantics):
    """An immutable grid of colours 0–9, 1×1 to 30×30.

    Build one with :meth:`from_lists` (validated) or ``Grid(array)`` from any 2-D
    integer array (validated and copied); primitives never mutate a grid.

    >>> Grid.from_lists([[1, 2, 3]])
    Grid(1x3: 123)
    """

    __slots__ = ("_bg", "_key", "array")

    array: Array

    def __init__(
        self, array: NDArray[Any] | Sequence[Sequence[int]], background: int | None = None
    ) -> None:
        arr = np.asarray(array)
        _check_array(arr)
        if background is not None and not 0 <= background < NUM_COLORS:
            raise ValueError(f"a background is a colour 0-9, got {background}")
        self._set(_frozen(arr), background)

    def _set(self, array: Array, background: int | None) -> None:
        self.array = array
        self._key: tuple[int, int, bytes] | None = None
        self._hash: int | None = None
        self._bg: int | None = background

    @classmethod
    def wrap(cls, array: NDArray[Any], background: int | None = None) -> Grid:
        """A grid of ``array`` (colours assumed valid; shape checked): for primitives.

        Raises ``ValueError`` when the array is empty or larger than 30×30, which a
        search counts as a failed candidate.
        """
        if array.ndim != 2:
            raise ValueError(f"a grid is 2-D, got an array of shape {array.shape}")
        h, w = array.shape
        if not (1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE):
            raise ValueError(f"a grid is 1x1 to 30x30, got {h}x{w}")
        out = cls.__new__(cls)
        if array.dtype != np.int8 or array.flags.writeable or not array.flags.c_contiguous:
            array = _frozen(array)
        out._set(array, background)
        return out

    def with_background(self, background: int) -> Grid:
        """The same cells with ``background`` as the background colour.

        >>> Grid.from_lists([[7, 7], [0, 7]]).with_background(0).background
        0
        """
        return Grid(self.array, background)

    @classmethod
    def from_lists(cls, rows: Any) -> Grid:
        """A grid from rows of colours, e.g. ``[[0, 1], [1, 0]]``; ``ValueError`` if invalid.

        >>> Grid.from_lists([[0, 10]])
        Traceback (most recent call last):
        ...
        ValueError: grid colours are 0-9, got 10 at row 0, column 1
        """
        _check_rows(rows)
        return cls(np.array(rows, dtype=np.int64))

    @classmethod
    def from_text(cls, text: str) -> Grid:
        """A grid written as rows of digits joined by ``/``, as :meth:`to_text` (and the
        repr) write it; ``ValueError`` if rows are empty, of other lengths, or not digits.

        >>> Grid.from_text("12/00")
        Grid(2x2: 12/00)
        """
        rows = text.split("/")
        if not all(row.isdigit() and row.isascii() and len(row) == len(rows[0]) for row in rows):
            raise ValueError(f"a grid is rows of digits of one length joined by '/', got {text!r}")
        return cls.from_lists([[int(c) for c in row] for row in rows])

    def to_text(self) -> str:
        """The rows as digits joined by ``/`` (``"12/00"``)."""
        return _rows_text(self.array)

    def to_lists(self) -> list[list[int]]:
        """The rows as lists of Python ints (JSON-ready)."""
        rows: list[list[int]] = self.array.tolist()
        return rows

    @property
    def shape(self) -> tuple[int, int]:
        h, w = self.array.shape
        return h, w

    @property
    def height(self) -> int:
        return int(self.array.shape[0])

    @property
    def width(self) -> int:
        return int(self.array.shape[1])

    @property
    def key(self) -> tuple[int, int, bytes]:
        """``(height, width, cell bytes)``: equal grids have equal keys."""
        if self._key is None:
            h, w = self.array.shape
            self._key = (h, w, self.array.tobytes())
        return self._key

    @property
    def colors(self) -> frozenset[int]:
        """The colours that occur in the grid.

        >>> sorted(Grid.from_lists([[3, 0, 3]]).colors)
        [0, 3]
        """
        return frozenset(
            np.flatnonzero(np.bincount(self.array.ravel(), minlength=NUM_COLORS)).tolist()
        )

    @property
    def background(self) -> int:
        """The background colour: as set, else the most common one (ties: the smaller)."""
        if self._bg is None:
            self._bg = int(np.bincount(self.array.ravel(), minlength=NUM_COLORS).argmax())
        return self._bg

    def __reduce__(self) -> tuple[Any, ...]:
        return (Grid, (self.array, self._bg))

    def __repr__(self) -> str:
        h, w = self.shape
        rows = _rows_text(self.array[:6, :20])
        more = "…" if h > 6 or w > 20 else ""
        return f"Grid({h}x{w}: {rows}{more})"


def _rows_text(array: NDArray[Any]) -> str:
    return "/".join("".join(map(str, row)) for row in array.tolist())


def _check_rows(rows: Any) -> None:
    if not isinstance(rows, list | tuple) or not rows:
        raise ValueError(f"a grid is a non-empty list of rows, got {type(rows).__name__}")
    width = None
    for r, row in enumerate(rows):
        if not isinstance(row, list | tuple) or not row:
            raise ValueError(f"grid row {r} is not a non-empty list of colours")
        if width is None:
            width = len(row)
        elif len(row) != width:
            raise ValueError(
                f"grid rows must have one length: row 0 has {width} cells, row {r} has {len(row)}"
            )
        for c, v in enumerate(row):
            if isinstance(v, bool) or not isinstance(v, int | np.integer):
                raise ValueError(f"grid cells are ints 0-9, got {v!r} at row {r}, column {c}")
            if not 0 <= v < NUM_COLORS:
                raise ValueError(f"grid colours are 0-9, got {v} at row {r}, column {c}")
    h, w = len(rows), width or 0
    if h > MAX_SIDE or w > MAX_SIDE:
        raise ValueError(f"a grid is at most 30x30, got {h}x{w}")


def _check_array(arr: NDArray[Any]) -> None:
    if arr.ndim != 2:
        raise ValueError(f"a grid is a 2-D array, got shape {arr.shape}")
    h, w = arr.shape
    if not (1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE):
        raise ValueError(f"a grid is 1x1 to 30x30, got {h}x{w}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"grid cells are integers, got dtype {arr.dtype}")
    if arr.min() < 0 or arr.max() >= NUM_COLORS:
        raise ValueError(f"grid colours are 0-9, got values {arr.min()}..{arr.max()}")


def is_grid_lists(value: Any) -> bool:
    """True when ``value`` is a valid grid as rows of colours (JSON-style)."""
    try:
        _check_rows(value)
    except ValueError:
        return False
    return True


class Obj(_ValueSemantics):
    """An object: a patch (``-1`` outside the object) at (``top``, ``left``) of a grid.

    Equal and hashed by ``(top, left, patch)``. Build one from a grid and a boolean
    mask with :func:`obj_from_mask`.

    >>> o = Obj(np.array([[3, -1], [3, 3]]), top=1, left=2)
    >>> o.size, o.color, (o.height, o.width)
    (3, 3, (2, 2))
    """

    __slots__ = ("_key", "left", "patch", "top")

    def __init__(self, patch: NDArray[Any], top: int = 0, left: int = 0) -> None:
        arr = np.asarray(patch)
        if arr.ndim != 2 or arr.size == 0:
            raise ValueError(f"an object's patch is a non-empty 2-D array, got {arr.shape}")
        if arr.min() < EMPTY or arr.max() >= NUM_COLORS:
            raise ValueError("an object's cells are colours 0-9, or -1 outside the object")
        if not (arr >= 0).any():
            raise ValueError("an object has at least one cell")
        self.patch: Array = _frozen(arr)
        self.top = int(top)
        self.left = int(left)
        self._key: tuple[int, int, int, int, bytes] | None = None
        self._hash: int | None = None

    @classmethod
    def wrap(cls, patch: NDArray[Any], top: int, left: int) -> Obj:
        """An object of a patch known to be valid (for primitives: no checks, no copy
        unless the patch is writeable or of another type)."""
        out = cls.__new__(cls)
        if patch.dtype != np.int8 or patch.flags.writeable:
            patch = _frozen(patch)
        out.patch, out.top, out.left = patch, int(top), int(left)
        out._key, out._hash = None, None
        return out

    @property
    def key(self) -> tuple[int, int, int, int, bytes]:
        if self._key is None:
            h, w = self.patch.shape
            self._key = (self.top, self.left, h, w, self.patch.tobytes())
        return self._key

    @property
    def mask(self) -> NDArray[np.bool_]:
        """True on the object's cells (patch-sized)."""
        return self.patch >= 0

    @property
    def size(self) -> int:
        return int(np.count_nonzero(self.patch >= 0))

    @property
    def height(self) -> int:
        return int(self.patch.shape[0])

    @property
    def width(self) -> int:
        return int(self.patch.shape[1])

    @property
    def color(self) -> int:
        """The most common colour of the object's cells (ties: smaller colour)."""
        cells = self.patch[self.patch >= 0]
        return int(np.bincount(cells, minlength=NUM_COLORS).argmax())

    def __reduce__(self) -> tuple[Any, ...]:
        return (Obj, (self.patch, self.top, self.left))

    def __repr__(self) -> str:
        h, w = self.patch.shape
        rows = "/".join("".join("." if c < 0 else str(int(c)) for c in r) for r in self.patch[:6])
        return f"Obj({h}x{w} at {self.top},{self.left}: {rows})"


def obj_from_mask(grid: Array, mask: NDArray[np.bool_]) -> Obj:
    """The object made of ``grid``'s cells where ``mask`` holds (cropped to its box)."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        raise ValueError("an object has at least one cell")
    t, b, lft, r = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    patch = np.where(mask[t:b, lft:r], grid[t:b, lft:r], EMPTY)
    return Obj.wrap(patch, t, lft)
