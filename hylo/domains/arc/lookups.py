"""Lookups: the output is one of a few grids, chosen by a count, a colour or a test.

Some ARC tasks classify: a symmetric input gives a single blue cell, any other a
single orange one; the number of colours picks one of three diagonal patterns; the
shape's colour picks its outline. The outputs come from a small set of grids that
repeat across the pairs, and no transformation of the input draws them. A *lookup*
learns the choice from the training pairs: a key computed from the input (a value
of type ``int``, ``color`` or ``bool`` that the search has built, such as
``(num-colors $0)``) and, for each key seen, the grid it gives.

A lookup is a primitive whose name holds its table, as the neighbourhood rules'
(:mod:`hylo.domains.arc.rules`) do::

    lookup-bool:0=7,1=1

reads "false gives the 1×1 grid 7, true the 1×1 grid 1" (grids are written as rows
of digits joined by ``/``). A key the training pairs never showed is refused, not
guessed, and the keys must split the pairs exactly as the outputs do, with some
output seen twice: a key finer than the outputs (five counts for two answers) or a
table with one pair per key fits by chance more often than it has learned anything.

>>> from hylo.domains.arc.grid import Grid
>>> from hylo.lang.program import Index, show
>>> one, seven = Grid.from_lists([[1]]), Grid.from_lists([[7]])
>>> wrap, run = lookup_completion("bool", [True, False, True], [one, seven, one], [False])
>>> show(wrap(Index(0))), run(False)
('(lookup-bool:0=7,1=1 $0)', Grid(1x1: 7))
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from hylo.domains.arc.finish import Completion, learned_step
from hylo.domains.arc.grid import Grid
from hylo.lang.program import Primitive
from hylo.lang.types import Type, parse_type

PREFIX = "lookup-"
KINDS = ("int", "color", "bool")
"""The key types a lookup reads, as type names."""

Table = tuple[tuple[int, Grid], ...]
"""``(key, grid)`` pairs, sorted by key (booleans as 0 and 1)."""


def apply_lookup(table: Table, key: int) -> Grid:
    """The grid ``table`` gives ``key`` (an error for a key it never saw)."""
    for k, grid in table:
        if k == key:
            return grid
    raise ValueError(f"the lookup never saw the key {key}")


def lookup_name(kind: str, table: Table) -> str:
    return f"{PREFIX}{kind}:" + ",".join(f"{k}={g.to_text()}" for k, g in table)


@functools.lru_cache(maxsize=1024)
def resolve_lookup(name: str) -> Primitive | None:
    """The lookup primitive a name stands for (see the module doc), or ``None``."""
    kind, _, entries = name.removeprefix(PREFIX).partition(":")
    if not name.startswith(PREFIX) or kind not in KINDS or not entries:
        return None
    table: list[tuple[int, Grid]] = []
    for entry in entries.split(","):
        key, _, rows = entry.partition("=")
        if not key.isdigit():
            return None
        try:
            table.append((int(key), Grid.from_text(rows)))
        except ValueError:  # not rows of digits, or beyond 30×30
            return None
    tp = parse_type(f"{kind} -> grid")
    doc = f"the grid a {kind} key picks, learned from the pairs ({len(table)} keys)"
    return Primitive(name, tp, functools.partial(apply_lookup, tuple(table)), doc)


def lookup_completion(
    kind: str, keys: Sequence[Any], targets: Sequence[Any], tests: Sequence[Any] = ()
) -> Completion | None:
    """The lookup from ``keys`` (values of type ``kind``) to the target grids, or ``None``.

    The keys must split the pairs exactly as the outputs do (one key per grid, some
    grid seen twice); ``None`` when they do not, or when a key in ``tests`` was never
    seen."""
    seen: dict[int, Grid] = {}
    for key, target in zip(keys, targets, strict=True):
        if seen.setdefault(int(key), target) != target:
            return None
    if len(seen) == len(targets) or len(set(seen.values())) < len(seen):
        return None  # nothing seen twice, or keys finer than the outputs: chance
    if any(int(k) not in seen for k in tests) or min(seen) < 0:
        return None  # a key never seen, or one a name cannot hold (digits only)
    if not all(isinstance(t, Grid) for t in targets):
        return None
    table = tuple(sorted(seen.items(), key=lambda kv: kv[0]))
    primitive = resolve_lookup(lookup_name(kind, table))
    assert primitive is not None, "a learned lookup's name must resolve"
    return learned_step(primitive)


def lookup_finishers() -> dict[Type, Callable[..., Completion | None]]:
    """One finisher per key type, for :class:`~hylo.search.bottom_up.BottomUpSynthesizer`."""
    return {parse_type(kind): functools.partial(lookup_completion, kind) for kind in KINDS}
