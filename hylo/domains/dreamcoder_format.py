"""DreamCoder's list-task format, and the 217 list tasks that ship with hylo.

A DreamCoder file is a JSON list of tasks, each
``{"name": ..., "type": {"input": "list-of-int", "output": "int"},
"examples": [{"i": [1, 7], "o": 8}, ...]}``. Each task's first ``num_train``
examples become its training examples, the rest its held-out test examples.

>>> tasks = bundled_list_tasks()
>>> len(tasks), tasks[0]
(217, Task('add-k with k=0': list(int) -> list(int), 10 train, 5 test))
>>> tasks[0].train[1].inputs, tasks[0].train[1].output
(([1, 7, 1, 10, 1],), [1, 7, 1, 10, 1])
>>> len(bundled_list_tasks("train")), len(bundled_list_tasks("test"))
(136, 81)
>>> from hylo.lang.types import show_type
>>> show_type(dreamcoder_type("list-of-bool"))
'list(bool)'
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import as_file, files
from os import PathLike
from typing import Any, Literal

from hylo.domains.task import Example, Task, TaskFormatError, check_example, read_json
from hylo.lang.types import BOOL, INT, Type, arrow, list_of

DOMAIN = "lists"
TASKS_FILE = "dreamcoder_list_tasks.json"
SPLIT_FILE = "dreamcoder_split.json"

_BASE_TYPES: dict[str, Type] = {"int": INT, "bool": BOOL}
_LIST_PREFIX = "list-of-"


def dreamcoder_type(name: str) -> Type:
    """hylo's type for a DreamCoder type name: ``list-of-int`` is ``list(int)``."""
    if not isinstance(name, str):
        raise TaskFormatError(f"a DreamCoder type name is a string, got {name!r}")
    if name in _BASE_TYPES:
        return _BASE_TYPES[name]
    if name.startswith(_LIST_PREFIX):
        return list_of(dreamcoder_type(name[len(_LIST_PREFIX) :]))
    raise TaskFormatError(
        f"unknown DreamCoder type {name!r}; known: int, bool, list-of-<type> (e.g. list-of-int)"
    )


def load_dreamcoder_tasks(path: str | PathLike[str], num_train: int = 10) -> list[Task]:
    """Read a DreamCoder list-task file; the first ``num_train`` examples of each are train."""
    return dreamcoder_tasks_from_json(read_json(path), str(path), num_train)


def dreamcoder_tasks_from_json(obj: Any, source: str, num_train: int = 10) -> list[Task]:
    """Tasks from a parsed DreamCoder file; errors start with ``source`` and the task."""
    if num_train < 1:
        raise ValueError(f"num_train must be at least 1, got {num_train}")
    if not isinstance(obj, list):
        raise TaskFormatError(
            f"{source}: a DreamCoder task file is a JSON list of tasks, got {type(obj).__name__}"
        )
    tasks: list[Task] = []
    seen: set[str] = set()
    for k, item in enumerate(obj, 1):
        try:
            task = _task(item, num_train)
        except TaskFormatError as e:
            raise TaskFormatError(f"{source}: task {k}{_name_of(item)}: {e}") from None
        if task.name in seen:
            raise TaskFormatError(f"{source}: task {k}: a second task is named {task.name!r}")
        seen.add(task.name)
        tasks.append(task)
    return tasks


def _name_of(item: Any) -> str:
    name = item.get("name") if isinstance(item, dict) else None
    return f" ({name!r})" if isinstance(name, str) else ""


def _task(item: Any, num_train: int) -> Task:
    if not isinstance(item, dict):
        raise TaskFormatError('expected {"name": ..., "type": ..., "examples": [...]}')
    for key in ("name", "type", "examples"):
        if key not in item:
            raise TaskFormatError(f'missing "{key}"')
    name = item["name"]
    if not isinstance(name, str):
        raise TaskFormatError(f'"name" must be a string, got {name!r}')
    request = _request(item["type"])
    examples = _examples(item["examples"], request)
    return Task(
        name=name,
        request=request,
        train=tuple(examples[:num_train]),
        test=tuple(examples[num_train:]),
        domain=DOMAIN,
        metadata={"family": name.split(" with ")[0]},
    )


