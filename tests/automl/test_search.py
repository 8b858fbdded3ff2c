"""The search: Optuna studies that resume after a kill, shared by worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from hylo.automl import AutoML, Dataset, build_network, parse_architecture, vec_type
from hylo.automl._search import LR_FACTORS, LR_RANGE, make_storage

FAST = {"epochs": 3, "child_epochs": 1, "population": 2, "keep": 2}


def test_search_finds_a_good_network_and_keeps_few_checkpoints(
    tiny: Dataset, tmp_path: Path
) -> None:
    ckpt = tmp_path / "ckpt"
    automl = AutoML(n_trials=10, budget_s=120, checkpoint_dir=str(ckpt), **FAST).fit(tiny)  # type: ignore[arg-type]
    assert automl.best_.val_accuracy >= 0.8
    assert automl.history_[-1]["best_val_accuracy"] == automl.best_.val_accuracy
    origins = {t.user_attrs.get("origin") for t in automl.study_.trials}
    assert "template" in origins and origins & {"widen", "deepen", "ordinary", "continue"}
    # Only the checkpoints that can still be inherited from are kept.
    assert len(list(ckpt.glob("*.safetensors"))) <= FAST["keep"]
    net = build_network(parse_architecture(automl.best_.architecture), tiny.input_type, vec_type(3))
    assert set(net.state_dict()) == set(automl.network_.state_dict())


def test_children_train_briefly_from_inherited_weights(tiny: Dataset) -> None:
    automl = AutoML(n_trials=8, budget_s=120, **FAST).fit(tiny)  # type: ignore[arg-type]
    trials = automl.study_.trials
    children = [t for t in trials if "parent" in t.user_attrs]
    assert children
    assert all(t.user_attrs["epochs"] <= FAST["child_epochs"] for t in children)
    # A child goes on with its parent's optimiser settings, its rate perturbed in range.
    for child in children:
        mine, theirs = (
            child.user_attrs["train"],
            trials[child.user_attrs["parent"]].user_attrs["train"],
        )
        factor = child.params["lr_factor"]
        assert factor in LR_FACTORS and "lr" not in child.params
        assert mine["lr"] == pytest.approx(min(LR_RANGE[1], theirs["lr"] * factor))
        assert (mine["weight_decay"], mine["batch_size"]) == (
            theirs["weight_decay"],
            theirs["batch_size"],
        )
    # The library sees a child's effective settings.
    assert {"lr", "weight_decay", "batch_size"} <= set(automl.best_.params)


@pytest.mark.parametrize("sampler", ["cmaes", "random"])
def test_other_samplers_and_pruners_run(tiny: Dataset, sampler: str) -> None:
    automl = AutoML(n_trials=4, budget_s=120, sampler=sampler, pruner="halving", **FAST).fit(tiny)  # type: ignore[arg-type]
    assert len(automl.study_.trials) >= 4


def test_bad_settings_are_clean_errors(tiny: Dataset) -> None:
    with pytest.raises(ValueError, match="sampler must be one of"):
        AutoML(sampler="grid").fit(tiny)
    with pytest.raises(ValueError, match="shared storage"):
        AutoML(workers=2).fit(tiny)
    with pytest.raises(ValueError, match="explore must be"):
        AutoML(explore=1.0).fit(tiny)


_CHILD = """
import sys
sys.path.insert(0, {tests!r})
from conftest import tiny_dataset
from hylo.automl import AutoML
import torch
torch.set_num_threads(1)
AutoML(n_trials=10_000, budget_s=600, storage={storage!r}, study_name="s", epochs=8,
       child_epochs=8, population=2, keep=2).fit(tiny_dataset())
"""


def _mid_trial(storage: str) -> bool:
    """True once two trials finished and another one has drawn its training settings.

    A trial killed before its first `suggest` has nothing to queue again but an empty
    parameter set; waiting for the last one it draws keeps the check below meaningful.
    """
    try:
        study = optuna.load_study(study_name="s", storage=make_storage(storage))
    except KeyError:
        return False
    done = study.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED))
    running = study.get_trials(states=(TrialState.RUNNING,))
    return len(done) >= 2 and any("train" in t.user_attrs for t in running)


def test_a_study_resumes_after_its_process_is_killed(tmp_path: Path) -> None:
    storage = str(tmp_path / "study.journal")
    code = _CHILD.format(tests=str(Path(__file__).parent), storage=storage)
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 120
        while not _mid_trial(storage) and time.time() < deadline:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.2)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    before = optuna.load_study(study_name="s", storage=make_storage(storage)).trials
    done_before = len([t for t in before if t.state in (TrialState.COMPLETE, TrialState.PRUNED)])
    assert done_before >= 2

    from .conftest import tiny_dataset

    resumed = AutoML(
        n_trials=done_before + 2,
        budget_s=120,
        storage=storage,
        study_name="s",
        **FAST,  # type: ignore[arg-type]
    ).fit(tiny_dataset())
    trials = resumed.study_.trials
    assert [t.number for t in trials[: len(before)]] == [t.number for t in before]
    assert not any(t.state == TrialState.RUNNING for t in trials)
    finished = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    assert len(finished) >= done_before + 2
    # The trial the kill interrupted is failed and queued again.
    killed = [t for t in before if t.state == TrialState.RUNNING]
    assert killed
    assert trials[killed[0].number].state == TrialState.FAIL
    again = [t for t in trials if t.user_attrs.get("resumed") == killed[0].number]
    assert len(again) == 1 and again[0].params["lr"] == killed[0].user_attrs["train"]["lr"]


def test_two_worker_processes_share_one_study(tiny: Dataset, tmp_path: Path) -> None:
    storage = str(tmp_path / "shared.journal")
    # A time budget (counted from each worker's start) makes sure both workers run trials.
    automl = AutoML(budget_s=3, storage=storage, workers=2, **FAST)  # type: ignore[arg-type]
    automl.fit(tiny)
    trials = automl.study_.trials
    assert sorted(t.number for t in trials) == list(range(len(trials)))
    assert not any(t.state == TrialState.RUNNING for t in trials)
    finished = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    assert len(finished) >= 2
    assert len({t.user_attrs["pid"] for t in finished}) == 2  # both workers did trials
    # Every finished trial kept its own record (no two share a trial id or are merged).
    assert len({t._trial_id for t in trials}) == len(trials)


def test_no_network_outlives_its_trial(tiny: Dataset) -> None:
    import gc

    from hylo.automl import Network

    def alive() -> int:
        gc.collect()
        return sum(type(o) is Network for o in gc.get_objects())

    before = alive()
    automl = AutoML(n_trials=12, budget_s=120, **FAST).fit(tiny)  # type: ignore[arg-type]
    assert len(automl.study_.trials) >= 12
    assert alive() == before + 1  # only the best network: memory does not grow with trials
