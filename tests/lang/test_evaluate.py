"""Evaluation: type soundness, budgets, errors as values, calling conventions."""

from __future__ import annotations

import time
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
    Hole,
    HyloError,
    Index,
    Limits,
    Primitive,
    Program,
    Type,
    arrow,
    guard_length,
    invent,
    list_of,
    parse,
    parse_type,
)
from hylo.lang.types import arguments, return_type
from hylo.testing.strategies import NAMESPACE, conforms, programs, values

EXAMPLES = settings(max_examples=150, deadline=None)
LIMITS = Limits(max_steps=5_000, timeout_s=1.0, max_length=50)


def fix_impl(f: Any, x: Any) -> Any:
    return f(lambda y: fix_impl(f, y))(x)


FIX = Primitive("fix", parse_type("((a -> b) -> a -> b) -> a -> b"), fix_impl, "fixed point")
NUMERALS = {str(i): Primitive(str(i), INT, lambda i=i: i, "a numeral") for i in range(2, 129)}
NS: dict[str, Primitive] = {**NAMESPACE, **NUMERALS, "fix": FIX}

# (f^(2^n) 0) for the identity f: 2^n lambda calls, built by doubling a composition n times
EXPONENTIAL = "((fold (range {n}) (lam $0) (lam (lam (lam ($1 ($1 $0)))))) 0)"


def p(text: str) -> Program:
    return parse(text, NS)


def run(text: str, *inputs: Any, limits: Limits | None = None) -> Any:
    return Evaluator(limits).function(p(text))(*inputs)


# --- type soundness -----------------------------------------------------------------------

CLOSED: list[Type] = [INT, BOOL, list_of(INT), list_of(list_of(INT)), list_of(BOOL)]
FUNCTIONS: list[Type] = [
    arrow(INT, INT),
    arrow(list_of(INT), INT),
    arrow(list_of(INT), list_of(INT)),
    arrow(INT, list_of(BOOL)),
    arrow(INT, INT, INT),
    arrow(list_of(INT), INT, BOOL),
    arrow(list_of(list_of(INT)), list_of(INT)),
]


def outcome(q: Program, inputs: tuple[Any, ...]) -> tuple[str, Any]:
    """("ok", value) or ("error", message); any other exception escapes the test."""
    try:
        return "ok", Evaluator(LIMITS).function(q)(*inputs)
    except EvaluationError as e:
        return "error", str(e)


@EXAMPLES
@given(st.sampled_from(CLOSED).flatmap(lambda t: programs(t).map(lambda q: (t, q))))
def test_closed_programs_return_their_type_or_fail_cleanly(case: tuple[Type, Program]) -> None:
    tp, q = case
    status, value = outcome(q, ())
    if status == "ok":
        assert conforms(value, tp), (value, tp)


@st.composite
def program_and_inputs(draw: st.DrawFn) -> tuple[Type, Program, tuple[Any, ...]]:
    tp = draw(st.sampled_from(FUNCTIONS))
    q = draw(programs(tp))
    return tp, q, tuple(draw(values(a)) for a in arguments(tp))


@EXAMPLES
@given(program_and_inputs())
def test_functions_return_their_type_or_fail_cleanly(
    case: tuple[Type, Program, tuple[Any, ...]],
) -> None:
    tp, q, inputs = case
    status, value = outcome(q, inputs)
    if status == "ok":
        assert conforms(value, return_type(tp)), (value, tp)


@EXAMPLES
@given(program_and_inputs())
def test_evaluation_is_deterministic_and_reusable(
    case: tuple[Type, Program, tuple[Any, ...]],
) -> None:
    _, q, inputs = case
    f = Evaluator(LIMITS).function(q)
    results = []
    for _ in range(2):  # the budget is reset on every call
        try:
            results.append(("ok", f(*inputs)))
        except EvaluationError as e:
            results.append((type(e).__name__, None))
    if results[0][0] != "BudgetExceeded":  # a time budget may run out only once
        assert results[0] == results[1]


# --- step and time budgets --------------------------------------------------------------------


