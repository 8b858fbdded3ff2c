"""Objectives that users write: a loss over a program's outputs on examples.

A task may come with a loss instead of exact outputs. An objective is a function
``loss(predictions, targets) -> float`` (lower is better, 0 is perfect): the
program's outputs on the examples' inputs, and the examples' outputs, in the same
order. Use a name for the common ones or pass any Python callable:

* ``"mse"`` — mean squared error (outputs may be numbers or equal-shaped lists);
* ``"mae"`` — mean absolute error;
* ``"accuracy"`` — the exact-match rate, as the loss ``1 - accuracy``.

Reward objectives (``episode_return``: run the program in an environment) are not
here: they need the program itself, not its outputs on examples. Write them as a
parameter loss, ``lambda params: -mean_return(program, params)``, and give that
to :meth:`~hylo.train.base.Fitter.fit` directly.

>>> get_objective("mse")([1.0, 2.0], [1.0, 4.0])
2.0
>>> get_objective(lambda p, t: max(abs(a - b) for a, b in zip(p, t)))([1, 5], [2, 2])
3.0
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from hylo.lang.errors import HyloError

LossFunction = Callable[[Sequence[Any], Sequence[Any]], float]
"""``loss(predictions, targets) -> float``; lower is better."""


class UnknownObjectiveError(HyloError, ValueError):
    """An objective name that is not one of :data:`OBJECTIVES`."""


@dataclass(frozen=True)
class Objective:
    """A named loss over predictions and targets.

    Args:
        name: how it is chosen by name (``"mse"``) or shown.
        loss: ``loss(predictions, targets) -> float``.
        doc: a one-line description.
    """

    name: str
    loss: LossFunction
    doc: str = ""

    def __call__(self, predictions: Sequence[Any], targets: Sequence[Any]) -> float:
        return float(self.loss(predictions, targets))


def mean_squared_error(predictions: Sequence[Any], targets: Sequence[Any]) -> float:
    """Mean of the squared differences over every number of every output.

    >>> mean_squared_error([[1, 2], [3, 4]], [[1, 2], [3, 6]])
    1.0
    """
    return float(np.mean(_differences(predictions, targets) ** 2))


def mean_absolute_error(predictions: Sequence[Any], targets: Sequence[Any]) -> float:
    """Mean of the absolute differences.

    >>> mean_absolute_error([1, 2], [2, 4])
    1.5
    """
    return float(np.mean(np.abs(_differences(predictions, targets))))


def error_rate(predictions: Sequence[Any], targets: Sequence[Any]) -> float:
    """``1 - accuracy``: the fraction of outputs not exactly equal to their target.

    >>> error_rate([1, 2, [3]], [1, 0, [3]])
    0.3333333333333333
    """
    _check_lengths(predictions, targets)
    if not targets:
        return 0.0
    wrong = sum(1 for p, t in zip(predictions, targets, strict=True) if not bool(p == t))
    return wrong / len(targets)


def _check_lengths(predictions: Sequence[Any], targets: Sequence[Any]) -> None:
    if len(predictions) != len(targets):
        raise ValueError(
            f"{len(predictions)} predictions for {len(targets)} targets: give one each"
        )


def _differences(
    predictions: Sequence[Any], targets: Sequence[Any]
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """``predictions - targets`` as floats; the shapes must be equal (no broadcasting)."""
    p = np.asarray(predictions, dtype=np.float64)
    t = np.asarray(targets, dtype=np.float64)
    if p.shape != t.shape:
        raise ValueError(f"predictions have shape {p.shape} but targets have shape {t.shape}")
    out: np.ndarray[Any, np.dtype[np.float64]] = p - t
    return out


OBJECTIVES: Mapping[str, Objective] = MappingProxyType(
    {
        "mse": Objective("mse", mean_squared_error, "mean squared error"),
        "mae": Objective("mae", mean_absolute_error, "mean absolute error"),
        "accuracy": Objective("accuracy", error_rate, "exact-match rate, as the loss 1 - accuracy"),
    }
)
"""The objectives that have a name, by name."""


def get_objective(objective: str | Objective | LossFunction) -> Objective:
    """The objective for a name, an :class:`Objective`, or a ``loss(predictions, targets)``.

    Raises:
        UnknownObjectiveError: a name that is not in :data:`OBJECTIVES`.

    >>> get_objective("accuracy").doc
    'exact-match rate, as the loss 1 - accuracy'
    >>> get_objective("rmse")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hylo.train.objectives.UnknownObjectiveError: unknown objective 'rmse'; the named ... mse ...
    """
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, str):
        found = OBJECTIVES.get(objective)
        if found is None:
            raise UnknownObjectiveError(
                f"unknown objective {objective!r}; the named objectives are "
                f"{', '.join(sorted(OBJECTIVES))} "
                "(or pass a callable loss(predictions, targets) -> float)"
            )
        return found
    if callable(objective):
        return Objective(getattr(objective, "__name__", "custom"), objective)
    raise TypeError(
        f"objective must be a name, an Objective or a callable loss(predictions, targets), "
        f"got {objective!r}"
    )
