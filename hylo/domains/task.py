"""Tasks: a few input/output examples and the type of the function they show.

A :class:`Task` holds training examples (to search with) and test examples (held
out, to check that a program generalises). Each example's ``inputs`` is a tuple
with one value per argument of the task's type.

Tasks are stored as JSON, one task per file, in the format ARC uses, extended with an
optional name, type and domain (see :func:`task_from_json`)::

    {"name": "sum", "type": "list(int) -> int",
     "train": [{"input": [1, 2], "output": 3}], "test": [{"input": [], "output": 0}]}
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import count
from os import PathLike
from pathlib import Path, PurePath
from typing import Any

from hylo.lang.errors import HyloError, ParseError, UnificationError
from hylo.lang.types import (
    BOOL,
    INT,
    Substitution,
    TCon,
    TVar,
    Type,
    apply,
    arguments,
    arrow,
    free_vars,
    generalize,
    is_ground,
    list_of,
    max_var_id,
    parse_type,
    rename,
    return_type,
    show_type,
    unify,
)


@dataclass(frozen=True, eq=False)
class Example:
    """One input/output pair; ``inputs`` has one value per argument."""

    inputs: tuple[Any, ...]
    output: Any


@dataclass(frozen=True, eq=False)
class Task:
    """A named problem: ``request`` is the function type, e.g. ``list(int) -> list(int)``."""

    name: str
    request: Type
    train: tuple[Example, ...]
    test: tuple[Example, ...] = ()
    domain: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def num_args(self) -> int:
        return len(arguments(self.request))

    def __repr__(self) -> str:
        return (
            f"Task({self.name!r}: {show_type(self.request)}, "
            f"{len(self.train)} train, {len(self.test)} test)"
        )


def make_task(
    name: str,
    request: Type,
    train: Sequence[tuple[Sequence[Any], Any]],
    test: Sequence[tuple[Sequence[Any], Any]] = (),
    domain: str | None = None,
) -> Task:
    """Build a task from ``(inputs, output)`` pairs, ``inputs`` a sequence of arguments."""
    return Task(
        name,
        request,
        tuple(Example(tuple(i), o) for i, o in train),
        tuple(Example(tuple(i), o) for i, o in test),
        domain,
    )


# --- task files ------------------------------------------------------------------------

STR = TCon("str")

_FORMAT = '{"train": [{"input": ..., "output": ...}, ...], "test": [...]}'
_DREAMCODER_HINT = (
    " (this looks like DreamCoder's format: load it with "
    "hylo.domains.dreamcoder_format.load_dreamcoder_tasks)"
)
_KNOWN_KEYS = {"name", "type", "domain", "train", "test", "metadata"}


class TaskFormatError(HyloError, ValueError):
    """A task file or task JSON object that hylo cannot read; the message says where and why."""


def infer_value_type(value: Any) -> Type:
    """The type of a JSON-like value: ``int``, ``bool``, ``str`` or ``list(...)`` of them.

    An empty list has a variable element type: ``infer_value_type([])`` is ``list(t0)``.
    """
    return generalize(_value_type(value, count()))


def _value_type(value: Any, fresh: Iterator[int]) -> Type:
    # bool before int: True is an int in Python but a bool in a task
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, str):
        return STR
    if isinstance(value, list):
        return _list_type(value, fresh)
    raise TaskFormatError(
        f"unsupported value {_preview(value)} ({_kind(value)}); task values are ints, "
        "bools, strings and lists of them"
    )


def _list_type(items: list[Any], fresh: Iterator[int]) -> Type:
    elem: Type | None = None
    s: Substitution = {}
    for i, item in enumerate(items):
        t = _value_type(item, fresh)
        if elem is None:
            elem = t
        elif t != elem or not is_ground(t):  # equal ground types (the usual case) need no unify
            try:
                s = unify(elem, t, s)
            except UnificationError:
                raise TaskFormatError(
                    f"list {_preview(items)} mixes {_show(apply(elem, s))} and {_show(t)} "
                    f"(at index {i}); all elements of a list must have one type"
                ) from None
            elem = apply(elem, s)
    return list_of(TVar(next(fresh)) if elem is None else elem)


def infer_task_type(examples: Iterable[Example | tuple[Sequence[Any], Any]]) -> Type:
    """The function type shown by ``(inputs, output)`` examples, e.g. ``list(int) -> int``.

    Types are unified across examples; an element type that no example fixes (every
    list empty) defaults to ``int``.

    >>> show_type(infer_task_type([(([1, 2],), 3), (([],), 0)]))
    'list(int) -> int'
    """
    labeled = [(f"example {i}", *_pair(e)) for i, e in enumerate(examples, 1)]
    return _infer_request(labeled)


def _pair(e: Example | tuple[Sequence[Any], Any]) -> tuple[tuple[Any, ...], Any]:
    if isinstance(e, Example):
        return e.inputs, e.output
    return tuple(e[0]), e[1]


_Labeled = tuple[str, tuple[Any, ...], Any]


def _infer_request(examples: Sequence[_Labeled]) -> Type:
    if not examples:
        raise TaskFormatError("no examples to infer a type from")
    arity = len(examples[0][1])
    if arity == 0:
        raise TaskFormatError(f"{examples[0][0]} has no inputs; a task is a function of inputs")
    fresh = count()
    slots: list[Type] = []
    s: Substitution = {}
    for label, inputs, output in examples:
        if len(inputs) != arity:
            raise TaskFormatError(
                f"{label} has {len(inputs)} inputs but earlier examples have {arity}"
            )
        values = [*inputs, output]
        types = [_typed(label, _slot_name(k, arity), v, fresh) for k, v in enumerate(values)]
        if not slots:
            slots = types
            continue
        for k, (known, t) in enumerate(zip(slots, types, strict=True)):
            try:
                s = unify(known, t, s)
            except UnificationError:
                raise TaskFormatError(
                    f"{label}: {_slot_name(k, arity)} {_preview(values[k])} is {_show(t)} but "
                    f"earlier examples give {_show(apply(known, s))}; every example must have "
                    'the same types (or give the task a "type")'
                ) from None
    request = arrow(*(apply(t, s) for t in slots))
    return generalize(rename(request, {v: INT for v in free_vars(request)}))


def _slot_name(k: int, arity: int) -> str:
    if k == arity:
        return "output"
    return "input" if arity == 1 else f"input {k + 1}"


def _typed(label: str, what: str, value: Any, fresh: Iterator[int]) -> Type:
    try:
        return _value_type(value, fresh)
    except TaskFormatError as e:
        raise TaskFormatError(f"{label}: {what}: {e}") from None


def check_example(label: str, inputs: tuple[Any, ...], output: Any, request: Type) -> None:
    """Raise :class:`TaskFormatError` (naming ``label``) unless the values fit ``request``."""
    arity = len(arguments(request))
    if len(inputs) != arity:
        raise TaskFormatError(
            f"{label} has {len(inputs)} inputs but type {_show(request)} takes {arity}"
        )
    fresh = count(max_var_id(request) + 1)
    s: Substitution = {}
    expected = [*arguments(request), return_type(request)]
    for k, (value, want) in enumerate(zip([*inputs, output], expected, strict=True)):
        what = _slot_name(k, arity)
        got = _typed(label, what, value, fresh)
        try:
            s = unify(want, got, s)
        except UnificationError:
            raise TaskFormatError(
                f"{label}: {what} {_preview(value)} is {_show(got)} but type "
                f"{_show(request)} needs {_show(apply(want, s))}; fix the value or the "
                '"type" field'
            ) from None


def task_from_json(obj: Any, source: str = "<task>") -> Task:
    """Build a task from a parsed JSON object (hylo's format, which ARC's files also fit).

    ``{"train": [{"input": ..., "output": ...}, ...], "test": [...], "name"?: str,
    "type"?: "list(int) -> int", "domain"?: str, "metadata"?: {...}}``. With a ``type``
    of several arguments, each ``input`` is the list of arguments; without ``type``, the
    task has one argument and its type is inferred. ``name`` defaults to the stem of
    ``source``; unknown keys are kept in ``metadata``. Examples are counted from 1 in
    error messages, which start with ``source``.

    >>> t = task_from_json({"train": [{"input": [1, 2], "output": 2}]}, "len.json")
    >>> t
    Task('len': list(int) -> int, 1 train, 0 test)
    """
    try:
        return _task_from_json(obj, source)
    except TaskFormatError as e:
        raise TaskFormatError(f"{source}: {e}") from None


def _task_from_json(obj: Any, source: str) -> Task:
    if not isinstance(obj, dict):
        hint = _DREAMCODER_HINT if _looks_dreamcoder(obj) else ""
        raise TaskFormatError(f"expected a JSON object {_FORMAT}, got {_kind(obj)}{hint}")
    if "train" not in obj:
        hint = _DREAMCODER_HINT if "examples" in obj else ""
        raise TaskFormatError(f'missing "train"; a task is {_FORMAT}{hint}')
    if _may_be_arc(obj):
        # Lazy: the ARC domain loads numpy and scipy, which list tasks do not need.
        from hylo.domains.arc.tasks import arc_task_from_json, is_arc_json

        if is_arc_json(obj):
            return arc_task_from_json(obj, _optional_str(obj, "name") or PurePath(source).stem)
    train = _raw_examples(obj, "train")
    if not train:
        raise TaskFormatError('"train" is empty; give at least one example')
    test = _raw_examples(obj, "test") if "test" in obj else []
    type_text = obj.get("type")
    if type_text is None:
        labeled = [(label, (raw,), out) for label, raw, out in train + test]
        request = _infer_request(labeled)
    else:
        request = _parse_request(type_text)
        labeled = [
            (label, _split_inputs(label, raw, request), out) for label, raw, out in train + test
        ]
        for label, inputs, output in labeled:
            check_example(label, inputs, output, request)
    examples = [Example(inputs, output) for _, inputs, output in labeled]
    return Task(
        name=_optional_str(obj, "name") or PurePath(source).stem,
        request=request,
        train=tuple(examples[: len(train)]),
        test=tuple(examples[len(train) :]),
        domain=_optional_str(obj, "domain"),
        metadata=_metadata(obj),
    )


def _may_be_arc(obj: dict[str, Any]) -> bool:
    """A cheap first look: says ARC, or the first input is a list of lists (a grid?)."""
    if obj.get("domain") == "arc" or obj.get("type") == "grid -> grid":
        return True
    train = obj["train"]
    first = train[0] if isinstance(train, list) and train else None
    rows = first.get("input") if isinstance(first, dict) else None
    return isinstance(rows, list) and bool(rows) and isinstance(rows[0], list)


def _looks_dreamcoder(obj: Any) -> bool:
    return isinstance(obj, list) and bool(obj) and isinstance(obj[0], dict) and "examples" in obj[0]


def _raw_examples(obj: dict[str, Any], key: str) -> list[tuple[str, Any, Any]]:
    items = obj[key]
    if not isinstance(items, list):
        raise TaskFormatError(
            f'"{key}" must be a list of {{"input": ..., "output": ...}} objects, got {_kind(items)}'
        )
    out = []
    for i, item in enumerate(items, 1):
        label = f"{key} example {i}"
        if not isinstance(item, dict):
            raise TaskFormatError(
                f'{label} is {_kind(item)}; write it as {{"input": ..., "output": ...}}'
            )
        for field_name in ("input", "output"):
            if field_name not in item:
                raise TaskFormatError(
                    f'{label} has no "{field_name}"; each example is '
                    f'{{"input": ..., "output": ...}} (keys found: {sorted(item)})'
                )
        out.append((label, item["input"], item["output"]))
    return out


def _parse_request(text: Any) -> Type:
    if not isinstance(text, str):
        raise TaskFormatError(f'"type" must be a string like "list(int) -> int", got {_kind(text)}')
    try:
        request = parse_type(text)
    except ParseError as e:
        raise TaskFormatError(
            f'"type" {text!r} does not parse ({e}); write it like "list(int) -> int"'
        ) from None
    if not arguments(request):
        raise TaskFormatError(
            f'"type" {text!r} is not a function type; write it as '
            '"input types -> output type", e.g. "list(int) -> int"'
        )
    return request


def _split_inputs(label: str, raw: Any, request: Type) -> tuple[Any, ...]:
    arity = len(arguments(request))
    if arity == 1:
        return (raw,)
    if not isinstance(raw, list) or len(raw) != arity:
        got = f"a list of {len(raw)}" if isinstance(raw, list) else _kind(raw)
        raise TaskFormatError(
            f'{label}: "input" must be a list of {arity} arguments for type '
            f"{_show(request)}, got {got}: {_preview(raw)}"
        )
    return tuple(raw)


def _optional_str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise TaskFormatError(f'"{key}" must be a string, got {_kind(value)}')
    return value


def _metadata(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata", {})
    if not isinstance(meta, dict):
        raise TaskFormatError(f'"metadata" must be a JSON object, got {_kind(meta)}')
    extra = {k: v for k, v in obj.items() if k not in _KNOWN_KEYS}
    return {**meta, **extra}


def read_json(path: str | PathLike[str]) -> Any:
    """Parse a JSON file; bad JSON raises :class:`TaskFormatError` with line and column."""
    p = Path(path)
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise TaskFormatError(
            f"{p}: invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}"
        ) from None
    except UnicodeDecodeError as e:
        raise TaskFormatError(f"{p}: not UTF-8 text ({e.reason} at byte {e.start})") from None


def load_task(path: str | PathLike[str]) -> Task:
    """Read one task file (see :func:`task_from_json`); its name defaults to the file stem."""
    return task_from_json(read_json(path), str(path))


def load_tasks(path: str | PathLike[str]) -> list[Task]:
    """Read a task file, or every ``*.json`` file of a directory in order of name."""
    p = Path(path)
    if not p.is_dir():
        return [load_task(p)]
    files = sorted(p.glob("*.json"))
    if not files:
        raise TaskFormatError(f"{p}: no *.json task files in this directory")
    return [load_task(f) for f in files]


def task_to_json(task: Task) -> dict[str, Any]:
    """The JSON object of ``task``, which :func:`task_from_json` reads back."""
    arity = task.num_args
    if arity == 0:
        raise TaskFormatError(f"task {task.name!r}: type {_show(task.request)} is not a function")
    obj: dict[str, Any] = {"name": task.name, "type": _show(task.request)}
    if task.domain is not None:
        obj["domain"] = task.domain
    obj["train"] = [_example_json(task, e, arity) for e in task.train]
    obj["test"] = [_example_json(task, e, arity) for e in task.test]
    if task.metadata:
        obj["metadata"] = task.metadata
    return obj


def _example_json(task: Task, e: Example, arity: int) -> dict[str, Any]:
    if len(e.inputs) != arity:
        raise TaskFormatError(
            f"task {task.name!r}: an example has {len(e.inputs)} inputs but type "
            f"{_show(task.request)} takes {arity}"
        )
    inputs = [_json_value(task, v) for v in e.inputs]
    return {"input": inputs[0] if arity == 1 else inputs, "output": _json_value(task, e.output)}


def _json_value(task: Task, value: Any) -> Any:
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, list):
        return [_json_value(task, v) for v in value]
    if value is None or hasattr(value, "to_lists"):  # an ARC grid, or an unknown test output
        return None if value is None else value.to_lists()
    raise TaskFormatError(
        f"task {task.name!r}: cannot save {type(value).__name__} value {_preview(value)}; task "
        "files hold ints, bools, strings and lists (convert numpy arrays with .tolist())"
    )


def save_task(task: Task, path: str | PathLike[str]) -> None:
    """Write ``task`` as JSON, one example per line, so that :func:`load_task` reads it back."""
    obj = task_to_json(task)
    try:
        text = _dumps(obj)
    except (TypeError, ValueError) as e:
        raise TaskFormatError(f"task {task.name!r}: metadata is not JSON: {e}") from None
    Path(path).write_text(text, encoding="utf-8")


def _dumps(obj: dict[str, Any]) -> str:
    # One example per line keeps files short and diffs readable (grids stay on one line).
    fields = []
    for key, value in obj.items():
        if key in ("train", "test") and value:
            rows = ",\n".join(f"    {json.dumps(e)}" for e in value)
            fields.append(f"  {json.dumps(key)}: [\n{rows}\n  ]")
        else:
            fields.append(f"  {json.dumps(key)}: {json.dumps(value)}")
    return "{\n" + ",\n".join(fields) + "\n}\n"


def _show(t: Type) -> str:
    return show_type(generalize(t))


def _kind(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "an int"}
    if value is None:
        return "null"
    return kinds.get(type(value), f"a {type(value).__name__}")


def _preview(value: Any, limit: int = 60) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
