"""Run a synthesizer over a suite of tasks in worker processes, and report.

:func:`run_benchmark` solves every task of a suite, each in one of ``workers``
processes, and returns a :class:`BenchmarkReport`: one :class:`TaskOutcome` per
task plus a summary (tasks solved on their training examples, tasks whose program
is right on every held-out test example, median time-to-solve, programs/second).

Workers are isolated: a task whose worker crashes (a segfault, the OOM killer) or
outlives its time limit is recorded as failed with an error message, its worker is
replaced, and the benchmark goes on. Results cross the process boundary as plain
dicts; programs come back as text.

:meth:`BenchmarkReport.to_json` has at least this shape, which other tools read::

    {"summary": {"tasks": int, "solved": int, "test_correct": int, "timeout": float,
                 "programs_per_second": float, "median_seconds": float,
                 "programs_to_solution_median": float},
     "tasks": [{"name": str, "solved": bool, "test_correct": bool,
                "program": str | None, "seconds": float, "programs": int}]}

>>> report = BenchmarkReport.from_json({"summary": {"timeout": 1.0}, "tasks": [
...     {"name": "a", "solved": True, "test_correct": True, "program": "(lam $0)",
...      "seconds": 0.5, "programs": 10, "search_seconds": 1.0, "search_programs": 20}]})
>>> report.summary()["solved"], report.summary()["programs_per_second"]
(1, 20.0)
"""

from __future__ import annotations

import functools
import json
import math
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from hylo.domains.task import Task, TaskFormatError, task_from_json, task_to_json
from hylo.lang.program import show
from hylo.lang.types import show_type
from hylo.search.base import SearchResult
from hylo.search.synthesizer import solve

# A worker may overrun the search's own timeout by this much (start-up, checking the
# test examples) before it is killed: this many seconds plus this fraction of the timeout.
_GRACE_S = 30.0
_GRACE_FRACTION = 0.5

OnResult = Callable[["TaskOutcome"], None]
_Record = Callable[[int, "TaskOutcome"], None]  # a task's index in the run, its outcome
Solver = Callable[[Task, float], "TaskOutcome"]
"""Solves one task within a time limit in seconds; must be a module-level function."""


@dataclass(frozen=True)
class TaskOutcome:
    """What happened on one task of a benchmark.

    Attributes:
        name: the task's name.
        solved: some program fits every training example.
        test_correct: solved, and the best program is right on every test example
            (a solved task without test examples counts as right).
        program: the best program, as text (``None`` when not solved).
        seconds: time to find the best program when solved, else the whole search time.
        programs: programs enumerated until the best was found when solved, else all.
        type: the task's type, e.g. ``list(int) -> list(int)``.
        log_prior: the best program's log-prior (``None`` when not solved).
        search_seconds: the whole search time.
        search_programs: every program the search enumerated.
        num_test: how many held-out test examples the task has.
        error: why the task failed, when it did not run to the end (else ``None``).
        candidates: every program kept, best first, as ``(text, log_prior)``.
        test_results: per test example, whether one of the kept candidates (at most
            three, ARC's rule) predicts its output exactly.
        predictions: per test example, each kept candidate's prediction (JSON values).
        equivalent: candidates the search dropped as observationally equivalent.
        peak_memory_mb: the worker's peak resident memory during the task (Linux).
    """

    name: str
    solved: bool
    test_correct: bool
    program: str | None
    seconds: float
    programs: int
    type: str = ""
    log_prior: float | None = None
    search_seconds: float = 0.0
    search_programs: int = 0
    num_test: int = 0
    error: str | None = None
    candidates: tuple[tuple[str, float], ...] = ()
    test_results: tuple[bool, ...] = ()
    predictions: tuple[tuple[Any, ...], ...] = ()
    equivalent: int = 0
    peak_memory_mb: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskOutcome:
        known = {f for f in cls.__dataclass_fields__}
        fields = {k: v for k, v in data.items() if k in known}
        fields["candidates"] = tuple((str(p), float(lp)) for p, lp in data.get("candidates", ()))
        fields["test_results"] = tuple(bool(r) for r in data.get("test_results", ()))
        fields["predictions"] = tuple(tuple(p) for p in data.get("predictions", ()))
        return cls(**fields)

    @classmethod
    def failure(cls, task: Task, error: str, seconds: float = 0.0) -> TaskOutcome:
        """The outcome of a task whose worker raised, crashed or ran out of time."""
        return cls(
            name=task.name,
            solved=False,
            test_correct=False,
            program=None,
            seconds=seconds,
            programs=0,
            type=_type_text(task),
            search_seconds=seconds,
            num_test=len(task.test),
            error=error,
        )


