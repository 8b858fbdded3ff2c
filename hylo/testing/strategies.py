"""Hypothesis strategies for the language layer: types, values and well-typed programs.

This module imports ``hypothesis``, a *development* dependency (``pip install -e
'.[dev]'``); nothing else in the ``hylo`` package imports it. Test suites of every
layer can reuse it: a synthesizer's tests draw requests and programs from here, a
domain's tests pass their own ``primitives=``.

It carries its own small list-processing primitive set (:data:`PRIMITIVES`), so that
the language's tests depend on no domain:

===========  ==========================================================
``0 1``      ``int``
``true``     ``bool`` (and ``false``)
``+``        ``int -> int -> int``
``gt?``      ``int -> int -> bool``
``eq?``      ``t0 -> t0 -> bool`` (raises when asked to compare functions)
``if``       ``bool -> t0 -> t0 -> t0`` (lazy: only the branch taken runs)
``empty``    ``list(t0)``
``cons``     ``t0 -> list(t0) -> list(t0)``
``car``      ``list(t0) -> t0`` (raises on the empty list)
``cdr``      ``list(t0) -> list(t0)`` (raises on the empty list)
``empty?``   ``list(t0) -> bool``
``length``   ``list(t0) -> int``
``range``    ``int -> list(int)`` (``0 … n-1``)
``map``      ``(t0 -> t1) -> list(t0) -> list(t1)``
``fold``     ``list(t0) -> t1 -> (t0 -> t1 -> t1) -> t1`` (a right fold)
===========  ==========================================================

List-building primitives call :func:`hylo.lang.evaluate.guard_length`.

Example (a property test)::

    from hypothesis import given
    from hylo.lang import INT, arrow, check
    from hylo.testing.strategies import programs

    @given(programs(arrow(INT, INT)))
    def test_generated_programs_type_check(p):
        assert check(p, arrow(INT, INT))
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from hypothesis import strategies as st

from hylo.lang.errors import UnificationError
from hylo.lang.evaluate import guard_length
from hylo.lang.program import (
    Abstraction,
    Application,
    Hole,
    Index,
    Primitive,
    Program,
    apply_to,
)
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
    free_vars,
    is_ground,
    list_of,
    parse_type,
    unify,
)

__all__ = [
    "ARGUMENT_TYPES",
    "NAMESPACE",
    "PRIMITIVES",
    "conforms",
    "ground_types",
    "programs",
    "types",
    "untyped_programs",
    "values",
]


# --- a small self-contained primitive set -------------------------------------------


def _cons(x: Any, xs: list[Any]) -> list[Any]:
    guard_length(len(xs) + 1)
    return [x, *xs]


def _cdr(xs: list[Any]) -> list[Any]:
    if not xs:
        raise ValueError("cdr of an empty list")
    return xs[1:]


def _range(n: int) -> list[int]:
    guard_length(n)
    return list(range(n))


def _map(f: Callable[[Any], Any], xs: list[Any]) -> list[Any]:
    guard_length(len(xs))
    return [f(x) for x in xs]


def _fold(xs: list[Any], init: Any, f: Callable[[Any], Callable[[Any], Any]]) -> Any:
    acc = init
    for x in reversed(xs):
        acc = f(x)(acc)
    return acc


def _contains_function(x: Any) -> bool:
    return callable(x) or (type(x) is list and any(_contains_function(v) for v in x))


def _eq(a: Any, b: Any) -> bool:
    # Python compares functions by identity, which beta reduction does not preserve;
    # refusing keeps the semantics of the test language extensional.
    if _contains_function(a) or _contains_function(b):
        raise ValueError("eq? cannot compare functions")
    return bool(a == b)


def _if(c: Callable[[], bool], a: Callable[[], Any], b: Callable[[], Any]) -> Any:
    return a() if c() else b()


def _prim(name: str, tp: str, fn: Callable[..., Any], doc: str, lazy: bool = False) -> Primitive:
    return Primitive(name, parse_type(tp), fn, doc, lazy)


PRIMITIVES: tuple[Primitive, ...] = (
    _prim("0", "int", lambda: 0, "zero"),
    _prim("1", "int", lambda: 1, "one"),
    _prim("true", "bool", lambda: True, "true"),
    _prim("false", "bool", lambda: False, "false"),
    _prim("+", "int -> int -> int", lambda a, b: a + b, "addition"),
    _prim("gt?", "int -> int -> bool", lambda a, b: a > b, "greater than"),
    _prim("eq?", "a -> a -> bool", _eq, "equality (raises on functions)"),
    _prim("if", "bool -> a -> a -> a", _if, "conditional (lazy)", lazy=True),
    _prim("empty", "list(a)", lambda: [], "the empty list"),
    _prim("cons", "a -> list(a) -> list(a)", _cons, "prepend an element"),
    _prim("car", "list(a) -> a", lambda xs: xs[0], "first element (raises on [])"),
    _prim("cdr", "list(a) -> list(a)", _cdr, "all but the first element (raises on [])"),
    _prim("empty?", "list(a) -> bool", lambda xs: not xs, "is the list empty"),
    _prim("length", "list(a) -> int", len, "number of elements"),
    _prim("range", "int -> list(int)", _range, "0, 1, …, n-1"),
    _prim("map", "(a -> b) -> list(a) -> list(b)", _map, "apply to every element"),
    _prim("fold", "list(a) -> b -> (a -> b -> b) -> b", _fold, "right fold"),
)
"""The test primitive set (see the module docstring)."""

NAMESPACE: dict[str, Primitive] = {p.name: p for p in PRIMITIVES}
"""Name → primitive, for :func:`hylo.lang.parse`."""

ARGUMENT_TYPES: tuple[Type, ...] = (
    INT,
    BOOL,
    list_of(INT),
    list_of(BOOL),
    list_of(list_of(INT)),
    arrow(INT, INT),
    arrow(INT, BOOL),
)
"""Ground types that :func:`programs` picks for the type variables it must fix
(the element type of a ``fold``, the argument of a beta-redex, …)."""


# --- types and values ---------------------------------------------------------------

BASE_TYPE_NAMES = ("int", "bool", "color", "grid")
CONSTRUCTORS: Mapping[str, int] = {"list": 1, "dict": 2, "tuple2": 2}


@functools.cache
def types(*, num_vars: int = 3, max_leaves: int = 8) -> st.SearchStrategy[Type]:
    """Types over a few base types, ``list``/``dict``/``tuple2``, arrows and variables.

    Variables are ``t0 … t{num_vars-1}`` (none when ``num_vars`` is 0).
    """
    leaves: st.SearchStrategy[Type] = st.sampled_from([TCon(n) for n in BASE_TYPE_NAMES])
    if num_vars > 0:
        leaves = leaves | st.builds(TVar, st.integers(0, num_vars - 1))

    def extend(inner: st.SearchStrategy[Type]) -> st.SearchStrategy[Type]:
        arrows = st.builds(lambda a, b: TCon(ARROW, (a, b)), inner, inner)
        applied = st.sampled_from(sorted(CONSTRUCTORS.items())).flatmap(
            lambda kv: st.tuples(*[inner] * kv[1]).map(lambda args: TCon(kv[0], args))
        )
        return arrows | applied

    return st.recursive(leaves, extend, max_leaves=max_leaves)


@functools.cache
def ground_types(*, max_leaves: int = 6) -> st.SearchStrategy[Type]:
    """Types with no variables (see :func:`types`)."""
    return types(num_vars=0, max_leaves=max_leaves)


def values(tp: Type, *, max_size: int = 4) -> st.SearchStrategy[Any]:
    """Python values of a first-order type built from ``int``, ``bool`` and ``list``."""
    if tp == INT:
        return st.integers(-5, 5)
    if tp == BOOL:
        return st.booleans()
    if isinstance(tp, TCon) and tp.name == "list" and len(tp.args) == 1:
        return st.lists(values(tp.args[0], max_size=max_size), max_size=max_size)
    raise ValueError(f"no value strategy for type {tp}: expected int, bool or list(...) of them")


def conforms(value: Any, tp: Type) -> bool:
    """True when the Python ``value`` is a value of ``tp`` as the test primitives build them.

    ``int`` means exactly ``int`` (not ``bool``); a function type means callable;
    a type variable accepts anything; unknown constructors accept anything.
    """
    if isinstance(tp, TVar):
        return True
    if tp.name == ARROW:
        return callable(value)
    if tp.name == "int":
        return type(value) is int
    if tp.name == "bool":
        return type(value) is bool
    if tp.name == "list":
        return type(value) is list and all(conforms(v, tp.args[0]) for v in value)
    return True


# --- programs -----------------------------------------------------------------------


def untyped_programs(
    *,
    primitives: Iterable[Primitive] = PRIMITIVES,
    max_index: int = 3,
    holes: bool = True,
    max_leaves: int = 12,
) -> st.SearchStrategy[Program]:
    """Programs of any shape (not necessarily well-typed or closed).

    Good for syntactic laws: printing and parsing, shifting, substitution, hashing.
    """
    leaves: st.SearchStrategy[Program] = st.sampled_from(list(primitives)) | st.builds(
        Index, st.integers(0, max_index)
    )
    if holes:
        leaves = leaves | st.just(Hole())

    def extend(inner: st.SearchStrategy[Program]) -> st.SearchStrategy[Program]:
        return st.builds(Application, inner, inner) | st.builds(Abstraction, inner)

    return st.recursive(leaves, extend, max_leaves=max_leaves)


@st.composite
def programs(
    draw: st.DrawFn,
    tp: Type,
    *,
    env: Sequence[Type] = (),
    max_depth: int = 3,
    primitives: Iterable[Primitive] = PRIMITIVES,
    argument_types: Sequence[Type] = ARGUMENT_TYPES,
    holes: bool = False,
    redexes: bool = True,
) -> Program:
    """A well-typed program of type ``tp`` in ``env`` (``env[0]`` is the type of ``$0``).

    Built type-directed: at each node it picks a variable, a primitive applied to
    as many arguments as make its type fit (partial applications included), a
    ``lam`` for an arrow type, or (with ``redexes``) a beta-redex ``((lam b) a)``.
    Type variables left open by a choice (the element type of a ``fold``) are
    fixed to one of ``argument_types``; so are type variables of ``tp`` itself,
    and the program then has a more specific type that unifies with ``tp``.

    Args:
        tp: the type requested.
        env: the types of the free variables ``$0, $1, …`` (ground).
        max_depth: applications nest at most this deep (lambdas are free).
        primitives: the primitive set; it needs a constant of each base type
            reachable from ``tp`` and ``argument_types``.
        argument_types: ground types to fix type variables with.
        holes: also produce ``??`` (such programs cannot run).
        redexes: also produce beta-redexes.
    """
    gen = _Generator(draw, tuple(primitives), tuple(argument_types), holes, redexes)
    env_t = tuple(env)
    for t in env_t:
        if not is_ground(t):
            raise ValueError(f"programs() needs a ground env, got type {t} in it")
    return gen.program(gen.ground(tp), env_t, max_depth)


_Build = Callable[[], Program]


class _Generator:
    def __init__(
        self,
        draw: st.DrawFn,
        primitives: tuple[Primitive, ...],
        argument_types: tuple[Type, ...],
        holes: bool,
        redexes: bool,
    ) -> None:
        self.draw = draw
        self.primitives = primitives
        self.argument_types = argument_types
        self.holes = holes
        self.redexes = redexes

    def ground(self, t: Type) -> Type:
        """Fix every variable of ``t`` to a drawn argument type."""
        ids = free_vars(t)
        if not ids:
            return t
        choice = st.sampled_from(self.argument_types)
        return apply(t, {v: self.draw(choice) for v in ids})

    def program(self, tp: Type, env: tuple[Type, ...], depth: int) -> Program:
        leaves: list[_Build] = []
        nodes: list[_Build] = []
        # variables, possibly applied
        for i, t in enumerate(env):
            args = arguments(t)
            for k in range(len(args) + 1):
                if _drop_arguments(t, k) == tp:
                    target = leaves if k == 0 else nodes
                    target.append(self._head(Index(i), args[:k], env, depth))
        # primitives, possibly (partially) applied
        for p in self.primitives:
            args = arguments(p.tp)
            for k in range(len(args) + 1):
                try:
                    s = unify(_drop_arguments(p.tp, k), tp, {})
                except UnificationError:
                    continue
                target = leaves if k == 0 else nodes
                target.append(self._head(p, [apply(a, s) for a in args[:k]], env, depth))
        if isinstance(tp, TCon) and tp.name == ARROW:
            a, b = tp.args
            leaves.append(lambda: Abstraction(self.program(b, (a, *env), depth)))
        if self.holes:
            leaves.append(Hole)
        if self.redexes:
            nodes.append(lambda: self._redex(tp, env, depth))
        choices = leaves if depth <= 0 or not nodes else leaves + nodes
        if not choices:
            raise ValueError(
                f"cannot build a program of type {tp}: no primitive or variable produces it; "
                "add a constant of that type to primitives="
            )
        return choices[self.draw(st.integers(0, len(choices) - 1))]()

    def _head(
        self, head: Program, arg_types: list[Type], env: tuple[Type, ...], depth: int
    ) -> _Build:
        def build() -> Program:
            if not arg_types:
                return head
            ids: list[int] = []
            for a in arg_types:
                free_vars(a, ids)
            choice = st.sampled_from(self.argument_types)
            s = {v: self.draw(choice) for v in ids}
            return apply_to(head, *[self.program(apply(a, s), env, depth - 1) for a in arg_types])

        return build

    def _redex(self, tp: Type, env: tuple[Type, ...], depth: int) -> Program:
        a = self.draw(st.sampled_from(self.argument_types))
        body = self.program(tp, (a, *env), depth - 1)
        return Application(Abstraction(body), self.program(a, env, depth - 1))


def _drop_arguments(t: Type, k: int) -> Type:
    """The type of a function of type ``t`` applied to ``k`` arguments."""
    for _ in range(k):
        if not (isinstance(t, TCon) and t.name == ARROW):
            raise ValueError(f"type {t} takes fewer than {k} arguments")
        t = t.args[1]
    return t
