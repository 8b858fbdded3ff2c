"""Short programs of the domain that solve ARC-AGI-1 training tasks (train and test pairs).

Each program was found by a small value-based search over the training split; the
test pins down the primitives' behaviour on real data (backgrounds, separators,
symmetries), so that a change that breaks one of them fails here.
"""

from __future__ import annotations

import pytest
from arc_helpers import run

from hylo.domains.arc import arc_tasks
from hylo.domains.task import Task

SOLVED = {
    "007bbfb7": "fractal",
    "0dfd9992": "(lam (complete $0 c0))",
    "11852cab": "sym-complete",
    "1f876c06": "connect-diag",
    "2013d3e2": "(lam (left-half (top-half (crop $0))))",
    "22eb0ac0": "connect",
    "2dc579da": "(lam (overlay-all (split-sep $0)))",
    "3631a71a": "(lam (complete $0 c9))",
    "3906de3d": "(lam (gravity $0 up))",
    "4347f46a": "(lam (fill-interior $0 c0))",
    "5582e5ca": "(lam (blank $0 (majority-color $0)))",
    "88a62173": "(lam (pick-unique (split-sep $0)))",
    "9ecd008a": "(lam (masked-patch $0 c0))",
    "a5313dff": "(lam (fill-enclosed $0 c1))",
    "b91ae062": "(lam (upscale $0 (num-colors $0)))",
    "c909285e": "(lam (crop-color $0 (least-color $0)))",
    "d037b0a7": "(lam (extend $0 down))",
    "e3497940": "(lam (left-half (sym-lr $0)))",
    "ea786f4a": "(lam (sym-both (extend $0 up-left)))",
    "f25fbde4": "(lam (crop (upscale $0 2)))",
}


@pytest.fixture(scope="module")
def tasks() -> dict[str, Task]:
    return {t.name: t for t in arc_tasks("training")}


@pytest.mark.parametrize(("name", "program"), SOLVED.items())
def test_program_solves_training_task(tasks: dict[str, Task], name: str, program: str) -> None:
    task = tasks[name]
    for e in task.train + task.test:
        assert run(program, *e.inputs) == e.output
