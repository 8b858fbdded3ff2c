"""A library as plain data: what a worker process needs to search with it.

A :class:`LibrarySpec` names the domain, lists the inventions (name and body text,
in the order they were made, each may use the ones before it) and the grammar's
weights. It pickles as plain strings and numbers, so it crosses process
boundaries safely, and :meth:`LibrarySpec.grammar` rebuilds the objects (once per
process).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hylo.domains import get_domain
from hylo.domains.task import Task
from hylo.lang.infer import invent
from hylo.lang.program import Invented, Primitive, parse, show
from hylo.library import LibraryStore
from hylo.search import Grammar
from hylo.search.batch import TaskOutcome, outcome_of
from hylo.search.synthesizer import default_synthesizer

if TYPE_CHECKING:
    from hylo.search.guide import Guide


@dataclass(frozen=True)
class LibrarySpec:
    """Domain, inventions ``(name, body)`` and grammar weights (``None``: uniform)."""

    domain: str = "lists"
    inventions: tuple[tuple[str, str], ...] = ()
    weights: tuple[tuple[str, float], ...] | None = None
    log_variable: float = 0.0
    version: int = field(default=0, compare=False)

    @classmethod
    def of(cls, domain: str, inventions: list[Invented], grammar: Grammar | None) -> LibrarySpec:
        return cls(
            domain,
            tuple((inv.name, show(inv.body)) for inv in inventions),
            tuple(sorted(grammar.weights().items())) if grammar else None,
            grammar.log_variable if grammar else 0.0,
        )

    @classmethod
    def from_store(cls, store: LibraryStore) -> LibrarySpec:
        """What a library holds now: its inventions and its newest grammar."""
        grammar = store.latest_grammar()
        return cls(
            store.meta.domain,
            tuple((r.name, r.body) for r in store.invention_records()),
            tuple(sorted(grammar.weights.items())) if grammar else None,
            grammar.log_variable if grammar else 0.0,
        )

    def namespace(self) -> dict[str, Primitive | Invented]:
        return _namespace(self.domain, self.inventions).copy()  # keeps its resolver

    def inventions_(self) -> list[Invented]:
        return [
            p for p in _namespace(self.domain, self.inventions).values() if isinstance(p, Invented)
        ]

    def grammar(self) -> Grammar:
        return _grammar(self)


@functools.lru_cache(maxsize=8)
def _namespace(
    domain: str, inventions: tuple[tuple[str, str], ...]
) -> dict[str, Primitive | Invented]:
    namespace = get_domain(domain).namespace  # a fresh copy (it may resolve generated names)
    for name, body in inventions:
        namespace[name] = invent(name, parse(body, namespace))
    return namespace


@functools.lru_cache(maxsize=8)
def _grammar(spec: LibrarySpec) -> Grammar:
    productions = list(_namespace(spec.domain, spec.inventions).values())
    if spec.weights is None:
        return Grammar.uniform(productions, get_domain(spec.domain).log_variable)
    weights = dict(spec.weights)
    # Productions the weights do not mention (none, normally) get the mean weight.
    default = sum(weights.values()) / len(weights) if weights else 0.0
    return Grammar(((weights.get(p.name, default), p) for p in productions), spec.log_variable)


@dataclass(frozen=True)
class LibrarySolver:
    """Solves a task with a library's grammar; a picklable solver for worker processes.

    With ``guide`` (a trained guide's safetensors bytes, see
    :class:`~hylo.search.guide.Guide`), each task is searched with the grammar the
    guide predicts for it instead of the library's own.
    """

    spec: LibrarySpec
    top_k: int = 5
    guide: bytes | None = None

    def __call__(self, task: Task, timeout_s: float) -> TaskOutcome:
        # The domain's engine (bottom-up for ARC, which always keeps three predictions).
        top_k = max(self.top_k, 3) if task.domain == "arc" else self.top_k
        synth = default_synthesizer(task, timeout_s=timeout_s, top_k=top_k)
        return outcome_of(synth.search(task, self.grammar_for(task)))

    def grammar_for(self, task: Task) -> Grammar:
        """The grammar ``task`` is searched with: the guide's prediction, or the library's."""
        if self.guide is None:
            return self.spec.grammar()
        return _guide(self.spec, self.guide).grammar_for(task)


@functools.lru_cache(maxsize=2)
def _guide(spec: LibrarySpec, data: bytes) -> Guide:
    """The guide rebuilt once per process (torch is imported only when a guide is used)."""
    import torch

    from hylo.search.guide import Guide

    torch.set_num_threads(1)  # one search per core: the guide must not take the others
    return Guide.from_bytes(data, spec.grammar())
