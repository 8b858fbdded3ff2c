"""CMA-ES: the default fitter of a program's numeric constants.

The covariance matrix adaptation evolution strategy (Hansen & Ostermeier 2001;
Hansen 2016, "The CMA Evolution Strategy: A Tutorial") samples a population from a
Gaussian, ranks it by loss, and moves the mean and adapts the step size and the
covariance towards the better points. It needs no gradient and no tuning for a
few to a few dozen parameters. This is a thin wrapper over the ``cma`` package
(``cma.CMAEvolutionStrategy``, ask/tell).

Integer parameters: CMA-ES searches over reals; the problem rounds the integer
coordinates before the loss sees them, and ``cma``'s ``integer_variables`` option
keeps their step size from shrinking below what rounding can resolve.

>>> from hylo.lang import FLOAT, INT, Param, apply_to
>>> fitter = CMAESFitter(seed=0)
>>> loss = lambda c: (c[0] - 3.7) ** 2 + (c[1] - 4) ** 2
>>> result = fitter.fit(apply_to(Param(0, FLOAT), Param(1, INT)), loss, budget=2000)
>>> round(result.params[0], 3), result.params[1]
(3.7, 4)
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from hylo.train.base import FitProblem, GradientFreeFitter


class CMAESFitter(GradientFreeFitter):
    """Fit parameters with CMA-ES (the ``cma`` package).

    Args:
        sigma0: initial step size, in the units of the parameters: about a quarter
            of the range where the optimum may lie.
        population_size: points per generation (``None``: ``cma``'s default,
            ``4 + 3 ln n`` for ``n`` parameters).
        bounds: ``(low, high)`` for every parameter, or ``None``.
        seed: seeds the sampling (``cma`` gets its own generator; numpy's global
            state is left alone).

    The search ends when the budget is spent or when ``cma`` stops on its own
    (the loss no longer changes: ``stop_reason == "converged"``).
    """

    def __init__(
        self,
        *,
        sigma0: float = 1.0,
        population_size: int | None = None,
        bounds: tuple[float, float] | None = None,
        seed: int | None = 0,
    ) -> None:
        super().__init__(bounds=bounds, seed=seed)
        if not sigma0 > 0:
            raise ValueError(f"sigma0 must be > 0, got {sigma0}")
        if population_size is not None and population_size < 2:
            raise ValueError(f"population_size must be >= 2 or None, got {population_size}")
        self.sigma0 = sigma0
        self.population_size = population_size

    def minimize(self, problem: FitProblem) -> None:
        import cma  # type: ignore[import-untyped]  # loads slowly: import when fitting

        # cma fails on a single integer variable (its step-size limits need two
        # dimensions): search one padding coordinate more and ignore it.
        n = problem.dimension
        x0 = np.append(problem.x0, 0.0) if n == 1 else problem.x0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # cma warns about flat fitness and such
            es = cma.CMAEvolutionStrategy(x0, self.sigma0, self._options(problem))
            problem(problem.x0)  # never end worse than the starting point (a warm start)
            while not es.stop():
                xs = es.ask()
                es.tell(xs, [problem(x[:n]) for x in xs])

    def _options(self, problem: FitProblem) -> dict[str, Any]:
        rng = problem.rng
        low, high = problem.bounds if problem.bounds is not None else (None, None)
        options: dict[str, Any] = {
            "randn": lambda lam, n: rng.standard_normal((lam, n)),
            "seed": np.nan,  # with our own randn, cma must not touch numpy's global seed
            "verbose": -9,
            "bounds": [low, high],
            "integer_variables": np.flatnonzero(problem.integer).tolist(),
            "maxfevals": np.inf,  # the problem ends the search when the budget is spent
        }
        if self.population_size is not None:
            options["popsize"] = self.population_size
        return options
