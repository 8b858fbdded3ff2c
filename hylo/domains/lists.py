"""The list-function domain: integers, booleans and lists of them.

:data:`LISTS` holds DreamCoder's list primitives (``map fold unfold filter length
index cons car cdr empty empty? range + - * mod gt? eq? if 0 1 is-prime is-square``,
with DreamCoder's types and semantics; their names are :data:`DREAMCODER_NAMES`)
plus common list and arithmetic helpers (``sort``, ``append``, ``take``, ``zip``,
``count``, ``/``, ``2``…``5``, …). ``list_domain(extra=False)`` gives DreamCoder's
set alone. :data:`RECURSION` holds ``fix``, the fixpoint combinator, which is
opt-in because general recursion makes most enumerated programs loop.

Values: ``int``, ``bool`` and ``list(t)`` as Python ``int``, ``bool`` and ``list``.
Primitives never mutate their arguments (results may share structure with them).
Positions (``index``, ``insert``, ``remove-at``) must exist or the call fails;
counts (``range``, ``repeat``, ``take``, ``drop``, ``slice``) saturate at 0 and at
the list's length. List-building primitives respect the evaluator's
``max_length``, ``*`` fails beyond ±2**62, and every failure (``car`` of an empty
list, division by zero, …) is an ordinary exception that the evaluator turns
into a failed candidate.

Extend the domain with your own primitives (same-named ones are replaced):

>>> from hylo.lang.evaluate import Evaluator
>>> from hylo.lang.program import Primitive, parse
>>> from hylo.lang.types import parse_type
>>> double = Primitive("double", parse_type("int -> int"), lambda n: 2 * n, "twice n")
>>> domain = LISTS.with_primitives([double, *RECURSION])
>>> f = Evaluator().function(parse("(lam (map double (sort $0)))", domain.namespace))
>>> f([3, 1, 2])
[2, 4, 6]
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from hylo.domains.base import Domain
from hylo.lang.evaluate import guard_length
from hylo.lang.program import Primitive
from hylo.lang.types import parse_type

T = TypeVar("T")
U = TypeVar("U")
V = TypeVar("V")
A = TypeVar("A")

Predicate = Callable[[T], bool]
Thunk = Callable[[], T]

# Bound on |x * y| and products: repeated squaring would otherwise build
# numbers of millions of digits within the step budget.
INT_BOUND = 2**62


def _primitive(
    name: str, tp: str, fn: Callable[..., Any], doc: str, lazy: bool = False
) -> Primitive:
    return Primitive(name, parse_type(tp), fn, doc, lazy)


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


# --- arithmetic ---------------------------------------------------------------------


def _bounded(n: int) -> int:
    if -INT_BOUND <= n <= INT_BOUND:
        return n
    raise OverflowError(f"integer result beyond ±2**62 ({n.bit_length()} bits)")


def _multiply(a: int, b: int) -> int:
    return _bounded(a * b)


def _product(xs: Sequence[int]) -> int:
    out = 1
    for x in xs:
        out = _bounded(out * x)
    return out


_SMALL_LIMIT = 1024
_SMALL_PRIMES = frozenset(
    n for n in range(2, _SMALL_LIMIT) if all(n % d for d in range(2, math.isqrt(n) + 1))
)
# Miller–Rabin with these bases is exact for every n < 3.3 * 10**24.
_WITNESSES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)


def _is_prime(n: int) -> bool:
    if n < _SMALL_LIMIT:
        return n in _SMALL_PRIMES
    if n > INT_BOUND:
        raise OverflowError(f"is-prime of a number beyond 2**62 ({n.bit_length()} bits)")
    if any(n % p == 0 for p in _WITNESSES):
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    return all(_passes_miller_rabin(n, a, d, s) for a in _WITNESSES)


def _passes_miller_rabin(n: int, a: int, d: int, s: int) -> bool:
    """False when ``a`` proves ``n = d * 2**s + 1`` composite."""
    x = pow(a, d, n)
    if x in (1, n - 1):
        return True
    for _ in range(s - 1):
        x = x * x % n
        if x == n - 1:
            return True
    return False


def _is_square(n: int) -> bool:
    return n >= 0 and math.isqrt(n) ** 2 == n


# --- control ------------------------------------------------------------------------


def _if(cond: Thunk[bool], then: Thunk[T], other: Thunk[T]) -> T:
    return then() if cond() else other()


def _and(a: Thunk[bool], b: Thunk[bool]) -> bool:
    return a() and b()


def _or(a: Thunk[bool], b: Thunk[bool]) -> bool:
    return a() or b()


def _fix(f: Callable[[Callable[[T], U]], Callable[[T], U]], x: T) -> U:
    """``fix f x = f (fix f) x``: ``f`` receives the recursive call as its first argument."""

    def recurse(y: T) -> U:
        return f(recurse)(y)

    return recurse(x)


# --- lists: DreamCoder's ------------------------------------------------------------


def _fold(xs: Sequence[T], acc: A, f: Callable[[T], Callable[[A], A]]) -> A:
    # Right fold, iteratively: f(x0)(f(x1)(… f(xn)(acc))).
    for x in reversed(xs):
        acc = f(x)(acc)
    return acc


def _unfold(
    seed: T, stop: Predicate[T], element: Callable[[T], U], step: Callable[[T], T]
) -> list[U]:
    out: list[U] = []
    while not stop(seed):
        # The functions may be primitives, which cost no steps: only the length guard
        # stops an unfold that never reaches its stop condition.
        guard_length(len(out) + 1)
        out.append(element(seed))
        seed = step(seed)
    return out


def _index(i: int, xs: Sequence[T]) -> T:
    if i < 0:  # Python would count from the end
        raise IndexError(f"index {i} is negative")
    return xs[i]


def _cons(x: T, xs: list[T]) -> list[T]:
    guard_length(len(xs) + 1)
    return [x, *xs]


def _cdr(xs: list[T]) -> list[T]:
    if not xs:
        raise IndexError("cdr of an empty list")
    return xs[1:]


def _range(n: int) -> list[int]:
    guard_length(n)
    return list(range(n))


# --- lists: extra -------------------------------------------------------------------


def _append(xs: list[T], ys: list[T]) -> list[T]:
    guard_length(len(xs) + len(ys))
    return xs + ys


def _take(n: int, xs: list[T]) -> list[T]:
    return xs[: max(n, 0)]


def _drop(n: int, xs: list[T]) -> list[T]:
    return xs[max(n, 0) :]


def _slice(start: int, end: int, xs: list[T]) -> list[T]:
    return xs[max(start, 0) : max(end, 0)]


def _insert(i: int, x: T, xs: list[T]) -> list[T]:
    if not 0 <= i <= len(xs):
        raise IndexError(f"cannot insert at position {i} of a list of length {len(xs)}")
    guard_length(len(xs) + 1)
    return [*xs[:i], x, *xs[i:]]


def _remove_at(i: int, xs: list[T]) -> list[T]:
    if not 0 <= i < len(xs):
        raise IndexError(f"no position {i} in a list of length {len(xs)}")
    return xs[:i] + xs[i + 1 :]


def _zip_with(f: Callable[[T], Callable[[U], V]], xs: Sequence[T], ys: Sequence[U]) -> list[V]:
    return [f(x)(y) for x, y in zip(xs, ys, strict=False)]


def _flatten(xss: Sequence[Sequence[T]]) -> list[T]:
    guard_length(sum(map(len, xss)))
    return [x for xs in xss for x in xs]


def _repeat(n: int, x: T) -> list[T]:
    guard_length(n)
    return [x] * n


def _dedup(xs: Sequence[T]) -> list[T]:
    try:
        return list(dict.fromkeys(xs))
    except TypeError:  # unhashable elements (lists of lists): quadratic but correct
        out: list[T] = []
        for x in xs:
            if x not in out:
                out.append(x)
        return out


def _find(p: Predicate[T], xs: Sequence[T]) -> T:
    for x in xs:
        if p(x):
            return x
    raise ValueError("find: no element satisfies the predicate")


# --- the primitive sets -------------------------------------------------------------

_DREAMCODER: tuple[Primitive, ...] = (
    _primitive(
        "map",
        "(t0 -> t1) -> list(t0) -> list(t1)",
        lambda f, xs: [f(x) for x in xs],
        "apply a function to every element",
    ),
    _primitive(
        "fold",
        "list(t0) -> t1 -> (t0 -> t1 -> t1) -> t1",
        _fold,
        "right fold: (fold [x1..xn] z f) = (f x1 (f x2 … (f xn z)))",
    ),
    _primitive(
        "unfold",
        "t0 -> (t0 -> bool) -> (t0 -> t1) -> (t0 -> t0) -> list(t1)",
        _unfold,
        "(unfold seed stop elem next): elem of seed, next seed, … until stop holds",
    ),
    _primitive(
        "filter",
        "(t0 -> bool) -> list(t0) -> list(t0)",
        lambda p, xs: [x for x in xs if p(x)],
        "the elements that satisfy a predicate, in order",
    ),
    _primitive("length", "list(t0) -> int", len, "number of elements"),
    _primitive("index", "int -> list(t0) -> t0", _index, "the element at a 0-based position"),
    _primitive("cons", "t0 -> list(t0) -> list(t0)", _cons, "prepend an element"),
    _primitive("car", "list(t0) -> t0", lambda xs: xs[0], "the first element (fails on [])"),
    _primitive("cdr", "list(t0) -> list(t0)", _cdr, "all but the first element (fails on [])"),
    _primitive("empty", "list(t0)", _constant([]), "the empty list"),
    _primitive("empty?", "list(t0) -> bool", operator.not_, "is the list empty?"),
    _primitive("range", "int -> list(int)", _range, "[0, 1, …, n-1] (empty when n <= 0)"),
    _primitive("+", "int -> int -> int", operator.add, "addition"),
    _primitive("-", "int -> int -> int", operator.sub, "subtraction"),
    _primitive("*", "int -> int -> int", _multiply, "multiplication (fails beyond ±2**62)"),
    _primitive(
        "mod", "int -> int -> int", operator.mod, "remainder, sign of the divisor (Python %)"
    ),
    _primitive("gt?", "int -> int -> bool", operator.gt, "(gt? a b) is a > b"),
    _primitive("eq?", "int -> int -> bool", operator.eq, "integer equality"),
    _primitive(
        "if",
        "bool -> t0 -> t0 -> t0",
        _if,
        "(if c a b): a when c holds, else b; evaluates only that branch",
        lazy=True,
    ),
    _primitive("0", "int", _constant(0), "zero"),
    _primitive("1", "int", _constant(1), "one"),
    _primitive("is-prime", "int -> bool", _is_prime, "is the integer a prime number?"),
    _primitive("is-square", "int -> bool", _is_square, "is the integer a perfect square?"),
)

DREAMCODER_NAMES: tuple[str, ...] = tuple(p.name for p in _DREAMCODER)

_EXTRA: tuple[Primitive, ...] = (
    *(_primitive(str(k), "int", _constant(k), f"the integer {k}") for k in range(2, 6)),
    _primitive("/", "int -> int -> int", operator.floordiv, "floor division (Python //)"),
    _primitive("not", "bool -> bool", operator.not_, "logical negation"),
    _primitive(
        "and",
        "bool -> bool -> bool",
        _and,
        "logical and (second argument only if needed)",
        lazy=True,
    ),
    _primitive(
        "or",
        "bool -> bool -> bool",
        _or,
        "logical or (second argument only if needed)",
        lazy=True,
    ),
    _primitive("sort", "list(int) -> list(int)", sorted, "sort in ascending order"),
    _primitive("reverse", "list(t0) -> list(t0)", lambda xs: xs[::-1], "reverse the order"),
    _primitive("append", "list(t0) -> list(t0) -> list(t0)", _append, "concatenate two lists"),
    _primitive("take", "int -> list(t0) -> list(t0)", _take, "the first n elements (or all)"),
    _primitive("drop", "int -> list(t0) -> list(t0)", _drop, "all but the first n elements"),
    _primitive(
        "slice",
        "int -> int -> list(t0) -> list(t0)",
        _slice,
        "(slice i j xs): the elements at positions i..j-1",
    ),
    _primitive(
        "insert",
        "int -> t0 -> list(t0) -> list(t0)",
        _insert,
        "(insert i x xs): xs with x placed at position i (0..length)",
    ),
    _primitive(
        "remove-at", "int -> list(t0) -> list(t0)", _remove_at, "remove the element at a position"
    ),
    _primitive(
        "zip",
        "(t0 -> t1 -> t2) -> list(t0) -> list(t1) -> list(t2)",
        _zip_with,
        "combine two lists pairwise with a function (stops at the shorter)",
    ),
    _primitive(
        "mapi",
        "(int -> t0 -> t1) -> list(t0) -> list(t1)",
        lambda f, xs: [f(i)(x) for i, x in enumerate(xs)],
        "map a function of (position, element)",
    ),
    _primitive("max", "list(int) -> int", max, "the largest element (fails on [])"),
    _primitive("min", "list(int) -> int", min, "the smallest element (fails on [])"),
    _primitive("sum", "list(int) -> int", sum, "sum of the elements (0 for [])"),
    _primitive(
        "product", "list(int) -> int", _product, "product of the elements (1 for []; ±2**62 cap)"
    ),
    _primitive(
        "count",
        "(t0 -> bool) -> list(t0) -> int",
        lambda p, xs: sum(map(p, xs)),
        "how many elements satisfy a predicate",
    ),
    _primitive(
        "any",
        "(t0 -> bool) -> list(t0) -> bool",
        lambda p, xs: any(map(p, xs)),
        "does some element satisfy the predicate?",
    ),
    _primitive(
        "all",
        "(t0 -> bool) -> list(t0) -> bool",
        lambda p, xs: all(map(p, xs)),
        "does every element satisfy the predicate?",
    ),
    _primitive(
        "find",
        "(t0 -> bool) -> list(t0) -> t0",
        _find,
        "the first element that satisfies a predicate (fails if none)",
    ),
    _primitive("last", "list(t0) -> t0", lambda xs: xs[-1], "the last element (fails on [])"),
    _primitive("flatten", "list(list(t0)) -> list(t0)", _flatten, "concatenate a list of lists"),
    _primitive("repeat", "int -> t0 -> list(t0)", _repeat, "(repeat n x): a list of n copies of x"),
    _primitive("singleton", "t0 -> list(t0)", lambda x: [x], "the one-element list [x]"),
    _primitive(
        "dedup", "list(t0) -> list(t0)", _dedup, "drop repeated elements, keeping first occurrences"
    ),
)

FIX = _primitive(
    "fix",
    "((t0 -> t1) -> t0 -> t1) -> t0 -> t1",
    _fix,
    "general recursion: (fix f x) = (f (fix f) x)",
)
RECURSION: tuple[Primitive, ...] = (FIX,)

_DESCRIPTION = "Functions over lists of small integers (DreamCoder's list primitives and more)."


def list_domain(extra: bool = True) -> Domain:
    """The list domain; ``extra=False`` gives DreamCoder's base primitives only."""
    primitives = _DREAMCODER + _EXTRA if extra else _DREAMCODER
    return Domain("lists", primitives, _DESCRIPTION)


LISTS = list_domain()
