"""Real-valued arithmetic, and constants that search leaves open for a fitter.

The ``numeric`` primitives work on ``float``: ``+.``, ``-.``, ``*.``, protected
division ``/.`` (a divisor within ``1e-9`` of zero gives 1.0, as is usual in
genetic programming, so a candidate never fails on a division) and ``c``, an
*open constant*. Search treats ``c`` as any other leaf; before a program runs for
real, :func:`open_constants` turns its ``c`` leaves into parameters ``#c0``,
``#c1``, … (left to right) that :mod:`hylo.train` fits, and :func:`close_constants`
writes the fitted values back in as literals:

>>> from hylo.lang.program import parse, show
>>> p = parse("(lam (*. c (*. $0 $0)))", NUMERIC.namespace)
>>> show(open_constants(p))
'(lam (*. #c0:float (*. $0 $0)))'
>>> show(close_constants(open_constants(p), [0.5]))
'(lam (*. 0.5 (*. $0 $0)))'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from hylo.domains.base import Domain
from hylo.lang.errors import HyloError
from hylo.lang.program import Abstraction, Application, Param, Primitive, Program, params_of
from hylo.lang.types import FLOAT, parse_type

__all__ = [
    "CONSTANT",
    "NUMERIC",
    "PLACEHOLDER_VALUE",
    "close_constants",
    "count_constants",
    "literal",
    "open_constants",
]

PLACEHOLDER_VALUE = 0.37
"""What ``c`` evaluates to before it is fitted: an unremarkable number, so that
programs compared on their outputs (observational equivalence) are told apart."""

_BINARY = parse_type("float -> float -> float")


def _divide(a: float, b: float) -> float:
    return a / b if abs(b) > 1e-9 else 1.0


def _guarded(value: float) -> float:
    """Overflow to ±inf or NaN is a failed candidate, not a number to carry on with."""
    if not math.isfinite(value):
        raise ArithmeticError(f"non-finite result {value}")
    return value


PLUS = Primitive("+.", _BINARY, lambda a, b: _guarded(a + b), "a + b on floats")
MINUS = Primitive("-.", _BINARY, lambda a, b: _guarded(a - b), "a - b on floats")
TIMES = Primitive("*.", _BINARY, lambda a, b: _guarded(a * b), "a * b on floats")
DIVIDE = Primitive("/.", _BINARY, lambda a, b: _guarded(_divide(a, b)), "a / b; 1.0 when b ~ 0")
CONSTANT = Primitive(
    "c", FLOAT, lambda: PLACEHOLDER_VALUE, "an open constant, fitted after search (#c0, #c1, …)"
)

NUMERIC = Domain(
    "numeric",
    (PLUS, MINUS, TIMES, DIVIDE, CONSTANT),
    "real arithmetic with open constants, for symbolic regression",
)


def count_constants(program: Program) -> int:
    """How many open constants ``c`` the program has (each becomes one parameter)."""
    if isinstance(program, Application):
        return count_constants(program.f) + count_constants(program.x)
    if isinstance(program, Abstraction):
        return count_constants(program.body)
    return int(program == CONSTANT)


def open_constants(program: Program, start: int = 0) -> Program:
    """``program`` with its ``c`` leaves replaced by ``#c<start>``, ``#c<start+1>``, … in order."""
    counter = [start]

    def go(p: Program) -> Program:
        if isinstance(p, Application):
            f = go(p.f)
            return Application(f, go(p.x))
        if isinstance(p, Abstraction):
            return Abstraction(go(p.body))
        if p == CONSTANT:
            counter[0] += 1
            return Param(counter[0] - 1, FLOAT)
        return p

    return go(program)


def literal(value: float, digits: int = 4) -> Primitive:
    """A float constant that prints as its value (``0.5``, ``-1.2e-05``)."""
    text = f"{value:.{digits}g}"
    return Primitive(text, FLOAT, lambda: float(text), "a fitted constant")


def close_constants(program: Program, values: Sequence[Any], digits: int = 4) -> Program:
    """``program`` with parameter ``#c<i>`` replaced by the literal ``values[i]``.

    The literals are rounded to ``digits`` significant digits, which is what the
    closed program runs with, so what it prints is what it does.

    Raises:
        HyloError: fewer values than parameters.
    """
    num = len(params_of(program))
    if len(values) < num:
        raise HyloError(f"{num} parameter value(s) needed, got {len(values)}")

    def go(p: Program) -> Program:
        if isinstance(p, Application):
            return Application(go(p.f), go(p.x))
        if isinstance(p, Abstraction):
            return Abstraction(go(p.body))
        if isinstance(p, Param):
            return literal(float(values[p.index]), digits)
        return p

    return go(program)
