"""Synthesizers: the scikit-learn-style contract every search engine implements.

``__init__`` only stores arguments (so :meth:`get_params` and hylo's AutoML work);
:meth:`fit` searches and sets ``program_``, ``stats_`` and ``result_``; then
:meth:`predict` and :meth:`score` use the best program.

>>> from hylo.domains.lists import LISTS
>>> from hylo.domains.task import make_task
>>> from hylo.lang.types import parse_type
>>> task = make_task("double", parse_type("list(int) -> list(int)"),
...                  [([[1, 2]], [2, 4]), ([[3]], [6]), ([[0, 5]], [0, 10])])
>>> synth = EnumerativeSynthesizer(timeout_s=10).fit(task)
>>> synth.predict([([4, 1],)])
[[8, 2]]
"""

from __future__ import annotations

import contextlib
import inspect
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, Self

from hylo.domains import get_domain
from hylo.domains.task import Example, Task
from hylo.lang.errors import HyloError
from hylo.lang.evaluate import Budget, Evaluator, Limits, use_limits
from hylo.lang.program import Program, show
from hylo.lang.types import show_type
from hylo.search.base import Candidate, ProgressCallback, SearchResult, SearchStats
from hylo.search.enumerate import EnumerationTimeout, Enumerator, gc_paused
from hylo.search.grammar import Grammar


class NotFittedError(HyloError, AttributeError):
    """``predict``/``score`` called before ``fit`` found a program."""


class BaseSynthesizer(ABC):
    """Base class: subclasses implement :meth:`search`; the rest comes for free."""

    program_: Program | None
    stats_: SearchStats
    result_: SearchResult

    @abstractmethod
    def search(
        self, task: Task, grammar: Grammar | None = None, progress: ProgressCallback | None = None
    ) -> SearchResult:
        """Search for programs that fit ``task.train``; the best first."""

    def fit(self, task: Task, grammar: Grammar | None = None) -> Self:
        self.result_ = self.search(task, grammar)
        self.stats_ = self.result_.stats
        self.program_ = self.result_.best.program if self.result_.best else None
        return self

    def predict(self, inputs: Sequence[Sequence[Any]]) -> list[Any]:
        """Outputs of the best program; ``inputs`` holds one argument tuple per call."""
        best = self._best()
        return [best(*args) for args in inputs]

    def score(self, task: Task) -> float:
        """Fraction of ``task.test`` (or ``task.train`` without tests) predicted right."""
        examples = task.test or task.train
        best = self._best()
        right = 0
        for ex in examples:
            with contextlib.suppress(HyloError):
                right += best(*ex.inputs) == ex.output
        return right / len(examples) if examples else 0.0

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor arguments, read from the signature (scikit-learn convention)."""
        del deep
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {n: getattr(self, n) for n in names}

    def set_params(self, **params: Any) -> Self:
        valid = self.get_params()
        for k, v in params.items():
            if k not in valid:
                raise ValueError(
                    f"{type(self).__name__} has no parameter {k!r}; valid: {sorted(valid)}"
                )
            setattr(self, k, v)
        return self

    def _best(self) -> Candidate:
        result: SearchResult | None = getattr(self, "result_", None)
        if result is None:
            raise NotFittedError(f"call {type(self).__name__}.fit(task) before using it")
        if result.best is None:
            raise NotFittedError(f"no program was found for task {result.task.name!r}")
        return result.best

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


def default_grammar(task: Task) -> Grammar:
    """Uniform grammar over the primitives of the task's domain (``lists`` if unset),
    with the domain's weight for variables."""
    domain = get_domain(task.domain or "lists")
    return Grammar.uniform(domain.primitives, domain.log_variable)


SEARCH_LIMITS = Limits(max_steps=10_000, timeout_s=0.1, max_length=100)
"""Per-call limits while searching: list tasks have short lists and small numbers,
so a candidate that needs more is almost surely looping, and failing it fast keeps
the search moving."""
GRID_LIMITS = Limits(max_steps=10_000, timeout_s=0.5, max_length=1_000)
"""Per-call limits for grid search: lists of objects and cells are longer than list tasks'."""


