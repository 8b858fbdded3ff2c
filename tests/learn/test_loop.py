"""The wake–sleep loop: it learns, it keeps what it learned, and it resumes after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from hylo.domains.task import Task, save_task
from hylo.lang.infer import check
from hylo.learn import JsonlRunLog, LearnConfig, LibrarySpec, learn
from hylo.testing.learning import learning_suite


def suite() -> tuple[list[Task], list[Task]]:
    return learning_suite()


def test_learning_adds_typed_inventions_and_helps(tmp_path: Path) -> None:
    train, test = suite()
    log = JsonlRunLog(tmp_path / "run.jsonl")
    config = LearnConfig(iterations=1, timeout_s=3.0, workers=0, compression_iterations=3)
    rows = learn(train, test, config, log)
    assert [r.iteration for r in rows] == [0, 1]
    assert rows[1].library_size >= 1
    assert rows[1].new_inventions
    spec = _last_spec(log)
    for inv in spec.inventions_():
        assert check(inv.body, inv.tp)
    # With the library, the held-out tasks are solved at least as often, faster.
    assert rows[1].test_solved >= rows[0].test_solved
    assert rows[1].train_solved >= rows[0].train_solved
    assert rows[1].description_length < rows[0].description_length


def test_finished_run_replays_without_work(tmp_path: Path) -> None:
    train, test = suite()
    log = JsonlRunLog(tmp_path / "run.jsonl")
    config = LearnConfig(iterations=1, timeout_s=3.0, workers=0, compression_iterations=2)
    first = learn(train, test, config, log)
    events = len(log.events())
    again = learn(train, test, config, log)
    assert len(log.events()) == events
    assert [r.to_json() for r in again] == [r.to_json() for r in first]


def _last_spec(log: JsonlRunLog) -> LibrarySpec:
    from hylo.learn.loop import spec_from_json

    sleeps = [e for e in log.events() if e["kind"] == "sleep"]
    return spec_from_json(sleeps[-1]["spec"])


SCRIPT = """
import sys
from pathlib import Path
from hylo.domains.task import load_tasks
from hylo.learn import JsonlRunLog, LearnConfig, learn
folder = Path(sys.argv[1])
config = LearnConfig(iterations=2, timeout_s=float(sys.argv[2]), workers=0,
                     compression_iterations=2)
learn(load_tasks(folder / "train"), load_tasks(folder / "test"), config,
      JsonlRunLog(folder / "run.jsonl"))
"""


def test_resume_after_kill_loses_nothing(tmp_path: Path) -> None:
    train, test = suite()
    for split, tasks in (("train", train), ("test", test)):
        (tmp_path / split).mkdir()
        for i, t in enumerate(tasks):
            save_task(t, tmp_path / split / f"{i}.json")
    log_path = tmp_path / "run.jsonl"
    # Kill the learner (SIGKILL: no clean-up) once it has recorded a few outcomes.
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(tmp_path), "3"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if log_path.exists() and log_path.read_text().count("\n") >= 4:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the learner finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = JsonlRunLog(log_path).events()
    assert before, "the learner recorded nothing before it was killed"
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path), "3"], timeout=600)
    assert done.returncode == 0
    after = JsonlRunLog(log_path).events()
    assert after[: len(before)] == before  # nothing recorded was lost or rewritten
    outcomes = Counter(
        (e["iteration"], e["split"], e["outcome"]["name"]) for e in after if e["kind"] == "outcome"
    )
    assert max(outcomes.values()) == 1  # no task solved twice in one iteration
    metrics = [e["metrics"]["iteration"] for e in after if e["kind"] == "metrics"]
    assert metrics == [0, 1, 2]
    sleeps = [e for e in after if e["kind"] == "sleep"]
    assert [e["iteration"] for e in sleeps] == [0, 1]


def test_truncated_last_line_is_dropped(tmp_path: Path) -> None:
    log = JsonlRunLog(tmp_path / "run.jsonl")
    log.append({"kind": "metrics", "iteration": 0, "metrics": {}})
    with (tmp_path / "run.jsonl").open("a") as f:
        f.write('{"kind": "outc')
    assert len(log.events()) == 1
    log.append({"kind": "metrics", "iteration": 1, "metrics": {}})
    assert [e["iteration"] for e in log.events()] == [0, 1]


def test_corrupt_log_is_a_clear_error(tmp_path: Path) -> None:
    from hylo.lang.errors import HyloError

    path = tmp_path / "run.jsonl"
    path.write_text('{"kind": "metrics", "iteration": 0}\nnot json\n{"kind": "x"}\n')
    with pytest.raises(HyloError, match="line 2 is not JSON"):
        JsonlRunLog(path).events()


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="timeout_s"):
        LearnConfig(timeout_s=0)
    assert json.loads(json.dumps(LearnConfig().to_json()))["iterations"] == 3