def test_exponential_work_exceeds_the_step_budget() -> None:
    assert run(EXPONENTIAL.format(n=8)) == 0  # 256 calls: fine
    with pytest.raises(BudgetExceeded, match="more than 1000 evaluation steps"):
        run(EXPONENTIAL.format(n=20), limits=Limits(max_steps=1000))


def test_nested_maps_exceed_the_step_budget() -> None:
    nested = "(lam (map (lam (map (lam (map (lam (+ $0 $1)) $2)) $1)) $0))"
    assert len(run(nested, [1, 2], limits=Limits(max_steps=100))) == 2
    with pytest.raises(BudgetExceeded, match="more than 5000 evaluation steps"):
        run(nested, list(range(40)), limits=Limits(max_steps=5000))


def test_max_steps_counts_lambda_calls_exactly() -> None:
    # regression: a budget of n steps used to stop at the n-th call
    identity_map = "(lam (map (lam $0) $0))"
    limits = Limits(max_steps=10)
    assert run(identity_map, list(range(10)), limits=limits) == list(range(10))
    with pytest.raises(BudgetExceeded, match="more than 10 evaluation steps"):
        run(identity_map, list(range(11)), limits=limits)
    assert run("(lam (+ $0 1))", 1, limits=Limits(max_steps=0)) == 2  # top lambdas are free
    with pytest.raises(BudgetExceeded):
        run("(map (lam $0) (range 1))", limits=Limits(max_steps=0))


def test_step_budget_is_reset_on_every_call() -> None:
    f = Evaluator(Limits(max_steps=10)).function(p("(lam (map (lam $0) $0))"))
    for _ in range(5):
        assert f(list(range(10))) == list(range(10))


def test_timeout_is_respected() -> None:
    limits = Limits(max_steps=10**12, timeout_s=0.05)
    start = time.perf_counter()
    with pytest.raises(BudgetExceeded, match=r"took more than 0\.05 s"):
        run(EXPONENTIAL.format(n=40), limits=limits)
    assert time.perf_counter() - start < 1.0


def test_guard_length_caps_lists() -> None:
    limits = Limits(max_length=100)
    assert len(run("(range 100)", limits=limits)) == 100
    with pytest.raises(BudgetExceeded, match="a list of length 101 exceeds max_length=100"):
        run("(range 101)", limits=limits)
    build = "(lam (fold (range $0) empty (lam (lam (cons $1 $0)))))"
    assert run(build, 100, limits=Limits(max_length=100)) == list(range(100))
    with pytest.raises(BudgetExceeded, match="max_length=50"):
        run(build, 60, limits=Limits(max_length=50))


def test_guard_length_follows_the_evaluator_that_runs() -> None:
    small = Evaluator(Limits(max_length=5)).function(p("(lam (range $0))"))
    large = Evaluator(Limits(max_length=500)).function(p("(lam (range $0))"))
    assert len(large(100)) == 100
    with pytest.raises(BudgetExceeded):
        small(10)
    assert len(large(100)) == 100


def test_guard_length_is_a_budget_error() -> None:
    with pytest.raises(BudgetExceeded, match="exceeds max_length"):
        guard_length(10**9)


def test_recursion_error_becomes_budget_exceeded() -> None:
    loop = "(fix (lam (lam ($1 $0))) 0)"  # recurses forever, one step per call
    with pytest.raises(BudgetExceeded, match="recursion too deep"):
        run(loop, limits=Limits(max_steps=10**9, timeout_s=10.0))
    assert run("(fix (lam (lam (if (gt? $0 5) $0 ($1 (+ $0 1))))) 0)") == 6  # still usable
    with pytest.raises(BudgetExceeded, match="more than 100 evaluation steps"):
        run(loop, limits=Limits(max_steps=100))


def test_recursion_error_raised_by_a_primitive_becomes_budget_exceeded() -> None:
    def deep(x: int) -> int:
        raise RecursionError("maximum recursion depth exceeded")

    prim = Primitive("deep", arrow(INT, INT), deep)
    with pytest.raises(BudgetExceeded, match="recursion too deep"):
        Evaluator().function(Application(prim, NAMESPACE["1"]))()


