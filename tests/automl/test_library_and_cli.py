"""Runs kept in the library warm-start similar tasks; the CLI writes the documented JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.torch import load
from typer.testing import CliRunner

from hylo.automl import (
    AutoML,
    Dataset,
    DatasetError,
    build_network,
    load_dataset,
    parse_architecture,
    record_run,
    split,
    task_distance,
    vec_type,
    warm_start_configs,
)
from hylo.cli.app import app
from hylo.library import open_library

from .conftest import tiny_dataset

FAST = {"epochs": 3, "child_epochs": 1, "population": 2, "keep": 2}


def test_a_recorded_run_warm_starts_a_similar_task(tiny: Dataset, tmp_path: Path) -> None:
    automl = AutoML(n_trials=4, budget_s=120, **FAST).fit(tiny)  # type: ignore[arg-type]
    with open_library(tmp_path / "lib.hylo") as store:
        rec = record_run(store, automl, tiny)
        assert rec.kind == "automl-run"
        assert rec.metadata["features"]["num_classes"] == 3
        # The best model is kept as a module: its program and safetensors weights.
        module = store.artifacts(kind="module")[-1]
        weights = load(store.read_artifact_file(module, "weights.safetensors"))
        net = build_network(parse_architecture(module.metadata["architecture"]), tiny.input_type)
        net.load_state_dict(weights)
        # A 2-class task on 6 features gets the 3-class architectures with a 2-way output.
        rng = np.random.default_rng(1)
        other = split("other", rng.normal(size=(60, 6)), np.arange(60) % 2)
        warm = warm_start_configs(store, other.features())
    assert warm
    for w in warm:
        build_network(parse_architecture(w.architecture), other.input_type, vec_type(2))
        assert set(w.params) == {"lr", "weight_decay", "batch_size"}
    automl2 = AutoML(n_trials=len(warm), budget_s=120, warm_start=warm, **FAST).fit(other)  # type: ignore[arg-type]
    assert {t.user_attrs["origin"] for t in automl2.study_.trials} == {"warm-start"}


def test_task_distance_prefers_similar_tasks() -> None:
    a, b = tiny_dataset(0).features(), tiny_dataset(1, n=120).features()
    images = {**a, "input_kind": "img", "num_features": 64, "num_classes": 10}
    assert task_distance(a, a) == 0
    assert task_distance(a, b) < task_distance(a, images)


def test_files_load_and_bad_files_are_clean_errors(tmp_path: Path) -> None:
    table = np.c_[np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2]
    np.savetxt(tmp_path / "t.csv", table, delimiter=",", header="a,b,c,label", comments="")
    np.save(tmp_path / "t.npy", table)
    np.savez(tmp_path / "t.npz", x=np.zeros((30, 5, 5)), y=np.arange(30) % 3)
    assert load_dataset(tmp_path / "t.csv").input_type == vec_type(3)
    assert load_dataset(tmp_path / "t.npy").num_classes == 2
    assert str(load_dataset(tmp_path / "t.npz").input_type) == "img(d1, d5, d5)"
    (tmp_path / "bad.csv").write_text("a,b\nx,y\n")
    for bad in ("nope", tmp_path / "bad.csv"):
        with pytest.raises(DatasetError):
            load_dataset(bad)


def test_cli_writes_the_documented_json(tmp_path: Path) -> None:
    table = tiny_dataset().x_train
    data = np.c_[table, np.arange(len(table)) % 3]
    np.save(tmp_path / "blobs.npy", data)
    out = tmp_path / "out.json"
    lib = tmp_path / "lib.hylo"
    args = [
        "automl",
        str(tmp_path / "blobs.npy"),
        "--trials",
        "3",
        "--budget",
        "2",
        "--library",
        str(lib),
        "--json",
        str(out),
        "--seed",
        "1",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert set(doc) == {"dataset", "best", "history"}
    assert doc["dataset"] == "blobs"
    assert set(doc["best"]) == {"test_accuracy", "seconds", "architecture", "params"}
    assert isinstance(doc["best"]["test_accuracy"], float)
    parse_architecture(doc["best"]["architecture"])
    assert doc["history"] and all(
        set(h) == {"seconds", "best_val_accuracy"} for h in doc["history"]
    )
    assert (tmp_path / "lib-blobs.png").stat().st_size > 1000
    with open_library(lib) as store:
        assert [a.kind for a in store.artifacts()] == ["module", "automl-run"]


def test_cli_unknown_dataset_is_a_clean_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["automl", "no-such-data", "--library", str(tmp_path / "l")])
    assert result.exit_code == 2
    assert "neither a named dataset" in result.output


def test_a_related_task_with_the_same_input_starts_from_past_weights(
    tiny: Dataset, tmp_path: Path
) -> None:
    automl = AutoML(n_trials=3, budget_s=120, **FAST).fit(tiny)  # type: ignore[arg-type]
    rng = np.random.default_rng(2)
    related = split("related", rng.normal(size=(60, 4)), np.arange(60) % 2)  # 4 features too
    with open_library(tmp_path / "lib.hylo") as store:
        record_run(store, automl, tiny)
        warm = warm_start_configs(store, related.features())
    assert warm[0].weights is not None and warm[0].source == automl.best_.architecture
    again = AutoML(n_trials=1, budget_s=120, warm_start=warm[:1], **FAST).fit(related)  # type: ignore[arg-type]
    assert again.study_.trials[0].user_attrs["origin"] == "transfer"


def test_tasks_with_another_kind_of_input_do_not_warm_start(tiny: Dataset, tmp_path: Path) -> None:
    automl = AutoML(n_trials=2, budget_s=120, **FAST).fit(tiny)  # type: ignore[arg-type]
    with open_library(tmp_path / "lib.hylo") as store:
        record_run(store, automl, tiny)
        images = {**tiny.features(), "input_kind": "img", "input_type": "img(d1, d2, d2)"}
        assert warm_start_configs(store, images) == []
