"""``hylo bench control``: the JSON report and clean errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from hylo.cli import app
from hylo.search.policy import PolicySearch

runner = CliRunner()


def test_bench_control_writes_the_json_report(tmp_path):
    out = tmp_path / "control.json"
    result = runner.invoke(app, ["bench", "control", "--env", "CartPole-v1", "--json", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    (row,) = report["environments"]
    assert row["env"] == "CartPole-v1"
    assert isinstance(row["mean_return"], float) and row["mean_return"] >= 475
    assert isinstance(row["env_steps"], int) and row["env_steps"] > 0
    assert isinstance(row["program"], str) and row["program"].startswith("(lam")
    assert isinstance(row["seconds"], float)
    assert "CartPole-v1" in result.output


def test_bench_control_step_budget(tmp_path):
    out = tmp_path / "control.json"
    args = ["bench", "control", "--env", "CartPole-v1", "--max-steps", "300", "--json", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    (row,) = json.loads(out.read_text())["environments"]
    assert row["env_steps"] <= 300 + 500  # the budget is checked between episodes


def test_bench_control_seed_is_the_search_seed(tmp_path):
    out = tmp_path / "control.json"
    args = ["bench", "control", "--env", "CartPole-v1", "--seed", "1", "--json", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    report = json.loads(out.read_text())
    expected = PolicySearch(seed=1).fit("CartPole-v1")
    assert report["seed"] == 1
    assert report["environments"][0]["env_steps"] == expected.stats_.env_steps


def test_bench_control_bad_env_is_a_clean_error():
    result = runner.invoke(app, ["bench", "control", "--env", "Breakout-v5"])
    assert result.exit_code == 2
    assert "unknown environment 'Breakout-v5'" in result.output
    assert "CartPole-v1" in result.output
    assert "Traceback" not in result.output
