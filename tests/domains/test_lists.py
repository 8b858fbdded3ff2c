"""The list domain: types, docs, behaviour of every primitive, and clean failures."""

from __future__ import annotations

import copy
import math
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hylo.domains.lists import DREAMCODER_NAMES, INT_BOUND, LISTS, RECURSION, list_domain
from hylo.lang.errors import BudgetExceeded, EvaluationError
from hylo.lang.evaluate import Evaluator, Limits
from hylo.lang.infer import infer
from hylo.lang.program import Primitive, parse
from hylo.lang.types import parse_type, show_type

EVERYTHING = LISTS.with_primitives(RECURSION)
SMALL = Limits(max_steps=20_000, timeout_s=2.0, max_length=100)


def run(text: str, *args: Any, limits: Limits | None = None) -> Any:
    return Evaluator(limits).function(parse(text, EVERYTHING.namespace))(*args)


def call(name: str, *args: Any) -> Any:
    """Call a primitive's uncurried implementation (thunking arguments when lazy)."""
    p = EVERYTHING[name]
    if p.lazy:
        args = tuple((lambda v=v: v) for v in args)
    return p.fn(*args)


# --- the set ------------------------------------------------------------------------


def test_dreamcoder_names() -> None:
    expected = [
        *("map", "fold", "unfold", "filter", "length", "index", "cons", "car", "cdr"),
        *("empty", "empty?", "range", "+", "-", "*", "mod", "gt?", "eq?", "if", "0", "1"),
        *("is-prime", "is-square"),
    ]
    assert set(DREAMCODER_NAMES) == set(expected)
    assert len(DREAMCODER_NAMES) == len(expected)
    base = list_domain(extra=False)
    assert base.name == "lists"
    assert tuple(p.name for p in base) == DREAMCODER_NAMES


def test_default_set_extends_dreamcoder_and_leaves_fix_out() -> None:
    names = set(LISTS.namespace)
    assert set(DREAMCODER_NAMES) < names
    assert {"/", "2", "3", "4", "5", "sort", "reverse", "append", "take", "drop"} <= names
    assert {"slice", "insert", "zip", "max", "min", "sum", "count", "flatten"} <= names
    assert {"repeat", "singleton", "dedup", "find", "last"} <= names
    assert "fix" not in names
    assert [p.name for p in RECURSION] == ["fix"]
    assert LISTS.name == "lists"


@pytest.mark.parametrize("p", EVERYTHING.primitives, ids=lambda p: p.name)
def test_type_round_trips_and_doc_is_one_line(p: Primitive) -> None:
    assert parse_type(show_type(p.tp)) == p.tp
    assert p.doc.strip() and "\n" not in p.doc
    assert parse(p.name, EVERYTHING.namespace) is p


@pytest.mark.parametrize(
    ("name", "tp"),
    [
        ("map", "(t0 -> t1) -> list(t0) -> list(t1)"),
        ("fold", "list(t0) -> t1 -> (t0 -> t1 -> t1) -> t1"),
        ("unfold", "t0 -> (t0 -> bool) -> (t0 -> t1) -> (t0 -> t0) -> list(t1)"),
        ("filter", "(t0 -> bool) -> list(t0) -> list(t0)"),
        ("index", "int -> list(t0) -> t0"),
        ("range", "int -> list(int)"),
        ("if", "bool -> t0 -> t0 -> t0"),
        ("eq?", "int -> int -> bool"),
        ("gt?", "int -> int -> bool"),
        ("empty", "list(t0)"),
        ("fix", "((t0 -> t1) -> t0 -> t1) -> t0 -> t1"),
    ],
)
def test_dreamcoder_types(name: str, tp: str) -> None:
    assert EVERYTHING[name].tp == parse_type(tp)


def test_only_the_short_circuiting_primitives_are_lazy() -> None:
    assert {p.name for p in EVERYTHING if p.lazy} == {"if", "and", "or"}


# --- behaviour of each primitive, called directly -------------------------------------

inc = lambda x: x + 1
add = lambda x: lambda y: x + y
sub = lambda x: lambda y: x - y
is_even = lambda x: x % 2 == 0
factorial = lambda rec: lambda n: 1 if n <= 1 else n * rec(n - 1)

