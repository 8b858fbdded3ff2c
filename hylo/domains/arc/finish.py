"""Goal-directed last steps for grid search: a colour map learned from the examples.

Many ARC programs are right up to a renaming of colours: the shapes are right, the
colours are a function of the program's colours. :func:`color_map_completion` learns
that function from the training pairs and writes it as a chain of ``recolor`` and
``swap-colors`` steps, so the completed program is an ordinary program of the domain
(it prints, parses and runs like any other).

>>> from hylo.lang.program import Index, show
>>> a, b = Grid.from_lists([[1, 2]]), Grid.from_lists([[2, 1]])
>>> wrap, run = color_map_completion([a], [b])
>>> show(wrap(Index(0))), run(Grid.from_lists([[2, 2, 1]]))
('(swap-colors $0 c1 c2)', Grid(1x3: 112))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hylo.domains.arc._color import recolor, swap_colors
from hylo.domains.arc.colormap import learned_color_map
from hylo.domains.arc.grid import Grid
from hylo.lang.program import Primitive, Program, apply_to
from hylo.lang.types import parse_type

Completion = tuple[Callable[[Program], Program], Callable[[Any], Any]]
"""How to finish a candidate: wrap its program; run the same step on a value."""

_GRID_OP = parse_type("grid -> color -> color -> grid")
_COLOR = parse_type("color")


def learned_step(primitive: Primitive) -> Completion:
    """The completion that applies one learned table (a rule, a stamp: ``grid -> grid``;
    a lookup: ``int -> grid``) to the value it finishes."""
    run: Callable[[Any], Any] = primitive.fn
    return (lambda program: apply_to(primitive, program)), run


def grid_pairs(
    candidates: Sequence[Any], targets: Sequence[Any], *, same_shape: bool = False
) -> list[tuple[Grid, Grid]] | None:
    """The ``(candidate, target)`` pairs when every one is a pair of grids (of one shape,
    where ``same_shape``), else ``None``: the first check of every learned last step."""
    pairs = list(zip(candidates, targets, strict=True))
    for c, t in pairs:
        if not (isinstance(c, Grid) and isinstance(t, Grid)):
            return None
        if same_shape and c.shape != t.shape:
            return None
    return pairs or None


def color_map_completion(
    candidates: Sequence[Any], targets: Sequence[Any], tests: Sequence[Any] = ()
) -> Completion | None:
    """Recolouring steps that turn every candidate grid into its target, or ``None``.

    (A colour map applies to any grid, so the candidate's ``tests`` do not matter.)"""
    pairs = grid_pairs(candidates, targets, same_shape=True)
    if pairs is None:
        return None
    mapping = learned_color_map(pairs)
    if mapping is None:
        return None
    steps = _steps({a: b for a, b in mapping.items() if a != b})
    if not steps:
        return None  # already exact: not a completion

    def wrap(program: Program) -> Program:
        for name, a, b in steps:
            program = apply_to(_primitive(name), program, _color(a), _color(b))
        return program

    def run(grid: Any) -> Any:
        for name, a, b in steps:
            grid = (recolor if name == "recolor" else swap_colors)(grid, a, b)
        return grid

    return wrap, run


def _steps(pending: dict[int, int]) -> list[tuple[str, int, int]]:
    """``recolor``/``swap-colors`` steps realising a colour map without clobbering.

    A colour may be recoloured once no pending colour is waiting to leave its target;
    a cycle (1→2, 2→1) is broken with a swap.
    """
    steps: list[tuple[str, int, int]] = []
    while pending:
        free = [a for a, b in sorted(pending.items()) if b not in pending]
        if free:
            a = free[0]
            steps.append(("recolor", a, pending.pop(a)))
            continue
        a = min(pending)
        b = pending.pop(a)
        steps.append(("swap-colors", a, b))
        # The cells that were b are now a; they still have to become b's target.
        target = pending.pop(b)
        if target != a:
            pending[a] = target
    return steps


_PRIMITIVES: dict[str, Primitive] = {}


def _primitive(name: str) -> Primitive:
    if not _PRIMITIVES:
        from hylo.domains.arc import ARC

        _PRIMITIVES.update((p.name, p) for p in ARC.primitives)
    return _PRIMITIVES[name]


def _color(c: int) -> Primitive:
    return _primitive(f"c{c}")
