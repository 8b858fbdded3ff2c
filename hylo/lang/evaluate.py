"""Compile programs once into Python closures, and run them under a budget.

A compiled program is a ``Closure``: a function from an environment (a tuple whose
item ``i`` is the value of ``$i``) to a value. Compilation walks the program once;
a call never walks the tree again, and nothing is ever passed to ``eval``/``exec``.

The same small combinators (:func:`app_closure`, :func:`lambda_closure`, …) serve
:func:`compile_program` and the enumerator, which builds a candidate's closure
from its already-compiled parts in constant time.

Every lambda call costs one *step*. A :class:`Budget` bounds steps and wall time;
list-building primitives bound the size of what they produce through
:func:`guard_length`; Python's recursion limit bounds depth. Any exception raised
inside a program becomes :class:`~hylo.lang.errors.EvaluationError`.

>>> from hylo.lang.types import parse_type
>>> one = Primitive("1", parse_type("int"), lambda: 1)
>>> plus = Primitive("+", parse_type("int -> int -> int"), lambda a, b: a + b)
>>> from hylo.lang.program import parse
>>> f = Evaluator().function(parse("(lam (+ $0 1))", {"+": plus, "1": one}))
>>> f(41)
42
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hylo.lang.errors import BudgetExceeded, EvaluationError, HyloError
from hylo.lang.program import (
    Abstraction,
    Application,
    Hole,
    Index,
    Invented,
    Param,
    Primitive,
    Program,
    show,
    spine,
)

Env = tuple[Any, ...]
Closure = Callable[[Env], Any]

# Checked every this many steps, so the wall clock is read rarely.
_CLOCK_EVERY = 1024


@dataclass
class Limits:
    """Evaluation limits. ``max_steps`` counts lambda calls; ``max_length`` caps lists."""

    max_steps: int = 100_000
    timeout_s: float = 1.0
    max_length: int = 1_000


class Budget:
    """Mutable step/time counter shared by the closures compiled against it.

    Call :meth:`reset` before each top-level call; lambdas call :meth:`tick`.
    ``params`` holds the values of the program's parameters (``#c0``, ``#c1``, …).
    """

    __slots__ = ("deadline", "limits", "params", "steps", "stop")

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.params: tuple[Any, ...] = ()
        self.steps = 0
        self.stop = self.limits.max_steps
        self.deadline = math.inf

    def reset(self) -> None:
        self.steps = 0
        self.stop = min(self.limits.max_steps, _CLOCK_EVERY)
        self.deadline = time.perf_counter() + self.limits.timeout_s

    def tick(self) -> None:
        """Called when ``steps`` reaches ``stop``: check the step and time limits."""
        if self.steps > self.limits.max_steps:
            raise BudgetExceeded(f"more than {self.limits.max_steps} evaluation steps")
        if time.perf_counter() > self.deadline:
            raise BudgetExceeded(f"evaluation took more than {self.limits.timeout_s} s")
        self.stop = min(self.limits.max_steps, self.steps + _CLOCK_EVERY)


_active_limits = Limits()


def guard_length(n: int) -> None:
    """Primitives that build lists call this with the length they are about to build."""
    if n > _active_limits.max_length:
        raise BudgetExceeded(f"a list of length {n} exceeds max_length={_active_limits.max_length}")


# --- closure combinators -------------------------------------------------------------


def const_closure(value: Any) -> Closure:
    return lambda env: value


def index_closure(i: int) -> Closure:
    if i == 0:
        return lambda env: env[0]
    return lambda env: env[i]


def lambda_closure(body: Closure, budget: Budget) -> Closure:
    """``(lam body)``: a Python function of one argument that costs one step per call."""

    def make(env: Env) -> Callable[[Any], Any]:
        def call(x: Any) -> Any:
            budget.steps += 1
            if budget.steps >= budget.stop:
                budget.tick()
            return body((x, *env))

        return call

    return make


def curry(fn: Callable[..., Any], arity: int, lazy: bool = False) -> Any:
    """A curried Python value for an uncurried implementation of ``arity`` arguments."""
    if arity == 0:
        return fn()
    if lazy:
        inner = fn
        fn = lambda *xs: inner(*[(lambda v=v: v) for v in xs])
    if arity == 1:
        return fn
    if arity == 2:
        return lambda a: lambda b: fn(a, b)
    if arity == 3:
        return lambda a: lambda b: lambda c: fn(a, b, c)

    def partial(*xs: Any) -> Any:
        return fn(*xs) if len(xs) == arity else lambda x: partial(*xs, x)

    return lambda x: partial(x)


def invented_closure(body: Closure) -> Closure:
    """An invention's closed body, evaluated on first use (inside :func:`run`) and kept.

    Evaluating it at compile time would run it outside the budget, and an exception
    there (``(car empty)``) would escape as a crash instead of an EvaluationError.
    """
    cache: list[Any] = []

    def value(env: Env) -> Any:
        if not cache:
            cache.append(body(()))
        return cache[0]

    return value


def param_closure(p: Param, budget: Budget) -> Closure:
    """``#c<i>``: item ``i`` of the parameter vector in force when the program runs."""
    i = p.index

    def value(env: Env) -> Any:
        try:
            return budget.params[i]
        except IndexError:
            raise EvaluationError(
                f"parameter {show(p)} has no value: {len(budget.params)} given; "
                "call Evaluator.set_params with one value per parameter"
            ) from None

    return value