def _request(spec: Any) -> Type:
    if not isinstance(spec, dict) or "input" not in spec or "output" not in spec:
        raise TaskFormatError(
            f'"type" must be {{"input": "list-of-int", "output": "int"}}, got {spec!r}'
        )
    return arrow(dreamcoder_type(spec["input"]), dreamcoder_type(spec["output"]))


def _examples(items: Any, request: Type) -> list[Example]:
    if not isinstance(items, list) or not items:
        raise TaskFormatError('"examples" must be a non-empty list of {"i": ..., "o": ...}')
    out: list[Example] = []
    for j, ex in enumerate(items, 1):
        label = f"example {j}"
        if not isinstance(ex, dict) or "i" not in ex or "o" not in ex:
            raise TaskFormatError(f'{label} must be {{"i": input, "o": output}}, got {ex!r:.60}')
        check_example(label, (ex["i"],), ex["o"], request)
        out.append(Example((ex["i"],), ex["o"]))
    return out


def load_split(path: str | PathLike[str]) -> dict[str, list[str]]:
    """Read a task split file: ``{"train": [names], "test": [names], ...}``.

    Entries that are not lists (such as ``"about"``) are skipped; ``train`` and ``test``
    are required and must not share a task.
    """
    return split_from_json(read_json(path), str(path))


def split_from_json(obj: Any, source: str) -> dict[str, list[str]]:
    """The named lists of task names in a parsed split file (see :func:`load_split`)."""
    if not isinstance(obj, dict):
        raise TaskFormatError(
            f'{source}: a split is a JSON object {{"train": [...], "test": [...]}}'
        )
    split = {k: v for k, v in obj.items() if isinstance(v, list)}
    for key in ("train", "test"):
        if key not in split:
            raise TaskFormatError(f'{source}: missing the list "{key}" of task names')
    for key, names in split.items():
        if not all(isinstance(n, str) for n in names):
            raise TaskFormatError(f'{source}: "{key}" must be a list of task names (strings)')
    shared = sorted(set(split["train"]) & set(split["test"]))
    if shared:
        raise TaskFormatError(f"{source}: tasks in both train and test: {shared[:5]}")
    return split


def _bundled(name: str) -> Any:
    with as_file(files("hylo") / "data" / "lists" / name) as p:
        return read_json(p)


def bundled_split() -> dict[str, list[str]]:
    """The fixed train/test split of the bundled list tasks (for library learning)."""
    return split_from_json(_bundled(SPLIT_FILE), f"hylo/data/lists/{SPLIT_FILE}")


def bundled_list_tasks(split: Literal["all", "train", "test"] = "all") -> list[Task]:
    """DreamCoder's 217 list tasks (10 train + 5 test examples each), in file order.

    ``split`` picks the tasks a learner may learn from (``"train"``) or those kept for
    measuring transfer (``"test"``).
    """
    if split not in ("all", "train", "test"):
        raise ValueError(f"split must be 'all', 'train' or 'test', got {split!r}")
    tasks = dreamcoder_tasks_from_json(_bundled(TASKS_FILE), f"hylo/data/lists/{TASKS_FILE}")
    if split == "all":
        return tasks
    return _select(tasks, bundled_split()[split])


def _select(tasks: Sequence[Task], names: Sequence[str]) -> list[Task]:
    known = {t.name for t in tasks}
    missing = [n for n in names if n not in known]
    if missing:
        raise TaskFormatError(f"split names tasks that do not exist: {missing[:5]}")
    wanted = set(names)
    return [t for t in tasks if t.name in wanted]