@dataclass(frozen=True)
class BenchmarkReport:
    """The outcomes of a benchmark run, in the order of the tasks given."""

    outcomes: tuple[TaskOutcome, ...]
    timeout_s: float
    workers: int = 1
    wall_seconds: float = 0.0
    metadata: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.outcomes)

    def __iter__(self) -> Iterator[TaskOutcome]:
        return iter(self.outcomes)

    @property
    def num_solved(self) -> int:
        return sum(o.solved for o in self.outcomes)

    @property
    def num_test_correct(self) -> int:
        return sum(o.test_correct for o in self.outcomes)

    @property
    def num_failed(self) -> int:
        return sum(o.error is not None for o in self.outcomes)

    @property
    def programs_per_second(self) -> float:
        """Programs enumerated per second of search, over all tasks."""
        seconds = sum(o.search_seconds for o in self.outcomes)
        programs = sum(o.search_programs for o in self.outcomes)
        return programs / seconds if seconds > 0 else 0.0

    @property
    def median_seconds(self) -> float:
        """Median time-to-solve over the solved tasks (0.0 when none was solved)."""
        times = [o.seconds for o in self.outcomes if o.solved]
        return float(statistics.median(times)) if times else 0.0

    @property
    def programs_to_solution_median(self) -> float:
        """Median programs enumerated until the first fitting one, over the solved tasks."""
        counts = [o.programs for o in self.outcomes if o.solved]
        return float(statistics.median(counts)) if counts else 0.0

    @property
    def equivalent_fraction(self) -> float:
        """Of the candidates built, the fraction dropped by observational equivalence."""
        programs = sum(o.search_programs for o in self.outcomes)
        return sum(o.equivalent for o in self.outcomes) / programs if programs else 0.0

    def summary(self) -> dict[str, Any]:
        """The ``"summary"`` object of :meth:`to_json`."""
        n = len(self.outcomes)
        return {
            "tasks": n,
            "solved": self.num_solved,
            "test_correct": self.num_test_correct,
            "timeout": float(self.timeout_s),
            "programs_per_second": self.programs_per_second,
            "median_seconds": self.median_seconds,
            "programs_to_solution_median": self.programs_to_solution_median,
            "solved_rate": self.num_solved / n if n else 0.0,
            "test_correct_rate": self.num_test_correct / n if n else 0.0,
            "failed": self.num_failed,
            "test_examples_correct": sum(sum(o.test_results) for o in self.outcomes),
            "test_examples": sum(o.num_test for o in self.outcomes),
            "equivalent_fraction": self.equivalent_fraction,
            "peak_memory_mb_max": max(
                (o.peak_memory_mb for o in self.outcomes if o.peak_memory_mb is not None),
                default=None,
            ),
            "programs": sum(o.search_programs for o in self.outcomes),
            "search_seconds": sum(o.search_seconds for o in self.outcomes),
            "workers": self.workers,
            "wall_seconds": self.wall_seconds,
        }

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: ``{"summary": {...}, "tasks": [{...}, ...]}`` (see module doc)."""
        return {
            "summary": self.summary(),
            "tasks": [o.to_json() for o in self.outcomes],
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BenchmarkReport:
        """Read back what :meth:`to_json` wrote."""
        summary = data.get("summary", {})
        return cls(
            outcomes=tuple(TaskOutcome.from_json(t) for t in data.get("tasks", [])),
            timeout_s=float(summary.get("timeout", 0.0)),
            workers=int(summary.get("workers", 1)),
            wall_seconds=float(summary.get("wall_seconds", 0.0)),
            metadata=dict(data.get("metadata", {})),
        )

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_json` to ``path`` (parent folders are created); return the path."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        # Written beside and renamed over, so a run killed mid-write keeps the old file.
        partial = out.with_name(out.name + ".partial")
        partial.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        partial.replace(out)
        return out

    @classmethod
    def load(cls, path: str | Path) -> BenchmarkReport:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


# --------------------------------------------------------------------------- workers


def solve_to_outcome(task: Task, timeout_s: float) -> TaskOutcome:
    """Solve one task in this process and summarise the result as a :class:`TaskOutcome`.

    The domain's default engine searches (bottom-up for ARC, which keeps its three
    best distinct predictions; the enumerator, keeping one, elsewhere).
    """
    return outcome_of(solve(task, timeout_s=timeout_s, top_k=3 if task.domain == "arc" else 1))


def outcome_of(result: SearchResult) -> TaskOutcome:
    """Summarise a search result as a :class:`TaskOutcome` (every candidate kept as text)."""
    task = result.task
    best = result.best
    solved = bool(result.solved) and best is not None
    stats = result.stats
    kept = result.candidates[:3] if solved else ()
    test_results = tuple(
        ex.output is not None and any(c.predictions[i] == ex.output for c in kept)
        for i, ex in enumerate(task.test)
    )
    return TaskOutcome(
        name=task.name,
        solved=solved,
        test_correct=solved and all(test_results),
        program=show(best.program) if solved and best is not None else None,
        seconds=best.seconds if solved and best is not None else stats.seconds,
        programs=best.programs if solved and best is not None else stats.programs,
        type=_type_text(task),
        log_prior=best.log_prior if solved and best is not None else None,
        search_seconds=stats.seconds,
        search_programs=stats.programs,
        num_test=len(task.test),
        candidates=tuple((show(c.program), c.log_prior) for c in result.candidates),
        test_results=test_results,
        predictions=tuple(
            tuple(_plain(c.predictions[i]) for c in kept) for i in range(len(task.test))
        ),
        equivalent=stats.equivalent,
    )


def _plain(value: Any) -> Any:
    """A prediction as JSON data (grids as lists of rows)."""
    to_lists = getattr(value, "to_lists", None)
    if callable(to_lists):
        return to_lists()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value if value is None or isinstance(value, int | float | bool | str) else repr(value)


def _type_text(task: Task) -> str:
    return show_type(task.request)


def _worker_main(conn: Connection, timeout_s: float, solver: Solver) -> None:
    """Loop of a worker process: receive ``(index, task)``, send ``(index, outcome dict)``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        index, payload = job
        conn.send((index, _run_job(payload, timeout_s, solver).to_json()))


