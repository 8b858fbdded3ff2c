"""The fitter contract: find values for a program's parameters that minimise a loss.

A program's parameters are its :class:`~hylo.lang.program.Param` leaves, ``#c0``,
``#c1``, … (``float`` or ``int``), numbered from 0 without gaps. A *parameter loss*
maps their values (a tuple, one per parameter, ints for ``int`` parameters) to a
float to minimise. Every fitter has one entry point::

    fitter.fit(program, loss, init=None, budget=None) -> FitResult

Two kinds of fitter implement it:

* :class:`GradientFreeFitter` — sees the loss as a black box. Subclasses implement
  one method, :meth:`~GradientFreeFitter.minimize`, which calls a
  :class:`FitProblem` on real vectors; the problem rounds integer parameters,
  clips to bounds, counts evaluations, keeps the best point and the history,
  turns failures into :data:`FAILURE_LOSS`, and stops the search when the
  :class:`FitBudget` is spent. :class:`~hylo.train.random_search.RandomSearchFitter`
  is the reference implementation; CMA-ES and OpenAI-ES are the real ones.
* the gradient fitter of neural modules, :func:`hylo.train.neural.train_program`
  (Adam through the differentiable interpreter), needs more than a black box: the
  program and its examples as tensors. :func:`hylo.train.hybrid.fit_hybrid` fits a
  program with both kinds of parameter in one call, alternating the two fitters.

>>> from hylo.lang import FLOAT, Param
>>> from hylo.train.random_search import RandomSearchFitter
>>> result = RandomSearchFitter(seed=0).fit(Param(0, FLOAT), lambda c: (c[0] - 1) ** 2, budget=50)
>>> result.evaluations, result.loss < 0.1
(50, True)
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hylo.lang.errors import HyloError
from hylo.lang.program import Program, params_of, show
from hylo.lang.types import FLOAT, INT, show_type

ParamValues = tuple[float, ...]
"""Values of a program's parameters, ``#c0`` first (``int`` values for ``int`` ones)."""

ParamLoss = Callable[[ParamValues], float]
"""A loss to minimise as a function of the parameter values."""

StopReason = Literal["max_evaluations", "timeout", "target_loss", "converged"]

FAILURE_LOSS = 1e100
"""The loss of a parameter vector whose program fails (or whose loss is NaN or
infinite). Every loss is capped here, so failures rank last and stay finite."""


class FitError(HyloError, ValueError):
    """A program, initial point or budget that a fitter cannot work with."""


@dataclass(frozen=True)
class FitBudget:
    """How much a fit may spend; it stops at whichever limit comes first.

    Args:
        max_evaluations: calls of the loss (at least 1).
        timeout_s: wall-clock seconds (``None``: no limit).
        target_loss: stop as soon as a loss at or below this is found (``0.0`` for
            exact-match objectives).

    An ``int`` wherever a budget is expected means ``FitBudget(max_evaluations=n)``.
    """

    max_evaluations: int = 1000
    timeout_s: float | None = None
    target_loss: float | None = None

    def __post_init__(self) -> None:
        if self.max_evaluations < 1:
            raise ValueError(f"max_evaluations must be >= 1, got {self.max_evaluations}")
        if self.timeout_s is not None and not self.timeout_s > 0:
            raise ValueError(f"timeout_s must be > 0 or None, got {self.timeout_s}")


@dataclass(frozen=True)
class FitResult:
    """The best parameter values found and what it cost.

    Attributes:
        params: the best values, ``#c0`` first (ints for ``int`` parameters).
        loss: their loss.
        evaluations: calls of the loss.
        seconds: wall-clock time of the fit.
        history: the best loss so far after each evaluation (``len == evaluations``).
        stop_reason: why the fit ended: ``"max_evaluations"``, ``"timeout"``,
            ``"target_loss"`` or ``"converged"`` (the method's own criterion).
    """

    params: ParamValues
    loss: float
    evaluations: int
    seconds: float
    history: tuple[float, ...]
    stop_reason: StopReason


