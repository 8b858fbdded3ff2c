"""CMA-ES recovers known constants of programs from (noisy) examples."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from hylo.train import CMAESFitter, FitBudget, fit_program

from .helpers import program

LINE = program("(lam (+. (*. #c0:float $0) #c1:float))")


def noisy_line(seed: int) -> list[tuple[tuple[float], float]]:
    rng = np.random.default_rng(seed)
    xs = rng.uniform(-5, 5, size=40)
    ys = 3.7 * xs - 1.2 + rng.normal(0, 0.1, size=40)
    return [((float(x),), float(y)) for x, y in zip(xs, ys, strict=True)]


def test_recovers_a_line_from_noisy_samples() -> None:
    result = fit_program(LINE, noisy_line(0), "mse")
    slope, intercept = result.params
    assert abs(slope - 3.7) < 0.02
    assert abs(intercept + 1.2) < 0.05
    assert result.loss < 0.02  # about the noise variance, 0.01
    assert result.stop_reason == "converged"
    assert result.evaluations < 1000


def test_recovers_an_integer_constant() -> None:
    # y = 2.5 x + k with k an int: the fitted k is exactly 7, and an int
    p = program("(lam (+. (*. #c0:float $0) (float #c1:int)))")
    examples = [((x,), 2.5 * x + 7) for x in (-2.0, -1.0, 0.0, 1.0, 3.0)]
    result = fit_program(p, examples, "mae", CMAESFitter(sigma0=3.0))
    assert result.params[1] == 7 and type(result.params[1]) is int
    assert abs(result.params[0] - 2.5) < 1e-3


def test_population_size_and_sigma0() -> None:
    fitter = CMAESFitter(sigma0=0.3, population_size=20, seed=1)
    result = fit_program(LINE, noisy_line(1), "mae", fitter, init=[3.0, -1.0], budget=400)
    assert abs(result.params[0] - 3.7) < 0.05
    assert result.evaluations <= 400


def test_budget_ends_a_run_before_convergence() -> None:
    result = fit_program(LINE, noisy_line(0), budget=FitBudget(max_evaluations=30))
    assert (result.evaluations, result.stop_reason) == (30, "max_evaluations")


_SCRIPT = """
import json, sys
from hylo.train import fit_program
from tests.train.helpers import program
from tests.train.test_cmaes import noisy_line
r = fit_program(program("(lam (+. (*. #c0:float $0) #c1:float))"), noisy_line(2), budget=150)
print(json.dumps([r.params, r.history]))
"""


def test_seeded_runs_agree_across_processes() -> None:
    runs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, env=env, check=True
        )
        runs.append(json.loads(out.stdout))
    assert runs[0] == runs[1]


def test_one_integer_parameter() -> None:
    # cma itself fails on a single integer variable; the fitter pads the search
    p = program("(lam (+. $0 (float #c0:int)))")
    examples = [((x,), x + 6) for x in (0.0, 1.0, 2.0)]
    result = fit_program(p, examples, "mae", CMAESFitter(sigma0=2.0))
    assert result.params == (6,)
