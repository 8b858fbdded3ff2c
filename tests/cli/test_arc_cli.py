"""``hylo bench arc``, ``hylo bench DIR`` of ARC files, and ``hylo show``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hylo.cli import app

runner = CliRunner()

FLIP = {
    "train": [
        {"input": [[1, 0, 0], [2, 2, 0]], "output": [[0, 0, 1], [0, 2, 2]]},
        {"input": [[3, 3], [0, 4]], "output": [[3, 3], [4, 0]]},
    ],
    "test": [{"input": [[5, 0, 6]], "output": [[6, 0, 5]]}],
}


def test_bench_a_folder_of_arc_files_writes_arc_fields(tmp_path: Path) -> None:
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "flip.json").write_text(json.dumps(FLIP))
    out = tmp_path / "report.json"
    result = runner.invoke(
        app, ["bench", str(tmp_path / "tasks"), "-t", "5", "-w", "0", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    task = data["tasks"][0]
    assert task["solved"] and task["test_correct"]
    assert task["test_results"] == [True]
    assert task["predictions"][0][0] == [[6, 0, 5]]
    assert task["peak_memory_mb"] is None or task["peak_memory_mb"] > 0
    assert "test examples 1/1" in result.output


def test_bench_arc_runs_named_splits(tmp_path: Path) -> None:
    out = tmp_path / "arc.json"
    args = ["bench", "arc", "--split", "evaluation", "-n", "2", "-t", "0.5", "-w", "0"]
    result = runner.invoke(app, [*args, "--json", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["summary"]["tasks"] == 2
    assert all(len(t["test_results"]) == t["num_test"] for t in data["tasks"])


def test_bench_arc_refuses_list_splits() -> None:
    result = runner.invoke(app, ["bench", "arc", "--split", "train", "-n", "1"])
    assert result.exit_code == 2
    assert "training, evaluation and all" in result.output


def test_show_draws_a_task_and_its_predictions(tmp_path: Path) -> None:
    task = tmp_path / "flip.json"
    task.write_text(json.dumps(FLIP))
    png = tmp_path / "flip.png"
    result = runner.invoke(app, ["show", str(task), "-t", "5", "-o", str(png)])
    assert result.exit_code == 0, result.output
    assert "flip-lr" in result.output and "✓" in result.output
    assert png.read_bytes().startswith(b"\x89PNG")


def test_show_an_unknown_task_is_a_clear_error() -> None:
    result = runner.invoke(app, ["show", "no-such-task-id"])
    assert result.exit_code == 2
    assert "neither a task file nor an ARC-AGI-1 task id" in result.output
