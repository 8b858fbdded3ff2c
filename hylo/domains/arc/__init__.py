"""The ARC grid domain: grids of colours 0–9, objects, and ~140 functions over them.

Types: ``grid``, ``color`` (0–9), ``obj`` (a part of a grid), ``list(obj)``,
``list(grid)``, ``int``, ``bool``, and three enumerations that let a value-based
search select without lambdas: ``prop`` (an object property: ``p-size``,
``p-color``, …), ``dir`` (``up down left right`` and the four diagonals such as
``down-right``) and ``axis`` (``horizontal vertical both-axes``). Constants:
``c0``…``c9``, ``0``…``3`` and one per enumeration value. Primitives never mutate
their arguments; one that cannot apply (no objects, a result beyond 30×30, …)
raises ``ValueError``, which a search counts as a failed candidate. Each grid
carries a background colour (see :mod:`hylo.domains.arc.grid`) that the object,
filling and symmetry primitives leave alone.

>>> from hylo.lang.evaluate import Evaluator
>>> from hylo.lang.program import parse
>>> f = Evaluator().function(parse("(lam (subgrid $0 (select-max p-size (objects $0))))",
...                                ARC.namespace))
>>> f(Grid.from_lists([[1, 0, 0], [0, 2, 2], [0, 2, 2]]))
Grid(2x2: 22/22)
"""

from __future__ import annotations

import math

from hylo.domains.arc import _color, _compose, _fill, _geometry, _logic, _objects, _symmetry
from hylo.domains.arc.colormap import apply_color_map, learned_color_map
from hylo.domains.arc.continuation import resolve_continuation
from hylo.domains.arc.drawings import resolve_drawing
from hylo.domains.arc.grid import Grid, Obj
from hylo.domains.arc.halves import resolve_halves
from hylo.domains.arc.lookups import resolve_lookup
from hylo.domains.arc.palette import resolve_palette
from hylo.domains.arc.rules import resolve_rule
from hylo.domains.arc.stamps import resolve_stamp
from hylo.domains.arc.tasks import (
    arc_task_from_json,
    arc_tasks,
    is_arc_json,
    with_task_background,
)
from hylo.domains.arc.windows import resolve_window
from hylo.domains.base import Domain
from hylo.lang.program import Primitive

__all__ = [
    "ARC",
    "PRIMITIVES",
    "Grid",
    "Obj",
    "apply_color_map",
    "arc_task_from_json",
    "arc_tasks",
    "is_arc_json",
    "learned_color_map",
    "with_task_background",
]

PRIMITIVES: tuple[Primitive, ...] = (
    *_geometry.PRIMITIVES,
    *_color.PRIMITIVES,
    *_objects.PRIMITIVES,
    *_compose.PRIMITIVES,
    *_fill.PRIMITIVES,
    *_symmetry.PRIMITIVES,
    *_logic.PRIMITIVES,
)


def resolve_learned(name: str) -> Primitive | None:
    """What a name outside the search's primitives stands for: a learned neighbourhood rule,
    stamp, window, cell logic of halves, lookup, continuation or count drawing, or a
    colour-role step of the palette view."""
    resolvers = (
        resolve_rule,
        resolve_stamp,
        resolve_window,
        resolve_halves,
        resolve_lookup,
        resolve_continuation,
        resolve_drawing,
        resolve_palette,
    )
    for resolve in resolvers:
        primitive = resolve(name)
        if primitive is not None:
            return primitive
    return None


ARC = Domain(
    "arc",
    PRIMITIVES,
    "ARC grids: geometry, colours, objects, composition, filling, symmetry, counting.",
    resolve=resolve_learned,  # rules and stamps learned from a task's examples
    # A grid leaf is the input about as often as any of the ~90 grid transformations
    # together (P ~ 1/2, not 1/90): binary steps on the input such as
    # (cell-xor (top-half $0) (bottom-half $0) c3) are not charged twice for their leaves.
    # Training split, 2 s: 122 -> 127 right.
    log_variable=math.log(90),
)
"""The ARC domain (``get_domain("arc")``)."""
