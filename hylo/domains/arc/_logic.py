"""Counting, small integers, predicates and conditional choice."""

from __future__ import annotations

import numpy as np

from hylo.domains.arc._geometry import DIRECTIONS
from hylo.domains.arc._objects import PROPS
from hylo.domains.arc._util import const, prim
from hylo.domains.arc.grid import Grid, Obj
from hylo.lang.program import Primitive


def _choose(cond: bool, a: Grid, b: Grid) -> Grid:
    return a if cond else b


def prop_is(p: str, n: int, o: Obj) -> bool:
    try:
        f = PROPS[p]
    except KeyError:
        raise ValueError(f"unknown object property {p!r}") from None
    return f(o) == n


def fg_count(g: Grid) -> int:
    return int(np.count_nonzero(g.array != g.background))


def dec(n: int) -> int:
    if n <= 0:
        raise ValueError("dec of a non-positive count")
    return n - 1


INT_CONSTANTS: tuple[Primitive, ...] = tuple(
    prim(str(k), "int", const(k), f"the integer {k}") for k in range(4)
)
DIR_CONSTANTS: tuple[Primitive, ...] = tuple(
    prim(name, "dir", const(name), f"the direction {name}") for name in DIRECTIONS
)

PRIMITIVES: tuple[Primitive, ...] = (
    *INT_CONSTANTS,
    *DIR_CONSTANTS,
    prim("inc", "int -> int", lambda n: n + 1, "n + 1"),
    prim("dec", "int -> int", dec, "n - 1 (fails below 0)"),
    prim("height", "grid -> int", lambda g: g.height, "the number of rows"),
    prim("width", "grid -> int", lambda g: g.width, "the number of columns"),
    prim("fg-count", "grid -> int", fg_count, "how many cells are not background"),
    prim("if", "bool -> grid -> grid -> grid", _choose, "(if c a b): a when c holds, else b"),
    prim("not", "bool -> bool", lambda b: not b, "logical negation"),
    prim("int-eq", "int -> int -> bool", lambda a, b: a == b, "are two integers equal?"),
    prim("int-gt", "int -> int -> bool", lambda a, b: a > b, "(int-gt a b) is a > b"),
    prim("color-eq", "color -> color -> bool", lambda a, b: a == b, "are two colours equal?"),
    prim("is-square", "grid -> bool", lambda g: g.height == g.width, "is the grid square?"),
    prim("prop-is", "prop -> int -> obj -> bool", prop_is, "does the object's property equal n?"),
)
