"""Grid and Obj: validation, immutability, equality, hashing, pickling."""

from __future__ import annotations

import pickle
import re

import numpy as np
import pytest
from arc_helpers import G
from hypothesis import given
from hypothesis import strategies as st

from hylo.domains.arc import Grid, Obj
from hylo.domains.arc.grid import is_grid_lists, obj_from_mask

grids = st.integers(1, 6).flatmap(
    lambda h: st.integers(1, 6).flatmap(
        lambda w: st.lists(
            st.lists(st.integers(0, 9), min_size=w, max_size=w), min_size=h, max_size=h
        )
    )
)


def test_from_lists_round_trips() -> None:
    g = Grid.from_lists([[0, 1, 2], [3, 4, 5]])
    assert g.to_lists() == [[0, 1, 2], [3, 4, 5]]
    assert g.shape == (2, 3) and g.height == 2 and g.width == 3
    assert g.array.dtype == np.int8
    assert repr(g) == "Grid(2x3: 012/345)"


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        ([], "non-empty list of rows"),
        ([[]], "row 0 is not a non-empty list"),
        ([[1, 2], [3]], "row 0 has 2 cells, row 1 has 1"),
        ([[0, 10]], "colours are 0-9, got 10 at row 0, column 1"),
        ([[0, -1]], "got -1"),
        ([[0, 1.5]], "ints 0-9, got 1.5"),
        ([[True]], "ints 0-9, got True"),
        ([[0] * 31], "at most 30x30, got 1x31"),
        ("abc", "non-empty list of rows"),
    ],
)
def test_from_lists_rejects_bad_grids(rows: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=re.escape(fragment)):
        Grid.from_lists(rows)
    assert not is_grid_lists(rows)


@given(grids)
def test_text_round_trips(rows: list[list[int]]) -> None:
    g = Grid.from_lists(rows)
    assert Grid.from_text(g.to_text()) == g


@pytest.mark.parametrize("text", ["", "12/3", "1a", "12//00", "1 2", "٣"])
def test_from_text_rejects_what_is_not_rows_of_digits(text: str) -> None:
    with pytest.raises(ValueError, match="rows of digits"):
        Grid.from_text(text)


def test_array_constructor_validates() -> None:
    with pytest.raises(ValueError, match="2-D"):
        Grid(np.zeros(3, dtype=np.int8))
    with pytest.raises(ValueError, match="0-9"):
        Grid(np.array([[12]]))
    with pytest.raises(ValueError, match="integers"):
        Grid(np.array([[0.5]]))
    with pytest.raises(ValueError, match="1x1 to 30x30"):
        Grid.wrap(np.zeros((0, 3), dtype=np.int8))


def test_grid_is_immutable_and_copies_its_input() -> None:
    source = np.array([[1, 2]])
    g = Grid(source)
    source[0, 0] = 5
    assert g.to_lists() == [[1, 2]]
    with pytest.raises(ValueError, match="read-only"):
        g.array[0, 0] = 3


def test_equality_and_hash() -> None:
    a, b, c = G("01/23"), G("01/23"), G("0123")
    assert a == b and hash(a) == hash(b)
    assert a != c  # same bytes, other shape
    assert len({a, b, c}) == 2
    assert a != [[0, 1], [2, 3]]


@given(grids)
def test_pickle_and_lists_round_trip(rows: list[list[int]]) -> None:
    g = Grid.from_lists(rows)
    assert Grid.from_lists(g.to_lists()) == g
    back = pickle.loads(pickle.dumps(g))
    assert back == g and hash(back) == hash(g)


def test_background_is_most_common_colour_ties_to_smaller() -> None:
    assert G("001/112").background == 1
    assert G("12/21").background == 1
    assert G("5").background == 5


def test_obj_properties_and_identity() -> None:
    o = Obj(np.array([[3, -1], [3, 4]]), top=1, left=2)
    assert (o.size, o.color, o.height, o.width) == (3, 3, 2, 2)
    assert o == Obj(np.array([[3, -1], [3, 4]]), 1, 2)
    assert o != Obj(np.array([[3, -1], [3, 4]]), 0, 2)
    assert hash(o) == hash(pickle.loads(pickle.dumps(o)))
    assert repr(o) == "Obj(2x2 at 1,2: 3./34)"
    with pytest.raises(ValueError, match="read-only"):
        o.patch[0, 0] = 1


@pytest.mark.parametrize(
    "patch", [np.array([[-1]]), np.zeros((0, 2)), np.array([[11]]), np.array([[-2]])]
)
def test_obj_rejects_bad_patches(patch: np.ndarray) -> None:
    with pytest.raises(ValueError, match="object"):
        Obj(patch)


def test_obj_from_mask_crops_to_the_mask() -> None:
    g = G("000/012/002")
    o = obj_from_mask(g.array, g.array == 2)
    assert (o.top, o.left) == (1, 2)
    assert o.patch.tolist() == [[2], [2]]
    with pytest.raises(ValueError, match="at least one cell"):
        obj_from_mask(g.array, g.array == 7)
