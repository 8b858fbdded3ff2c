"""Benchmark reports: JSON shape, summary math, worker processes, crash and hang handling."""

from __future__ import annotations

import json
import math
import os
import time

import pytest

from hylo.domains.task import Task, make_task
from hylo.lang.types import parse_type
from hylo.reports.benchmark import (
    BenchmarkReport,
    TaskOutcome,
    render_summary,
    render_table,
    run_benchmark,
    solve_to_outcome,
)
from hylo.search import batch as benchmark
from hylo.search.batch import code_version

TOP_LEVEL = {"summary", "tasks"}
SUMMARY = {
    "tasks": int,
    "solved": int,
    "test_correct": int,
    "timeout": float,
    "programs_per_second": float,
    "median_seconds": float,
}
TASK = {
    "name": str,
    "solved": bool,
    "test_correct": bool,
    "program": (str, type(None)),
    "seconds": float,
    "programs": int,
}


def assert_report_shape(data: dict) -> None:
    """The JSON shape that other tools rely on (issue 2, item 7)."""
    assert set(data) >= TOP_LEVEL
    for key, kind in SUMMARY.items():
        assert isinstance(data["summary"][key], kind), (key, data["summary"][key])
    for task in data["tasks"]:
        for key, kind in TASK.items():
            assert isinstance(task[key], kind), (key, task[key])
    json.dumps(data, allow_nan=False)


def length_task(name: str = "length") -> Task:
    return make_task(
        name,
        parse_type("list(int) -> int"),
        train=[([[1, 2]], 2), ([[5]], 1), ([[]], 0), ([[0, 9, 3]], 3)],
        test=[([[7, 7, 1, 1]], 4)],
    )


def outcome(name: str, solved: bool, seconds: float, search_seconds: float, programs: int):
    return TaskOutcome(
        name=name,
        solved=solved,
        test_correct=solved,
        program="(lam $0)" if solved else None,
        seconds=seconds,
        programs=programs // 2,
        search_seconds=search_seconds,
        search_programs=programs,
    )


# Module-level solvers, so that spawned worker processes can import them by name.


def crash_on_bad(task: Task, timeout_s: float) -> TaskOutcome:
    if task.name.startswith("bad"):
        os._exit(3)
    return solve_to_outcome(task, timeout_s)


def raise_on_bad(task: Task, timeout_s: float) -> TaskOutcome:
    if task.name.startswith("bad"):
        raise RuntimeError("boom")
    return solve_to_outcome(task, timeout_s)


def hang_on_bad(task: Task, timeout_s: float) -> TaskOutcome:
    if task.name.startswith("bad"):
        time.sleep(3600)
    return solve_to_outcome(task, timeout_s)


def test_summary_math() -> None:
    report = BenchmarkReport(
        outcomes=(
            outcome("a", True, seconds=1.0, search_seconds=2.0, programs=100),
            outcome("b", False, seconds=4.0, search_seconds=4.0, programs=300),
            outcome("c", True, seconds=3.0, search_seconds=3.0, programs=50),
            outcome("d", True, seconds=2.0, search_seconds=2.0, programs=50),
        ),
        timeout_s=4.0,
    )
    s = report.summary()
    assert (s["tasks"], s["solved"], s["test_correct"]) == (4, 3, 3)
    assert s["median_seconds"] == pytest.approx(2.0)  # over solved tasks only
    assert s["programs_per_second"] == pytest.approx(500 / 11)
    assert s["timeout"] == 4.0
    assert_report_shape(report.to_json())


def test_summary_of_nothing_solved_is_valid_json() -> None:
    report = BenchmarkReport(outcomes=(outcome("a", False, 1.0, 0.0, 0),), timeout_s=1)
    s = report.summary()
    assert (s["solved"], s["median_seconds"], s["programs_per_second"]) == (0, 0.0, 0.0)
    assert_report_shape(report.to_json())


def test_json_round_trip(tmp_path) -> None:
    report = BenchmarkReport(
        outcomes=(outcome("a", True, 1.0, 2.0, 10), TaskOutcome.failure(length_task(), "oops")),
        timeout_s=2.5,
        workers=3,
    )
    path = report.save(tmp_path / "sub" / "report.json")
    again = BenchmarkReport.load(path)
    assert again.outcomes == report.outcomes
    assert again.summary() == report.summary()
    assert again.outcomes[1].error == "oops"


@pytest.mark.parametrize("workers", [0, 1, 2])
def test_run_benchmark_solves_and_keeps_order(workers: int) -> None:
    tasks = [length_task("first"), length_task("second"), length_task("third")]
    seen: list[str] = []
    report = run_benchmark(
        tasks, timeout_s=5.0, workers=workers, on_result=lambda o: seen.append(o.name)
    )
    assert [o.name for o in report] == ["first", "second", "third"]
    assert sorted(seen) == ["first", "second", "third"]
    assert all(o.solved and o.test_correct and o.error is None for o in report)
    assert all(o.program is not None and "length" in o.program for o in report)
    assert all(o.type == "list(int) -> int" and o.num_test == 1 for o in report)
    data = report.to_json()
    assert_report_shape(data)
    assert data["summary"]["solved"] == 3


def test_progress_without_a_terminal_is_one_line_per_task(capsys) -> None:
    tasks = [length_task("first"), length_task("second")]
    run_benchmark(tasks, timeout_s=5.0, workers=0, progress=True)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("[1/2] first: right (")
    assert lines[1].startswith("[2/2] second: right (") and "solved 2" in lines[1]


