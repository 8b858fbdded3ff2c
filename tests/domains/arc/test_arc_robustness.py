"""Every first-order ARC primitive on real and random grids: valid values or ValueError.

A value-based search calls each primitive on every value it holds, so a primitive
must return a value of its declared type (Python ``int``/``bool``, not numpy
scalars; grids of colours 0-9) or raise ``ValueError`` — never write into its
arguments (they are read-only, so that would surface as a ValueError that hides
a bug: we look for it by message).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from arc_helpers import G
from hypothesis import given, settings
from hypothesis import strategies as st

from hylo.domains.arc import ARC, Grid, Obj, arc_tasks
from hylo.lang.program import Primitive
from hylo.lang.types import TCon, arguments, return_type, show_type

FIRST_ORDER = [
    p
    for p in ARC
    if p.arity > 0 and not any(isinstance(a, TCon) and a.name == "->" for a in arguments(p.tp))
]
_CONSTANTS: dict[str, list[Any]] = {
    "color": [0, 1, 2, 5],
    "int": [0, 1, 2, 3],
    "dir": ["up", "left", "down-right"],
    "prop": [p.fn() for p in ARC if show_type(p.tp) == "prop"],
    "axis": ["horizontal", "vertical", "both-axes"],
    "bool": [True, False],
}


def _samples(g: Grid) -> dict[str, list[Any]]:
    values = dict(_CONSTANTS)
    values["grid"] = [g, ARC["rot90"].fn(g)]
    try:
        objs = ARC["objects-multi"].fn(g)
    except ValueError:
        objs = [Obj(np.array([[1]]))]
    values["list(obj)"] = [objs[:6], []]
    values["obj"] = objs[:2]
    values["list(grid)"] = [[g, g], [g, ARC["flip-lr"].fn(g)] if g.height > 1 else [g]]
    return values


def _check_value(p: Primitive, value: Any) -> None:
    kind = show_type(return_type(p.tp))
    if kind == "grid":
        assert isinstance(value, Grid) and value.array.min() >= 0 and value.array.max() <= 9
        assert 1 <= value.height <= 30 and 1 <= value.width <= 30
        assert not value.array.flags.writeable
    elif kind in ("int", "color"):
        assert type(value) is int, (p.name, type(value))
        assert kind == "int" or 0 <= value <= 9
    elif kind == "bool":
        assert type(value) is bool, (p.name, type(value))
    elif kind == "obj":
        assert isinstance(value, Obj)
    else:
        element = Grid if kind == "list(grid)" else Obj
        assert type(value) is list and all(isinstance(v, element) for v in value)
        hash(tuple(value))


def _run_all(g: Grid) -> int:
    samples, calls = _samples(g), 0
    before = g.array.copy()
    for p in FIRST_ORDER:
        pools = [samples[show_type(a)] for a in arguments(p.tp)]
        for args in itertools.islice(itertools.product(*pools), 400):
            calls += 1
            try:
                value = p.fn(*args)
            except ValueError as e:
                assert "read-only" not in str(e), f"{p.name} writes into its argument"
                continue
            _check_value(p, value)
    assert (g.array == before).all()
    return calls


_REAL = [
    e.inputs[0]
    for t in arc_tasks("training")
    if t.name in ("007bbfb7", "0dfd9992", "1cf80156", "6cf79266", "d8c310e9")
    for e in t.train[:1]
]


@pytest.mark.parametrize("g", _REAL, ids=lambda g: f"{g.height}x{g.width}")
def test_primitives_on_real_grids(g: Grid) -> None:
    assert _run_all(g) > 1000


def test_primitives_on_edge_grids() -> None:
    for g in (G("0"), G("7"), G("12"), G("1/2"), Grid(np.zeros((30, 30), dtype=np.int8))):
        _run_all(g)
    _run_all(Grid(np.arange(900).reshape(30, 30) % 10))


small = st.integers(1, 5).flatmap(
    lambda h: st.integers(1, 5).flatmap(
        lambda w: st.lists(
            st.lists(st.integers(0, 3), min_size=w, max_size=w), min_size=h, max_size=h
        )
    )
)


@settings(max_examples=15, deadline=None)
@given(small)
def test_primitives_on_random_grids(rows: list[list[int]]) -> None:
    _run_all(Grid.from_lists(rows))
