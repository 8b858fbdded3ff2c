"""Types: printing/parsing, unification, occurs check, canonical naming, instantiation."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hylo.lang import HyloError, ParseError, UnificationError
from hylo.lang.types import (
    ARROW,
    BOOL,
    INT,
    TCon,
    TVar,
    Type,
    apply,
    arguments,
    arrow,
    canonical,
    free_vars,
    generalize,
    instantiate,
    is_ground,
    list_of,
    max_var_id,
    parse_type,
    rename,
    return_type,
    show_type,
    unify,
)
from hylo.testing.strategies import ground_types, types

EXAMPLES = settings(max_examples=200, deadline=None)


def substitutions(t: Type, offset: int = 10) -> st.SearchStrategy[dict[int, Type]]:
    """Substitutions for the variables of ``t`` whose range uses only ids >= ``offset``."""
    shifted = types(max_leaves=4).map(
        lambda u: rename(u, {v: TVar(v + offset) for v in free_vars(u)})
    )
    return st.fixed_dictionaries({v: shifted for v in free_vars(t)})


# --- printing and parsing --------------------------------------------------------------


@EXAMPLES
@given(types())
def test_parse_show_round_trip(t: Type) -> None:
    assert parse_type(show_type(t)) == canonical((t,))[0]


@EXAMPLES
@given(types())
def test_show_type_is_a_fixed_point_after_one_round(t: Type) -> None:
    text = show_type(parse_type(show_type(t)))
    assert show_type(parse_type(text)) == text


@EXAMPLES
@given(ground_types())
def test_ground_types_round_trip_exactly(t: Type) -> None:
    assert is_ground(t)
    assert parse_type(show_type(t)) == t


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("int", INT),
        ("list(int)", list_of(INT)),
        ("int -> bool", arrow(INT, BOOL)),
        ("int->bool", arrow(INT, BOOL)),  # regression: '-' of '->' was read as part of a name
        ("t0->t1", arrow(TVar(0), TVar(1))),
        ("a->list(a)", arrow(TVar(0), list_of(TVar(0)))),
        ("int -> int -> int", arrow(INT, INT, INT)),
        ("(int -> int) -> int", TCon(ARROW, (arrow(INT, INT), INT))),
        ("  dict( int ,list(bool) )  ", TCon("dict", (INT, list_of(BOOL)))),
        ("a -> b", arrow(TVar(0), TVar(1))),
        ("t5 -> t7 -> t5", arrow(TVar(0), TVar(1), TVar(0))),
        ("my-type -> int", arrow(TCon("my-type"), INT)),
        ("list(a -> b)", list_of(arrow(TVar(0), TVar(1)))),
    ],
)
def test_parse_type_examples(text: str, expected: Type) -> None:
    assert parse_type(text) == expected


def test_show_type_parenthesises_arrows_on_the_left_only() -> None:
    t = parse_type("(a -> b) -> list(a) -> list(b)")
    assert show_type(t) == "(t0 -> t1) -> list(t0) -> list(t1)"
    assert str(t) == show_type(t)
    assert str(TVar(3)) == "t3"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty type"),
        ("   ", "empty type"),
        ("list(int", "type 'list(int' ends early; expected ')'"),
        ("int ->", "type 'int ->' ends early"),
        ("-> int", "unexpected '->' in type '-> int'"),
        ("int)", "unexpected ')' after the end of type 'int)'"),
        ("list(,int)", "unexpected ',' in type"),
        ("(int", "ends early; expected ')'"),
        ("(int bool)", "expected ')' but found 'bool'"),
        ("int $", "unexpected character '$' in type 'int $'"),
        ("int -> int int", "unexpected 'int' after the end of type"),
    ],
)
def test_parse_type_errors(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=re.escape(message)):
        parse_type(text)


def test_parse_error_is_a_value_error_and_a_hylo_error() -> None:
    with pytest.raises(ValueError):
        parse_type("list(")
    with pytest.raises(HyloError):
        parse_type("list(")


# --- structure ----------------------------------------------------------------------------


def test_arrow_helpers() -> None:
    t = arrow(INT, list_of(BOOL), BOOL)
    assert arguments(t) == [INT, list_of(BOOL)]
    assert return_type(t) == BOOL
    assert arrow(INT) == INT
    with pytest.raises(ValueError, match="at least one type"):
        arrow()


@EXAMPLES
@given(types())
def test_free_vars_and_groundness_agree(t: Type) -> None:
    ids = free_vars(t)
    assert len(ids) == len(set(ids))
    assert is_ground(t) == (not ids)
    assert max_var_id(t) == max(ids, default=-1)


@EXAMPLES
@given(types(), types())
def test_equal_types_hash_equal(a: Type, b: Type) -> None:
    assert (a == b) == (show_type(a) == show_type(b))
    if a == b:
        assert hash(a) == hash(b)
    c = parse_type(show_type(canonical((a,))[0]))
    assert c == canonical((a,))[0] and hash(c) == hash(canonical((a,))[0])


# --- unification --------------------------------------------------------------------------


@EXAMPLES
@given(types(), types())
def test_unify_gives_a_unifier_or_fails_symmetrically(a: Type, b: Type) -> None:
    try:
        s = unify(a, b, {})
    except UnificationError:
        with pytest.raises(UnificationError):
            unify(b, a, {})
        return
    assert apply(a, s) == apply(b, s)
    s2 = unify(b, a, {})
    assert apply(a, s2) == apply(b, s2)


@EXAMPLES
@given(st.data())
def test_unify_with_an_instance_succeeds_and_is_most_general(data: st.DataObject) -> None:
    a = data.draw(types(), label="a")
    sigma = data.draw(substitutions(a), label="sigma")
    b = apply(a, sigma)  # an instance of a whose variables are disjoint from a's
    s = unify(a, b, {})
    assert apply(a, s) == apply(b, s)
    # the most general unifier makes b no more specific than it already was
    assert canonical((apply(b, s),)) == canonical((b,))


@EXAMPLES
@given(st.data())
def test_unify_two_instances_of_one_type(data: st.DataObject) -> None:
    t = data.draw(types(), label="t")
    a = apply(t, data.draw(substitutions(t, 10), label="s1"))
    b = apply(t, data.draw(substitutions(t, 20), label="s2"))
    try:
        s = unify(a, b, {})
    except UnificationError:
        return
    assert apply(a, s) == apply(b, s)


@EXAMPLES
@given(types(), types(), types())
def test_unify_extends_its_context_without_changing_it(a: Type, b: Type, c: Type) -> None:
    try:
        s = unify(a, b, {})
    except UnificationError:
        return
    before = dict(s)
    try:
        s2 = unify(c, a, s)
    except UnificationError:
        assert s == before
        return
    assert s == before
    assert apply(a, s2) == apply(b, s2) == apply(c, s2)


def test_unify_example() -> None:
    t = parse_type("(a -> b) -> list(a) -> list(b)")
    request = arrow(arrow(INT, TVar(10)), TVar(11))
    s = unify(t, request, {})
    assert show_type(apply(t, s)) == "(int -> t10) -> list(int) -> list(t10)"
    assert apply(request, s) == apply(t, s)


def test_unify_mismatch_message_names_both_types() -> None:
    with pytest.raises(UnificationError, match=re.escape("cannot unify list(int) with bool")):
        unify(list_of(INT), BOOL, {})
    with pytest.raises(UnificationError, match=re.escape("cannot unify int -> int with bool")):
        unify(arrow(INT, INT), arrow(BOOL, INT), {})
    with pytest.raises(UnificationError, match="cannot unify int with bool"):
        unify(arrow(INT, TVar(0)), arrow(BOOL, INT), {})


def test_unify_respects_existing_bindings() -> None:
    s = unify(TVar(0), INT, {})
    with pytest.raises(UnificationError):
        unify(TVar(0), BOOL, s)
    assert apply(list_of(TVar(0)), unify(TVar(1), TVar(0), s)) == list_of(INT)


# --- occurs check -------------------------------------------------------------------------


@EXAMPLES
@given(types(), st.integers(0, 2))
def test_occurs_check(t: Type, v: int) -> None:
    containing = list_of(arrow(t, TVar(v)))  # not a variable, mentions t_v
    with pytest.raises(UnificationError, match="infinite type"):
        unify(TVar(v), containing, {})
    with pytest.raises(UnificationError, match="infinite type"):
        unify(containing, TVar(v), {})


def test_occurs_check_through_bindings() -> None:
    with pytest.raises(UnificationError, match="infinite type"):
        unify(parse_type("a -> b"), parse_type("b -> list(a)"), {})
    assert unify(TVar(0), TVar(0), {}) == {}


# --- canonical names and instantiation ------------------------------------------------------


@EXAMPLES
@given(st.lists(types(), max_size=3))
def test_canonical_numbers_variables_by_first_appearance(ts: list[Type]) -> None:
    out = canonical(ts)
    ids: list[int] = []
    for t in out:
        free_vars(t, ids)
    assert ids == list(range(len(ids)))
    assert canonical(out) == out
    assert [show_type(t).count("->") for t in out] == [show_type(t).count("->") for t in ts]


def test_canonical_shares_variables_across_types() -> None:
    assert canonical([arrow(TVar(5), TVar(7)), TVar(7)]) == (arrow(TVar(0), TVar(1)), TVar(1))
    assert generalize(arrow(TVar(9), TVar(4), TVar(9))) == arrow(TVar(0), TVar(1), TVar(0))


@EXAMPLES
@given(types(), st.integers(0, 100))
def test_instantiate_gives_fresh_variables(t: Type, next_id: int) -> None:
    fresh, after = instantiate(t, next_id)
    k = len(free_vars(t))
    assert after == next_id + k
    assert free_vars(fresh) == list(range(next_id, next_id + k))
    assert canonical((fresh,)) == canonical((t,))
    if is_ground(t):
        assert fresh == t


@EXAMPLES
@given(types())
def test_instantiate_then_unify_with_the_original(t: Type) -> None:
    fresh, _ = instantiate(t, max_var_id(t) + 1)
    s = unify(fresh, t, {})
    assert apply(fresh, s) == apply(t, s)
