"""A domain: a named set of primitives (plus, later, loaders and a featurizer)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from hylo.lang.program import Invented, Primitive


@dataclass(frozen=True)
class Domain:
    """A named, immutable set of primitives; extend it with :meth:`with_primitives`.

    A domain is data: the search never refers to a primitive by name, so users can
    add, remove or replace primitives without touching the synthesizers.
    """

    name: str
    primitives: tuple[Primitive, ...]
    description: str = ""

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
    def namespace(self) -> Mapping[str, Primitive | Invented]:
        """Name → primitive, for :func:`hylo.lang.parse`."""
        return {p.name: p for p in self.primitives}

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
        return Domain(name or self.name, kept + extra_t, self.description)

    def without(self, *names: str) -> Domain:
        """A new domain without the named primitives."""
        missing = set(names) - {p.name for p in self.primitives}
        if missing:
            raise KeyError(f"domain {self.name!r} has no primitive(s) {sorted(missing)}")
        return Domain(
            self.name, tuple(p for p in self.primitives if p.name not in names), self.description
        )
