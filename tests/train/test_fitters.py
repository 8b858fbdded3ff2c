"""The contract every gradient-free fitter keeps, run over each implementation."""

from __future__ import annotations

import time

import numpy as np
import pytest

from hylo.lang import FLOAT, INT, EvaluationError, Param, apply_to
from hylo.train import (
    FAILURE_LOSS,
    CMAESFitter,
    FitBudget,
    FitError,
    GradientFreeFitter,
    OpenAIESFitter,
    ParamValues,
    RandomSearchFitter,
)

from .helpers import program

FITTERS = {
    "random": lambda seed: RandomSearchFitter(seed=seed),
    "cmaes": lambda seed: CMAESFitter(seed=seed),
    "openai-es": lambda seed: OpenAIESFitter(learning_rate=0.2, sigma=0.2, seed=seed),
}
TWO = apply_to(Param(0, FLOAT), Param(1, FLOAT))


def bowl(c: ParamValues) -> float:
    return (c[0] - 1.5) ** 2 + (c[1] + 0.5) ** 2


@pytest.fixture(params=sorted(FITTERS))
def make(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    return FITTERS[request.param]


def test_reduces_a_smooth_loss(make) -> None:  # type: ignore[no-untyped-def]
    result = make(0).fit(TWO, bowl, budget=600)
    assert result.loss < 0.05 * bowl((0.0, 0.0))
    assert bowl(result.params) == result.loss


@pytest.mark.parametrize("tp", [FLOAT, INT])
def test_one_parameter(make, tp) -> None:  # type: ignore[no-untyped-def]
    # one constant, e.g. a threshold: a dimension that some libraries treat specially
    result = make(0).fit(Param(0, tp), lambda c: abs(c[0] - 3), budget=400)
    assert abs(result.params[0] - 3) < 0.5
    assert type(result.params[0]) is (int if tp == INT else float)


def test_result_bookkeeping(make) -> None:  # type: ignore[no-untyped-def]
    result = make(0).fit(TWO, bowl, budget=100)
    assert 1 <= result.evaluations <= 100
    assert len(result.history) == result.evaluations
    assert list(result.history) == sorted(result.history, reverse=True)
    assert result.history[-1] == result.loss
    assert result.seconds > 0
    assert result.stop_reason in ("max_evaluations", "converged")


def test_seeded_runs_are_reproducible(make) -> None:  # type: ignore[no-untyped-def]
    first = make(3).fit(TWO, bowl, budget=200)
    np.random.seed(1)  # the global state is not what the fitters draw from
    np.random.rand(7)
    second = make(3).fit(TWO, bowl, budget=200)
    assert (first.params, first.history) == (second.params, second.history)
    assert make(4).fit(TWO, bowl, budget=200).history != first.history


def test_global_numpy_random_state_is_left_alone(make) -> None:  # type: ignore[no-untyped-def]
    np.random.seed(7)
    expected = np.random.rand()
    np.random.seed(7)
    make(0).fit(TWO, bowl, budget=50)
    assert np.random.rand() == expected


def test_a_failing_candidate_gets_the_failure_loss(make) -> None:  # type: ignore[no-untyped-def]
    def loss(c: ParamValues) -> float:
        if c[0] > 1.0:
            raise EvaluationError("the program failed")
        return bowl(c)

    result = make(0).fit(TWO, loss, budget=200)
    assert result.params[0] <= 1.0
    assert result.loss < FAILURE_LOSS


def test_nan_and_huge_losses_are_capped(make) -> None:  # type: ignore[no-untyped-def]
    result = make(0).fit(TWO, lambda c: float("nan"), budget=20)
    assert result.loss == FAILURE_LOSS
    result = make(0).fit(TWO, lambda c: 1e300 if c[0] > 0 else 1.0, budget=20)
    assert max(result.history) <= FAILURE_LOSS


def test_other_exceptions_propagate(make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(KeyError):
        make(0).fit(TWO, lambda c: dict[str, float]()["bug"], budget=20)


def test_integer_parameters_are_ints(make) -> None:  # type: ignore[no-untyped-def]
    seen: list[ParamValues] = []

    def loss(c: ParamValues) -> float:
        seen.append(c)
        return (c[0] - 2.3) ** 2 + (c[1] - 4) ** 2

    result = make(0).fit(apply_to(Param(0, FLOAT), Param(1, INT)), loss, budget=300)
    assert all(type(a) is float and type(b) is int for a, b in seen)
    assert type(result.params[1]) is int


def test_bounds_are_respected() -> None:
    for fitter in (
        RandomSearchFitter(bounds=(-1.0, 1.0)),
        CMAESFitter(bounds=(-1.0, 1.0)),
        OpenAIESFitter(bounds=(-1.0, 1.0), learning_rate=0.5),
    ):
        seen: list[ParamValues] = []

        def loss(c: ParamValues, seen: list[ParamValues] = seen) -> float:
            seen.append(c)
            return bowl(c)

        result = fitter.fit(TWO, loss, budget=300)
        assert all(-1.0 <= x <= 1.0 for c in seen for x in c), fitter
        assert result.params[0] == pytest.approx(1.0, abs=0.05), fitter


def test_init_is_the_starting_point(make) -> None:  # type: ignore[no-untyped-def]
    seen: list[ParamValues] = []

    def loss(c: ParamValues) -> float:
        seen.append(c)
        return bowl(c)

    make(0).fit(TWO, loss, init=[1.5, -0.5], budget=FitBudget(max_evaluations=40))
    assert min(seen, key=bowl) == (1.5, -0.5)


def test_budget_limits(make) -> None:  # type: ignore[no-untyped-def]
    result = make(0).fit(TWO, bowl, budget=FitBudget(max_evaluations=10_000, target_loss=0.5))
    assert result.stop_reason == "target_loss"
    assert result.loss <= 0.5

    def slow(c: ParamValues) -> float:
        time.sleep(0.01)
        return bowl(c)

    start = time.perf_counter()
    result = make(0).fit(TWO, slow, budget=FitBudget(max_evaluations=10_000, timeout_s=0.2))
    assert result.stop_reason == "timeout"
    assert time.perf_counter() - start < 1.0


def test_no_parameters_means_one_evaluation(make) -> None:  # type: ignore[no-untyped-def]
    result = make(0).fit(program("(lam $0)"), lambda c: 2.0)
    assert (result.params, result.loss, result.evaluations) == ((), 2.0, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "(+. #c0:float #c2:float)",
            r"numbered #c0 … #c1 without gaps .* got #c0:float, #c2:float",
        ),
        ("(+. #c0:float (float #c0:int))", r"one type each; got #c0:float, #c0:int"),
    ],
)
def test_parameters_are_checked(text: str, message: str) -> None:
    with pytest.raises(FitError, match=message):
        CMAESFitter().fit(program(text), bowl)


