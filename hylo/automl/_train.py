"""Training a compiled architecture for a number of epochs, reporting its learning curve.

>>> from hylo.automl._data import load_dataset
>>> from hylo.automl._layers import parse_architecture
>>> from hylo.automl._network import build_network
>>> data = load_dataset("wine")
>>> net = build_network(parse_architecture("(lam (dense_3 (relu (dense_16 $0))))"), data.input_type)
>>> fit = train(net, data, TrainConfig(epochs=30))
>>> fit.val_accuracy > 0.8
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from hylo.automl._data import Dataset


class Pruned(Exception):
    """Raised by a learning-curve callback to stop a trial that does badly."""


class OutOfTime(Exception):
    """Raised by a learning-curve callback to end training now, keeping the best epoch."""


@dataclass(frozen=True)
class TrainConfig:
    """How to train: optimiser settings and the number of epochs."""

    lr: float = 3e-3
    weight_decay: float = 1e-4
    batch_size: int = 64
    epochs: int = 20
    seed: int = 0


@dataclass(frozen=True)
class FitResult:
    """What one training run gave: best validation accuracy (its weights kept), test accuracy."""

    val_accuracy: float
    test_accuracy: float
    epochs: int
    curve: tuple[float, ...]
    state: dict[str, torch.Tensor]


def _device(net: nn.Module) -> torch.device:
    return next(iter(net.parameters()), torch.empty(0)).device


def accuracy(net: nn.Module, x: np.ndarray, y: np.ndarray, batch: int = 1024) -> float:
    """Fraction of ``x`` that ``net`` classifies as ``y`` (evaluation mode, on ``net``'s device)."""
    was_training = net.training
    net.eval()
    device, correct = _device(net), torch.zeros((), dtype=torch.long)
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out = net(torch.from_numpy(x[i : i + batch]).to(device))
            correct += (out.argmax(dim=1).cpu() == torch.from_numpy(y[i : i + batch])).sum()
    net.train(was_training)
    return int(correct) / max(1, len(x))


def _cpu_state(net: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of the weights on the CPU, where checkpoints and mutations expect them."""
    return {k: v.detach().to("cpu", copy=True) for k, v in net.state_dict().items()}


def train(
    net: nn.Module,
    data: Dataset,
    config: TrainConfig,
    on_epoch: Callable[[int, float], None] | None = None,
) -> FitResult:
    """Train ``net`` with AdamW and cross-entropy; keep the weights of the best epoch.

    Trains on the device ``net`` is on (move it there first: ``net.to(torch_device())``);
    the returned ``state`` is on the CPU.

    ``on_epoch(epoch, val_accuracy)`` is called after every epoch; it may raise
    :class:`Pruned`, which stops training and propagates, or :class:`OutOfTime`,
    which ends training with the best epoch so far.
    """
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    opt = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    device = _device(net)
    x, y = torch.from_numpy(data.x_train).to(device), torch.from_numpy(data.y_train).to(device)
    best, best_state, curve = -1.0, _cpu_state(net), []
    batch = min(config.batch_size, len(x))
    for epoch in range(config.epochs):
        net.train()
        order = torch.from_numpy(rng.permutation(len(x))).to(device)
        for i in range(0, len(x) - batch + 1, batch):  # full batches: batchnorm needs > 1
            idx = order[i : i + batch]
            opt.zero_grad()
            loss_fn(net(x[idx]), y[idx]).backward()
            opt.step()
        val = accuracy(net, data.x_val, data.y_val)
        curve.append(val)
        if val > best:
            best, best_state = val, _cpu_state(net)
        if on_epoch is not None:
            try:
                on_epoch(epoch, val)
            except OutOfTime:
                break
    net.load_state_dict(best_state)
    test = accuracy(net, data.x_test, data.y_test)
    return FitResult(max(best, 0.0), test, len(curve), tuple(curve), best_state)
