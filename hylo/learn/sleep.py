"""Sleep: compress the solutions into new inventions, then refit the grammar."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hylo.lang.program import Invented, Program, primitives_of
from hylo.lang.types import Type
from hylo.learn.spec import LibrarySpec
from hylo.library.abstraction import Compression, compress
from hylo.search import Grammar


@dataclass(frozen=True)
class SleepResult:
    """The grown library, the new inventions and the solutions rewritten with them."""

    spec: LibrarySpec
    grammar: Grammar
    new_inventions: tuple[Invented, ...]
    rewritten: dict[str, tuple[Program, ...]]
    compression: Compression


def sleep(
    spec: LibrarySpec,
    frontiers: Mapping[str, tuple[Type, Sequence[Program]]],
    *,
    compression_iterations: int = 10,
    max_arity: int = 3,
    pseudo_count: float = 1.0,
) -> SleepResult:
    """Abstract the solutions of every solved task, and refit the grammar on them.

    Args:
        spec: the library the solutions were found with.
        frontiers: task name → (request, its best solutions).
        compression_iterations: at most this many new inventions.
        max_arity: at most this many arguments per invention.
        pseudo_count: smoothing of the grammar refit (see :meth:`Grammar.fit`).
    """
    namespace = spec.namespace()
    frontiers = _grammar_programs(frontiers, set(namespace.keys()))
    names = sorted(frontiers)
    compression = compress(
        [list(frontiers[n][1]) for n in names],
        namespace,
        iterations=compression_iterations,
        max_arity=max_arity,
        start_index=len(spec.inventions),
        requests=[frontiers[n][0] for n in names],
    )
    inventions = [*spec.inventions_(), *compression.inventions]
    rewritten = dict(zip(names, compression.rewritten, strict=True))
    base = Grammar.uniform([*namespace.values(), *compression.inventions])
    grammar = base.fit([(frontiers[n][0], rewritten[n]) for n in names], pseudo_count=pseudo_count)
    return SleepResult(
        LibrarySpec.of(spec.domain, inventions, grammar),
        grammar,
        tuple(compression.inventions),
        rewritten,
        compression,
    )


def _grammar_programs(
    frontiers: Mapping[str, tuple[Type, Sequence[Program]]], names: set[str]
) -> dict[str, tuple[Type, Sequence[Program]]]:
    """The solutions made of named primitives and inventions only.

    A primitive the domain generates for one task (an ARC rule or stamp, whose name is its
    learned table) is that task's data, not a pattern to abstract across tasks; a
    solution that uses one is left out, and so is a task left with none.
    """
    kept = {
        name: (request, [p for p in programs if {q.name for q in primitives_of(p)} <= names])
        for name, (request, programs) in frontiers.items()
    }
    return {name: entry for name, entry in kept.items() if entry[1]}
