"""The ``hylo`` command line: solve, bench, errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hylo import __version__
from hylo.cli import app
from hylo.cli.digits import DigitsBenchConfig
from hylo.lang import HyloError

runner = CliRunner()

ADD_ONE = {
    "name": "add one",
    "type": "list(int) -> list(int)",
    "train": [
        {"input": [1, 2], "output": [2, 3]},
        {"input": [5], "output": [6]},
        {"input": [], "output": []},
        {"input": [0, 9, 3], "output": [1, 10, 4]},
    ],
    "test": [{"input": [7, 7], "output": [8, 8]}, {"input": [4], "output": [5]}],
}
LENGTH = {
    "name": "length",
    "train": [
        {"input": [1, 2], "output": 2},
        {"input": [5], "output": 1},
        {"input": [], "output": 0},
        {"input": [0, 9, 3], "output": 3},
    ],
    "test": [{"input": [7, 7, 1, 1], "output": 4}],
}
SUM = {
    "name": "sum",
    "type": "list(int) -> int",
    "train": [
        {"input": [1, 2], "output": 3},
        {"input": [5], "output": 5},
        {"input": [], "output": 0},
        {"input": [4, 9, 3], "output": 16},
    ],
    "test": [{"input": [7, 7, 1], "output": 15}],
}
# The same input with two outputs: no program fits.
IMPOSSIBLE = {
    "name": "impossible",
    "type": "list(int) -> int",
    "train": [{"input": [1], "output": 1}, {"input": [1], "output": 2}],
}


def write(path: Path, obj: object) -> Path:
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"hylo {__version__}"


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "solve" in result.stdout and "bench" in result.stdout


@pytest.mark.parametrize(
    ("command", "default"),
    [(["learn"], "one per core"), (["bench"], "one per CPU core"), (["show"], "TASK_NAME.png")],
)
def test_help_shows_defaults_written_in_words(command: list[str], default: str) -> None:
    # Rich reads "[default: …]" inside a help text as markup and drops it silently.
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert default in result.stdout


def test_solve_prints_program_and_checks_tests(tmp_path: Path) -> None:
    task = write(tmp_path / "add.json", ADD_ONE)
    result = runner.invoke(app, ["solve", str(task), "--timeout", "30"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "(lam (map (lam (+" in out
    assert "list(int) -> list(int)" in out
    assert "[8, 8]" in out and "all right" in out


def test_solve_json(tmp_path: Path) -> None:
    task = write(tmp_path / "length.json", LENGTH)
    result = runner.invoke(app, ["solve", str(task), "--json", "--top-k", "2"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["solved"] is True and data["test_correct"] is True
    assert data["program"] == "(lam (length $0))"
    assert data["type"] == "list(int) -> int"
    assert data["test"] == [{"input": [7, 7, 1, 1], "expected": 4, "predicted": 4, "correct": True}]
    assert 1 <= len(data["candidates"]) <= 2
    assert isinstance(data["seconds"], float) and isinstance(data["programs"], int)


def test_solve_not_found_exits_1(tmp_path: Path) -> None:
    task = write(tmp_path / "impossible.json", IMPOSSIBLE)
    result = runner.invoke(app, ["solve", str(task), "--timeout", "0.2", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["solved"] is False and data["program"] is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"train": 3}', '"train"'),
        ("{not json", "invalid JSON at line 1"),
        ('{"test": []}', '"train"'),
    ],
)
def test_solve_malformed_task_is_one_clean_line(tmp_path: Path, content: str, message: str) -> None:
    task = tmp_path / "bad.json"
    task.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["solve", str(task)])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:") and "bad.json" in lines[0] and message in lines[0]
    assert "Traceback" not in result.output


def test_solve_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["solve", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert "nope.json" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("workers", [1, 2])
def test_bench_directory_writes_report(tmp_path: Path, workers: int) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    write(suite / "length.json", LENGTH)
    write(suite / "sum.json", SUM)
    out = tmp_path / "out" / "report.json"
    args = ["bench", str(suite), "--timeout", "5", "--workers", str(workers), "--json", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "length" in result.stdout and "summary" in result.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    summary = data["summary"]
    assert (summary["tasks"], summary["solved"], summary["test_correct"]) == (2, 2, 2)
    assert summary["timeout"] == 5.0
    for key in ("programs_per_second", "median_seconds"):
        assert isinstance(summary[key], float)
    assert [t["name"] for t in data["tasks"]] == ["length", "sum"]
    for task in data["tasks"]:
        assert task["solved"] is True and task["test_correct"] is True
        assert isinstance(task["program"], str)
        assert isinstance(task["seconds"], float) and isinstance(task["programs"], int)


def test_bench_limit_and_dreamcoder_file(tmp_path: Path) -> None:
    tasks = [
        {"name": "len", "type": {"input": "list-of-int", "output": "int"},
         "examples": [{"i": [1, 2], "o": 2}, {"i": [], "o": 0}, {"i": [3, 3, 3], "o": 3}]},
        {"name": "other", "type": {"input": "list-of-int", "output": "int"},
         "examples": [{"i": [1], "o": 9}]},
    ]  # fmt: skip
    file = write(tmp_path / "dc.json", tasks)
    out = tmp_path / "r.json"
    args = [
        "bench",
        str(file),
        "--limit",
        "1",
        "--workers",
        "1",
        "--timeout",
        "5",
        "--json",
        str(out),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [t["name"] for t in data["tasks"]] == ["len"]


def test_bench_resume_goes_on_with_the_report(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    write(suite / "length.json", LENGTH)
    out = tmp_path / "r.json"
    args = ["bench", str(suite), "-t", "5", "-w", "0", "--json", str(out), "--resume"]
    fresh = runner.invoke(app, args)
    assert fresh.exit_code == 0, fresh.output
    assert "starting the run from the first task" in fresh.stderr
    assert "warning" not in fresh.stderr
    write(suite / "sum.json", SUM)
    first = json.loads(out.read_text(encoding="utf-8"))
    first["metadata"]["code"] = ["0123456789ab"]  # as if another version had run it
    out.write_text(json.dumps(first), encoding="utf-8")
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "resuming: 1 task(s) already done" in again.stderr
    assert "will mix versions" in again.stderr
    assert "[1/1] sum:" in again.stderr  # only the new task ran
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [t["name"] for t in data["tasks"]] == ["length", "sum"]
    other_timeout = runner.invoke(app, [*args[:2], "-t", "3", *args[4:]])
    assert other_timeout.exit_code == 2 and "with 5 s per task, not 3 s" in other_timeout.stderr
    out.write_text("{not json", encoding="utf-8")
    corrupt = runner.invoke(app, args)
    assert corrupt.exit_code == 2 and "cannot resume from" in corrupt.stderr
    alone = runner.invoke(app, ["bench", str(suite), "--resume"])
    assert alone.exit_code == 2 and "--resume needs --json OUT" in alone.stderr


def test_bench_errors(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["bench", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "neither a named suite" in missing.stderr
    split = runner.invoke(app, ["bench", str(tmp_path), "--split", "test"])
    assert split.exit_code == 2 and "--split test applies only" in split.stderr
    empty = runner.invoke(app, ["bench", str(tmp_path)])
    assert empty.exit_code == 2 and "no *.json task files" in empty.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("[1,", encoding="utf-8")
    malformed = runner.invoke(app, ["bench", str(bad)])
    assert malformed.exit_code == 2 and "invalid JSON" in malformed.stderr
    assert all("Traceback" not in r.output for r in (missing, split, empty, malformed))


def test_bench_digits_gives_each_search_its_own_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite-wide --timeout default (10 s, one program search) is not a digit
    search's budget: each trains a dozen networks."""
    budgets: list[float] = []

    def stop(config: Any, library: Any, log: Any) -> None:
        budgets.append(config.timeout_s)
        raise HyloError("stopped before training")

    monkeypatch.setattr("hylo.cli.digits.run_digits_bench", stop)
    for extra in ([], ["--timeout", "5"]):
        result = runner.invoke(app, ["bench", "digits", *extra])
        assert result.exit_code != 0 and "stopped before training" in result.output
    assert budgets == [DigitsBenchConfig().timeout_s, 5.0]
