"""Conformance checks for a domain's primitives (run over every built-in domain).

A new domain passes these the day it is added to
:data:`hylo.domains.BUILTIN_DOMAINS`: every primitive prints and parses back, has a
one-line doc and a type, and small well-typed programs built from the domain run
to a value or a clean :class:`~hylo.lang.errors.EvaluationError`, never a Python
error that would mean a primitive's type is a lie.
"""

from __future__ import annotations

from collections.abc import Callable

from hylo.domains.base import Domain
from hylo.lang.errors import EvaluationError
from hylo.lang.evaluate import Budget, Evaluator, Limits
from hylo.lang.program import parse, show
from hylo.lang.types import Type, arguments, parse_type, show_type
from hylo.search.enumerate import Enumerator
from hylo.search.grammar import Grammar


def check_primitives_are_documented(domain: Domain) -> None:
    for p in domain.primitives:
        assert p.doc.strip(), f"{p.name} has no doc"
        assert "\n" not in p.doc.strip(), f"{p.name}: the doc should be one line"
        assert parse(p.name, domain.namespace) == p
        assert parse_type(show_type(p.tp)) == p.tp, f"{p.name}: type does not round-trip"
        assert p.arity == len(arguments(p.tp))


def check_constants_evaluate(domain: Domain) -> None:
    for p in domain.primitives:
        if p.arity == 0:
            p.fn()  # must not raise


def check_small_programs_are_type_safe(
    domain: Domain, request: Type, inputs: list[tuple[object, ...]], max_cost: float = 11.0
) -> None:
    """Run every program up to ``max_cost`` on ``inputs``: a TypeError means a bad type."""
    enum = Enumerator(Grammar.uniform(domain.primitives), request, Budget())
    evaluator = Evaluator(Limits(max_steps=2_000, timeout_s=0.2, max_length=100))
    lo, count = 0.0, 0
    while lo < max_cost:
        for item in enum.band(lo, lo + 1.5):
            program = enum.program(item)
            f = evaluator.function(program)
            count += 1
            for args in inputs:
                try:
                    f(*args)
                except EvaluationError as e:
                    assert not isinstance(e.__cause__, TypeError | AttributeError), (
                        f"{show(program)} on {args}: {e}"
                    )
        lo += 1.5
    assert count > 0, f"no program of type {show_type(request)} in domain {domain.name}"


DomainCheck = Callable[[Domain], None]
CHECKS: tuple[DomainCheck, ...] = (check_primitives_are_documented, check_constants_evaluate)