class Fitter(ABC):
    """Base of every fitter: one method, :meth:`fit`.

    ``supports_gradients`` tells a caller whether the fitter needs a
    differentiable objective (the torch fitter of neural modules) or treats the
    loss as a black box (everything here).
    """

    supports_gradients: ClassVar[bool] = False

    @abstractmethod
    def fit(
        self,
        program: Program,
        loss: ParamLoss,
        init: Sequence[float] | None = None,
        budget: FitBudget | int | None = None,
    ) -> FitResult:
        """Find values for ``program``'s parameters that minimise ``loss``.

        Args:
            program: the program; its :class:`~hylo.lang.program.Param` leaves are
                what is fitted (``#c0`` … ``#c<n-1>``, ``float`` or ``int``).
            loss: maps the parameter values to a loss; an
                :class:`~hylo.train.programs.ExampleObjective` or any callable.
            init: a starting point, one value per parameter (default: zeros).
            budget: a :class:`FitBudget`, or an ``int`` for a number of evaluations
                (default: ``FitBudget()``).

        Raises:
            FitError: the parameters are not ``#c0`` … ``#c<n-1>`` with one numeric
                type each, or ``init`` has the wrong length.
        """

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({settings})"


class _BudgetSpent(BaseException):
    """Raised by :class:`FitProblem` to end a search; a BaseException, so a broad
    ``except Exception`` inside a fitter cannot swallow it."""

    def __init__(self, reason: StopReason) -> None:
        super().__init__(reason)
        self.reason: StopReason = reason


class FitProblem:
    """What a :class:`GradientFreeFitter` minimises: a loss over real vectors.

    Call it on a vector of length :attr:`dimension`: integer coordinates are
    rounded and every coordinate is clipped to :attr:`bounds` before the loss
    sees the values. When the budget is spent the call does not return: it ends
    :meth:`GradientFreeFitter.minimize` (the fitter keeps the best point).

    Attributes:
        x0: the starting point (a float vector).
        integer: which coordinates are ``int`` parameters.
        bounds: ``(low, high)`` for every coordinate, or ``None``.
        rng: the random generator to draw from (seeded by the fitter).
    """

    def __init__(
        self,
        loss: ParamLoss,
        x0: NDArray[np.float64],
        integer: NDArray[np.bool_],
        bounds: tuple[float, float] | None,
        budget: FitBudget,
        rng: np.random.Generator,
    ) -> None:
        self.x0 = x0
        self.integer = integer
        self.bounds = bounds
        self.rng = rng
        self._loss = loss
        self._budget = budget
        self._start = time.perf_counter()
        self._deadline = math.inf if budget.timeout_s is None else self._start + budget.timeout_s
        self._history: list[float] = []
        self._best: tuple[float, ParamValues] | None = None

    @property
    def dimension(self) -> int:
        return len(self.x0)

    @property
    def evaluations(self) -> int:
        return len(self._history)

    def values(self, x: ArrayLike) -> ParamValues:
        """The parameter values that the loss sees for the vector ``x``."""
        v = np.asarray(x, dtype=np.float64).reshape(-1)
        if v.shape != self.x0.shape:
            raise ValueError(f"expected a vector of length {self.dimension}, got shape {v.shape}")
        if self.bounds is not None:
            v = np.clip(v, *self.bounds)
        return tuple(
            int(np.floor(xi + 0.5)) if is_int else float(xi)
            for xi, is_int in zip(v, self.integer, strict=True)
        )

    def __call__(self, x: ArrayLike) -> float:
        """The loss at ``x`` (capped at :data:`FAILURE_LOSS`)."""
        if self.evaluations >= self._budget.max_evaluations:
            raise _BudgetSpent("max_evaluations")
        if time.perf_counter() >= self._deadline:
            raise _BudgetSpent("timeout")
        return self._evaluate(self.values(x))

    def _evaluate(self, values: ParamValues) -> float:
        loss = self._record(values)
        target = self._budget.target_loss
        if target is not None and loss <= target:
            raise _BudgetSpent("target_loss")
        return loss

    def _record(self, values: ParamValues) -> float:
        """Evaluate ``values``, update the best point and the history; the loss."""
        loss = safe_loss(self._loss, values)
        if self._best is None or loss < self._best[0]:
            self._best = (loss, values)
        self._history.append(self._best[0])
        return loss

    def result(self, reason: StopReason) -> FitResult:
        """The best point so far (the starting point is evaluated if nothing was)."""
        if self._best is None:
            values = self.values(self.x0)
            self._best = (self._record(values), values)
        loss, params = self._best
        seconds = time.perf_counter() - self._start
        return FitResult(params, loss, self.evaluations, seconds, tuple(self._history), reason)


