"""Type inference: generated well-typed programs type-check; ill-typed ones raise."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hylo.lang import (
    BOOL,
    INT,
    Application,
    Hole,
    Index,
    Program,
    TVar,
    Type,
    TypeInferenceError,
    arrow,
    check,
    infer,
    invent,
    list_of,
    parse,
    parse_type,
    show_type,
    unify,
)
from hylo.lang.types import canonical, is_ground
from hylo.testing.strategies import NAMESPACE, programs, types

EXAMPLES = settings(max_examples=150, deadline=None)

REQUESTS: list[Type] = [
    INT,
    BOOL,
    list_of(INT),
    list_of(list_of(INT)),
    arrow(INT, INT),
    arrow(list_of(INT), INT),
    arrow(list_of(INT), list_of(BOOL)),
    arrow(INT, INT, INT),
    arrow(arrow(INT, INT), list_of(INT), list_of(INT)),
]
ENV: tuple[Type, ...] = (INT, list_of(INT), arrow(INT, BOOL))


def p(text: str) -> Program:
    return parse(text, NAMESPACE)


def typed(
    requests: list[Type], env: tuple[Type, ...] = (), holes: bool = False
) -> st.SearchStrategy[tuple[Type, Program]]:
    """A request drawn from ``requests`` and a program generated for it."""
    return st.sampled_from(requests).flatmap(
        lambda t: programs(t, env=env, holes=holes).map(lambda q: (t, q))
    )


# --- well-typed programs ------------------------------------------------------------------


@EXAMPLES
@given(typed(REQUESTS))
def test_generated_programs_infer_to_their_request(case: tuple[Type, Program]) -> None:
    request, q = case
    t = infer(q)
    s = unify(t, request, {})  # the principal type is at least as general as the request
    assert s is not None
    assert infer(q, request=request) == request  # ground request: exactly it
    assert check(q, request)
    assert canonical((t,))[0] == t


@EXAMPLES
@given(typed(REQUESTS, ENV))
def test_open_programs_infer_in_their_environment(case: tuple[Type, Program]) -> None:
    request, q = case
    unify(infer(q, ENV), request, {})
    assert infer(q, ENV, request) == request


@pytest.mark.parametrize("request_type", REQUESTS)
def test_holes_take_any_type(request_type: Type) -> None:
    request = request_type
    assert infer(Hole(), request=request) == request
    assert infer(Hole(request)) == request


@EXAMPLES
@given(typed(REQUESTS, holes=True))
def test_programs_with_holes_still_check(case: tuple[Type, Program]) -> None:
    request, q = case
    assert check(q, request)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("map", "(t0 -> t1) -> list(t0) -> list(t1)"),
        ("(lam (+ $0 1))", "int -> int"),
        ("(lam (map (lam (+ $0 1)) $0))", "list(int) -> list(int)"),
        ("(lam (fold $0 0 (lam (lam (+ $0 1)))))", "list(t0) -> int"),
        ("(lam (lam (cons $1 $0)))", "t0 -> list(t0) -> list(t0)"),
        ("(lam (lam $1))", "t0 -> t1 -> t0"),
        ("(eq? empty)", "list(t0) -> bool"),
        ("(if true)", "t0 -> t0 -> t0"),
        ("(+ ?? 1)", "int"),
        ("(lam ??)", "t0 -> t1"),
        ("((lam $0) car)", "list(t0) -> t0"),
        ("(map (lam (cons $0 empty)))", "list(t0) -> list(list(t0))"),
    ],
)
def test_principal_types(text: str, expected: str) -> None:
    assert show_type(infer(p(text))) == expected


def test_request_with_variables_is_unified_not_matched() -> None:
    assert infer(p("empty"), request=parse_type("list(a)")) == list_of(TVar(0))
    assert show_type(infer(p("map"), request=parse_type("(int -> bool) -> a"))) == (
        "(int -> bool) -> list(int) -> list(bool)"
    )


def test_environment_variables_do_not_clash_with_primitive_variables() -> None:
    # env uses t0; eq?'s own t0 must be a fresh variable, not the env's
    assert infer(p("(eq? $0 1)"), (TVar(0),)) == BOOL
    assert infer(p("(cons $0 $1)"), (TVar(0), list_of(INT))) == list_of(INT)
    assert infer(p("(cons $0 empty)"), (TVar(5),)) == list_of(TVar(0))
    with pytest.raises(TypeInferenceError):
        infer(p("(cons $0 $1)"), (TVar(0), INT))


def test_inventions_are_polymorphic_at_each_use() -> None:
    ident = invent("#id", p("(lam $0)"))
    assert ident.tp == arrow(TVar(0), TVar(0))
    use = Application(
        Application(
            Application(NAMESPACE["if"], Application(ident, NAMESPACE["true"])),
            Application(ident, NAMESPACE["1"]),
        ),
        NAMESPACE["0"],
    )
    assert infer(use) == INT
    inc = invent("#inc", p("(lam (+ $0 1))"))
    assert inc.tp == arrow(INT, INT)


# --- ill-typed programs -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "(+ 1 empty)",
        "(car 1)",
        "(1 1)",
        "(if 1 0 0)",
        "(if true 0 empty)",
        "(cons 1 (cons true empty))",
        "(lam ($0 $0))",  # occurs check
        "(map + (cons true empty))",
        "(fold (range 1) 0 (lam (lam (cons $1 $0))))",
    ],
)
def test_ill_typed_programs_raise(text: str) -> None:
    with pytest.raises(TypeInferenceError, match=re.escape("type error in ")):
        infer(p(text))
    assert not check(p(text), parse_type("a"))


def unifiable(a: Type, b: Type) -> bool:
    try:
        unify(a, b, {})
    except TypeInferenceError:
        return False
    return True


@EXAMPLES
@given(typed([INT, arrow(INT, INT), list_of(INT)]))
def test_misused_generated_programs_raise(case: tuple[Type, Program]) -> None:
    request, q = case
    t = infer(q)
    as_list = Application(NAMESPACE["empty?"], q)  # wants a list
    as_int = Application(Application(NAMESPACE["+"], q), NAMESPACE["0"])  # wants an int
    assert check(as_list, BOOL) == unifiable(t, list_of(TVar(100)))
    assert check(as_int, INT) == unifiable(t, INT)
    assert check(q, BOOL) == unifiable(t, BOOL)
    if t == request:  # a monomorphic program: misusing it is always a type error
        with pytest.raises(TypeInferenceError, match="does not match"):
            infer(q, request=BOOL)
        with pytest.raises(TypeInferenceError, match="type error in"):
            infer(as_int if request != INT else as_list)


@EXAMPLES
@given(types())
def test_int_constant_checks_only_against_unifiable_requests(request: Type) -> None:
    ok = request == INT or isinstance(request, TVar)
    assert check(p("1"), request) == ok
    if is_ground(request) and not ok:
        with pytest.raises(TypeInferenceError):
            infer(p("1"), request=request)


def test_type_error_message_shows_the_program_and_the_types() -> None:
    with pytest.raises(TypeInferenceError) as e:
        infer(p("(+ 1 empty)"))
    assert "(+ 1 empty)" in str(e.value)
    assert "int -> " in str(e.value) or "list(" in str(e.value)


# --- unbound variables --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "env", "message"),
    [
        (Index(0), (), "variable $0 is unbound: only 0 enclosing lambda(s)"),
        (parse("(lam $1)", NAMESPACE), (), "variable $1 is unbound: only 1 enclosing lambda(s)"),
        (Index(1), (INT,), "variable $1 is unbound: only 1 enclosing lambda(s)"),
        (parse("(lam (map (lam $2) $0))", NAMESPACE), (), "variable $2 is unbound"),
    ],
)
def test_unbound_variables_raise(q: Program, env: tuple[Type, ...], message: str) -> None:
    with pytest.raises(TypeInferenceError, match=re.escape(message)):
        infer(q, env)
    assert not check(q, parse_type("a"), env)


def test_bound_by_the_environment() -> None:
    assert infer(Index(0), (INT,)) == INT
    assert infer(Index(1), (INT, BOOL)) == BOOL
    assert infer(p("(lam $1)"), (BOOL,)) == arrow(TVar(0), BOOL)