def _run_job(payload: dict[str, Any] | Task, timeout_s: float, solver: Solver) -> TaskOutcome:
    try:
        task = _decode(payload)
    except TaskFormatError as exc:
        name = payload.name if isinstance(payload, Task) else str(payload.get("name"))
        return TaskOutcome(name, False, False, None, 0.0, 0, error=f"TaskFormatError: {exc}")
    return _solve_safely(solver, task, timeout_s)


def _encode(task: Task) -> dict[str, Any] | Task:
    """A task as its JSON object for a worker (the task itself if it has no JSON form).

    JSON keeps what crosses the process boundary plain data, and sidesteps objects whose
    pickled form depends on the process (cached string hashes, for instance).
    """
    try:
        return task_to_json(task)
    except TaskFormatError:
        return task


def _decode(payload: dict[str, Any] | Task) -> Task:
    if isinstance(payload, Task):
        return payload
    return task_from_json(payload, f"task {payload.get('name')!r}")


@dataclass
class _Worker:
    """A worker process, its end of the pipe, and the task it is running (if any)."""

    process: BaseProcess
    conn: Connection
    index: int | None = None
    started: float = 0.0


class _Pool:
    """``workers`` long-lived processes; one task at a time each; crash- and hang-proof."""

    def __init__(self, workers: int, timeout_s: float, solver: Solver) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._timeout_s = timeout_s
        self._solver = solver
        self._limit_s = timeout_s * (1 + _GRACE_FRACTION) + _GRACE_S
        self.workers = [self._start() for _ in range(workers)]

    def _start(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_worker_main, args=(child, self._timeout_s, self._solver), daemon=True
        )
        process.start()
        child.close()
        return _Worker(process, parent)

    def submit(self, worker: _Worker, index: int, task: Task) -> str | None:
        """Send a task to an idle worker; return an error message if it cannot be sent."""
        try:
            worker.conn.send((index, _encode(task)))
        except Exception as exc:  # e.g. a task that cannot be serialised: fail that task only
            return f"cannot send the task to a worker: {type(exc).__name__}: {exc}"
        worker.index, worker.started = index, time.perf_counter()
        return None

    def idle(self) -> list[_Worker]:
        return [w for w in self.workers if w.index is None]

    def busy(self) -> list[_Worker]:
        return [w for w in self.workers if w.index is not None]

    def collect(self) -> list[tuple[int, dict[str, Any] | str]]:
        """Wait for some busy worker to finish; return ``(index, outcome dict | error)``."""
        busy = self.busy()
        waitables: list[Any] = [w.conn for w in busy] + [w.process.sentinel for w in busy]
        deadline = min(w.started for w in busy) + self._limit_s
        wait(waitables, timeout=max(0.0, deadline - time.perf_counter()) + 0.05)
        done: list[tuple[int, dict[str, Any] | str]] = []
        for w in busy:
            item = self._poll(w)
            if item is not None:
                done.append(item)
        return done

    def _poll(self, w: _Worker) -> tuple[int, dict[str, Any] | str] | None:
        index = w.index
        if index is None:
            return None
        if w.conn.poll():
            try:
                got_index, data = w.conn.recv()
                w.index = None
                return got_index, data
            except (EOFError, OSError):
                pass  # the worker died while sending: handled below
        elapsed = time.perf_counter() - w.started
        if not w.process.is_alive():
            code = w.process.exitcode
            self._replace(w)
            return index, f"worker process died (exit code {code}) after {elapsed:.1f} s"
        if elapsed > self._limit_s:
            self._replace(w)
            return index, (
                f"worker killed: no answer after {elapsed:.1f} s "
                f"(search timeout {self._timeout_s:g} s)"
            )
        return None

    def _replace(self, w: _Worker) -> None:
        _stop(w)
        fresh = self._start()
        w.process, w.conn, w.index = fresh.process, fresh.conn, None

    def close(self) -> None:
        """Ask idle workers to exit; terminate busy ones (after an interrupt)."""
        for w in self.workers:
            if w.index is None and w.process.is_alive():
                with suppress(OSError):
                    w.conn.send(None)
        for w in self.workers:
            if w.index is None:
                w.process.join(timeout=1.0)
            _stop(w)