def test_worker_crash_is_one_failed_task() -> None:
    tasks = [length_task("ok1"), length_task("bad"), length_task("ok2"), length_task("ok3")]
    report = run_benchmark(tasks, timeout_s=5.0, workers=2, solver=crash_on_bad)
    by_name = {o.name: o for o in report}
    assert not by_name["bad"].solved
    assert "worker process died (exit code 3)" in (by_name["bad"].error or "")
    assert all(by_name[n].solved for n in ("ok1", "ok2", "ok3"))
    assert report.summary()["failed"] == 1
    assert_report_shape(report.to_json())


@pytest.mark.parametrize("workers", [0, 1])
def test_solver_exception_is_one_failed_task(workers: int) -> None:
    tasks = [length_task("bad"), length_task("ok")]
    report = run_benchmark(tasks, timeout_s=5.0, workers=workers, solver=raise_on_bad)
    assert report.outcomes[0].error == "RuntimeError: boom"
    assert report.outcomes[1].solved


def test_hung_worker_is_killed(monkeypatch) -> None:
    monkeypatch.setattr(benchmark, "_GRACE_S", 1.0)
    tasks = [length_task("bad"), length_task("ok")]
    report = run_benchmark(tasks, timeout_s=0.5, workers=1, solver=hang_on_bad)
    assert "worker killed" in (report.outcomes[0].error or "")
    assert report.outcomes[1].solved


def fail_on_done(task: Task, timeout_s: float) -> TaskOutcome:
    if task.name.startswith("done"):
        raise AssertionError(f"{task.name} was solved again")
    return solve_to_outcome(task, timeout_s)


@pytest.mark.parametrize("workers", [0, 1])
def test_checkpoint_then_resume_solves_only_the_rest(tmp_path, workers: int) -> None:
    path = tmp_path / "run.json"
    first = run_benchmark([length_task("done1")], timeout_s=5.0, workers=0, checkpoint=path)
    assert BenchmarkReport.load(path).outcomes == first.outcomes
    suite = [length_task("new1"), length_task("done1"), length_task("new2")]
    report = run_benchmark(
        suite,
        timeout_s=5.0,
        workers=workers,
        solver=fail_on_done,
        resume=BenchmarkReport.load(path),
        checkpoint=path,
    )
    assert [o.name for o in report] == ["new1", "done1", "new2"]
    assert all(o.solved and o.error is None for o in report)
    assert report.outcomes[1] == first.outcomes[0]
    assert report.wall_seconds > first.wall_seconds
    assert BenchmarkReport.load(path).outcomes == report.outcomes
    assert not (tmp_path / "run.json.partial").exists()


def test_a_report_names_the_code_of_every_outcome_it_holds() -> None:
    fresh = run_benchmark([length_task("a")], timeout_s=5.0, workers=0)
    assert fresh.metadata["code"] == [code_version()]
    other = BenchmarkReport(
        outcomes=fresh.outcomes, timeout_s=5.0, metadata={"code": ["0123456789ab"]}
    )
    both = run_benchmark([length_task("a"), length_task("b")], 5.0, workers=0, resume=other)
    assert both.metadata["code"] == ["0123456789ab", code_version()]
    unknown = BenchmarkReport(outcomes=fresh.outcomes, timeout_s=5.0)  # before versions
    resumed = run_benchmark([length_task("a")], timeout_s=5.0, workers=0, resume=unknown)
    assert resumed.metadata["code"] == [None, code_version()]


def test_checkpoint_is_written_after_every_task(tmp_path) -> None:
    path = tmp_path / "run.json"
    sizes: list[int] = []
    run_benchmark(
        [length_task("a"), length_task("b")],
        timeout_s=5.0,
        workers=0,
        checkpoint=path,
        on_result=lambda _: sizes.append(len(BenchmarkReport.load(path))),
    )
    assert sizes == [1, 2]


def test_resume_refuses_another_run() -> None:
    earlier = BenchmarkReport(outcomes=(outcome("a", True, 1.0, 1.0, 10),), timeout_s=2.0)
    with pytest.raises(ValueError, match="with 2 s per task, not 5 s"):
        run_benchmark([length_task("a")], timeout_s=5.0, workers=0, resume=earlier)
    with pytest.raises(ValueError, match="1 task\\(s\\) not in this suite"):
        run_benchmark([length_task("b")], timeout_s=2.0, workers=0, resume=earlier)


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="timeout_s must be a positive"):
        run_benchmark([length_task()], timeout_s=0)
    with pytest.raises(ValueError, match="workers must be >= 0"):
        run_benchmark([length_task()], timeout_s=1, workers=-1)
    with pytest.raises(ValueError, match="timeout_s"):
        run_benchmark([length_task()], timeout_s=math.nan)


def test_empty_suite() -> None:
    report = run_benchmark([], timeout_s=1.0, workers=2)
    assert report.summary()["tasks"] == 0
    assert_report_shape(report.to_json())


def test_renderers_show_every_task() -> None:
    from rich.console import Console

    report = BenchmarkReport(
        outcomes=(
            outcome("alpha", True, 1.0, 1.0, 5),
            TaskOutcome.failure(length_task("[b]"), "x"),
        ),
        timeout_s=1.0,
    )
    console = Console(width=200, record=True)
    console.print(render_table(report))
    console.print(render_summary(report))
    text = console.export_text()
    assert "alpha" in text and "[b]" in text and "(lam $0)" in text
    assert "solved (train)   1" in text
