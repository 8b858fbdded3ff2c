"""Tasks: a few input/output examples and the type of the function they show.

A :class:`Task` holds training examples (to search with) and test examples (held
out, to check that a program generalises). Each example's ``inputs`` is a tuple
with one value per argument of the task's type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hylo.lang.types import Type, arguments, show_type


@dataclass(frozen=True, eq=False)
class Example:
    """One input/output pair; ``inputs`` has one value per argument."""

    inputs: tuple[Any, ...]
    output: Any


@dataclass(frozen=True, eq=False)
class Task:
    """A named problem: ``request`` is the function type, e.g. ``list(int) -> list(int)``."""

    name: str
    request: Type
    train: tuple[Example, ...]
    test: tuple[Example, ...] = ()
    domain: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def num_args(self) -> int:
        return len(arguments(self.request))

    def __repr__(self) -> str:
        return (
            f"Task({self.name!r}: {show_type(self.request)}, "
            f"{len(self.train)} train, {len(self.test)} test)"
        )


def make_task(
    name: str,
    request: Type,
    train: Sequence[tuple[Sequence[Any], Any]],
    test: Sequence[tuple[Sequence[Any], Any]] = (),
    domain: str | None = None,
) -> Task:
    """Build a task from ``(inputs, output)`` pairs, ``inputs`` a sequence of arguments."""
    return Task(
        name,
        request,
        tuple(Example(tuple(i), o) for i, o in train),
        tuple(Example(tuple(i), o) for i, o in test),
        domain,
    )
