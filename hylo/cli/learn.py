"""``hylo learn``: the wake–sleep loop from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hylo.cli._common import fail, stderr, stdout
from hylo.domains import BUILTIN_DOMAINS
from hylo.domains.dreamcoder_format import bundled_list_tasks
from hylo.domains.task import Task, load_tasks
from hylo.lang.errors import HyloError
from hylo.learn import IterationMetrics, LearnConfig, LibrarySpec, learn
from hylo.learn.dreams import LibraryGuideStore
from hylo.learn.runlog import LibraryRunLog
from hylo.library import LibraryStore, open_library
from hylo.reports.learning import write_report
from hylo.search.batch import default_workers


def learn_command(
    suite: Annotated[
        str,
        typer.Argument(
            metavar="lists|arc|DIR",
            help="'lists' (the bundled DreamCoder list tasks with their fixed train/test "
            "split), 'arc' (the 400 ARC-AGI-1 training tasks; measure the evaluation "
            "split with hylo bench arc --library), or a folder with train/ and test/ "
            "folders of *.json task files.",
            show_default=False,
        ),
    ],
    iterations: Annotated[
        int, typer.Option("--iterations", "-i", min=0, help="Wake–sleep iterations.")
    ] = 3,
    timeout: Annotated[
        float, typer.Option("--timeout", "-t", min=0.001, help="Search time per task, seconds.")
    ] = 2.0,
    library: Annotated[
        Path | None,
        typer.Option(
            "--library",
            "-l",
            help="The library file to learn into and start from; the run is kept in it too.",
            show_default="SUITE.hylo",
        ),
    ] = None,
    domain: Annotated[
        str | None,
        typer.Option(
            "--domain",
            help=f"Base primitives ({', '.join(BUILTIN_DOMAINS)}) [default: the tasks' own].",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", "-w", min=0, help="Worker processes.", show_default="one per core"
        ),
    ] = None,
    json_out: Annotated[
        Path | None,
        typer.Option("--json", metavar="OUT", help="Write the learning curve as JSON to OUT."),
    ] = None,
    dreams: Annotated[
        int | None,
        typer.Option(
            "--dreams",
            min=0,
            help="Tasks to dream per sleep to train the neural guide on, with the solved "
            "ones; 0: no guide.",
            show_default="4 per training task",
        ),
    ] = None,
) -> None:
    """Learn a library from a suite's training tasks, measuring on its test tasks.

    Each iteration solves every training task with the current library
    (wake), measures the test tasks with the same time limit, then compresses
    the solutions into new functions and refits the grammar (sleep), and
    trains the neural guide on the solutions and on dreamed tasks (dream).
    Iteration 0 is the base library. Run the same command again after an
    interruption to resume.
    """
    train, test = _load_split(suite)
    domain = domain or next((t.domain for t in train if t.domain), "lists")
    if domain not in BUILTIN_DOMAINS:
        fail(f"unknown domain {domain!r}; built-in domains are: {', '.join(BUILTIN_DOMAINS)}")
    config = LearnConfig(
        iterations=iterations,
        timeout_s=timeout,
        workers=default_workers() if workers is None else workers,
        domain=domain,
        dreams=DREAMS_PER_TASK * len(train) if dreams is None else dreams,
    )
    path = library or Path(f"{Path(suite).name}.hylo")
    try:
        store = open_library(path, domain)
    except HyloError as e:
        fail(str(e))
    with store:
        run_id, resumed = _find_or_start_run(store, suite, config)
        stderr.print(
            f"learning: {len(train)} training and {len(test)} test tasks from {suite!r}, "
            f"{iterations} iteration(s), {timeout:g} s per task, {config.workers} worker(s); "
            f"library {path}, run {run_id}" + (" (resumed)" if resumed else "")
        )
        try:
            rows = learn(
                train,
                test,
                config,
                LibraryRunLog(store, run_id),
                initial=LibrarySpec.from_store(store),
                progress=stderr.print,
                show_progress_bars=True,
                guides=LibraryGuideStore(store),
            )
        except HyloError as e:
            store.set_run_status(run_id, "failed")
            fail(str(e))
        except KeyboardInterrupt:
            store.set_run_status(run_id, "interrupted")
            fail("interrupted: run the same command again to resume", code=130)
        store.set_run_status(run_id, "finished")
    stdout.print(render_curve(rows))
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        curve = {
            "run": run_id,
            "config": config.to_json(),
            "iterations": [r.to_json() for r in rows],
        }
        json_out.write_text(json.dumps(curve, indent=2) + "\n", encoding="utf-8")
        stderr.print(f"learning curve written to {json_out}")


DREAMS_PER_TASK = 4
"""Dreams per training task by default: DreamCoder trains on dreams and replays mixed,
so the number of dreams follows the number of real tasks."""


def _find_or_start_run(store: LibraryStore, suite: str, config: LearnConfig) -> tuple[int, bool]:
    """The unfinished run of the same suite and settings (resume), or a new run.

    A finished run is not resumed: running the command again learns on from the
    library as it now is (the worker count does not identify a run).
    """
    wanted = {**config.to_json(), "workers": None, "suite": suite}
    for run in reversed(store.runs()):
        if run.status != "finished" and {**run.config, "workers": None} == wanted:
            store.set_run_status(run.id, "running")
            return run.id, True
    return store.start_run({**config.to_json(), "suite": suite}), False


def _load_split(suite: str) -> tuple[list[Task], list[Task]]:
    try:
        if suite == "lists":
            return bundled_list_tasks("train"), bundled_list_tasks("test")
        if suite == "arc":
            # Learn from ARC-AGI-1 training only; measure evaluation with hylo bench arc.
            from hylo.domains.arc import arc_tasks

            return arc_tasks("training"), []
        folder = Path(suite)
        if not (folder / "train").is_dir():
            raise HyloError(
                f"{suite}: expected 'lists', 'arc' or a folder with a train/ (and test/) "
                "folder of tasks"
            )
        test = load_tasks(folder / "test") if (folder / "test").is_dir() else []
        return load_tasks(folder / "train"), test
    except HyloError as e:
        fail(str(e))


def render_curve(rows: list[IterationMetrics]) -> Table:
    """The learning curve: one row per iteration (0 is the base library)."""
    table = Table(title="learning curve (iteration 0 = base library)")
    for name in (
        "iter",
        "train",
        "test",
        "test ok",
        "library",
        "median s",
        "test median s",
        "size",
    ):
        table.add_column(name, justify="right")
    for r in rows:
        table.add_row(
            str(r.iteration),
            f"{r.train_solved}/{r.train_tasks}",
            f"{r.test_solved}/{r.test_tasks}",
            f"{r.test_correct}/{r.test_tasks}",
            str(r.library_size),
            f"{r.median_seconds:.3f}",
            f"{r.test_median_seconds:.3f}",
            f"{r.description_length:.0f}",
        )
    table.caption = (
        "train/test: tasks solved; test ok: also right on held-out examples; "
        "size: total size of the training solutions"
    )
    return table


def report_command(
    library: Annotated[
        Path, typer.Argument(metavar="LIBRARY", help="A library file that holds learning runs.")
    ],
    run: Annotated[
        int | None, typer.Option("--run", "-r", help="Run id.", show_default="the newest run")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder for the report.", show_default="LIBRARY-report/"),
    ] = None,
) -> None:
    """Write an HTML report (with PNG figures) of a learning run.

    It shows the learning curve, search times, the library as it grew, and
    solutions before and after rewriting with it.
    """
    try:
        store = open_library(library, create=False)
    except HyloError as e:
        fail(str(e))
    with store:
        runs = store.runs()
        if not runs:
            fail(f"library {library} holds no run; make one with 'hylo learn'")
        chosen = runs[-1] if run is None else next((r for r in runs if r.id == run), None)
        if chosen is None:
            fail(f"library {library} has no run {run}; runs: {', '.join(str(r.id) for r in runs)}")
        events = store.run_events(chosen.id)
    folder = out or library.with_name(library.name + "-report")
    page = write_report(
        events, folder, title=f"hylo run {chosen.id}: {chosen.config.get('suite', '')}"
    )
    stdout.print(f"report written to {page}")
