"""The baselines hylo AutoML is measured against: plain Optuna over a fixed MLP/CNN space.

Every trial trains a fresh multilayer perceptron (depth, per-layer widths, dropout,
learning rate, weight decay, batch size sampled by Optuna; on images optionally behind
a small CNN) for a fixed number of epochs, with median pruning — the standard way
Optuna is used for tuning.

>>> from hylo.automl._data import load_dataset
>>> result = optuna_mlp_search(load_dataset("wine"), budget_s=30, n_trials=3, epochs=5)
>>> len(result.history) >= 1
True
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import optuna
from optuna.trial import TrialState

from hylo.automl._data import Dataset
from hylo.automl._layers import parse_architecture, to_program, vec_type
from hylo.automl._network import build_network
from hylo.automl._search import TrialRecord, _pruner, _sampler
from hylo.automl._train import OutOfTime, Pruned, TrainConfig, train
from hylo.lang.program import show
from hylo.train.neural.device import torch_device


@dataclass(frozen=True)
class SearchResult:
    """The best trial and the best-so-far curve of a baseline search."""

    best: TrialRecord
    history: list[dict[str, float]]


def mlp_architecture(trial: optuna.Trial, data: Dataset) -> str:
    """The fixed search space: 1–3 hidden layers of 16–256 units, ReLU, dropout.

    On images the space also has the standard small CNN in front of the MLP
    (1–2 blocks of 3×3 convolution, ReLU and 2×2 max pooling, 8–32 channels
    doubling per block), chosen by a ``family`` parameter.
    """
    layers: list[str] = []
    if data.input_type.name == "img":
        if trial.suggest_categorical("family", ["mlp", "cnn"]) == "cnn":
            channels = trial.suggest_categorical("channels", [8, 16, 32])
            for i in range(trial.suggest_int("conv_depth", 1, 2)):
                layers += [f"conv_3_{channels * 2**i}", "relu", "maxpool"]
        layers.append("flatten")
    for i in range(trial.suggest_int("n_layers", 1, 3)):
        layers += [f"dense_{trial.suggest_int(f'units_{i}', 16, 256, log=True)}", "relu"]
    dropout = trial.suggest_categorical("dropout", [0, 10, 20, 30])
    if dropout:
        layers.append(f"dropout_{dropout}")
    layers.append(f"dense_{data.num_classes}")
    return show(to_program(tuple(layers)))


def optuna_mlp_search(
    data: Dataset,
    budget_s: float,
    *,
    sampler: str = "tpe",
    seed: int = 0,
    epochs: int = 15,
    n_trials: int | None = None,
    device: str = "auto",
) -> SearchResult:
    """Plain Optuna (``sampler`` = ``"tpe"`` or ``"random"``) over :func:`mlp_architecture`.

    ``device`` is where networks train (see :func:`~hylo.train.neural.device.torch_device`).
    """
    where = torch_device(device)
    study = optuna.create_study(
        direction="maximize", sampler=_sampler(sampler, seed), pruner=_pruner("median")
    )
    start = time.time()
    deadline = start + budget_s
    records: list[TrialRecord] = []
    spent = [0]  # epochs trained by every trial so far, pruned ones included

    def objective(trial: optuna.Trial) -> float:
        arch = mlp_architecture(trial, data)
        lr = trial.suggest_float("lr", 1e-4, 3e-2, log=True)
        wd = trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
        batch = trial.suggest_categorical("batch_size", [32, 64, 128])
        net = build_network(parse_architecture(arch), data.input_type, vec_type(data.num_classes))
        net.to(where)

        def report(epoch: int, val: float) -> None:
            spent[0] += 1
            trial.report(val, epoch)
            if time.time() > deadline:
                raise OutOfTime
            if trial.should_prune():
                raise Pruned

        try:
            fit = train(net, data, TrainConfig(lr, wd, batch, epochs, seed + trial.number), report)
        except Pruned:
            raise optuna.TrialPruned() from None
        records.append(
            TrialRecord(
                trial.number,
                arch,
                dict(trial.params),
                fit.val_accuracy,
                fit.test_accuracy,
                time.time() - start,
                float(spent[0]),
                sampler,
            )
        )
        return fit.val_accuracy

    study.optimize(objective, n_trials=n_trials, timeout=budget_s)
    return _result(records, study)


def _result(records: list[TrialRecord], study: optuna.Study) -> SearchResult:
    if not records:
        n = len(study.get_trials(states=(TrialState.PRUNED,)))
        raise RuntimeError(f"no baseline trial finished ({n} pruned); give a larger budget")
    history: list[dict[str, float]] = []
    best = records[0]
    for r in records:
        if r.val_accuracy > best.val_accuracy:
            best = r
        history.append(
            {
                "seconds": r.seconds,
                "best_val_accuracy": best.val_accuracy,
                "test_accuracy": best.test_accuracy,
                "epochs": r.epochs,  # cumulative over the search
            }
        )
    return SearchResult(best, history)
