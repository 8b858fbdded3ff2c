"""Fitting a program's parameters: gradient-free (CMA-ES, OpenAI-ES) and by gradient.

A program's numeric constants left open by search are parameters ``#c0``, ``#c1``,
… (:class:`~hylo.lang.program.Param`). A :class:`Fitter` finds their values:

>>> from hylo.lang import FLOAT, Abstraction, Index, Param, Primitive, apply_to, parse_type
>>> times = Primitive("*.", parse_type("float -> float -> float"), lambda a, b: a * b)
>>> scale = Abstraction(apply_to(times, Param(0, FLOAT), Index(0)))
>>> result = fit_program(scale, [((x,), 2.5 * x) for x in (1.0, 2.0, 3.0)], "mae")
>>> round(result.params[0], 4)
2.5

Neural weights are trained by :mod:`hylo.train.neural` (torch, imported on demand);
:mod:`hylo.train.hybrid` fits programs that have both.

Layer: imports ``lang`` and ``domains``; ``search`` may import it.
"""

from hylo.train.base import (
    FAILURE_LOSS,
    FitBudget,
    FitError,
    FitProblem,
    FitResult,
    Fitter,
    GradientFreeFitter,
    ParamLoss,
    ParamValues,
)
from hylo.train.cmaes import CMAESFitter
from hylo.train.es import OpenAIESFitter
from hylo.train.objectives import (
    OBJECTIVES,
    LossFunction,
    Objective,
    UnknownObjectiveError,
    get_objective,
)
from hylo.train.programs import ExampleObjective, Examples, fit_program
from hylo.train.random_search import RandomSearchFitter

__all__ = [
    "FAILURE_LOSS",
    "OBJECTIVES",
    "CMAESFitter",
    "ExampleObjective",
    "Examples",
    "FitBudget",
    "FitError",
    "FitProblem",
    "FitResult",
    "Fitter",
    "GradientFreeFitter",
    "LossFunction",
    "Objective",
    "OpenAIESFitter",
    "ParamLoss",
    "ParamValues",
    "RandomSearchFitter",
    "UnknownObjectiveError",
    "fit_program",
    "get_objective",
]
