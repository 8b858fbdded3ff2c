"""``hylo show``: solve an ARC task and draw its examples next to hylo's predictions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hylo.cli._common import fail, stderr, stdout
from hylo.domains.task import Task, TaskFormatError, load_task
from hylo.lang.errors import HyloError
from hylo.search.batch import outcome_of
from hylo.search.synthesizer import solve


def show_command(
    task: Annotated[
        str,
        typer.Argument(
            metavar="TASK",
            help="An ARC task file (ARC's JSON format) or an ARC-AGI task id, e.g. 007bbfb7.",
            show_default=False,
        ),
    ],
    timeout: Annotated[
        float, typer.Option("--timeout", "-t", min=0.001, help="Search time, seconds.")
    ] = 10.0,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="The PNG to write.", show_default="TASK_NAME.png"),
    ] = None,
    version: Annotated[
        int, typer.Option("--version", min=1, max=2, help="ARC-AGI version, for a task id.")
    ] = 1,
) -> None:
    """Solve an ARC task and write a PNG: inputs, expected outputs, predictions (top 3)."""
    from hylo.reports.arc import render_task

    arc_task = _find_task(task, version)
    if arc_task.domain != "arc":
        fail(f"{task!r} is a {arc_task.domain or 'lists'} task; 'hylo show' draws ARC tasks")
    stderr.print(f"searching {arc_task.name} for {timeout:g} s …")
    outcome = outcome_of(solve(arc_task, timeout_s=timeout, top_k=3))
    path = render_task(
        arc_task,
        outcome.predictions,
        out or Path(f"{arc_task.name}.png"),
        program=outcome.program,
    )
    if outcome.program is None:
        stdout.print(f"{arc_task.name}: no program found in {outcome.search_seconds:.1f} s")
    else:
        marks = " ".join("✓" if ok else "✗" for ok in outcome.test_results) or "(no tests)"
        stdout.print(f"{arc_task.name}: {outcome.program}  test: {marks}")
    stdout.print(f"picture written to {path}")


def _find_task(ref: str, version: int) -> Task:
    path = Path(ref)
    if path.exists():
        try:
            return load_task(path)
        except TaskFormatError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"cannot read {ref!r}: {exc.strerror or exc}")
    from hylo.domains.arc import arc_tasks

    try:
        for split in ("training", "evaluation"):
            for t in arc_tasks(split, version):
                if t.name == ref:
                    return t
    except HyloError as exc:
        fail(str(exc))
    fail(f"{ref!r} is neither a task file nor an ARC-AGI-{version} task id")


__all__ = ["show_command"]