def _stop(w: _Worker) -> None:
    if w.process.is_alive():
        w.process.terminate()
        w.process.join(timeout=2.0)
    if w.process.is_alive():
        w.process.kill()
        w.process.join()
    w.conn.close()


def default_workers() -> int:
    """One worker per CPU core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _solve_safely(solver: Solver, task: Task, timeout_s: float) -> TaskOutcome:
    """``solver(task, timeout_s)``, or a failed outcome naming the exception it raised."""
    _reset_peak_memory()
    try:
        outcome = solver(task, timeout_s)
    except MemoryError:
        outcome = TaskOutcome.failure(task, "MemoryError: the task ran out of memory")
    except Exception as exc:
        outcome = TaskOutcome.failure(task, f"{type(exc).__name__}: {exc}")
    return replace(outcome, peak_memory_mb=_peak_memory_mb())


def _reset_peak_memory() -> None:
    """Restart the kernel's peak-RSS count of this process (Linux; elsewhere a no-op)."""
    with suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_memory_mb() -> float | None:
    """This process's peak resident memory since the last reset, in MiB (Linux)."""
    with suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def _run_in_process(
    tasks: Sequence[Task], timeout_s: float, solver: Solver, record: _Record
) -> None:
    for index, task in enumerate(tasks):
        record(index, _solve_safely(solver, task, timeout_s))