CASES: dict[str, list[tuple[tuple[Any, ...], Any]]] = {
    "map": [((inc, [1, 2, 3]), [2, 3, 4]), ((inc, []), [])],
    "fold": [(([1, 2, 3], 0, add), 6), (([1, 2, 3], 0, sub), 2), (([], 7, add), 7)],
    "unfold": [
        ((3, lambda n: n == 0, lambda n: n * 10, lambda n: n - 1), [30, 20, 10]),
        ((0, lambda n: True, inc, inc), []),
    ],
    "filter": [((is_even, [1, 2, 3, 4]), [2, 4])],
    "length": [(([],), 0), (([5, 5, 5],), 3)],
    "index": [((0, [7, 8]), 7), ((1, [7, 8]), 8)],
    "cons": [((1, [2, 3]), [1, 2, 3]), ((1, []), [1])],
    "car": [(([4, 5],), 4)],
    "cdr": [(([4, 5],), [5]), (([4],), [])],
    "empty": [((), [])],
    "empty?": [(([],), True), (([0],), False)],
    "range": [((3,), [0, 1, 2]), ((0,), []), ((-2,), [])],
    "+": [((2, 3), 5)],
    "-": [((2, 3), -1)],
    "*": [((-4, 3), -12), ((2**31, 2**31), 2**62)],
    "mod": [((7, 3), 1), ((-7, 3), 2)],
    "gt?": [((3, 2), True), ((2, 2), False)],
    "eq?": [((2, 2), True), ((2, 3), False)],
    "if": [((True, 1, 2), 1), ((False, 1, 2), 2)],
    "0": [((), 0)],
    "1": [((), 1)],
    "2": [((), 2)],
    "3": [((), 3)],
    "4": [((), 4)],
    "5": [((), 5)],
    "is-prime": [((2,), True), ((9,), False), ((0,), False), ((-7,), False), ((2**61 - 1,), True)],
    "is-square": [((0,), True), ((16,), True), ((15,), False), ((-4,), False)],
    "/": [((7, 2), 3), ((-7, 2), -4)],
    "not": [((True,), False)],
    "and": [((True, True), True), ((True, False), False), ((False, True), False)],
    "or": [((False, False), False), ((False, True), True), ((True, False), True)],
    "sort": [(([3, 1, 2, 1],), [1, 1, 2, 3])],
    "reverse": [(([1, 2, 3],), [3, 2, 1])],
    "append": [(([1, 2], [3]), [1, 2, 3]), (([], []), [])],
    "take": [((2, [1, 2, 3]), [1, 2]), ((5, [1, 2]), [1, 2]), ((-1, [1, 2]), [])],
    "drop": [((2, [1, 2, 3]), [3]), ((5, [1, 2]), []), ((-1, [1, 2]), [1, 2])],
    "slice": [((1, 3, [0, 1, 2, 3]), [1, 2]), ((-1, 1, [0, 1]), [0]), ((3, 1, [0, 1, 2, 3]), [])],
    "insert": [((1, 9, [0, 1]), [0, 9, 1]), ((2, 9, [0, 1]), [0, 1, 9]), ((0, 9, []), [9])],
    "remove-at": [((0, [5, 6, 7]), [6, 7]), ((2, [5, 6, 7]), [5, 6])],
    "zip": [((add, [1, 2, 3], [10, 20]), [11, 22])],
    "mapi": [((add, [10, 20]), [10, 21])],
    "max": [(([3, 9, 2],), 9)],
    "min": [(([3, 9, 2],), 2)],
    "sum": [(([3, 9, 2],), 14), (([],), 0)],
    "product": [(([3, 4, 2],), 24), (([],), 1)],
    "count": [((is_even, [1, 2, 4]), 2), ((is_even, []), 0)],
    "any": [((is_even, [1, 2]), True), ((is_even, [1, 3]), False), ((is_even, []), False)],
    "all": [((is_even, [2, 4]), True), ((is_even, [2, 3]), False), ((is_even, []), True)],
    "find": [((is_even, [1, 4, 6]), 4)],
    "last": [(([1, 2, 3],), 3)],
    "flatten": [(([[1], [], [2, 3]],), [1, 2, 3]), (([],), [])],
    "repeat": [((3, 7), [7, 7, 7]), ((0, 7), []), ((-1, 7), [])],
    "singleton": [((4,), [4])],
    "dedup": [(([3, 1, 3, 2, 1],), [3, 1, 2]), (([[1], [2], [1]],), [[1], [2]])],
    "fix": [((factorial, 5), 120), ((factorial, 0), 1)],
}


