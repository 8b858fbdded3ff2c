"""Fitting a hybrid program in one call: neural weights by gradient, constants without.

A hybrid program holds neural modules (``nn:digit#0``, weights trained through the
differentiable interpreter) *and* integer parameters (``#c0:int``), for example
"count the digits greater than ``c``"::

    (lam (count (lam (gt? (nn:digit#0 $0) #c0:int)) $0))

The parameters are discrete: no gradient reaches them. :func:`fit_hybrid` therefore
alternates the two fitters (block coordinate descent), each on its own part:

1. the parameters, by a gradient-free fitter (:class:`~hylo.train.cmaes.CMAESFitter`
   by default) minimising the soft negative log-likelihood of the training outputs,
   the weights held fixed;
2. the weights, by Adam with early stopping (:func:`~hylo.train.neural.train_program`),
   the parameters held fixed;

for a few rounds, until the validation loss stops falling. The pair (parameters,
weights) with the lowest validation loss is kept. Start the weights from the library
(``nn:digit#0~<id>``) when the task allows: with fresh weights and an unknown
constant, many pairs explain the data equally well.

Layer: ``train``; imports ``train.base``, ``train.cmaes`` and ``train.neural``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hylo.lang.program import Program, show
from hylo.train.base import (
    FitBudget,
    FitError,
    FitResult,
    GradientFreeFitter,
    param_integer_mask,
    safe_loss,
)
from hylo.train.cmaes import CMAESFitter
from hylo.train.neural.fit import (
    EncodedExamples,
    TrainConfig,
    TrainResult,
    evaluate,
    restore_weights,
    snapshot_weights,
    soft_loss,
    train_program,
)
from hylo.train.neural.modules import NeuralModule

__all__ = ["HybridResult", "fit_hybrid"]


@dataclass(frozen=True)
class HybridResult:
    """The best parameters (the modules hold the matching weights) and the fit's course.

    Attributes:
        params: parameter values, ``#c0`` first.
        val_loss: soft negative log-likelihood on the validation examples.
        val_accuracy: hard accuracy on the validation examples.
        rounds: rounds run (one round = parameters, then weights).
        seconds: wall-clock time of the whole fit.
        fits: the gradient-free fit of each round.
        trains: the gradient training of each round.
    """

    params: tuple[float, ...]
    val_loss: float
    val_accuracy: float
    rounds: int
    seconds: float
    fits: tuple[FitResult, ...]
    trains: tuple[TrainResult, ...]


def fit_hybrid(
    program: Program,
    train: EncodedExamples,
    val: EncodedExamples,
    modules: Mapping[str, NeuralModule],
    *,
    fitter: GradientFreeFitter | None = None,
    config: TrainConfig | None = None,
    budget: FitBudget | int = 200,
    init: Sequence[float] | None = None,
    rounds: int = 3,
) -> HybridResult:
    """Fit ``program``'s parameters and its trainable modules' weights together.

    Args:
        program: a program with neural modules and ``int`` parameters ``#c0`` …
        train: examples the fitters learn from (see
            :func:`~hylo.train.neural.encode_examples`).
        val: examples that choose between rounds (and stop the weight training).
        modules: the program's modules (:func:`~hylo.train.neural.instantiate_modules`);
            trainable ones are trained in place and end with the best round's weights.
        fitter: the gradient-free fitter (default: CMA-ES with step size 2).
        config: the gradient training of each round (default: ``TrainConfig()``).
        budget: the gradient-free fit of each round (a budget or a number of loss calls).
        init: starting parameter values (default: zeros).
        rounds: at most this many rounds; fewer when a round does not lower the
            validation loss.

    Raises:
        FitError: malformed parameters (see :func:`~hylo.train.base.param_integer_mask`),
            or float ones.
        ValueError: ``rounds < 1``.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    start = time.perf_counter()
    fitter = fitter or CMAESFitter(sigma0=2.0)
    integer = param_integer_mask(program)
    if not integer.all():
        raise FitError(
            f"{show(program)} has float parameters; the differentiable interpreter runs "
            "int parameters only (#c<i>:int)"
        )
    params = tuple(init) if init is not None else (0,) * len(integer)
    best_loss = safe_loss(lambda c: soft_loss(program, val, modules, c), params)
    best = (best_loss, params, snapshot_weights(modules))
    fits: list[FitResult] = []
    trains: list[TrainResult] = []
    for _ in range(rounds):
        fit = fitter.fit(
            program,
            lambda c: soft_loss(program, train, modules, c),
            init=params,
            budget=budget,
        )
        params = fit.params
        trained = train_program(program, train, val, modules, config or TrainConfig(), params)
        fits.append(fit)
        trains.append(trained)
        loss = safe_loss(lambda c: soft_loss(program, val, modules, c), params)
        if loss >= best[0] - 1e-4:
            break
        best = (loss, params, snapshot_weights(modules))
    restore_weights(modules, best[2])
    accuracy, _ = evaluate(program, val, modules, best[1])
    seconds = time.perf_counter() - start
    return HybridResult(best[1], best[0], accuracy, len(fits), seconds, tuple(fits), tuple(trains))