def _run_in_pool(
    tasks: Sequence[Task], timeout_s: float, workers: int, solver: Solver, record: _Record
) -> None:
    queue = list(enumerate(tasks))
    queue.reverse()
    pool = _Pool(min(workers, len(tasks)), timeout_s, solver)
    try:
        while queue or pool.busy():
            done: list[tuple[int, dict[str, Any] | str]] = []
            for worker in pool.idle():
                if queue:
                    index, task = queue.pop()
                    error = pool.submit(worker, index, task)
                    if error is not None:
                        done.append((index, error))
            if pool.busy():
                done.extend(pool.collect())
            for index, data in done:
                if isinstance(data, str):
                    record(index, TaskOutcome.failure(tasks[index], data))
                else:
                    record(index, TaskOutcome.from_json(data))
    finally:
        pool.close()


def run_benchmark(
    tasks: Iterable[Task],
    timeout_s: float = 10.0,
    workers: int | None = None,
    *,
    progress: bool = False,
    on_result: OnResult | None = None,
    solver: Solver = solve_to_outcome,
    resume: BenchmarkReport | None = None,
    checkpoint: str | Path | None = None,
) -> BenchmarkReport:
    """Solve every task, each with a search of ``timeout_s`` seconds, in worker processes.

    Args:
        tasks: the suite, e.g. :func:`hylo.domains.dreamcoder_format.bundled_list_tasks`.
        timeout_s: the search time per task, in seconds.
        workers: how many processes solve tasks in parallel (default: one per core).
            ``0`` solves in this process, without isolation (for debugging and profiling).
        progress: show a Rich progress bar on standard error.
        on_result: called in this process with each task's outcome as it arrives.
        solver: solves one task: ``solver(task, timeout_s) -> TaskOutcome``; by default
            :func:`solve_to_outcome` (hylo's enumerative search). Worker processes
            import it by name, so it must be a module-level function.
        resume: an earlier (partial) report of this suite: its tasks are not solved
            again, their outcomes are kept, and its wall time is added.
        checkpoint: write the report so far to this JSON file after every task
            (atomically), so that a run that is killed loses only its tasks in flight;
            pass the file back as ``resume`` (:meth:`BenchmarkReport.load`) to go on.

    Returns:
        A :class:`BenchmarkReport` with one outcome per task, in the order given.

    Raises:
        ValueError: ``timeout_s`` is not positive, ``workers`` is negative, or
            ``resume`` was run with another timeout or holds tasks not in the suite.

    Example::

        >>> from hylo.domains.dreamcoder_format import bundled_list_tasks
        >>> report = run_benchmark(bundled_list_tasks()[:4], timeout_s=1.0)  # doctest: +SKIP
        >>> report.summary()["tasks"]  # doctest: +SKIP
        4
    """
    suite = list(tasks)
    _validate(timeout_s, workers)
    n_workers = default_workers() if workers is None else workers
    known = _resumed_outcomes(resume, suite, timeout_s)
    outcomes = {i: known[t.name] for i, t in enumerate(suite) if t.name in known}
    todo = [i for i in range(len(suite)) if i not in outcomes]
    earlier_s = resume.wall_seconds if resume is not None else 0.0
    start = time.perf_counter()

    def report() -> BenchmarkReport:
        return BenchmarkReport(
            outcomes=tuple(outcomes[i] for i in sorted(outcomes)),
            timeout_s=timeout_s,
            workers=n_workers,
            wall_seconds=earlier_s + time.perf_counter() - start,
            metadata=metadata,
        )

    metadata = _metadata(resume)
    callbacks = [on_result] if on_result is not None else []
    with _progress_bar(len(todo), enabled=progress) as show_progress:
        notify = _fan_out([*callbacks, show_progress])

        def record(index: int, outcome: TaskOutcome) -> None:
            outcomes[todo[index]] = outcome
            if checkpoint is not None:  # before the callbacks: they see it on disk
                report().save(checkpoint)
            notify(outcome)

        pending = [suite[i] for i in todo]
        if n_workers == 0 or not pending:
            _run_in_process(pending, timeout_s, solver, record)
        else:
            _run_in_pool(pending, timeout_s, n_workers, solver, record)
    return report()


