"""hylo learn / hylo report / hylo library on a learned library, and resume after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from hylo.cli import app
from hylo.domains.task import save_task
from hylo.library import open_library
from hylo.testing.learning import learning_suite as suite

runner = CliRunner()


def write_suite(folder: Path) -> Path:
    train, test = suite()
    for split, tasks in (("train", train), ("test", test)):
        (folder / split).mkdir(parents=True)
        for i, t in enumerate(tasks):
            save_task(t, folder / split / f"{i}.json")
    return folder


def test_learn_writes_curve_library_and_report(tmp_path: Path) -> None:
    tasks = write_suite(tmp_path / "suite")
    lib, out = tmp_path / "lib.hylo", tmp_path / "curve.json"
    args = [
        "learn",
        str(tasks),
        "-i",
        "1",
        "-t",
        "3",
        "-w",
        "0",
        "-l",
        str(lib),
        "--json",
        str(out),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "learning curve" in result.output
    curve = json.loads(out.read_text())
    rows = curve["iterations"]
    assert [r["iteration"] for r in rows] == [0, 1]
    for key in ("train_solved", "test_solved", "library_size", "median_seconds"):
        assert all(key in r for r in rows)
    assert rows[0]["library_size"] == 0 and rows[1]["library_size"] >= 1
    with open_library(lib, create=False) as store:
        assert store.inventions()
        assert store.latest_grammar() is not None
        assert store.solutions()
        assert store.runs()[-1].status == "finished"
    shown = runner.invoke(app, ["library", "show", str(lib)])
    assert shown.exit_code == 0 and "f0" in shown.output
    report = runner.invoke(app, ["report", str(lib), "--out", str(tmp_path / "report")])
    assert report.exit_code == 0, report.output
    assert "f0" in (tmp_path / "report" / "index.html").read_text()


def test_learn_errors_are_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["learn", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "train/" in result.output
    (tmp_path / "not-a-library").write_text("hello")
    tasks = write_suite(tmp_path / "suite")
    result = runner.invoke(app, ["learn", str(tasks), "-l", str(tmp_path / "not-a-library")])
    assert result.exit_code == 2
    assert "not a hylo library" in result.output or "cannot open" in result.output
    result = runner.invoke(app, ["report", str(tmp_path / "missing.hylo")])
    assert result.exit_code == 2


def test_killed_learn_resumes_from_the_library(tmp_path: Path) -> None:
    tasks = write_suite(tmp_path / "suite")
    lib = tmp_path / "lib.hylo"
    cmd = [
        sys.executable,
        "-m",
        "hylo",
        "learn",
        str(tasks),
        "-i",
        "2",
        "-t",
        "3",
        "-w",
        "0",
        "-l",
        str(lib),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    killed = False
    while time.monotonic() < deadline and proc.poll() is None:
        if lib.exists():
            try:
                with open_library(lib, create=False) as store:
                    runs = store.runs()
                    if runs and len(store.run_events(runs[-1].id)) >= 6:
                        os.kill(proc.pid, signal.SIGKILL)
                        killed = True
                        break
            except Exception:
                pass  # the file is being created
        time.sleep(0.05)
    proc.wait()
    with open_library(lib, create=False) as store:
        run_id = store.runs()[-1].id
        before = store.run_events(run_id)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert killed, "the learner finished before it could be killed"
    assert "resumed" in done.stderr
    with open_library(lib, create=False) as store:
        assert [r.id for r in store.runs()] == [run_id]  # the same run, not a new one
        after = store.run_events(run_id)
        assert after[: len(before)] == before
        outcomes = [
            (e["iteration"], e["split"], e["outcome"]["name"])
            for e in after
            if e["kind"] == "outcome"
        ]
        assert len(outcomes) == len(set(outcomes))
        assert [m["iteration"] for m in store.run(run_id).metrics] == [0, 1, 2]
        names = [r.name for r in store.invention_records()]
        assert len(names) == len(set(names)) >= 1
