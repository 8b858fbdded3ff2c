"""Searching a task through views: transformed tasks whose solutions lift back.

Some tasks are easier seen another way — ARC grids with their colours renamed by
role (:mod:`hylo.domains.arc.palette`), say. A :class:`TaskView` says when it
applies, how to transform the task, and how to lift a program of the transformed
task to one of the original. :class:`ViewSynthesizer` gives each applicable view a
share of the time, then searches the task itself with what is left. A view
applies only where the task itself is expected to mislead (for the palette view,
a test input with colours that no training pair shows, so programs with colour
constants cannot carry over), so the views' best program comes first, then the
task's own best, then the views' second, and so on: the top three predictions
hedge between the two ways of seeing the task.

Every lifted program is checked on the original training examples and its test
predictions are recomputed, so a candidate means the same whichever way it was found.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from hylo.domains.task import Task
from hylo.lang.errors import HyloError
from hylo.lang.evaluate import Evaluator
from hylo.lang.program import Program
from hylo.search.base import Candidate, ProgressCallback, SearchResult, SearchStats
from hylo.search.grammar import Grammar
from hylo.search.synthesizer import BaseSynthesizer


@dataclass(frozen=True)
class TaskView:
    """A way to see a task: when it applies, the transformed task, and the lift back."""

    name: str
    applies: Callable[[Task], bool]
    transform: Callable[[Task], Task]
    lift: Callable[[Program], Program]


class ViewSynthesizer(BaseSynthesizer):
    """Search applicable views first (``share`` of the time between them), then the task.

    Args:
        make: builds the inner synthesizer for a time budget, e.g.
            ``lambda t: BottomUpSynthesizer(timeout_s=t)``.
        views: the views to try, in order.
        timeout_s: wall-clock budget for everything.
        top_k: how many candidates (distinct test predictions) to return.
        share: the fraction of the budget the views get together when any applies;
            the task itself gets the rest, and whatever the views left unused.
    """

    def __init__(
        self,
        make: Callable[[float], BaseSynthesizer],
        views: Sequence[TaskView],
        timeout_s: float = 10.0,
        top_k: int = 3,
        share: float = 0.5,
    ) -> None:
        if not 0.0 < share < 1.0:
            raise ValueError(f"share must be in (0, 1), got {share}")
        self.make, self.views = make, views
        self.timeout_s, self.top_k, self.share = timeout_s, top_k, share

    def search(
        self, task: Task, grammar: Grammar | None = None, progress: ProgressCallback | None = None
    ) -> SearchResult:
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s}")
        views = [v for v in self.views if v.applies(task)]
        if not views:
            return self.make(self.timeout_s).search(task, grammar, progress)
        start = time.perf_counter()
        results: list[SearchResult] = []
        lifted: list[Candidate] = []
        for view in views:
            budget = self.timeout_s * self.share / len(views)
            report = _after(progress, results, start)
            seen = self.make(budget).search(view.transform(task), grammar, report)
            results.append(seen)
            lifted += [c for c in (_lifted(c, view, task) for c in seen.candidates) if c]
        spent, done = time.perf_counter() - start, sum(r.stats.programs for r in results)
        own_budget = max(0.01, self.timeout_s - spent)
        own = self.make(own_budget).search(task, grammar, _after(progress, results, start))
        results.append(own)
        # The task's own candidates were found after the views' work: count it.
        later = [
            replace(c, seconds=c.seconds + spent, programs=c.programs + done)
            for c in own.candidates
        ]
        return SearchResult(task, _distinct(_alternate(lifted, later), self.top_k), _sum(results))


def _after(
    progress: ProgressCallback | None, results: Sequence[SearchResult], start: float
) -> ProgressCallback | None:
    """``progress`` for the next search, counting the work of those before it."""
    if progress is None:
        return None
    programs, offset = sum(r.stats.programs for r in results), time.perf_counter() - start

    def report(n: int, seconds: float) -> None:
        progress(programs + n, offset + seconds)

    return report


def _lifted(c: Candidate, view: TaskView, task: Task) -> Candidate | None:
    """``c`` as a candidate of ``task``: lifted, checked on the training pairs, re-predicted."""
    program = view.lift(c.program)
    run = Evaluator(c.limits).function(program)
    if any(_try(run, e.inputs) != e.output for e in task.train):  # the lift does not hold
        return None
    predictions = tuple(_try(run, e.inputs) for e in task.test)
    return replace(c, program=program, predictions=predictions)


def _try(run: Callable[..., Any], inputs: tuple[Any, ...]) -> Any:
    """``run(*inputs)``, or ``None`` where evaluating fails."""
    try:
        return run(*inputs)
    except HyloError:
        return None


def _alternate(first: Sequence[Candidate], second: Sequence[Candidate]) -> list[Candidate]:
    """``first[0], second[0], first[1], …``: each search's best gets one of the top places."""
    pairs = itertools.zip_longest(first, second)
    return [c for pair in pairs for c in pair if c is not None]


def _distinct(candidates: Sequence[Candidate], k: int) -> tuple[Candidate, ...]:
    """The first ``k`` candidates with distinct test predictions."""
    out: list[Candidate] = []
    seen: list[tuple[object, ...]] = []
    for c in candidates:
        if c.predictions in seen:
            continue
        seen.append(c.predictions)
        out.append(c)
    return tuple(out[:k])


def _sum(results: Sequence[SearchResult]) -> SearchStats:
    return SearchStats(
        programs=sum(r.stats.programs for r in results),
        seconds=sum(r.stats.seconds for r in results),
        timed_out=all(r.stats.timed_out for r in results),
        equivalent=sum(r.stats.equivalent for r in results),
    )
