"""The digits domain, its task sequence, and ``hylo bench digits`` on a tiny budget."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from hylo.cli.app import app
from hylo.cli.digits import DigitsBenchConfig, render, run_digits_bench, write_report
from hylo.domains import get_domain
from hylo.domains.digits import CURRICULUM, DIGITS, load_digit_images, make_digit_task
from hylo.lang import Evaluator, HyloError, parse


def test_split_is_fixed_and_disjoint() -> None:
    a, b = load_digit_images(), load_digit_images()
    assert np.array_equal(a.train_y, b.train_y) and np.array_equal(a.test_x, b.test_x)
    train = {x.tobytes() for x in a.train_x}
    assert not any(x.tobytes() in train for x in a.test_x[:200])
    assert a.image_shape == (8, 8) and a.train_x.min() >= 0.0 and a.train_x.max() <= 1.0
    with pytest.raises(HyloError, match="unknown digit source"):
        load_digit_images("svhn")


def test_tasks_follow_their_labels_and_lengths() -> None:
    data = load_digit_images()
    task = make_digit_task(CURRICULUM[4], data, num_train=20, num_test=10, seed=3)
    labels = task.metadata["train_labels"]
    assert [e.output for e in task.train] == [sum(ds) for ds in labels]
    assert all(2 <= len(e.inputs[0]) <= 5 for e in task.train)
    assert all(6 <= len(e.inputs[0]) <= 8 for e in task.test)
    is3 = make_digit_task(CURRICULUM[0], data, num_train=40, num_test=10, seed=1)
    assert 10 <= sum(e.output for e in is3.train) <= 30  # half are drawn from the 3s


def test_domain_primitives_run_hard() -> None:
    f = Evaluator().function(parse("(lam (maximum (map (lam (+ $0 1)) $0)))", DIGITS.namespace))
    assert f([3, 1, 2]) == 4 and f([]) == 0
    assert get_domain("digits") is DIGITS


def test_bench_runs_and_reports_curves_and_summary(tmp_path: Path) -> None:
    config = DigitsBenchConfig(
        image_sizes=(6,),
        list_sizes=(6, 12),
        monolithic_extra_sizes=(24,),
        num_test=20,
        max_candidates=2,
        epochs=2,
        num_tasks=2,
    )
    report = run_digits_bench(config, tmp_path / "lib.db", log=lambda _: None)
    names = [t["name"] for t in report["tasks"]]
    assert names == ["is-3", "count-3s"]
    count = report["tasks"][1]["results"]
    assert [r["n"] for r in count["hylo"]] == [6, 12]
    assert [r["n"] for r in count["monolithic"]] == [6, 12, 24]
    assert all(0.0 <= r["accuracy"] <= 1.0 for m in count.values() for r in m)
    summary = report["summary"]
    assert summary["per_task"]["count-3s"]["ratio"] >= 0.0
    assert summary["sample_efficiency_ratio"] == summary["per_task"]["count-3s"]["ratio"]
    assert report["library_modules"] and report["library_modules"][0]["template"] == "pred"
    json_path, png = write_report(report, tmp_path / "out" / "digits.json")
    assert json.loads(json_path.read_text())["summary"] == summary
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert "sample_efficiency_ratio" in render(report)


def test_cli_rejects_an_unknown_source() -> None:
    result = CliRunner().invoke(app, ["bench", "digits", "--source", "svhn"])
    assert result.exit_code == 2
    assert "unknown digit source" in result.output
