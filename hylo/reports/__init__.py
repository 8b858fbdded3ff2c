"""Reports: benchmarks over task suites, their JSON form, and Rich tables."""

from hylo.reports.benchmark import (
    BenchmarkReport,
    Solver,
    TaskOutcome,
    default_workers,
    render_summary,
    render_table,
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
