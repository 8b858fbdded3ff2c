"""OpenAI-style evolution strategy: a gradient estimate from random perturbations.

Salimans, Ho, Chen, Sidor & Sutskever (2017), "Evolution Strategies as a Scalable
Alternative to Reinforcement Learning". Each generation draws ``population_size / 2``
Gaussian directions ``e`` and evaluates the loss at ``theta + sigma e`` and
``theta - sigma e`` (antithetic sampling); the losses are replaced by their
centred ranks (fitness shaping, so the step ignores the loss's scale and
outliers); ``sum(rank_i e_i) / (n sigma)`` estimates the gradient of the smoothed
loss, and Adam (or SGD with momentum) takes a step against it. Memory and time
per generation are linear in the number of parameters, so it suits many
parameters, where CMA-ES's covariance matrix (quadratic) gets expensive.

Integer parameters are rounded before the loss sees them; their perturbations
use a standard deviation of at least 1, so that rounding does not hide them.

>>> from hylo.lang import FLOAT, Param, apply_to
>>> fitter = OpenAIESFitter(learning_rate=0.1, seed=0)
>>> loss = lambda c: (c[0] - 0.5) ** 2 + (c[1] + 1) ** 2
>>> result = fitter.fit(apply_to(Param(0, FLOAT), Param(1, FLOAT)), loss, budget=2000)
>>> [round(c, 1) for c in result.params]
[0.5, -1.0]
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from hylo.train.base import FitProblem, GradientFreeFitter

Vector = NDArray[np.float64]


class OpenAIESFitter(GradientFreeFitter):
    """Fit parameters with an OpenAI-style evolution strategy.

    Args:
        sigma: standard deviation of the perturbations (integer parameters: at
            least 1).
        learning_rate: step size of the optimizer.
        population_size: evaluations per generation (even: antithetic pairs); one
            more evaluates the current mean.
        optimizer: ``"adam"`` or ``"sgd"`` (with momentum 0.9).
        bounds: ``(low, high)`` for every parameter, or ``None``.
        seed: seeds the perturbations.

    It has no stopping rule of its own: the budget ends it.
    """

    def __init__(
        self,
        *,
        sigma: float = 0.1,
        learning_rate: float = 0.05,
        population_size: int = 32,
        optimizer: Literal["adam", "sgd"] = "adam",
        bounds: tuple[float, float] | None = None,
        seed: int | None = 0,
    ) -> None:
        super().__init__(bounds=bounds, seed=seed)
        if not sigma > 0 or not learning_rate > 0:
            raise ValueError(
                f"sigma and learning_rate must be > 0, got sigma={sigma}, "
                f"learning_rate={learning_rate}"
            )
        if population_size < 2 or population_size % 2:
            raise ValueError(
                f"population_size must be even and >= 2 (antithetic pairs), got {population_size}"
            )
        if optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
        self.sigma = sigma
        self.learning_rate = learning_rate
        self.population_size = population_size
        self.optimizer = optimizer

    def minimize(self, problem: FitProblem) -> None:
        theta = problem.x0.copy()
        sigma = np.where(problem.integer, max(self.sigma, 1.0), self.sigma)
        step = (
            _Adam(self.learning_rate) if self.optimizer == "adam" else _Momentum(self.learning_rate)
        )
        while True:
            problem(theta)
            theta = theta - step(self._gradient(problem, theta, sigma))
            if problem.bounds is not None:
                theta = np.clip(theta, *problem.bounds)

    def _gradient(self, problem: FitProblem, theta: Vector, sigma: Vector) -> Vector:
        """Estimate of the gradient of the Gaussian-smoothed loss at ``theta``."""
        half = problem.rng.standard_normal((self.population_size // 2, problem.dimension))
        noise = np.concatenate([half, -half])
        losses = np.array([problem(theta + sigma * e) for e in noise])
        shaped = centered_ranks(losses)
        grad: Vector = shaped @ noise / (len(noise) * sigma)
        return grad


def centered_ranks(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Ranks scaled to ``[-0.5, 0.5]`` (the lowest value gets ``-0.5``); ties share a rank.

    >>> centered_ranks(np.array([3.0, 1.0, 2.0, 2.0])).tolist()
    [0.5, -0.5, 0.0, 0.0]
    """
    if len(values) < 2:
        return np.zeros(len(values))
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    first = np.cumsum(counts) - counts
    ranks = (first + (counts - 1) / 2)[inverse]
    out: NDArray[np.float64] = ranks / (len(values) - 1) - 0.5
    return out


class _Adam:
    """Adam (Kingma & Ba 2015): the step to subtract for a gradient."""

    def __init__(self, learning_rate: float, beta1: float = 0.9, beta2: float = 0.999) -> None:
        self.learning_rate, self.beta1, self.beta2 = learning_rate, beta1, beta2
        self.m: Vector | float = 0.0
        self.v: Vector | float = 0.0
        self.t = 0

    def __call__(self, grad: Vector) -> Vector:
        self.t += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1 - self.beta2) * grad**2
        m_hat = self.m / (1 - self.beta1**self.t)
        v_hat = self.v / (1 - self.beta2**self.t)
        out: Vector = self.learning_rate * m_hat / (np.sqrt(v_hat) + 1e-8)
        return out


class _Momentum:
    """SGD with momentum 0.9: the step to subtract for a gradient."""

    def __init__(self, learning_rate: float, momentum: float = 0.9) -> None:
        self.learning_rate, self.momentum = learning_rate, momentum
        self.velocity: Vector | float = 0.0

    def __call__(self, grad: Vector) -> Vector:
        self.velocity = self.momentum * self.velocity + grad
        out: Vector = self.learning_rate * self.velocity
        return out
