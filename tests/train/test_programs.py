"""fit_program and ExampleObjective: programs with parameters, fitted to examples."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from hylo.domains.task import Example, make_task
from hylo.lang import (
    FLOAT,
    Abstraction,
    BudgetExceeded,
    Evaluator,
    Limits,
    Param,
    Primitive,
    apply_to,
    guard_length,
    parse_type,
)
from hylo.train import (
    FAILURE_LOSS,
    ExampleObjective,
    FitError,
    OpenAIESFitter,
    UnknownObjectiveError,
    fit_program,
)

from .helpers import program

SCALE = program("(lam (*. #c0:float $0))")
INVERSE = program("(lam (/. $0 #c0:float))")


def test_a_failing_program_gets_a_large_loss_not_an_exception() -> None:
    objective = ExampleObjective(INVERSE, [((1.0,), 0.5), ((4.0,), 2.0)])
    assert objective((0.0,)) == FAILURE_LOSS  # ZeroDivisionError inside the program
    assert objective((2.0,)) == 0.0
    result = fit_program(INVERSE, [((1.0,), 0.5), ((4.0,), 2.0)], init=[0.0])
    assert result.params[0] == pytest.approx(2.0, abs=1e-3)


def test_outputs_the_objective_cannot_score_get_a_large_loss() -> None:
    objective = ExampleObjective(program("(lam (>. $0 #c0:float))"), [((1.0,), 2.0)], "mse")
    assert objective((0.0,)) == 1.0  # True counts as 1
    objective = ExampleObjective(SCALE, [((1.0,), "two")], "mse")
    assert objective((2.0,)) == FAILURE_LOSS
    objective = ExampleObjective(SCALE, [((1.0,), 2.0)], lambda p, t: math.nan)
    assert objective((2.0,)) == FAILURE_LOSS


def test_a_budget_exceeded_is_a_failure() -> None:
    def build_a_huge_list(x: float) -> float:
        guard_length(10**9)
        return x

    huge = Primitive("huge", parse_type("float -> float"), build_a_huge_list)
    objective = ExampleObjective(Abstraction(apply_to(huge, Param(0, FLOAT))), [((1.0,), 1.0)])
    assert objective((1.0,)) == FAILURE_LOSS
    with pytest.raises(BudgetExceeded):
        objective.predictions((1.0,))


def test_an_overflow_is_a_failure() -> None:
    objective = ExampleObjective(SCALE, [((1e308,), 1.0)], limits=Limits(timeout_s=1.0))
    assert objective((10.0,)) == FAILURE_LOSS  # inf output: mse is inf, capped


def test_accuracy_objective_with_a_threshold() -> None:
    # classify x > c0; the examples switch between 2 and 3
    p = program("(lam (>. $0 #c0:float))")
    examples = [((x,), x > 2.5) for x in (0.0, 1.0, 2.0, 3.0, 4.0, 5.0)]
    result = fit_program(p, examples, "accuracy", budget=300)
    assert result.loss == 0.0
    assert 2.0 <= result.params[0] < 3.0


def test_a_custom_loss_callable() -> None:
    def worst(predictions: Sequence[float], targets: Sequence[float]) -> float:
        return max(abs(p - t) for p, t in zip(predictions, targets, strict=True))

    result = fit_program(SCALE, [((1.0,), 3.0), ((2.0,), 6.0)], worst)
    assert result.params[0] == pytest.approx(3.0, abs=1e-3)


def test_examples_in_every_form() -> None:
    task = make_task("scale", parse_type("float -> float"), [([1.0], 2.0), ([3.0], 6.0)])
    for examples in (task, task.train, [((1.0,), 2.0), ([3.0], 6.0)]):
        objective = ExampleObjective(SCALE, examples)
        assert objective((2.0,)) == 0.0
        assert objective.predictions([1.0]) == [1.0, 3.0]
    assert repr(ExampleObjective(SCALE, task)) == (
        "ExampleObjective((lam (*. #c0:float $0)), 2 examples, objective='mse')"
    )


def test_the_fitted_program_runs_with_its_parameters() -> None:
    result = fit_program(
        SCALE, [((1.0,), 2.5), ((2.0,), 5.0)], "mse", OpenAIESFitter(learning_rate=0.2)
    )
    evaluator = Evaluator()
    evaluator.set_params(result.params)
    assert evaluator.function(SCALE)(4.0) == pytest.approx(10.0, abs=0.1)


@pytest.mark.parametrize(
    ("prog", "examples", "message"),
    [
        ("(*. #c0:float $0)", [((1.0,), 1.0)], "has a free variable: fit closed programs only"),
        ("(lam (*. ?? $0))", [((1.0,), 1.0)], r"has a hole \?\?: fill it before fitting"),
        ("(lam (lam (*. $1 $0)))", [((1.0,), 1.0)], r"takes 2 argument\(s\) but an example has 1"),
        ("(lam $0)", [], "no examples to fit the parameters to"),
        ("(lam $0)", [(1.0, 1.0)], r"write \(\(x,\), y\) for a one-argument program"),
    ],
)
def test_setup_errors(prog: str, examples: list[tuple[object, object]], message: str) -> None:
    with pytest.raises(FitError, match=message):
        ExampleObjective(program(prog), examples)  # type: ignore[arg-type]


def test_unknown_objective_name() -> None:
    with pytest.raises(UnknownObjectiveError, match="unknown objective 'r2'"):
        fit_program(SCALE, [Example((1.0,), 1.0)], "r2")