def test_parameter_types_must_be_numeric() -> None:
    from hylo.lang import TCon

    with pytest.raises(FitError, match="#c0:color has type color; fitters handle float and int"):
        CMAESFitter().fit(Param(0, TCon("color")), lambda c: 0.0)


def test_init_and_budget_are_checked() -> None:
    with pytest.raises(FitError, match=r"init has 1 value\(s\) but the program has 2 parameter"):
        CMAESFitter().fit(TWO, bowl, init=[1.0])
    with pytest.raises(FitError, match="init must be finite"):
        CMAESFitter().fit(TWO, bowl, init=[1.0, float("inf")])
    with pytest.raises(ValueError, match="max_evaluations must be >= 1, got 0"):
        CMAESFitter().fit(TWO, bowl, budget=0)
    with pytest.raises(TypeError, match="budget must be a FitBudget, an int or None"):
        CMAESFitter().fit(TWO, bowl, budget=1.5)  # type: ignore[arg-type]


def test_settings_are_checked() -> None:
    with pytest.raises(
        ValueError, match=r"bounds must satisfy low < high, got bounds=\(1.0, 0.0\)"
    ):
        CMAESFitter(bounds=(1.0, 0.0))
    with pytest.raises(ValueError, match="sigma0 must be > 0"):
        CMAESFitter(sigma0=0)
    with pytest.raises(ValueError, match="population_size must be even"):
        OpenAIESFitter(population_size=7)
    with pytest.raises(ValueError, match="optimizer must be 'adam' or 'sgd'"):
        OpenAIESFitter(optimizer="rmsprop")  # type: ignore[arg-type]


def test_fitters_show_their_settings() -> None:
    assert repr(CMAESFitter(sigma0=0.5)) == (
        "CMAESFitter(bounds=None, seed=0, sigma0=0.5, population_size=None)"
    )
    assert not CMAESFitter.supports_gradients
    assert isinstance(OpenAIESFitter(), GradientFreeFitter)
