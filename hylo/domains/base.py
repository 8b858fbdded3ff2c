"""A domain: a named set of primitives (plus, later, loaders and a featurizer)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from hylo.lang.program import Invented, Primitive

Resolver = Callable[[str], Primitive | None]


class DomainNamespace(dict[str, Primitive | Invented]):
    """Name → primitive or invention, that also resolves the domain's generated names.

    Iterating it gives the named primitives and inventions only (what a grammar is
    built from); looking a name up also asks the domain's resolver, so a program
    that contains a generated primitive (an ARC rule learned from examples) parses.
    """

    def __init__(self, items: Iterable[tuple[str, Primitive | Invented]], resolve: Resolver):
        super().__init__(items)
        self.resolve = resolve

    def __missing__(self, name: str) -> Primitive:
        found = self.resolve(name)
        if found is None:
            raise KeyError(name)
        return found

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self[name]
        except KeyError:
            return default

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name) or (isinstance(name, str) and self.get(name) is not None)

    def copy(self) -> DomainNamespace:
        return DomainNamespace(self.items(), self.resolve)


@dataclass(frozen=True)
class Domain:
    """A named, immutable set of primitives; extend it with :meth:`with_primitives`.

    A domain is data: the search never refers to a primitive by name, so users can
    add, remove or replace primitives without touching the synthesizers.

    ``resolve``, if given, turns names that are not among the primitives into
    primitives on demand: values a finishing step learns from a task's examples
    (ARC's neighbourhood rules). Programs may contain them; the search never proposes
    them, since a grammar is built from ``primitives`` alone.

    ``log_variable`` is the log-weight of the variables (a task's inputs) in the
    domain's default grammar, where every primitive weighs 0.
    """

    name: str
    primitives: tuple[Primitive, ...]
    description: str = ""
    resolve: Resolver | None = None
    log_variable: float = 0.0

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for p in self.primitives:
            if p.name in seen:
                raise ValueError(f"domain {self.name!r} has two primitives named {p.name!r}")
            seen.add(p.name)

    def __iter__(self) -> Iterator[Primitive]:
        return iter(self.primitives)

    def __len__(self) -> int:
        return len(self.primitives)

    @property
    def namespace(self) -> dict[str, Primitive | Invented]:
        """Name → primitive, for :func:`hylo.lang.parse` (a new dict each time: add to it)."""
        items = ((p.name, p) for p in self.primitives)
        if self.resolve is None:
            return dict(items)
        return DomainNamespace(items, self.resolve)

    def __getitem__(self, name: str) -> Primitive:
        for p in self.primitives:
            if p.name == name:
                return p
        raise KeyError(f"domain {self.name!r} has no primitive {name!r}")

    def with_primitives(self, extra: Iterable[Primitive], name: str | None = None) -> Domain:
        """A new domain with ``extra`` added (replacing same-named primitives)."""
        extra_t = tuple(extra)
        names = {p.name for p in extra_t}
        kept = tuple(p for p in self.primitives if p.name not in names)
        return dataclasses.replace(self, name=name or self.name, primitives=kept + extra_t)

    def without(self, *names: str) -> Domain:
        """A new domain without the named primitives."""
        missing = set(names) - {p.name for p in self.primitives}
        if missing:
            raise KeyError(f"domain {self.name!r} has no primitive(s) {sorted(missing)}")
        return dataclasses.replace(
            self, primitives=tuple(p for p in self.primitives if p.name not in names)
        )
