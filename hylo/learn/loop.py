"""The wake–sleep loop: solve, abstract, refit, repeat — and resume after a crash.

One iteration: **wake** solves every training task with the current library (in
worker processes), **test** measures the held-out tasks with the same library and
timeout, and **sleep** compresses the training solutions into new inventions and
refits the grammar (:func:`hylo.learn.sleep.sleep`), then **dreams**: it trains
the neural guide on replayed solutions and on programs sampled from the new
library (:mod:`hylo.learn.dreams`), and the next wake searches each task with the
grammar the guide predicts for it. Iteration 0 is the base library before any
learning.

Everything the loop learns is written to a :class:`RunLog` as it happens — each
task's outcome as soon as its worker returns, each sleep's new library — and a
run is a replay of its log. Killing the process at any moment and starting the
same run again therefore loses nothing that was recorded: finished tasks are not
solved again, and inventions are not recomputed.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from hylo.domains.task import Task
from hylo.lang.program import parse, show, size
from hylo.learn.dreams import (
    DreamSettings,
    GuideStore,
    MemoryGuideStore,
    replay_frontiers,
    train_guide,
)
from hylo.learn.sleep import sleep
from hylo.learn.spec import LibrarySolver, LibrarySpec
from hylo.search.batch import TaskOutcome, run_benchmark

Event = dict[str, Any]
"""One JSON object of a run's log: ``{"kind": "start" | "outcome" | "sleep" | "dream" |
"metrics", ...}``."""


class RunLog(Protocol):
    """Durable, append-only record of a run (a table of the library store, a file)."""

    def events(self) -> list[Event]:
        """Every event appended so far, in order."""
        ...

    def append(self, event: Event) -> None:
        """Record one event durably before returning."""
        ...


@dataclass(frozen=True)
class LearnConfig:
    """Settings of a learning run (the run is identified by these)."""

    iterations: int = 3
    timeout_s: float = 2.0
    workers: int = 1
    top_k: int = 5
    compression_iterations: int = 10
    max_arity: int = 3
    pseudo_count: float = 1.0
    domain: str = "lists"
    dreams: int = 0
    guide_epochs: int = 8

    def __post_init__(self) -> None:
        if self.iterations < 0:
            raise ValueError(f"iterations must be >= 0, got {self.iterations}")
        if self.dreams < 0 or self.guide_epochs < 0:
            raise ValueError(
                f"dreams and guide_epochs must be >= 0, got {self.dreams}, {self.guide_epochs}"
            )
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class IterationMetrics:
    """What one iteration achieved (one row of the learning curve)."""

    iteration: int
    train_solved: int
    train_tasks: int
    test_solved: int
    test_correct: int
    test_tasks: int
    library_size: int
    median_seconds: float
    test_median_seconds: float
    description_length: float
    new_inventions: list[str] = field(default_factory=list)
    compression_seconds: float = 0.0
    guided: bool = False
    dreams: int = 0
    dream_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


Progress = Callable[[str], None]


def learn(
    train: Sequence[Task],
    test: Sequence[Task],
    config: LearnConfig,
    log: RunLog,
    *,
    initial: LibrarySpec | None = None,
    progress: Progress | None = None,
    show_progress_bars: bool = False,
    guides: GuideStore | None = None,
) -> list[IterationMetrics]:
    """Run (or resume) the wake–sleep loop; returns one row per iteration, 0 first.

    Args:
        train: tasks to learn from.
        test: held-out tasks, only measured.
        config: the loop's settings.
        log: where the run is recorded; a log with events resumes that run.
        initial: the library to start from (default: the domain's primitives,
            uniform). Ignored when resuming: the log remembers what the run started with.
        progress: called with one line of text at each step.
        show_progress_bars: a Rich progress bar while solving.
        guides: where trained guides are kept (default: in memory, so a resumed
            run without a store retrains the guide it lost).
    """
    initial = initial or LibrarySpec(config.domain)
    say = progress or (lambda _: None)
    guides = guides or MemoryGuideStore()
    return _Run(train, test, config, log, initial, say, show_progress_bars, guides).run()


class _Run:
    def __init__(
        self,
        train: Sequence[Task],
        test: Sequence[Task],
        config: LearnConfig,
        log: RunLog,
        initial: LibrarySpec,
        progress: Progress,
        bars: bool,
        guides: GuideStore,
    ) -> None:
        self.train, self.test, self.config, self.log = list(train), list(test), config, log
        self.say, self.bars = progress, bars
        self.outcomes: dict[tuple[int, str], dict[str, TaskOutcome]] = {}
        self.specs: dict[int, LibrarySpec] = {}
        self.sleeps: dict[int, Event] = {}
        self.dreams: dict[int, Event] = {}
        self.metrics: dict[int, IterationMetrics] = {}
        self.guides = guides
        self._replay()
        if 0 not in self.specs:
            self.log.append({"kind": "start", "iteration": 0, "spec": spec_to_json(initial)})
            self.specs[0] = initial

    def _replay(self) -> None:
        for event in self.log.events():
            kind, i = event["kind"], event["iteration"]
            if kind == "start":
                self.specs[0] = spec_from_json(event["spec"])
            elif kind == "outcome":
                outcome = TaskOutcome.from_json(event["outcome"])
                self.outcomes.setdefault((i, event["split"]), {})[outcome.name] = outcome
            elif kind == "sleep":
                self.sleeps[i] = event
                self.specs[i + 1] = spec_from_json(event["spec"])
            elif kind == "dream":
                self.dreams[i] = event
            elif kind == "metrics":
                self.metrics[i] = IterationMetrics(**event["metrics"])

    def run(self) -> list[IterationMetrics]:
        last = self.config.iterations
        for i in range(last + 1):
            if i in self.metrics and (i == last or (i in self.sleeps and self._dreamt(i))):
                continue
            spec = self.specs[i]
            guide = self._guide(i)
            train = self._solve(i, "train", self.train, spec, guide)
            test = self._solve(i, "test", self.test, spec, guide)
            if i not in self.metrics:
                self._record_metrics(i, spec, train, test, guide is not None)
            if i < last and i not in self.sleeps:
                self._sleep(i, spec)
            if i < last and not self._dreamt(i):
                self._dream(i)
        return [self.metrics[i] for i in sorted(self.metrics)]

    def _dreamt(self, i: int) -> bool:
        """Whether sleep ``i``'s dream phase is done (or not wanted)."""
        if self.config.dreams == 0:
            return True
        event = self.dreams.get(i)
        return event is not None and self.guides.get(str(event["artifact"])) is not None

    def _guide(self, i: int) -> bytes | None:
        """The guide trained for the library of iteration ``i`` (None before any dream)."""
        event = self.dreams.get(i - 1)
        if self.config.dreams == 0 or event is None:
            return None
        return self.guides.get(str(event["artifact"]))

    def _dream(self, i: int) -> None:
        spec = self.specs[i + 1]
        replays = replay_frontiers(self.sleeps[i].get("rewritten", {}), spec.namespace())
        self.say(
            f"iteration {i}: dreaming {self.config.dreams} tasks, "
            f"replaying {len(replays)} solved ones"
        )
        settings = DreamSettings(dreams=self.config.dreams, epochs=self.config.guide_epochs)
        guide, report = train_guide(spec.grammar(), spec.domain, self.train, replays, settings)
        info = report.to_json()
        ref = self.guides.put(guide.to_bytes(), {"iteration": i + 1, **info, **guide.config()})
        event = {"kind": "dream", "iteration": i, "artifact": ref, **info}
        self.log.append(event)
        self.dreams[i] = event
        self.say(
            f"iteration {i}: guide trained on {report.dreams} dreams and {report.replays} "
            f"replays in {report.dream_seconds + report.train_seconds:.1f} s"
        )

    def _solve(
        self, i: int, split: str, tasks: list[Task], spec: LibrarySpec, guide: bytes | None
    ) -> dict[str, TaskOutcome]:
        done = self.outcomes.setdefault((i, split), {})
        todo = [t for t in tasks if t.name not in done]
        if todo:
            self.say(f"iteration {i}: {split}, {len(todo)} tasks ({len(done)} done before)")

            def record(outcome: TaskOutcome) -> None:
                self.log.append(
                    {
                        "kind": "outcome",
                        "iteration": i,
                        "split": split,
                        "outcome": outcome.to_json(),
                    }
                )
                done[outcome.name] = outcome

            run_benchmark(
                todo,
                timeout_s=self.config.timeout_s,
                workers=self.config.workers,
                solver=LibrarySolver(spec, self.config.top_k, guide),
                on_result=record,
                progress=self.bars,
            )
        return done

    def _sleep(self, i: int, spec: LibrarySpec) -> None:
        frontiers = self._frontiers(i, spec)
        self.say(f"iteration {i}: sleep, compressing solutions of {len(frontiers)} tasks")
        start = time.perf_counter()
        result = sleep(
            spec,
            frontiers,
            compression_iterations=self.config.compression_iterations,
            max_arity=self.config.max_arity,
            pseudo_count=self.config.pseudo_count,
        )
        event = {
            "kind": "sleep",
            "iteration": i,
            "spec": spec_to_json(result.spec),
            "new_inventions": [inv.name for inv in result.new_inventions],
            "seconds": time.perf_counter() - start,
            "compression_seconds": result.compression.seconds,
            "size_before": result.compression.size_before,
            "size_after": result.compression.size_after,
            "rewritten": {name: [show(p) for p in ps] for name, ps in result.rewritten.items()},
        }
        self.log.append(event)
        self.sleeps[i] = event
        self.specs[i + 1] = result.spec

    def _frontiers(self, i: int, spec: LibrarySpec) -> dict[str, Any]:
        """Best solutions of every training task solved in any iteration so far.

        A task solved earlier but missed now keeps its old solutions, so the
        library never forgets what it once knew.
        """
        namespace = spec.namespace()
        by_task: dict[str, tuple[Any, list[Any]]] = {}
        requests = {t.name: t.request for t in self.train}
        for j in range(i + 1):
            for name, outcome in self.outcomes.get((j, "train"), {}).items():
                if not outcome.solved or name not in requests:
                    continue
                programs = [parse(text, namespace) for text, _ in outcome.candidates]
                if programs:
                    by_task[name] = (requests[name], programs[: self.config.top_k])
        return by_task

    def _record_metrics(
        self,
        i: int,
        spec: LibrarySpec,
        train: dict[str, TaskOutcome],
        test: dict[str, TaskOutcome],
        guided: bool,
    ) -> None:
        previous = self.sleeps.get(i - 1, {})
        dreamt = self.dreams.get(i - 1, {})
        solved_train = [o for o in train.values() if o.solved]
        solved_test = [o for o in test.values() if o.solved]
        metrics = IterationMetrics(
            iteration=i,
            train_solved=len(solved_train),
            train_tasks=len(self.train),
            test_solved=len(solved_test),
            test_correct=sum(o.test_correct for o in test.values()),
            test_tasks=len(self.test),
            library_size=len(spec.inventions),
            median_seconds=_median([o.seconds for o in solved_train]),
            test_median_seconds=_median([o.seconds for o in solved_test]),
            description_length=_description_length(solved_train, spec),
            new_inventions=list(previous.get("new_inventions", [])),
            compression_seconds=float(previous.get("compression_seconds", 0.0)),
            guided=guided,
            dreams=int(dreamt.get("dreams", 0)),
            dream_seconds=float(dreamt.get("dream_seconds", 0.0))
            + float(dreamt.get("train_seconds", 0.0)),
        )
        self.log.append({"kind": "metrics", "iteration": i, "metrics": metrics.to_json()})
        self.metrics[i] = metrics
        self.say(
            f"iteration {i}: train {metrics.train_solved}/{metrics.train_tasks}, "
            f"test {metrics.test_solved}/{metrics.test_tasks}, library {metrics.library_size}"
        )


def _median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else 0.0


def _description_length(solved: list[TaskOutcome], spec: LibrarySpec) -> float:
    """Total size (leaves) of the best solutions: shorter as the library grows."""
    namespace = spec.namespace()
    return float(sum(size(parse(o.program, namespace)) for o in solved if o.program))


def spec_to_json(spec: LibrarySpec) -> dict[str, Any]:
    return {
        "domain": spec.domain,
        "inventions": [list(x) for x in spec.inventions],
        "weights": dict(spec.weights) if spec.weights is not None else None,
        "log_variable": spec.log_variable,
    }


def spec_from_json(data: dict[str, Any]) -> LibrarySpec:
    weights = data.get("weights")
    return LibrarySpec(
        data["domain"],
        tuple((str(n), str(b)) for n, b in data["inventions"]),
        tuple(sorted((str(k), float(v)) for k, v in weights.items())) if weights else None,
        float(data.get("log_variable", 0.0)),
    )
