"""Benchmark reports for people: Rich tables and summaries of a :class:`BenchmarkReport`.

Running the benchmark itself lives in :mod:`hylo.search.batch` (the learning loop
below this layer uses it too); it is re-exported here.
"""

from __future__ import annotations

from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from hylo.search.batch import (
    BenchmarkReport,
    Solver,
    TaskOutcome,
    default_workers,
    run_benchmark,
    solve_to_outcome,
)

__all__ = [
    "BenchmarkReport",
    "Solver",
    "TaskOutcome",
    "default_workers",
    "render_summary",
    "render_table",
    "run_benchmark",
    "solve_to_outcome",
]


# --------------------------------------------------------------------------- rendering


def render_table(report: BenchmarkReport, *, max_program_width: int = 80) -> Table:
    """A Rich table with one row per task: solved, test ok, seconds, programs, program."""
    table = Table(title=f"hylo benchmark — {len(report)} tasks, {report.timeout_s:g} s each")
    table.add_column("task", overflow="fold", min_width=12)
    for name in ("solved", "test ok"):
        table.add_column(name, justify="center", no_wrap=True, min_width=len(name))
    for name in ("seconds", "programs", "MiB"):
        table.add_column(name, justify="right", no_wrap=True, min_width=len(name))
    table.add_column("program", overflow="fold", min_width=12, max_width=max_program_width)
    for o in report:
        table.add_row(
            escape(o.name),
            _mark(o.solved),
            _mark(o.test_correct),
            f"{o.seconds:.2f}",
            f"{o.programs:,}",
            "" if o.peak_memory_mb is None else f"{o.peak_memory_mb:,.0f}",
            _program_cell(o),
        )
    return table


def _program_cell(outcome: TaskOutcome) -> str:
    if outcome.error is not None:
        return f"[red]{escape(outcome.error)}[/]"
    return escape(outcome.program) if outcome.program is not None else ""


def render_summary(report: BenchmarkReport) -> Panel:
    """A Rich panel with the summary figures."""
    s = report.summary()
    n = max(1, s["tasks"])
    lines = [
        f"tasks            {s['tasks']}",
        f"solved (train)   {s['solved']}  ({100 * s['solved'] / n:.1f}%)",
        f"test correct     {s['test_correct']}  ({100 * s['test_correct'] / n:.1f}%)"
        + (f"; test examples {s['test_examples_correct']}/{s['test_examples']}"),
        f"median solve     {s['median_seconds']:.3f} s, "
        f"{s['programs_to_solution_median']:,.0f} programs",
        f"programs/second  {s['programs_per_second']:,.0f}",
        f"timeout          {s['timeout']:g} s per task, {s['workers']} worker(s)",
        f"wall time        {s['wall_seconds']:.1f} s",
    ]
    if s["equivalent_fraction"]:
        lines.append(f"pruned as equal  {100 * s['equivalent_fraction']:.1f}% of candidates")
    if s["peak_memory_mb_max"] is not None:
        lines.append(f"peak memory      {s['peak_memory_mb_max']:,.0f} MiB (largest task)")
    if s["failed"]:
        lines.append(f"[red]failed           {s['failed']} (see the error column)[/]")
    return Panel("\n".join(lines), title="summary", expand=False)


def _mark(ok: bool) -> str:
    return "[green]✓[/]" if ok else "[red]✗[/]"
