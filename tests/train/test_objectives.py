"""Objectives by name and as callables."""

from __future__ import annotations

import doctest
from collections.abc import Sequence

import pytest

import hylo.train
import hylo.train.base
import hylo.train.cmaes
import hylo.train.es
import hylo.train.objectives
import hylo.train.programs
import hylo.train.random_search
from hylo.train import OBJECTIVES, Objective, UnknownObjectiveError, get_objective


def test_named_objectives() -> None:
    assert sorted(OBJECTIVES) == ["accuracy", "mae", "mse"]
    assert get_objective("mse")([1, 2, 3], [1, 2, 5]) == pytest.approx(4 / 3)
    assert get_objective("mse")([[1.0, 2.0]], [[1.0, 4.0]]) == 2.0
    assert get_objective("mae")([1, 2, 3], [1, 2, 5]) == pytest.approx(2 / 3)
    assert get_objective("accuracy")([1, [2], True], [1, [2], False]) == pytest.approx(1 / 3)
    assert get_objective("accuracy")([], []) == 0.0


def test_callables_and_objects() -> None:
    def worst(predictions: Sequence[float], targets: Sequence[float]) -> float:
        return max(abs(p - t) for p, t in zip(predictions, targets, strict=True))

    objective = get_objective(worst)
    assert (objective.name, objective([1, 5], [2, 2])) == ("worst", 3.0)
    custom = Objective("huber", lambda p, t: 0.5, "a constant")
    assert get_objective(custom) is custom


def test_unknown_name_lists_the_names() -> None:
    with pytest.raises(
        UnknownObjectiveError,
        match=r"unknown objective 'episode_return'; the named objectives are accuracy, mae, mse "
        r"\(or pass a callable loss\(predictions, targets\) -> float\)",
    ):
        get_objective("episode_return")
    with pytest.raises(TypeError, match="objective must be a name, an Objective or a callable"):
        get_objective(3)  # type: ignore[arg-type]


def test_bad_predictions_raise() -> None:
    with pytest.raises(ValueError, match=r"predictions have shape \(2,\) but targets have shape"):
        get_objective("mse")([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="2 predictions for 3 targets"):
        get_objective("accuracy")([1, 2], [1, 2, 3])
    with pytest.raises(ValueError):
        get_objective("mae")(["a"], [1])


@pytest.mark.parametrize(
    "module",
    [
        hylo.train,
        hylo.train.base,
        hylo.train.cmaes,
        hylo.train.es,
        hylo.train.objectives,
        hylo.train.programs,
        hylo.train.random_search,
    ],
)
def test_doctests(module: object) -> None:
    assert doctest.testmod(module).failed == 0  # type: ignore[arg-type]