def test_every_primitive_has_a_behaviour_case() -> None:
    assert set(CASES) == set(EVERYTHING.namespace)


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [(name, args, out) for name, cases in CASES.items() for args, out in cases],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_primitive_behaviour_without_mutating_inputs(
    name: str, args: tuple[Any, ...], expected: Any
) -> None:
    before = copy.deepcopy(args)
    assert call(name, *args) == expected
    assert args == before


@given(st.integers(min_value=-50, max_value=5000))
def test_is_prime_agrees_with_trial_division(n: int) -> None:
    naive = n >= 2 and all(n % d for d in range(2, math.isqrt(n) + 1))
    assert call("is-prime", n) == naive


@pytest.mark.parametrize(
    ("n", "prime"),
    [
        (561, False),  # Carmichael number
        (3_215_031_751, False),  # strong pseudoprime to bases 2, 3, 5 and 7
        (1_000_000_007, True),
        (2**61 - 1, True),
        (2**61 + 1, False),
        ((2**31 - 1) ** 2, False),
    ],
)
def test_is_prime_on_large_numbers(n: int, prime: bool) -> None:
    assert call("is-prime", n) is prime


@given(st.integers(min_value=-10, max_value=10**6))
def test_is_square_agrees_with_floats(n: int) -> None:
    assert call("is-square", n) == (n >= 0 and round(n**0.5) ** 2 == n)


@given(st.lists(st.integers(-20, 20), max_size=30))
def test_list_laws(xs: list[int]) -> None:
    cons = lambda x: lambda acc: [x, *acc]
    assert call("fold", xs, [], cons) == xs
    assert call("sort", xs) == sorted(xs)
    assert call("append", call("take", 3, xs), call("drop", 3, xs)) == xs
    assert call("reverse", call("reverse", xs)) == xs
    assert call("dedup", xs) == sorted(set(xs), key=xs.index)
    assert call("count", is_even, xs) + call("count", lambda x: x % 2 != 0, xs) == len(xs)


# --- programs through the evaluator -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tp", "args", "expected"),
    [
        ("(lam (map (lam (+ $0 1)) $0))", "list(int) -> list(int)", ([1, 2],), [2, 3]),
        ("(lam (fold $0 0 (lam (lam (- $1 $0)))))", "list(int) -> int", ([1, 2, 3],), 2),
        (
            "(lam (fold $0 empty (lam (lam (cons $1 $0)))))",
            "list(t0) -> list(t0)",
            ([1, 2],),
            [1, 2],
        ),
        (
            "(lam (unfold $0 (lam (eq? $0 0)) (lam $0) (lam (- $0 1))))",
            "int -> list(int)",
            (3,),
            [3, 2, 1],
        ),
        (
            "(lam (filter (lam (eq? (mod $0 2) 0)) $0))",
            "list(int) -> list(int)",
            ([1, 2, 4],),
            [2, 4],
        ),
        ("(lam (count (eq? 3) $0))", "list(int) -> int", ([3, 1, 3],), 2),
        ("(lam (index 1 (reverse (sort $0))))", "list(int) -> int", ([4, 9, 1, 7],), 7),
        (
            "(lam (zip (lam (lam (* $0 $1))) $0 (reverse $0)))",
            "list(int) -> list(int)",
            ([1, 2, 3],),
            [3, 4, 3],
        ),
        ("(lam (mapi (lam (lam (+ $0 $1))) $0))", "list(int) -> list(int)", ([5, 5],), [5, 6]),
        ("(lam (flatten (map (repeat 2) $0)))", "list(t0) -> list(t0)", ([1, 2],), [1, 1, 2, 2]),
        ("(lam (append (drop 1 $0) (take 1 $0)))", "list(t0) -> list(t0)", ([1, 2, 3],), [2, 3, 1]),
        ("(lam (if (empty? $0) 0 (car $0)))", "list(int) -> int", ([],), 0),
        ("(lam (and (not (empty? $0)) (eq? (car $0) 1)))", "list(int) -> bool", ([],), False),
        ("(lam (or (empty? $0) (eq? (car $0) 1)))", "list(int) -> bool", ([],), True),
        ("(lam (find (gt? 3) $0))", "list(int) -> int", ([5, 2, 1],), 2),
        (
            "(lam (fix (lam (lam (if (empty? $0) 0 (+ 1 ($1 (cdr $0)))))) $0))",
            "list(t0) -> int",
            ([7, 8, 9],),
            3,
        ),
        (
            "(lam (fix (lam (lam (if (gt? 2 $0) $0 (+ ($1 (- $0 1)) ($1 (- $0 2)))))) $0))",
            "int -> int",
            (10,),
            55,
        ),
    ],
)
def test_programs(text: str, tp: str, args: tuple[Any, ...], expected: Any) -> None:
    program = parse(text, EVERYTHING.namespace)
    assert infer(program) == parse_type(tp)
    assert Evaluator(SMALL).function(program)(*args) == expected