def primitive_closure(p: Primitive) -> Closure:
    """A primitive used as a value (not applied): its curried implementation."""
    value = curry(p.fn, p.arity, p.lazy)
    return lambda env: value


def primitive_app_closure(p: Primitive, args: Sequence[Closure]) -> Closure:
    """``(p a1 … an)`` with exactly ``p.arity`` arguments: one direct Python call."""
    fn = p.fn
    n = len(args)
    if n != p.arity:
        raise ValueError(f"{p.name} takes {p.arity} arguments, got {n}")
    if p.lazy:
        return lambda env: fn(*[(lambda a=a: a(env)) for a in args])
    if n == 1:
        (a,) = args
        return lambda env: fn(a(env))
    if n == 2:
        a, b = args
        return lambda env: fn(a(env), b(env))
    if n == 3:
        a, b, c = args
        return lambda env: fn(a(env), b(env), c(env))
    return lambda env: fn(*[a(env) for a in args])


def value_app_closure(f: Closure, args: Sequence[Closure]) -> Closure:
    """``(f a1 … an)`` where ``f`` evaluates to a curried Python function."""
    if len(args) == 1:
        (a,) = args
        return lambda env: f(env)(a(env))
    if len(args) == 2:
        a, b = args
        return lambda env: f(env)(a(env))(b(env))

    def call(env: Env) -> Any:
        out = f(env)
        for a in args:
            out = out(a(env))
        return out

    return call


def invented_body(inv: Invented, budget: Budget) -> tuple[Closure, int]:
    """The compiled body of ``inv = (lam … (lam body))`` and its number of lambdas."""
    body, num_lambdas = inv.body, 0
    while isinstance(body, Abstraction):
        body, num_lambdas = body.body, num_lambdas + 1
    return _compile(body, budget), num_lambdas


def body_app_closure(inner: Closure, args: Sequence[Closure]) -> Closure:
    """Run a compiled invention body directly on its arguments' values (``$0`` the last)."""
    if len(args) == 1:
        (a,) = args
        return lambda env: inner((a(env),))
    if len(args) == 2:
        a, b = args
        return lambda env: inner((b(env), a(env)))
    backwards = tuple(reversed(args))
    return lambda env: inner(tuple(x(env) for x in backwards))


def invented_app_closure(inv: Invented, args: Sequence[Closure], budget: Budget) -> Closure:
    """``(f a1 … an)`` for an invention ``f = (lam … (lam body))`` with ``n`` lambdas.

    The body runs directly on the arguments' values instead of going through ``n``
    curried calls (inventions sit on the search's hot path). With another number
    of arguments the invention is applied as a value.
    """
    inner, num_lambdas = invented_body(inv, budget)
    if num_lambdas != len(args) or not args:
        return value_app_closure(_compile(inv, budget), args)
    return body_app_closure(inner, args)


