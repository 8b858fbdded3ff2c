"""Random search: the reference :class:`~hylo.train.base.GradientFreeFitter`.

It documents the contract by example (draw points, call the problem, let the
budget end the loop) and is a baseline for the real methods.

>>> from hylo.lang import FLOAT, Param
>>> fitter = RandomSearchFitter(scale=2.0, seed=1)
>>> result = fitter.fit(Param(0, FLOAT), lambda c: abs(c[0] - 3), init=[2.0], budget=200)
>>> round(result.params[0])
3
"""

from __future__ import annotations

from hylo.train.base import FitProblem, GradientFreeFitter


class RandomSearchFitter(GradientFreeFitter):
    """Evaluate the starting point, then Gaussian points around it until the budget ends.

    Args:
        scale: standard deviation of the points around the starting point.
        bounds: ``(low, high)`` for every parameter, or ``None``.
        seed: seeds the points drawn.
    """

    def __init__(
        self,
        *,
        scale: float = 1.0,
        bounds: tuple[float, float] | None = None,
        seed: int | None = 0,
    ) -> None:
        super().__init__(bounds=bounds, seed=seed)
        if not scale > 0:
            raise ValueError(f"scale must be > 0, got {scale}")
        self.scale = scale

    def minimize(self, problem: FitProblem) -> None:
        problem(problem.x0)
        while True:
            problem(problem.x0 + self.scale * problem.rng.standard_normal(problem.dimension))
