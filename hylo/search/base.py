"""What every synthesizer returns: ranked candidates with their scores and timing."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hylo.domains.task import Task
from hylo.lang.evaluate import Evaluator, Limits
from hylo.lang.program import Program, show
from hylo.lang.types import Type, show_type


@dataclass(frozen=True, eq=False)
class Candidate:
    """A program found for a task.

    Attributes:
        program: the program.
        tp: its type (the task's request).
        log_prior: log-probability under the grammar searched with.
        log_likelihood: 0.0 when it fits every training example, ``-inf`` otherwise.
        seconds: time from the start of the search until it was found.
        programs: programs enumerated (and checked) until it was found.
        predictions: its outputs on the task's test inputs (``None`` where it failed).

    A candidate is callable on new inputs: ``candidate(x)``.
    """

    program: Program
    tp: Type
    log_prior: float
    log_likelihood: float
    seconds: float
    programs: int
    predictions: tuple[Any, ...] = ()
    limits: Limits = field(default_factory=Limits, repr=False)

    @property
    def log_posterior(self) -> float:
        return self.log_prior + self.log_likelihood

    def __call__(self, *inputs: Any) -> Any:
        """Run the program on ``inputs`` (one value per argument)."""
        return Evaluator(self.limits).function(self.program)(*inputs)

    def __str__(self) -> str:
        return show(self.program)

    def __repr__(self) -> str:
        typed = f"{show(self.program)} : {show_type(self.tp)}"
        return f"Candidate({typed}, log_prior={self.log_prior:.2f})"


@dataclass(frozen=True)
class SearchStats:
    """How much work a search did."""

    programs: int
    seconds: float
    timed_out: bool
    equivalent: int = 0
    """Candidates dropped because an earlier one behaved the same on every input."""

    @property
    def programs_per_second(self) -> float:
        return self.programs / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True, eq=False)
class SearchResult:
    """Candidates that fit a task's training examples, best (highest posterior) first."""

    task: Task
    candidates: tuple[Candidate, ...]
    stats: SearchStats

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def solved(self) -> bool:
        """Some program fits every training example."""
        return any(math.isfinite(c.log_likelihood) for c in self.candidates)

    @property
    def test_correct(self) -> bool | None:
        """The best program's predictions are right on every test example (None: no tests)."""
        if not self.task.test:
            return None
        best = self.best
        if best is None:
            return False
        return all(p == ex.output for p, ex in zip(best.predictions, self.task.test, strict=True))

    def __call__(self, *inputs: Any) -> Any:
        """Run the best program on new inputs."""
        if self.best is None:
            raise LookupError(f"no program was found for task {self.task.name!r}")
        return self.best(*inputs)

    def __str__(self) -> str:
        if self.best is None:
            return f"{self.task.name}: no program found ({self.stats.programs} programs tried)"
        return str(self.best)


ProgressCallback = Callable[[int, float], None]
"""Called now and then during a search with (programs so far, seconds so far)."""