def test_if_is_lazy() -> None:
    assert run("(if (eq? 0 0) 1 (car empty))") == 1
    assert run("(if (eq? 0 1) (car empty) 2)") == 2
    # Unused recursive branches are never evaluated, so recursion can stop.
    assert run("(lam (if (empty? $0) empty (cdr $0)))", []) == []


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("(car empty)", ()),
        ("(cdr empty)", ()),
        ("(last empty)", ()),
        ("(lam (max $0))", ([],)),
        ("(lam (/ $0 0))", (5,)),
        ("(lam (mod $0 0))", (5,)),
        ("(lam (index 5 $0))", ([1, 2],)),
        ("(lam (index (- 0 1) $0))", ([1, 2],)),
        ("(lam (insert 3 0 $0))", ([1],)),
        ("(lam (remove-at 1 $0))", ([1],)),
        ("(lam (find (eq? 0) $0))", ([1, 2],)),
        ("(lam (* $0 $0))", (2**40,)),
        ("(lam (product $0))", ([2**40, 2**40],)),
        ("(lam (is-prime $0))", (2**70,)),
        ("(lam (fold (range $0) 2 (lam (lam (* $0 $0)))))", (100,)),  # repeated squaring
    ],
)
def test_failures_are_evaluation_errors(text: str, args: tuple[Any, ...]) -> None:
    with pytest.raises(EvaluationError):
        run(text, *args, limits=SMALL)


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("(lam (range $0))", (10**9,)),
        ("(lam (repeat $0 1))", (10**9,)),
        ("(unfold 0 (eq? 1) (+ 0) (+ 0))", ()),  # no lambda: only the length guard stops it
        ("(unfold 0 (lam (eq? $0 1)) (lam $0) (lam $0))", ()),
        ("(lam (lam (fold (range $1) $0 (lam (lam (append $0 $0))))))", (20, [1])),
        ("(lam (lam (fold (range $1) $0 (lam (lam (flatten (repeat 3 $0)))))))", (10, [1])),
        ("(lam (lam (fold (range $1) $0 (lam (lam (cons 0 $0))))))", (99, [1, 2])),
        ("(lam (insert 0 0 $0))", (list(range(100)),)),
    ],
)
def test_oversized_lists_exceed_the_budget(text: str, args: tuple[Any, ...]) -> None:
    start = time.perf_counter()
    with pytest.raises(BudgetExceeded):
        run(text, *args, limits=SMALL)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    "limits",
    [SMALL, Limits(max_steps=10**9, timeout_s=2.0, max_length=100)],
    ids=["steps", "recursion-depth"],
)
def test_fix_that_never_stops_exceeds_the_budget(limits: Limits) -> None:
    start = time.perf_counter()
    with pytest.raises(BudgetExceeded):
        run("(lam (fix (lam (lam ($1 $0))) $0))", 0, limits=limits)
    assert time.perf_counter() - start < 3.0


def test_multiplication_bound_is_exact() -> None:
    assert call("*", INT_BOUND, 1) == INT_BOUND
    assert call("*", -INT_BOUND, 1) == -INT_BOUND
    with pytest.raises(OverflowError):
        call("*", INT_BOUND + 1, 1)