# --- errors as values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("(car empty)", "IndexError"),
        ("(cdr empty)", "ValueError: cdr of an empty list"),
        ("(lam (car $0))", "IndexError"),
        ("(map car (cons empty empty))", "IndexError"),
    ],
)
def test_exceptions_in_primitives_become_evaluation_errors(text: str, message: str) -> None:
    f = Evaluator().function(p(text))
    inputs: tuple[Any, ...] = ([],) if text.startswith("(lam") else ()
    with pytest.raises(EvaluationError, match=message) as e:
        f(*inputs)
    assert not isinstance(e.value, BudgetExceeded)
    assert isinstance(e.value, HyloError)


def test_a_primitive_raising_type_error_is_an_evaluation_error() -> None:
    bad = Primitive("bad", arrow(INT, INT), lambda x: x + "s")
    with pytest.raises(EvaluationError, match="TypeError"):
        Evaluator().function(Application(bad, NAMESPACE["1"]))()


def test_if_is_lazy() -> None:
    assert run("(if true 1 (car empty))") == 1
    assert run("(if false (car empty) 0)") == 0
    assert run("(lam (if (empty? $0) 0 (car $0)))", []) == 0
    assert (
        run("(lam (fix (lam (lam (if (empty? $0) 0 (+ (car $0) ($1 (cdr $0)))))) $0))", [1, 2, 3])
        == 6
    )


def test_holes_cannot_run() -> None:
    with pytest.raises(HyloError, match="hole"):
        Evaluator().function(p("(+ ?? 1)"))
    with pytest.raises(HyloError, match="hole"):
        Evaluator().compile(Hole())


def test_unbound_variable_at_run_time_is_an_evaluation_error() -> None:
    with pytest.raises(EvaluationError):
        Evaluator().function(Index(0))()


# --- inventions -----------------------------------------------------------------------------


def test_inventions_evaluate_like_their_body() -> None:
    inc = invent("#inc", p("(lam (+ $0 1))"))
    twice = Application(inc, Application(inc, Index(0)))
    f = Evaluator().function(Abstraction(twice))
    assert f(1) == 3


def test_an_invention_that_fails_fails_at_run_time_not_compile_time() -> None:
    # regression: the body of an invention was evaluated while compiling, outside the budget
    bad = invent("#bad", p("(car empty)"))
    guarded = Application(
        Application(Application(NAMESPACE["if"], NAMESPACE["true"]), NAMESPACE["0"]), bad
    )
    assert Evaluator().function(guarded)() == 0  # never evaluated
    f = Evaluator().function(bad)  # compiling does not raise
    with pytest.raises(EvaluationError, match="IndexError"):
        f()


def test_an_invented_constant_runs_under_the_budget() -> None:
    heavy = invent("#heavy", p(EXPONENTIAL.format(n=20)))
    f = Evaluator(Limits(max_steps=1000)).function(heavy)
    with pytest.raises(BudgetExceeded):
        f()


# --- calling conventions ----------------------------------------------------------------------


def test_function_with_two_arguments_binds_the_first_to_dollar_one() -> None:
    assert run("(lam (lam $1))", "first", "second") == "first"
    assert run("(lam (lam $0))", "first", "second") == "second"
    assert run("(lam (lam (cons $1 $0)))", 1, [2, 3]) == [1, 2, 3]
    assert run("(lam (lam (gt? $1 $0)))", 3, 1) is True


def test_function_applies_extra_arguments_to_the_result() -> None:
    assert run("(lam (+ $0))", 1, 2) == 3
    assert run("+", 2, 3) == 5
    assert run("(lam (lam (if $1 (+ $0) (lam $0))))", True, 1, 10) == 11
    assert run("cons", 1, []) == [1]


def test_function_with_too_few_arguments_is_a_type_error() -> None:
    f = Evaluator().function(p("(lam (lam (+ $0 $1)))"))
    with pytest.raises(TypeError, match="program takes 2 argument"):
        f(1)


def test_partial_application_and_higher_order_values() -> None:
    adders = run("(map + (range 3))")
    assert [g(10) for g in adders] == [10, 11, 12]
    assert run("(lam (map (if $0 (+ 1) (+ 0)) (range 3)))", True) == [1, 2, 3]
    assert run("(fold (range 4) 0 +)") == 6
    assert run("((lam (lam (lam (fold $2 $1 $0)))) (range 3) 0 +)") == 3