class EnumerativeSynthesizer(BaseSynthesizer):
    """Top-down enumeration in bands of description length, checking every program.

    Args:
        timeout_s: wall-clock budget for the whole search.
        top_k: how many fitting programs to keep.
        band_width: width of a cost band in nats (DreamCoder uses 1.5).
        max_programs: stop after checking this many programs (None: no limit).
        limits: evaluation limits per call of a candidate on one example.
        prune_equivalent: drop subprograms (outside any lambda) that behave like a
            cheaper one on the training inputs (observational equivalence).
    """

    def __init__(
        self,
        timeout_s: float = 10.0,
        top_k: int = 5,
        band_width: float = 1.5,
        max_programs: int | None = None,
        limits: Limits | None = None,
        prune_equivalent: bool = False,
    ) -> None:
        self.timeout_s = timeout_s
        self.top_k = top_k
        self.band_width = band_width
        self.max_programs = max_programs
        self.limits = limits
        self.prune_equivalent = prune_equivalent

    def search(
        self, task: Task, grammar: Grammar | None = None, progress: ProgressCallback | None = None
    ) -> SearchResult:
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s}")
        if self.band_width <= 0:
            raise ValueError(f"band_width must be > 0, got {self.band_width}")
        if not task.train:
            raise ValueError(f"task {task.name!r} has no training examples to search with")
        grammar = grammar or default_grammar(task)
        limits = self.limits or SEARCH_LIMITS
        return _EnumerationRun(task, grammar, limits, self, progress).run()


# Programs between two looks at the clock (search deadline, progress, per-call clock).
_CHECK_EVERY = 256


class _EnumerationRun:
    """One search: the loop over bands, checking every program on the examples."""

    def __init__(
        self,
        task: Task,
        grammar: Grammar,
        limits: Limits,
        synth: EnumerativeSynthesizer,
        progress: ProgressCallback | None,
    ) -> None:
        self.task, self.grammar, self.synth, self.progress = task, grammar, synth, progress
        self.limits = limits
        self.budget = Budget(limits)
        inputs = [ex.inputs for ex in task.train] if synth.prune_equivalent else None
        self.enumerator = Enumerator(grammar, task.request, self.budget, inputs)
        self.hits: list[Candidate] = []
        self.programs = 0
        self.start = time.perf_counter()
        self.deadline = self.start + synth.timeout_s

    def run(self) -> SearchResult:
        use_limits(self.limits)
        self.enumerator.deadline = self.deadline
        with gc_paused():
            try:
                timed_out = self._loop()
            except EnumerationTimeout:
                timed_out = True
            seconds = time.perf_counter() - self.start
            # Free the materialised programs while the collector is still off:
            # reference counting frees them, and the collector never has to walk them.
            del self.enumerator
        hits = sorted(self.hits, key=lambda c: -c.log_posterior)[: self.synth.top_k]
        return SearchResult(self.task, tuple(hits), SearchStats(self.programs, seconds, timed_out))

    def _loop(self) -> bool:
        """Returns whether the search ran out of time (or programs)."""
        pairs = [(tuple(reversed(ex.inputs)), ex.output) for ex in self.task.train]
        budget = self.budget
        max_programs = self.synth.max_programs or math.inf
        lo = 0.0
        next_check = self.programs + _CHECK_EVERY
        budget.reset()
        first_stop = budget.stop
        while True:
            hi = lo + self.synth.band_width
            for item in self.enumerator.band(lo, hi):
                self.programs += 1
                clo = item[1]
                try:
                    for env, out in pairs:
                        budget.steps, budget.stop = 0, first_stop
                        if clo(env) != out:
                            break
                    else:
                        self._hit(self.enumerator.program(item), -item[0])
                except Exception:  # a failing candidate is just a failed candidate
                    pass
                if self.programs >= next_check:
                    next_check = self.programs + _CHECK_EVERY
                    budget.reset()  # the per-call clock is renewed here, not per program
                    now = time.perf_counter()
                    if self.progress is not None:
                        self.progress(self.programs, now - self.start)
                    if now > self.deadline or self.programs >= max_programs:
                        return True
            if len(self.hits) >= 1:
                return False  # the band that produced a solution is finished: stop
            lo = hi
            if time.perf_counter() > self.deadline:
                return True

    def _hit(self, program: Program, log_prior: float) -> None:
        evaluator = Evaluator(self.limits)
        f = evaluator.function(program)
        predictions = tuple(_predict(f, ex) for ex in self.task.test)
        use_limits(self.limits)
        self.hits.append(
            Candidate(
                program,
                self.task.request,
                log_prior,
                0.0,
                time.perf_counter() - self.start,
                self.programs,
                predictions,
                self.limits,
            )
        )


