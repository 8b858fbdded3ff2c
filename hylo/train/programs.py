"""Fit a program's parameters to examples: the loss of the program's outputs.

:class:`ExampleObjective` turns a program with parameters, examples and an
objective into a parameter loss (compiled once, run under an evaluation budget
for every parameter vector tried); :func:`fit_program` fits it in one call.

>>> from hylo.lang import FLOAT, Abstraction, Index, Param, Primitive, apply_to, parse_type
>>> times = Primitive("*.", parse_type("float -> float -> float"), lambda a, b: a * b)
>>> plus = Primitive("+.", parse_type("float -> float -> float"), lambda a, b: a + b)
>>> line = Abstraction(apply_to(plus, apply_to(times, Param(0, FLOAT), Index(0)), Param(1, FLOAT)))
>>> print(line)
(lam (+. (*. #c0:float $0) #c1:float))
>>> examples = [((x,), 3.7 * x - 1.2) for x in range(-3, 4)]
>>> result = fit_program(line, examples, "mse")
>>> [round(c, 3) for c in result.params]
[3.7, -1.2]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from hylo.domains.task import Example, Task
from hylo.lang.evaluate import Evaluator, Limits
from hylo.lang.program import Abstraction, Hole, Program, is_closed, show, subprograms
from hylo.train.base import (
    FAILURE_LOSS,
    FitBudget,
    FitError,
    FitResult,
    Fitter,
    param_integer_mask,
    safe_loss,
)
from hylo.train.cmaes import CMAESFitter
from hylo.train.objectives import LossFunction, Objective, get_objective

Examples = Task | Iterable[Example | tuple[Sequence[Any], Any]]
"""A task (its training examples), or examples, or ``(inputs, output)`` pairs with
``inputs`` a sequence of one value per argument, as in
:func:`~hylo.domains.task.make_task`."""


class ExampleObjective:
    """The loss of ``program`` on ``examples`` as a function of its parameter values.

    Calling it sets the parameters, runs the program on every example's inputs
    (under ``limits``) and scores the outputs with ``objective``. When the program
    fails on any example (an error, a budget exceeded) or the objective cannot
    score its outputs (a string where a number is due), the loss is
    :data:`~hylo.train.base.FAILURE_LOSS`; a call never raises.

    Args:
        program: a closed program whose parameters are ``#c0`` … ``#c<n-1>``.
        examples: a :class:`~hylo.domains.task.Task` (its training examples),
            :class:`~hylo.domains.task.Example` objects or ``(inputs, output)`` pairs.
        objective: a name (``"mse"``, ``"mae"``, ``"accuracy"``), an
            :class:`~hylo.train.objectives.Objective`, or ``loss(predictions, targets)``.
        limits: the evaluation limits of each run of the program.

    Raises:
        FitError: no examples, a program with free variables or holes, or examples
            with fewer inputs than the program's arguments.
        UnknownObjectiveError: an objective name that does not exist.
    """

    def __init__(
        self,
        program: Program,
        examples: Examples,
        objective: str | Objective | LossFunction = "mse",
        limits: Limits | None = None,
    ) -> None:
        self.program = program
        self.examples = _as_examples(examples)
        self.objective = get_objective(objective)
        self.limits = limits or Limits()
        self.num_params = len(param_integer_mask(program))
        _check_runnable(program, self.examples)
        self._evaluator = Evaluator(self.limits)
        self._function = self._evaluator.function(program)
        self._targets = [e.output for e in self.examples]

    def predictions(self, params: Sequence[float]) -> list[Any]:
        """The program's outputs on the examples with these parameter values.

        Raises:
            EvaluationError: the program failed on an example.
        """
        self._evaluator.set_params(params)
        return [self._function(*e.inputs) for e in self.examples]

    def __call__(self, params: Sequence[float]) -> float:
        return safe_loss(self._loss, params)

    def _loss(self, params: Sequence[float]) -> float:
        try:
            return self.objective(self.predictions(params), self._targets)
        except Exception:  # a failed candidate: its loss says so
            return FAILURE_LOSS

    def __repr__(self) -> str:
        return (
            f"ExampleObjective({show(self.program)}, {len(self.examples)} examples, "
            f"objective={self.objective.name!r})"
        )


def fit_program(
    program: Program,
    examples: Examples,
    objective: str | Objective | LossFunction = "mse",
    fitter: Fitter | None = None,
    *,
    init: Sequence[float] | None = None,
    budget: FitBudget | int | None = None,
) -> FitResult:
    """Fit ``program``'s parameters so that its outputs on ``examples`` minimise ``objective``.

    Args:
        program: a closed program with parameters ``#c0`` … ``#c<n-1>``.
        examples: a task, examples or ``(inputs, output)`` pairs.
        objective: ``"mse"`` (default), ``"mae"``, ``"accuracy"``, or a callable
            ``loss(predictions, targets) -> float``.
        fitter: how to fit (default: :class:`~hylo.train.cmaes.CMAESFitter`).
        init: starting values, one per parameter (default: zeros).
        budget: a :class:`~hylo.train.base.FitBudget` or a number of evaluations.

    Returns:
        The best parameter values, their loss, and what the fit cost. Run the
        program with them through :meth:`ExampleObjective.predictions` or
        :meth:`~hylo.lang.evaluate.Evaluator.set_params`.
    """
    loss = ExampleObjective(program, examples, objective)
    return (fitter or CMAESFitter()).fit(program, loss, init=init, budget=budget)


def _as_examples(examples: Examples) -> tuple[Example, ...]:
    items = examples.train if isinstance(examples, Task) else examples
    out: list[Example] = []
    for item in items:
        if isinstance(item, Example):
            out.append(item)
            continue
        inputs, output = item
        if isinstance(inputs, str) or not isinstance(inputs, Sequence):
            raise FitError(
                f"an example's inputs must be a sequence with one value per argument, got "
                f"{inputs!r}; write ((x,), y) for a one-argument program"
            )
        out.append(Example(tuple(inputs), output))
    if not out:
        raise FitError("no examples to fit the parameters to")
    return tuple(out)


def _check_runnable(program: Program, examples: Sequence[Example]) -> None:
    if not is_closed(program):
        raise FitError(f"{show(program)} has a free variable: fit closed programs only")
    if any(isinstance(q, Hole) for q in subprograms(program)):
        raise FitError(f"{show(program)} has a hole ??: fill it before fitting")
    num_args, body = 0, program
    while isinstance(body, Abstraction):
        num_args, body = num_args + 1, body.body
    fewest = min(len(e.inputs) for e in examples)
    if fewest < num_args:
        raise FitError(
            f"{show(program)} takes {num_args} argument(s) but an example has {fewest} input(s)"
        )