def safe_loss(loss: Callable[[Any], float], *args: Any) -> float:
    """``loss(*args)`` as a float; a :class:`~hylo.lang.errors.HyloError` (a program
    that failed) or a NaN gives :data:`FAILURE_LOSS`; values above it are capped.

    Other exceptions propagate: they are bugs in the loss, not failed candidates.
    """
    try:
        value = float(loss(*args))
    except HyloError:
        return FAILURE_LOSS
    return value if value < FAILURE_LOSS else FAILURE_LOSS  # NaN compares False


class GradientFreeFitter(Fitter):
    """A fitter that treats the loss as a black box: implement :meth:`minimize`.

    Args:
        bounds: ``(low, high)`` for every parameter, or ``None`` for no bounds.
        seed: seeds every random choice; the same seed gives the same result
            (``None``: fresh randomness).
    """

    def __init__(self, *, bounds: tuple[float, float] | None = None, seed: int | None = 0) -> None:
        if bounds is not None and not bounds[0] < bounds[1]:
            raise ValueError(f"bounds must satisfy low < high, got bounds={bounds}")
        self.bounds = bounds
        self.seed = seed

    @abstractmethod
    def minimize(self, problem: FitProblem) -> None:
        """Call ``problem`` on vectors until it converges or the budget ends it.

        Return when the method's own stopping rule fires; a spent budget ends the
        call from inside ``problem(x)``. The best point is kept by ``problem``.
        """

    def fit(
        self,
        program: Program,
        loss: ParamLoss,
        init: Sequence[float] | None = None,
        budget: FitBudget | int | None = None,
    ) -> FitResult:
        integer = param_integer_mask(program)
        problem = FitProblem(
            loss,
            initial_point(integer, init),
            integer,
            self.bounds,
            as_budget(budget),
            np.random.default_rng(self.seed),
        )
        reason: StopReason = "converged"
        try:
            if problem.dimension == 0:
                problem(problem.x0)
            else:
                self.minimize(problem)
        except _BudgetSpent as spent:
            reason = spent.reason
        return problem.result(reason)


def as_budget(budget: FitBudget | int | None) -> FitBudget:
    """``None`` → the default budget; an ``int`` → that many evaluations."""
    if budget is None:
        return FitBudget()
    if isinstance(budget, FitBudget):
        return budget
    if isinstance(budget, int) and not isinstance(budget, bool):
        return FitBudget(max_evaluations=budget)
    raise TypeError(f"budget must be a FitBudget, an int or None, got {budget!r}")


def param_integer_mask(program: Program) -> NDArray[np.bool_]:
    """For each parameter ``#c0``, ``#c1``, …: True when it is an ``int``.

    Raises:
        FitError: indices with gaps, a parameter used at two types, or a type
            other than ``float`` and ``int``.

    >>> from hylo.lang import FLOAT, INT, Param, apply_to
    >>> param_integer_mask(apply_to(Param(1, INT), Param(0, FLOAT))).tolist()
    [False, True]
    """
    params = params_of(program)
    indices = [p.index for p in params]
    if indices != list(range(len(params))):
        found = ", ".join(show(p) for p in params)
        raise FitError(
            f"parameters must be numbered #c0 … #c{len(set(indices)) - 1} without gaps or "
            f"repeats, one type each; got {found} in {show(program)}"
        )
    for p in params:
        if p.tp not in (FLOAT, INT):
            raise FitError(
                f"parameter {show(p)} has type {show_type(p.tp)}; fitters handle float and int"
            )
    return np.array([p.tp == INT for p in params], dtype=np.bool_)


def initial_point(integer: NDArray[np.bool_], init: Sequence[float] | None) -> NDArray[np.float64]:
    """``init`` as a float vector (zeros when ``None``), checked against the parameters."""
    if init is None:
        return np.zeros(len(integer))
    x0 = np.asarray(init, dtype=np.float64).reshape(-1)
    if x0.shape != integer.shape:
        raise FitError(
            f"init has {x0.size} value(s) but the program has {integer.size} parameter(s); "
            "give one value per parameter, #c0 first"
        )
    if not np.all(np.isfinite(x0)):
        raise FitError(f"init must be finite, got {list(init)}")
    return x0
