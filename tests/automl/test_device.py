"""Where networks train: the CPU always, a CUDA GPU when torch sees one (run there too)."""

from __future__ import annotations

import pytest
import torch

from hylo.automl import AutoML, Dataset, TrainConfig, build_network, parse_architecture, train
from hylo.automl._baselines import optuna_mlp_search
from hylo.lang.errors import HyloError
from hylo.train.neural.device import ENV_VAR, torch_device

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
FAST = {"epochs": 3, "child_epochs": 1, "population": 2, "keep": 2}


def test_auto_follows_the_environment_then_the_hardware(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "cpu")
    assert torch_device() == torch.device("cpu")
    monkeypatch.delenv(ENV_VAR)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert torch_device("auto").type == expected


def test_bad_or_missing_devices_are_clean_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(HyloError, match="unknown device 'gpu'"):
        torch_device("gpu")
    monkeypatch.setenv(ENV_VAR, "mps")
    with pytest.raises(HyloError, match="unknown device 'mps'"):
        torch_device()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(HyloError, match="sees no CUDA GPU"):
        torch_device("cuda:0")


@pytest.mark.parametrize("device", DEVICES)
def test_training_runs_where_the_network_is_and_returns_cpu_weights(
    tiny: Dataset, device: str
) -> None:
    torch.manual_seed(0)
    net = build_network(parse_architecture("(lam (dense_3 (relu (dense_16 $0))))"), tiny.input_type)
    fit = train(net.to(device), tiny, TrainConfig(lr=0.03, epochs=30))
    assert fit.val_accuracy >= 0.8
    assert {t.device.type for t in fit.state.values()} == {"cpu"}
    assert next(net.parameters()).device.type == device  # best weights loaded back in place


@pytest.mark.parametrize("device", DEVICES)
def test_searches_train_on_the_device_they_are_given(tiny: Dataset, device: str) -> None:
    automl = AutoML(n_trials=6, budget_s=120, device=device, **FAST).fit(tiny)  # type: ignore[arg-type]
    assert automl.best_.val_accuracy >= 0.8
    origins = {t.user_attrs.get("origin") for t in automl.study_.trials}
    assert origins - {"template"}, "children (inherited weights) ran on the device too"
    baseline = optuna_mlp_search(tiny, budget_s=60, n_trials=3, epochs=3, device=device)
    assert baseline.best.val_accuracy > 0.5


def test_a_bad_device_fails_before_any_trial(tiny: Dataset) -> None:
    with pytest.raises(HyloError, match="unknown device"):
        AutoML(n_trials=1, device="gpu").fit(tiny)
