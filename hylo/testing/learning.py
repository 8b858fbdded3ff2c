"""A small task suite on which library learning must visibly help (for tests)."""

from __future__ import annotations

from hylo.domains.task import Task, make_task
from hylo.lang.types import parse_type

LIST_TO_LIST = parse_type("list(int) -> list(int)")
INPUTS = [[1, 2, 3], [4, 0], [7], [5, 5, 2, 9], [3, 8, 1, 1, 6]]


def affine_task(name: str, k: int, m: int) -> Task:
    """Map every element ``x`` to ``m * x + k``."""

    def f(xs: list[int]) -> list[int]:
        return [x * m + k for x in xs]

    return make_task(
        name,
        LIST_TO_LIST,
        [((x,), f(x)) for x in INPUTS],
        [(([2, 6],), f([2, 6]))],
        domain="lists",
    )


def learning_suite() -> tuple[list[Task], list[Task]]:
    """(train, test): short programs that share ``(map (lam (+ $0 k)) $0)``-like parts.

    The base library solves them quickly; compression should turn the shared part
    into a function that makes the held-out tasks cheaper.
    """
    train = [affine_task(f"add {k}", k, 1) for k in (1, 2, 3, 4)]
    train += [affine_task(f"times {m}", 0, m) for m in (2, 3)]
    test = [affine_task("add 5", 5, 1), affine_task("times 4", 0, 4)]
    return train, test