def head_app_closure(head: Program, args: Sequence[Closure], budget: Budget) -> Closure:
    """Closure for ``head`` applied to already-compiled ``args``."""
    if isinstance(head, Primitive) and len(args) == head.arity:
        return primitive_app_closure(head, args)
    return value_app_closure(_compile(head, budget), args)


def _compile(p: Program, budget: Budget) -> Closure:
    if isinstance(p, Index):
        return index_closure(p.i)
    if isinstance(p, Primitive):
        return primitive_closure(p)
    if isinstance(p, Abstraction):
        return lambda_closure(_compile(p.body, budget), budget)
    if isinstance(p, Application):
        head, args = spine(p)
        if isinstance(head, Primitive) and len(args) >= head.arity > 0:
            inner = primitive_app_closure(head, [_compile(a, budget) for a in args[: head.arity]])
            rest = [_compile(a, budget) for a in args[head.arity :]]
            return value_app_closure(inner, rest) if rest else inner
        compiled = [_compile(a, budget) for a in args]
        if isinstance(head, Invented):
            return invented_app_closure(head, compiled, budget)
        return value_app_closure(_compile(head, budget), compiled)
    if isinstance(p, Invented):
        return invented_closure(_compile(p.body, budget))
    if isinstance(p, Param):
        return param_closure(p, budget)
    if isinstance(p, Hole):
        raise HyloError(f"cannot run a program with a hole: fill the ?? first ({show(p)})")
    raise TypeError(f"not a program: {p!r}")  # pragma: no cover


def use_limits(limits: Limits) -> None:
    """Make ``limits`` the ones :func:`guard_length` checks (one search per process)."""
    global _active_limits
    _active_limits = limits


def _call_with(f: Callable[[Any], Any], x: Any) -> Closure:
    """A closure that applies the function value ``f`` to ``x`` (for extra arguments)."""
    return lambda _env: f(x)


def run(closure: Closure, env: Env, budget: Budget) -> Any:
    """Call a compiled closure under ``budget``; every failure is an EvaluationError."""
    budget.reset()
    use_limits(budget.limits)
    try:
        return closure(env)
    except EvaluationError:
        raise
    except RecursionError as e:
        raise BudgetExceeded("recursion too deep") from e
    except MemoryError as e:
        raise BudgetExceeded("out of memory") from e
    except Exception as e:
        raise EvaluationError(f"{type(e).__name__}: {e}") from e


class Evaluator:
    """Compiles programs against one budget.

    Args:
        limits: step, time and list-length limits for each call.
    """

    def __init__(self, limits: Limits | None = None) -> None:
        self.budget = Budget(limits)

    def compile(self, p: Program) -> Closure:
        return _compile(p, self.budget)

    def set_params(self, values: Sequence[Any]) -> None:
        """Give parameter ``#c<i>`` the value ``values[i]`` in every later call.

        Programs compiled by this evaluator read the values when they run, so one
        compiled program serves every parameter vector a fitter tries.

        >>> from hylo.lang.types import FLOAT
        >>> ev = Evaluator()
        >>> f = ev.function(Abstraction(Param(0, FLOAT)))
        >>> ev.set_params([2.5])
        >>> f(None)
        2.5
        """
        self.budget.params = tuple(values)

    def function(self, p: Program) -> Callable[..., Any]:
        """A Python function of the program's arguments, run under the budget.

        A program ``(lam (lam body))`` becomes ``f(x, y)`` with ``$1 = x`` and ``$0 = y``.
        """
        num_args = 0
        body = p
        while isinstance(body, Abstraction):
            num_args += 1
            body = body.body
        closure = self.compile(body)
        budget = self.budget

        def call(*xs: Any) -> Any:
            if len(xs) < num_args:
                raise TypeError(f"program takes {num_args} argument(s), got {len(xs)}")
            env = tuple(reversed(xs[:num_args]))
            out = run(closure, env, budget)
            for x in xs[num_args:]:
                out = run(_call_with(out, x), (), budget)
            return out

        return call


def set_recursion_limit(limit: int = 10_000) -> None:
    """Raise Python's recursion limit once, so deep but finite programs can run."""
    if sys.getrecursionlimit() < limit:
        sys.setrecursionlimit(limit)
