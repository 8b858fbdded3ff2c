"""Task files: type inference from values, loading, validation messages, round trips."""

from __future__ import annotations

import doctest
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hylo.domains import task as task_module
from hylo.domains.task import (
    Task,
    TaskFormatError,
    infer_task_type,
    infer_value_type,
    load_task,
    load_tasks,
    make_task,
    save_task,
    task_from_json,
    task_to_json,
)
from hylo.lang.errors import HyloError
from hylo.lang.types import parse_type, show_type

DATA = Path(__file__).parent.parent / "data" / "tasks"


def same_task(a: Task, b: Task) -> bool:
    def pairs(t: Task) -> list[Any]:
        return [[(e.inputs, e.output) for e in ex] for ex in (t.train, t.test)]

    return (
        a.name == b.name
        and a.request == b.request
        and a.domain == b.domain
        and a.metadata == b.metadata
        and pairs(a) == pairs(b)
    )


def write(tmp_path: Path, obj: Any, name: str = "bad_task.json") -> Path:
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return path


# --- inference -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, "int"),
        (True, "bool"),  # a bool is an int in Python, not in a task
        (False, "bool"),
        ("abc", "str"),
        ([], "list(t0)"),
        ([1, 2], "list(int)"),
        ([True], "list(bool)"),
        ([[]], "list(list(t0))"),
        ([[], [1]], "list(list(int))"),
        ([[], [[]], [[True]]], "list(list(list(bool)))"),
    ],
)
def test_infer_value_type(value: Any, expected: str) -> None:
    assert show_type(infer_value_type(value)) == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (1.5, "float"),
        (None, "null"),
        ({"a": 1}, "object"),
        ((1, 2), "tuple"),
        ([1, True], "mixes int and bool"),
        ([[1], [True]], "mixes list(int) and list(bool)"),
        ([[1], 2], "mixes list(int) and int"),
    ],
)
def test_infer_value_type_rejects(value: Any, fragment: str) -> None:
    with pytest.raises(TaskFormatError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        infer_value_type(value)


def test_task_format_error_is_a_hylo_value_error() -> None:
    assert issubclass(TaskFormatError, HyloError)
    assert issubclass(TaskFormatError, ValueError)


def test_infer_task_type_unifies_across_examples() -> None:
    examples = [(([],), []), (([[]],), []), (([[1]],), [True])]
    assert show_type(infer_task_type(examples)) == "list(list(int)) -> list(bool)"


def test_infer_task_type_defaults_unresolved_elements_to_int() -> None:
    assert show_type(infer_task_type([(([],), []), (([],), [[]])])) == (
        "list(int) -> list(list(int))"
    )


def test_infer_task_type_multi_argument() -> None:
    t = infer_task_type([((1, [2]), [2]), ((0, []), [])])
    assert show_type(t) == "int -> list(int) -> list(int)"


def test_infer_task_type_accepts_examples() -> None:
    task = make_task("t", parse_type("int -> bool"), [((1,), True)])
    assert show_type(infer_task_type(task.train)) == "int -> bool"


@pytest.mark.parametrize(
    ("examples", "fragment"),
    [
        ([], "no examples"),
        ([((), 1)], "no inputs"),
        ([((1,), 1), ((1, 2), 1)], "example 2 has 2 inputs"),
        ([((1,), 1), ((True,), 1)], "example 2: input true is bool but earlier examples give int"),
        ([((1,), [1]), ((2,), [[]])], "example 2: output"),
        ([((1,), 1.5)], "example 1: output: unsupported value 1.5"),
    ],
)
def test_infer_task_type_rejects(examples: Any, fragment: str) -> None:
    with pytest.raises(TaskFormatError) as info:
        infer_task_type(examples)
    assert fragment in str(info.value)


# --- loading ---------------------------------------------------------------------------


def test_arc_style_file_loads() -> None:
    task = load_task(DATA / "arc_style.json")
    assert task.name == "arc_style"
    assert show_type(task.request) == "grid -> grid"  # grids of colours 0-9: an ARC task
    assert (len(task.train), len(task.test)) == (2, 1)
    assert task.train[0].inputs[0].to_lists() == [[0, 1], [1, 0]]
    assert task.test[0].output.to_lists() == [[3], [0]]
    assert task.domain == "arc"
    assert task.metadata == {}


def test_multi_argument_file_loads() -> None:
    task = load_task(str(DATA / "multi_arg.json"))
    assert task.name == "take"
    assert task.domain == "lists"
    assert task.num_args == 2
    assert task.train[0].inputs == (2, [5, 6, 7])
    assert task.train[2].inputs == (1, [])
    assert task.test[0].output == [9, 8, 7]


def test_single_argument_list_input_is_one_value() -> None:
    task = task_from_json(
        {"type": "list(int) -> int", "train": [{"input": [1, 2, 3], "output": 3}]}
    )
    assert task.train[0].inputs == ([1, 2, 3],)
    assert task.name == "<task>"


def test_type_is_inferred_from_train_and_test() -> None:
    task = task_from_json(
        {"train": [{"input": [], "output": []}], "test": [{"input": [True], "output": []}]},
        "dir/t.json",
    )
    assert show_type(task.request) == "list(bool) -> list(int)"
    assert task.name == "t"


def test_polymorphic_type_is_checked_per_example() -> None:
    train: list[Any] = [{"input": [1, 2], "output": [2, 1]}, {"input": [True], "output": [True]}]
    obj = {"type": "list(a) -> list(a)", "train": train}
    assert show_type(task_from_json(obj).request) == "list(t0) -> list(t0)"
    train.append({"input": [1], "output": [True]})
    with pytest.raises(TaskFormatError, match="train example 3: output"):
        task_from_json(obj)


def test_unknown_keys_are_kept_in_metadata() -> None:
    task = task_from_json(
        {"train": [{"input": 1, "output": 1}], "metadata": {"a": 1}, "source": "me"}
    )
    assert task.metadata == {"a": 1, "source": "me"}


def test_load_tasks_from_directory_sorted(tmp_path: Path) -> None:
    for name in ("b", "a", "c"):
        write(tmp_path, {"train": [{"input": 1, "output": 2}]}, f"{name}.json")
    (tmp_path / "notes.txt").write_text("not a task")
    assert [t.name for t in load_tasks(tmp_path)] == ["a", "b", "c"]
    assert [t.name for t in load_tasks(tmp_path / "b.json")] == ["b"]


def test_load_tasks_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(TaskFormatError, match=r"no \*\.json task files"):
        load_tasks(tmp_path)


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_task(tmp_path / "nope.json")


# --- malformed files: each message names the file, the place, and the fix ------------

MALFORMED: list[tuple[str, Any, list[str]]] = [
    ("invalid json", '{"train": [\n  {"input": 1,, }]}', ["invalid JSON", "line 2, column"]),
    ("not an object", "[1, 2]", ["expected a JSON object", "got a list"]),
    ("null", "null", ["got null"]),
    ("missing train", {"test": []}, ['missing "train"']),
    ("dreamcoder", {"name": "x", "examples": []}, ['missing "train"', "load_dreamcoder_tasks"]),
    ("dreamcoder list", '[{"name": "x", "examples": []}]', ["load_dreamcoder_tasks"]),
    ("train not list", {"train": {"input": 1}}, ['"train" must be a list', "got an object"]),
    ("empty train", {"train": []}, ['"train" is empty']),
    ("example not object", {"train": [{"input": 1, "output": 1}, 5]}, ["train example 2 is"]),
    (
        "missing input",
        {"train": [{"input": 1, "output": 1}, {"i": 1, "output": 1}]},
        ['train example 2 has no "input"', "keys found: ['i', 'output']"],
    ),
    (
        "missing output",
        {"train": [{"input": 1, "output": 1}], "test": [{"input": 1}]},
        ['test example 1 has no "output"'],
    ),
    (
        "too few arguments",
        {
            "type": "int -> int -> int",
            "train": [{"input": [1, 2], "output": 3}, {"input": [1], "output": 1}],
        },
        ["train example 2", "list of 2 arguments", "got a list of 1"],
    ),
    (
        "arguments not a list",
        {"type": "int -> int -> int", "train": [{"input": 1, "output": 1}]},
        ["train example 1", "list of 2 arguments", "got an int"],
    ),
    (
        "value does not fit type",
        {"type": "int -> int", "train": [{"input": 1, "output": 1}, {"input": 2, "output": True}]},
        ["train example 2: output true is bool but type int -> int needs int", '"type"'],
    ),
    (
        "argument does not fit type",
        {
            "type": "int -> list(int) -> int",
            "test": [{"input": [1, [True]], "output": 1}],
            "train": [{"input": [1, [2]], "output": 1}],
        },
        ["test example 1: input 2 [true] is list(bool)", "needs list(int)"],
    ),
    (
        "inconsistent inferred types",
        {"train": [{"input": [1], "output": 1}, {"input": [[1]], "output": 1}]},
        ["train example 2: input [[1]] is list(list(int))", 'give the task a "type"'],
    ),
    (
        "bad type text",
        {"type": "list(int -> ", "train": [{"input": 1, "output": 1}]},
        ['"type"', "does not parse"],
    ),
    ("bad type char", {"type": "int => int", "train": [{"input": 1, "output": 1}]}, ["parse"]),
    ("type not string", {"type": ["int"], "train": [{"input": 1, "output": 1}]}, ["string"]),
    (
        "type not function",
        {"type": "int", "train": [{"input": 1, "output": 1}]},
        ["not a function type"],
    ),
    (
        "mixed list",
        {"train": [{"input": 1, "output": 1}, {"input": [1, False], "output": 1}]},
        ["train example 2: input: list [1, false] mixes int and bool"],
    ),
    (
        "float",
        {"train": [{"input": [1.5], "output": 1}]},
        ["train example 1: input: unsupported value 1.5 (a float)"],
    ),
    ("name not string", {"name": 3, "train": [{"input": 1, "output": 1}]}, ['"name"']),
    ("metadata not object", {"metadata": [], "train": [{"input": 1, "output": 1}]}, ["metadata"]),
]


@pytest.mark.parametrize(("case", "content", "fragments"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_file(tmp_path: Path, case: str, content: Any, fragments: list[str]) -> None:
    path = write(tmp_path, content)
    with pytest.raises(TaskFormatError) as info:
        load_task(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    for fragment in fragments:
        assert fragment in message, message
    assert info.value.__cause__ is None or isinstance(info.value.__cause__, HyloError)


def test_type_parse_error_is_wrapped() -> None:
    # "ends early" comes from hylo.lang's ParseError, surfaced inside TaskFormatError
    with pytest.raises(TaskFormatError, match=r"<task>: .*ends early"):
        task_from_json({"type": "int ->", "train": [{"input": 1, "output": 1}]})


# --- saving ----------------------------------------------------------------------------

ROUND_TRIP = [
    make_task("inc", parse_type("int -> int"), [((1,), 2), ((5,), 6)], [((0,), 1)]),
    make_task(
        "take",
        parse_type("int -> list(int) -> list(int)"),
        [((2, [5, 6, 7]), [5, 6]), ((1, []), [])],
        domain="lists",
    ),
    make_task("rev", parse_type("list(a) -> list(a)"), [(([1, 2],), [2, 1]), (([],), [])]),
    make_task("grid", parse_type("list(list(int)) -> bool"), [(([[1], [2, 3]],), True)]),
    make_task("words", parse_type("str -> list(str)"), [(("a b",), ["a", "b"])]),
    Task(
        "meta",
        parse_type("bool -> bool"),
        task_from_json({"train": [{"input": True, "output": False}]}).train,
        metadata={"family": "not", "k": [1, 2]},
    ),
]


@pytest.mark.parametrize("task", ROUND_TRIP, ids=[t.name for t in ROUND_TRIP])
def test_round_trip(tmp_path: Path, task: Task) -> None:
    path = tmp_path / f"{task.name}.json"
    save_task(task, path)
    assert same_task(load_task(path), task)
    assert same_task(task_from_json(task_to_json(task)), task)


def test_loaded_files_round_trip(tmp_path: Path) -> None:
    for source in sorted(DATA.glob("*.json")):
        task = load_task(source)
        save_task(task, tmp_path / source.name)
        assert same_task(load_task(tmp_path / source.name), task)


def test_saved_file_has_one_example_per_line(tmp_path: Path) -> None:
    task = load_task(DATA / "arc_style.json")
    save_task(task, tmp_path / "out.json")
    lines = (tmp_path / "out.json").read_text().splitlines()
    assert '"type": "grid -> grid"' in lines[2]
    assert sum('"input"' in line for line in lines) == 3
    assert json.loads((tmp_path / "out.json").read_text()) == task_to_json(task)


def test_task_to_json_rejects_unsaveable_values() -> None:
    task = make_task("t", parse_type("int -> int"), [((1.5,), 2)])
    with pytest.raises(TaskFormatError, match=r"task 't': cannot save float value 1\.5"):
        task_to_json(task)


def test_save_rejects_non_json_metadata(tmp_path: Path) -> None:
    task = Task("t", parse_type("int -> int"), (), metadata={"f": object()})
    with pytest.raises(TaskFormatError, match="metadata is not JSON"):
        save_task(task, tmp_path / "t.json")


values = st.recursive(
    st.integers(-1000, 1000),
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(values, values), min_size=1, max_size=4))
def test_inferred_type_accepts_its_own_examples(pairs: list[tuple[Any, Any]]) -> None:
    obj = {"train": [{"input": i, "output": o} for i, o in pairs]}
    try:
        task = task_from_json(obj)
    except TaskFormatError:
        return  # values whose shapes disagree; the message is tested above
    again = task_from_json(task_to_json(task))
    assert same_task(again, task)
    assert again.request == task.request


def test_doctests() -> None:
    assert doctest.testmod(task_module).failed == 0