def _predict(f: Any, ex: Example) -> Any:
    try:
        return f(*ex.inputs)
    except HyloError:
        return None


def solve(
    task: Task,
    grammar: Grammar | None = None,
    *,
    timeout_s: float = 10.0,
    top_k: int = 5,
    progress: ProgressCallback | None = None,
) -> SearchResult:
    """Search for programs for ``task`` until one fits (or time runs out).

    The engine is the domain's default (:func:`default_synthesizer`).

    Args:
        task: the examples and type to search for.
        grammar: production weights; uniform over the task's domain by default.
        timeout_s: wall-clock budget.
        top_k: how many fitting programs to return.
        progress: called now and then with (programs so far, seconds so far).
    """
    return default_synthesizer(task, timeout_s=timeout_s, top_k=top_k).search(
        task, grammar, progress
    )


_RULE_CANDIDATES = 400


def default_synthesizer(task: Task, *, timeout_s: float, top_k: int) -> BaseSynthesizer:
    """The engine that suits the task's domain: bottom-up for ARC grids, else the enumerator.

    Grid programs are compositions of many first-order transformations over large
    values, where keeping one program per behaviour prunes the most.
    """
    if task.domain == "arc":
        return _grid_synthesizer(timeout_s, top_k)
    return EnumerativeSynthesizer(timeout_s=timeout_s, top_k=top_k)


def _grid_synthesizer(timeout_s: float, top_k: int) -> BaseSynthesizer:
    """Bottom-up over grids, also through the colour-role view where test colours are new."""
    from hylo.domains.arc import palette
    from hylo.domains.arc.continuation import continuation_completion
    from hylo.domains.arc.drawings import COUNT, count_drawing_completion
    from hylo.domains.arc.finish import color_map_completion
    from hylo.domains.arc.halves import halves_completion
    from hylo.domains.arc.lookups import lookup_finishers
    from hylo.domains.arc.rules import rule_completions
    from hylo.domains.arc.stamps import stamp_completion
    from hylo.domains.arc.windows import window_completion
    from hylo.search.bottom_up import AtMost, BottomUpSynthesizer, OnKeys  # imports this module
    from hylo.search.views import TaskView, ViewSynthesizer

    def bottom_up(seconds: float) -> BaseSynthesizer:
        return BottomUpSynthesizer(
            timeout_s=seconds,
            top_k=top_k,
            limits=GRID_LIMITS,
            # Rules, stamps, windows, cell logic and continuations are learned from the
            # examples: tried only on the inputs and the values closest to them, where least
            # likely to fit by chance.
            finishers=(
                color_map_completion,
                AtMost(rule_completions, _RULE_CANDIDATES),
                AtMost(stamp_completion, _RULE_CANDIDATES),
                AtMost(window_completion, _RULE_CANDIDATES),
                AtMost(halves_completion, _RULE_CANDIDATES),
                AtMost(continuation_completion, _RULE_CANDIDATES),
                *(OnKeys(f, tp) for tp, f in lookup_finishers().items()),
                OnKeys(count_drawing_completion, COUNT),
            ),
        )

    roles = TaskView(
        "colour roles", palette.roles_may_help, palette.normalized_task, palette.lift_normalized
    )
    return ViewSynthesizer(bottom_up, (roles,), timeout_s=timeout_s, top_k=top_k)


def describe(result: SearchResult) -> str:
    """One line: the best program, its type and how long it took."""
    if result.best is None:
        return f"{result.task.name}: not solved ({result.stats.programs} programs)"
    b = result.best
    found = f"({b.seconds:.2f} s, {b.programs} programs)"
    return f"{result.task.name}: {show(b.program)} : {show_type(b.tp)} {found}"
