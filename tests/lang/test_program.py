"""Programs: printing/parsing, equality and hashing, de Bruijn laws, beta reduction."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hylo.lang import (
    BOOL,
    INT,
    Abstraction,
    Application,
    BudgetExceeded,
    EvaluationError,
    Evaluator,
    HyloError,
    Index,
    Limits,
    ParseError,
    Primitive,
    Program,
    Type,
    arrow,
    beta_normal,
    check,
    invent,
    list_of,
    parse,
    show,
    size,
)
from hylo.lang.program import is_closed, shift, subprograms, substitute
from hylo.lang.types import arguments
from hylo.testing.strategies import NAMESPACE, programs, untyped_programs, values

EXAMPLES = settings(max_examples=150, deadline=None)
LIMITS = Limits(max_steps=5_000, timeout_s=1.0, max_length=50)

# request types for generated programs; all are functions of first-order inputs
FUNCTION_TYPES: list[Type] = [
    INT,
    list_of(INT),
    arrow(INT, INT),
    arrow(list_of(INT), INT),
    arrow(list_of(INT), list_of(INT)),
    arrow(INT, list_of(BOOL)),
    arrow(INT, INT, INT),
    arrow(list_of(INT), INT, BOOL),
]


def p(text: str) -> Program:
    return parse(text, NAMESPACE)


def has_redex(q: Program) -> bool:
    return any(isinstance(n, Application) and isinstance(n.f, Abstraction) for n in subprograms(q))


# --- printing and parsing ----------------------------------------------------------------


@EXAMPLES
@given(untyped_programs())
def test_parse_show_round_trip_any_shape(q: Program) -> None:
    assert parse(show(q), NAMESPACE) == q


@EXAMPLES
@given(st.sampled_from(FUNCTION_TYPES).flatmap(lambda t: programs(t, holes=True)))
def test_parse_show_round_trip_well_typed(q: Program) -> None:
    assert parse(show(q), NAMESPACE) == q


@pytest.mark.parametrize(
    "text",
    [
        "(lam (map (lam (+ $0 1)) $0))",
        "(lam (lam (fold $1 $0 (lam (lam (cons $1 $0))))))",
        "((lam $0) 1)",
        "(+ ?? 1)",
        "car",
        "$12",
    ],
)
def test_show_parse_examples(text: str) -> None:
    assert show(p(text)) == text


def test_parse_accepts_curried_and_spaced_forms() -> None:
    assert (
        p("((+ 1) 0)")
        == p("(+ 1 0)")
        == Application(Application(NAMESPACE["+"], NAMESPACE["1"]), NAMESPACE["0"])
    )
    assert p("  (lambda   $0 )\n") == Abstraction(Index(0))
    assert p("(1)") == NAMESPACE["1"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty program text"),
        ("(+ 1 foo)", "unknown name 'foo' (known: "),
        ("(+ 1 foo)", "at character 5 of '(+ 1 foo)'"),
        ("(+ 1 1", "'(' is never closed at character 0"),
        ("(map (lam $0) (cons 1 empty)", "'(' is never closed at character 0"),
        ("(+ 1 1))", "unexpected ')' after the end of the program at character 7"),
        ("1 1", "unexpected '1' after the end of the program at character 2"),
        (")", "unexpected ')' at character 0"),
        ("(lam $x)", "bad variable '$x' (expected $0, $1, …) at character 5"),
        ("$", "bad variable '$' (expected $0, $1, …) at character 0"),
        ("(lam $-1)", "bad variable '$-1'"),
        ("$²", "bad variable '$²'"),  # regression: '²'.isdigit() but int('²') fails
        ("()", "empty application '()' at character 0"),
        ("(+ lam 1)", "'lam' must come right after '(' at character 3"),
        ("(lam $0 $1)", "'lam' takes exactly one body"),  # regression: was "never closed"
        ("(lam $0 $1)", "at character 8"),
        ("(lam)", "unexpected ')' at character 4"),
        ("(lam", "program ends early (missing ')'?)"),
    ],
)
def test_parse_errors_name_the_problem_and_position(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=re.escape(message)):
        p(text)


def test_unknown_name_lists_known_names_briefly() -> None:
    many = {f"c{i}": Primitive(f"c{i}", INT, lambda: 0) for i in range(30)}
    with pytest.raises(ParseError, match=re.escape(", …)")):
        parse("x", many)


@pytest.mark.parametrize("name", ["", "a b", "(x", "$x", "x)"])
def test_unparsable_primitive_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="cannot be parsed back"):
        Primitive(name, INT, lambda: 0)


def test_negative_index_is_refused() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        Index(-1)


# --- equality and hashing ---------------------------------------------------------------


@EXAMPLES
@given(untyped_programs(), untyped_programs())
def test_equality_and_hash_are_consistent(a: Program, b: Program) -> None:
    copy = parse(show(a), NAMESPACE)  # a structurally equal, separately built term
    assert copy == a and hash(copy) == hash(a)
    assert (a == b) == (show(a) == show(b))
    if a == b:
        assert hash(a) == hash(b)
    assert len({a, copy, b}) == (1 if a == b else 2)


def test_primitives_are_equal_by_name() -> None:
    a = Primitive("x", INT, lambda: 0)
    b = Primitive("x", BOOL, lambda: True)
    assert a == b and hash(a) == hash(b)
    assert a != Primitive("y", INT, lambda: 0)
    assert repr(a) == "Primitive('x': int)"


def test_inventions_compare_by_name_and_body() -> None:
    inc = invent("#inc", p("(lam (+ $0 1))"))
    assert inc == invent("#inc", p("(lam (+ $0 1))"))
    assert hash(inc) == hash(invent("#inc", p("(lam (+ $0 1))")))
    assert inc != invent("#inc", p("(lam (+ 1 $0))"))
    assert inc != invent("#other", p("(lam (+ $0 1))"))


# --- structure ----------------------------------------------------------------------------


def test_size_and_closedness() -> None:
    assert size(p("(lam (map (lam (+ $0 1)) $0))")) == 5
    assert is_closed(p("(lam (map (lam (+ $0 $1)) $0))"))
    assert not is_closed(p("(lam (map (lam (+ $0 $2)) $0))"))
    assert not is_closed(Index(0))


@EXAMPLES
@given(untyped_programs())
def test_size_counts_leaves(q: Program) -> None:
    leaves = [n for n in subprograms(q) if not isinstance(n, Application | Abstraction)]
    assert size(q) == len(leaves) >= 1


# --- de Bruijn shifting and substitution ----------------------------------------------------


@EXAMPLES
@given(untyped_programs(), st.integers(0, 3), st.integers(0, 2))
def test_shift_up_then_down_is_identity(q: Program, d: int, cutoff: int) -> None:
    assert shift(shift(q, d, cutoff), -d, cutoff) == q
    assert shift(q, 0, cutoff) == q


@EXAMPLES
@given(untyped_programs(), st.integers(0, 3), st.integers(0, 3))
def test_shifts_compose(q: Program, a: int, b: int) -> None:
    assert shift(shift(q, a), b) == shift(q, a + b)


@EXAMPLES
@given(untyped_programs(), st.integers(1, 3))
def test_shift_leaves_closed_programs_alone(q: Program, d: int) -> None:
    if is_closed(q):
        assert shift(q, d) == q
    else:
        assert shift(q, d) != q


@EXAMPLES
@given(untyped_programs(), untyped_programs())
def test_substituting_an_absent_index_is_identity(q: Program, value: Program) -> None:
    lifted = shift(q, 1)  # no free $0 any more
    assert substitute(lifted, 0, value) == lifted
    assert shift(substitute(lifted, 0, value), -1) == q


@EXAMPLES
@given(untyped_programs(), untyped_programs())
def test_substituting_a_variable_for_itself_is_identity(q: Program, value: Program) -> None:
    assert substitute(q, 0, Index(0)) == q
    assert substitute(Index(0), 0, value) == value
    assert substitute(Index(1), 0, value) == Index(1)


def test_substitution_under_a_binder_does_not_capture() -> None:
    # (lam ((lam (lam $1)) $0))  ->  (lam (lam $1)): the outer $0 stays the outer variable
    assert beta_normal(p("(lam ((lam (lam $1)) $0))")) == p("(lam (lam $1))")
    # substituting an open term under a lam shifts its free variables
    assert substitute(p("(lam (+ $1 $0))"), 0, Index(3)) == p("(lam (+ $4 $0))")


def test_shifting_below_zero_is_an_error() -> None:
    with pytest.raises(HyloError, match="negative index"):
        shift(Index(0), -1)


# --- beta reduction -------------------------------------------------------------------------


def test_beta_normal_examples() -> None:
    assert beta_normal(p("((lam (+ $0 $0)) 1)")) == p("(+ 1 1)")
    assert beta_normal(p("((lam (lam $1)) 1 0)")) == p("1")
    assert beta_normal(p("(lam ((lam (map $0 $1)) (+ 1)))")) == p("(lam (map (+ 1) $0))")
    already = p("(lam (map (lam (+ $0 1)) $0))")
    assert beta_normal(already) is already


def test_beta_normal_gives_up_on_a_diverging_untyped_program() -> None:
    omega = p("((lam ($0 $0)) (lam ($0 $0)))")
    with pytest.raises(HyloError, match="did not finish in 50 steps"):
        beta_normal(omega, max_steps=50)


def test_beta_normal_inlines_inventions_on_request() -> None:
    inc = invent("#inc", p("(lam (+ $0 1))"))
    q = Abstraction(Application(inc, Application(inc, Index(0))))
    assert beta_normal(q) == q
    inlined = beta_normal(q, inline_inventions=True)
    assert inlined == p("(lam (+ (+ $0 1) 1))")
    assert Evaluator().function(q)(5) == Evaluator().function(inlined)(5) == 7


def _run(q: Program, inputs: tuple[Any, ...]) -> tuple[str, Any]:
    try:
        return "ok", Evaluator(LIMITS).function(q)(*inputs)
    except BudgetExceeded:
        return "budget", None
    except EvaluationError:
        return "error", None


@st.composite
def program_and_inputs(draw: st.DrawFn) -> tuple[Type, Program, tuple[Any, ...]]:
    tp = draw(st.sampled_from(FUNCTION_TYPES))
    q = draw(programs(tp, max_depth=3))
    inputs = tuple(draw(values(a)) for a in arguments(tp))
    return tp, q, inputs


@EXAMPLES
@given(program_and_inputs())
def test_beta_normal_preserves_type_and_results(
    case: tuple[Type, Program, tuple[Any, ...]],
) -> None:
    tp, q, inputs = case
    normal = beta_normal(q)
    assert not has_redex(normal)
    assert beta_normal(normal) == normal
    assert check(normal, tp)  # subject reduction
    status, result = _run(q, inputs)
    if status != "ok":
        # call-by-value may fail on an argument that the normal form never evaluates
        return
    status_n, result_n = _run(normal, inputs)
    if status_n == "budget":  # the normal form may repeat work that a redex shared
        return
    assert (status_n, result_n) == (status, result)


@EXAMPLES
@given(program_and_inputs())
def test_inlining_an_invention_preserves_results(
    case: tuple[Type, Program, tuple[Any, ...]],
) -> None:
    _, q, inputs = case
    if not inputs:
        return
    # (lam … (lam (#f $k-1 … $0))), one lambda per input
    wrapped = _apply_to_indices(invent("#f", q), len(inputs))
    for _ in inputs:
        wrapped = Abstraction(wrapped)
    status, result = _run(q, inputs)
    if status != "ok":
        return
    assert _run(wrapped, inputs) == (status, result)
    assert _run(beta_normal(wrapped, inline_inventions=True), inputs) in [
        ("ok", result),
        ("budget", None),
    ]


def _apply_to_indices(f: Program, k: int) -> Program:
    out = f
    for i in reversed(range(k)):
        out = Application(out, Index(i))
    return out


def test_deeply_nested_text_is_a_parse_error_not_a_crash():
    from hylo.lang.errors import ParseError
    from hylo.lang.program import parse

    text = "(lam " * 50_000 + "$0" + ")" * 50_000
    with pytest.raises(ParseError, match="nested too deeply"):
        parse(text, {})
