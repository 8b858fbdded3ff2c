"""``hylo bench control``: search a policy program for each classic-control environment.

The search itself is :func:`hylo.search.policy.control_benchmark`; this module
shows its progress, prints the table and writes the JSON report::

    {"environments": [{"env": "CartPole-v1", "mean_return": 500.0, "env_steps": 5971,
                       "program": "(lam (if ...))", "seconds": 1.2, ...}]}
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hylo.cli._common import fail, stderr, stdout
from hylo.domains.control import CONTROL_ENVS, UnknownEnvironmentError
from hylo.search.policy import PolicyOutcome, PolicySearch, control_benchmark

__all__ = ["bench_control"]


def bench_control(
    env: str | None,
    json_out: Path | None,
    timeout_s: float = 300.0,
    episodes: int = 100,
    max_env_steps: int = 1_000_000,
    seed: int = 0,
) -> None:
    """Run the control benchmark on ``env`` (every environment when ``None``), print and save.

    A bad environment name exits with a one-line error (code 2) before anything runs.
    """
    names = list(CONTROL_ENVS) if env is None else [env]
    if env is not None and env not in CONTROL_ENVS:
        fail(
            f"unknown environment {env!r}; the control environments are: {', '.join(CONTROL_ENVS)}"
        )
    search = PolicySearch(max_env_steps=max_env_steps, timeout_s=timeout_s, seed=seed)
    stderr.print(
        f"control benchmark: {', '.join(names)}; at most {search.max_env_steps:,} environment "
        f"steps and {timeout_s:g} s each; search seed {seed}; policies measured on {episodes} "
        "fresh seeds"
    )
    try:
        outcomes = _run_with_progress(names, search, episodes)
    except UnknownEnvironmentError as e:  # pragma: no cover - names are checked above
        fail(str(e))
    except KeyboardInterrupt:
        fail("interrupted", code=130)
    stdout.print(_table(outcomes, episodes))
    for o in outcomes:
        stdout.print(f"[bold]{o.env}[/] ({o.structures} structures tried):")
        stdout.print(o.program, markup=False)
    if json_out is not None:
        _write_json(outcomes, json_out, seed)


def _run_with_progress(
    names: list[str], search: PolicySearch, episodes: int
) -> list[PolicyOutcome]:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f} env steps"),
        TextColumn("best {task.fields[best]}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    )
    bars = {name: progress.add_task(name, total=search.max_env_steps, best="-") for name in names}

    def update(name: str, steps: int, best: float) -> None:
        progress.update(bars[name], completed=steps, best=f"{best:.1f}")

    with progress:
        return control_benchmark(names, search, episodes, update)


def _table(outcomes: list[PolicyOutcome], episodes: int) -> Table:
    table = Table(title="hylo bench control")
    columns = ("env", f"mean return ({episodes} fresh seeds)", "threshold", "env steps", "seconds")
    for column in columns:
        table.add_column(column, justify="left" if column == "env" else "right")
    for o in outcomes:
        mark = "[green]solved[/]" if o.solved else "[yellow]not solved[/]"
        table.add_row(
            o.env,
            f"{o.mean_return:.1f} {mark}",
            f"{o.threshold:g}",
            f"{o.env_steps:,}",
            f"{o.seconds:.1f}",
        )
    return table


def _write_json(outcomes: list[PolicyOutcome], path: Path, seed: int) -> None:
    report = {"seed": seed, "environments": [o.to_json() for o in outcomes]}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2))
    except OSError as e:
        fail(f"cannot write the report to {path}: {e.strerror or e}")
    stderr.print(f"wrote {path}")
