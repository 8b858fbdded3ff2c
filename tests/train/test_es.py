"""OpenAI-style evolution strategy: recovers constants, scales to many parameters."""

from __future__ import annotations

import numpy as np
import pytest

from hylo.lang import FLOAT, Param, apply_to
from hylo.train import OpenAIESFitter, ParamValues, fit_program
from hylo.train.es import centered_ranks

from .helpers import program


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_recovers_constants_on_a_smooth_problem(optimizer: str) -> None:
    p = program("(lam (+. (*. #c0:float $0) #c1:float))")
    examples = [((x,), 0.8 * x + 0.3) for x in np.linspace(-2, 2, 9).tolist()]
    rate = 0.1 if optimizer == "adam" else 0.01
    fitter = OpenAIESFitter(learning_rate=rate, optimizer=optimizer, seed=0)  # type: ignore[arg-type]
    result = fit_program(p, examples, "mse", fitter, budget=2500)
    assert result.params == pytest.approx((0.8, 0.3), abs=0.05)


def test_many_parameters() -> None:
    n = 40
    target = np.linspace(-1, 1, n)
    many = apply_to(Param(0, FLOAT), *[Param(i, FLOAT) for i in range(1, n)])

    def loss(c: ParamValues) -> float:
        return float(np.sum((np.asarray(c) - target) ** 2))

    result = OpenAIESFitter(learning_rate=0.05, seed=0).fit(many, loss, budget=4000)
    assert result.loss < 0.05 * loss(tuple([0.0] * n))


def test_centered_ranks() -> None:
    assert centered_ranks(np.array([5.0, 1.0, 3.0])).tolist() == [0.5, -0.5, 0.0]
    assert centered_ranks(np.array([2.0, 2.0, 2.0])).tolist() == [0.0, 0.0, 0.0]
    assert centered_ranks(np.array([7.0])).tolist() == [0.0]
