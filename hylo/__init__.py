"""hylo: learn programs, not only weights.

The one-line case: give input/output pairs, get back a program.

>>> import hylo
>>> result = hylo.solve([([1, 2], [2, 4]), ([3], [6]), ([0, 5], [0, 10])])
>>> print(result.best)
(lam (map (lam (+ $0 $0)) $0))
>>> result([7, 1])
[14, 2]

For control, build a :class:`Task`, a :class:`Grammar` and a synthesizer yourself:
``EnumerativeSynthesizer(timeout_s=30).fit(task, grammar)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hylo.domains import Domain, get_domain
from hylo.domains.task import Example, Task, TaskFormatError, infer_task_type, load_task, make_task
from hylo.lang import HyloError, parse, parse_type, show, show_type
from hylo.search import (
    Candidate,
    EnumerativeSynthesizer,
    Grammar,
    SearchResult,
    default_grammar,
)
from hylo.search import solve as solve_task

__version__ = "0.1.0"

__all__ = [
    "Candidate",
    "Domain",
    "EnumerativeSynthesizer",
    "Example",
    "Grammar",
    "HyloError",
    "SearchResult",
    "Task",
    "TaskFormatError",
    "default_grammar",
    "get_domain",
    "load_task",
    "make_task",
    "parse",
    "parse_type",
    "show",
    "show_type",
    "solve",
    "solve_task",
]


def solve(
    examples: Sequence[tuple[Any, Any]] | Task,
    *,
    timeout_s: float = 10.0,
    domain: str | Domain = "lists",
    grammar: Grammar | None = None,
    test: Sequence[tuple[Any, Any]] = (),
) -> SearchResult:
    """Find a program that maps each input to its output.

    Args:
        examples: ``(input, output)`` pairs (one argument per call; for functions
            of several arguments build a :class:`Task` with :func:`make_task`), or
            a :class:`Task`.
        timeout_s: search budget in seconds.
        domain: the primitives to build programs from (a name or a :class:`Domain`).
        grammar: production weights (uniform over ``domain`` by default).
        test: held-out pairs to check the program on (not searched with).

    Returns:
        A :class:`SearchResult`: ``result.best`` prints as the program and
        ``result(x)`` runs it on a new input.

    Raises:
        TaskFormatError: the examples are empty or their values have no common type.
    """
    if isinstance(examples, Task):
        task = examples
    else:
        pairs = list(examples)
        if not pairs:
            raise TaskFormatError("hylo.solve needs at least one (input, output) example")
        request = infer_task_type([((i,), o) for i, o in [*pairs, *test]])
        name = domain if isinstance(domain, str) else domain.name
        task = make_task(
            "task",
            request,
            [((i,), o) for i, o in pairs],
            [((i,), o) for i, o in test],
            domain=name,
        )
    if grammar is None:
        dom = get_domain(domain) if isinstance(domain, str) else domain
        grammar = Grammar.uniform(dom.primitives, dom.log_variable)
    return solve_task(task, grammar, timeout_s=timeout_s)
