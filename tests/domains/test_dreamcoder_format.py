"""DreamCoder's list-task format and the bundled list tasks."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from hylo.domains.dreamcoder_format import (
    bundled_list_tasks,
    bundled_split,
    dreamcoder_type,
    load_dreamcoder_tasks,
    load_split,
)
from hylo.domains.task import TaskFormatError
from hylo.lang.types import show_type


def dc_task(name: str, n: int = 4, tin: str = "list-of-int", tout: str = "int") -> dict[str, Any]:
    examples = [{"i": list(range(k)), "o": k} for k in range(n)]
    return {"name": name, "type": {"input": tin, "output": tout}, "examples": examples}


def write(tmp_path: Path, obj: Any, name: str = "dc_tasks.json") -> Path:
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return path


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("int", "int"),
        ("bool", "bool"),
        ("list-of-int", "list(int)"),
        ("list-of-bool", "list(bool)"),
        ("list-of-list-of-int", "list(list(int))"),
    ],
)
def test_dreamcoder_type(name: str, expected: str) -> None:
    assert show_type(dreamcoder_type(name)) == expected


@pytest.mark.parametrize("name", ["float", "list-of-", "list", "List-of-int", ""])
def test_dreamcoder_type_unknown(name: str) -> None:
    with pytest.raises(TaskFormatError, match="unknown DreamCoder type"):
        dreamcoder_type(name)


def test_load_splits_examples(tmp_path: Path) -> None:
    path = write(tmp_path, [dc_task("len with k=1", 6), dc_task("sum", 2)])
    first, second = load_dreamcoder_tasks(path, num_train=3)
    assert (first.name, len(first.train), len(first.test)) == ("len with k=1", 3, 3)
    assert first.train[2].inputs == ([0, 1],)
    assert first.test[0].output == 3
    assert (len(second.train), len(second.test)) == (2, 0)
    assert first.domain == "lists"
    assert first.metadata == {"family": "len"}
    assert show_type(first.request) == "list(int) -> int"


def test_num_train_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="num_train"):
        load_dreamcoder_tasks(write(tmp_path, [dc_task("a")]), num_train=0)


MALFORMED: list[tuple[str, Any, list[str]]] = [
    ("invalid json", "[{", ["invalid JSON", "line 1, column 3"]),
    ("not a list", {"name": "a"}, ["JSON list of tasks"]),
    ("task not object", [dc_task("a"), 3], ["task 2", "expected {"]),
    ("missing examples", [dc_task("a"), {"name": "b", "type": {}}], ["task 2 ('b')", '"examples"']),
    ("missing type", [{"name": "b", "examples": []}], ["task 1 ('b')", 'missing "type"']),
    ("name not str", [{**dc_task("a"), "name": 1}], ["task 1", '"name" must be a string']),
    ("type not object", [{**dc_task("a"), "type": "int"}], ['"type" must be {']),
    ("bad type name", [dc_task("a"), dc_task("b", tout="real")], ["task 2 ('b')", "'real'"]),
    ("no examples", [{**dc_task("a"), "examples": []}], ["non-empty list"]),
    (
        "example missing o",
        [dc_task("a"), {**dc_task("b"), "examples": [{"i": [1], "o": 1}, {"i": [2]}]}],
        ["task 2 ('b'): example 2 must be", '"o"'],
    ),
    (
        "value does not fit",
        [dc_task("a"), {**dc_task("b"), "examples": [{"i": [1], "o": 1}, {"i": [2], "o": [2]}]}],
        ["task 2 ('b'): example 2: output [2] is list(int)", "needs int"],
    ),
    ("duplicate names", [dc_task("a"), dc_task("a")], ["task 2", "second task is named 'a'"]),
]


@pytest.mark.parametrize(("case", "content", "fragments"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_dreamcoder_file(
    tmp_path: Path, case: str, content: Any, fragments: list[str]
) -> None:
    path = write(tmp_path, content)
    with pytest.raises(TaskFormatError) as info:
        load_dreamcoder_tasks(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    for fragment in fragments:
        assert fragment in message, message


def test_load_split(tmp_path: Path) -> None:
    path = write(tmp_path, {"about": "x", "train": ["a"], "test": ["b", "c"]})
    assert load_split(path) == {"train": ["a"], "test": ["b", "c"]}


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ([], "JSON object"),
        ({"train": []}, '"test"'),
        ({"train": ["a"], "test": [1]}, "task names"),
        ({"train": ["a", "b"], "test": ["b"]}, "both train and test: ['b']"),
    ],
)
def test_load_split_rejects(tmp_path: Path, content: Any, fragment: str) -> None:
    path = write(tmp_path, content, "split.json")
    with pytest.raises(TaskFormatError) as info:
        load_split(path)
    assert str(info.value).startswith(str(path))
    assert fragment in str(info.value)


# --- the bundled tasks -----------------------------------------------------------------


def test_bundled_tasks() -> None:
    tasks = bundled_list_tasks()
    assert len(tasks) == 217
    assert len({t.name for t in tasks}) == 217
    assert all((len(t.train), len(t.test)) == (10, 5) for t in tasks)
    assert all(t.domain == "lists" for t in tasks)
    assert len({t.metadata["family"] for t in tasks}) == 56
    types = Counter(show_type(t.request) for t in tasks)
    assert types == {
        "list(int) -> list(int)": 150,
        "list(int) -> int": 30,
        "list(int) -> list(bool)": 18,
        "list(int) -> bool": 17,
        "int -> int": 1,
        "int -> list(int)": 1,
    }


def test_bundled_split() -> None:
    names = {t.name for t in bundled_list_tasks()}
    split = bundled_split()
    train, test = set(split["train"]), set(split["test"])
    assert (len(train), len(test)) == (136, 81)
    assert train | test == names
    assert not train & test


def test_bundled_split_selects_tasks() -> None:
    split = bundled_split()
    train = bundled_list_tasks("train")
    test = bundled_list_tasks("test")
    assert {t.name for t in train} == set(split["train"])
    assert {t.name for t in test} == set(split["test"])
    families = {t.metadata["family"] for t in bundled_list_tasks()}
    assert {t.metadata["family"] for t in train} == families


def test_bundled_split_argument_checked() -> None:
    with pytest.raises(ValueError, match="split must be"):
        bundled_list_tasks("valid")  # type: ignore[arg-type]