def _resumed_outcomes(
    resume: BenchmarkReport | None, suite: Sequence[Task], timeout_s: float
) -> dict[str, TaskOutcome]:
    """The outcomes of ``resume`` by task name, checked to belong to this run."""
    if resume is None:
        return {}
    if not math.isclose(resume.timeout_s, timeout_s):
        raise ValueError(
            f"the report to resume was run with {resume.timeout_s:g} s per task, not "
            f"{timeout_s:g} s: resume with the same timeout, or start a new report"
        )
    names = {t.name for t in suite}
    strangers = [o.name for o in resume if o.name not in names]
    if strangers:
        raise ValueError(
            f"the report to resume holds {len(strangers)} task(s) not in this suite "
            f"(e.g. {strangers[0]!r}): resume it with the suite it was run on"
        )
    return {o.name: o for o in resume}


def _validate(timeout_s: float, workers: int | None) -> None:
    if not (timeout_s > 0 and math.isfinite(timeout_s)):
        raise ValueError(f"timeout_s must be a positive number of seconds, but got {timeout_s!r}")
    if workers is not None and workers < 0:
        raise ValueError(
            f"workers must be >= 0 (0 = solve in this process), but got workers={workers}"
        )


def _fan_out(callbacks: Sequence[OnResult]) -> OnResult:
    def notify(outcome: TaskOutcome) -> None:
        for callback in callbacks:
            callback(outcome)

    return notify


@functools.cache
def code_version() -> str | None:
    """The git commit of the running hylo (``+dirty`` with uncommitted changes), or
    ``None`` outside a git checkout (an installed wheel): which code a figure came from."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "--short=12", "HEAD"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()  # fmt: skip
        changes = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no", "--", "."],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}+dirty" if changes else commit or None


def _metadata(earlier: BenchmarkReport | None = None) -> dict[str, Any]:
    """Where and with what the run ran; ``code`` lists every version of hylo whose
    outcomes the report holds (more than one when a run was resumed with other code)."""
    import platform

    from hylo import __version__

    # A report from before versions were recorded: its code is unknown (None).
    codes = list(earlier.metadata.get("code", [None])) if earlier is not None else []
    if (current := code_version()) not in codes:
        codes.append(current)
    return {
        "hylo": __version__,
        "code": codes,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


@contextmanager
def _progress_bar(total: int, enabled: bool) -> Iterator[OnResult]:
    """A Rich progress bar over tasks that counts solved ones (a no-op when disabled).

    When standard error is not a terminal (a log file, CI), a bar would print
    nothing until the end: one plain line per task is written instead.
    """
    console = Console(stderr=True)
    if enabled and not console.is_terminal:
        yield _progress_lines(total)
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]benchmark[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("solved {task.fields[solved]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not enabled,
    )
    bar = progress.add_task("tasks", total=total, solved=0)
    solved = 0

    def advance(outcome: TaskOutcome) -> None:
        nonlocal solved
        solved += outcome.solved
        progress.update(bar, advance=1, solved=solved)

    with progress:
        yield advance


def _progress_lines(total: int) -> OnResult:
    """A progress callback that prints ``[done/total] name: solved …`` lines to stderr."""
    done = solved = 0
    start = time.perf_counter()

    def line(outcome: TaskOutcome) -> None:
        nonlocal done, solved
        done, solved = done + 1, solved + outcome.solved
        state = "right" if outcome.test_correct else "fits" if outcome.solved else "unsolved"
        elapsed = time.perf_counter() - start
        print(
            f"[{done}/{total}] {outcome.name}: {state} ({outcome.search_seconds:.1f} s); "
            f"solved {solved}, {elapsed:.0f} s elapsed",
            file=sys.stderr,
            flush=True,
        )

    return line
