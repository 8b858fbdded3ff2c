"""Solve rate on the bundled DreamCoder list tasks at a fixed time limit per task.

Runs :func:`hylo.reports.run_benchmark` over the 217 list tasks (or one split),
prints the table and the summary, and writes the per-task JSON report to
``results/solve_rate-<split>-<timeout>s-<date>.json``.

    python benchmarks/solve_rate.py                      # 10 s per task, one worker per core
    python benchmarks/solve_rate.py --timeout 2 --split test --workers 2

The headline figure is ``test_correct``: tasks whose program, found on the first
10 examples, is right on all 5 held-out ones.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from rich.console import Console

from hylo.domains import BUILTIN_DOMAINS
from hylo.domains.dreamcoder_format import bundled_list_tasks
from hylo.reports import default_workers, render_summary, render_table, run_benchmark

RESULTS = Path(__file__).resolve().parent.parent / "results"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per task (10)")
    parser.add_argument("--workers", type=int, default=default_workers(), help="processes")
    parser.add_argument("--split", choices=["all", "train", "test"], default="all")
    parser.add_argument("--limit", type=int, default=None, help="only the first N tasks")
    parser.add_argument("--out", type=Path, default=None, help="JSON report path")
    parser.add_argument("--quiet", action="store_true", help="print the summary only")
    parser.add_argument(
        "--domain",
        choices=BUILTIN_DOMAINS,
        default="lists",
        help="primitives to search with (lists-dreamcoder: DreamCoder's base set only)",
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    tasks = [replace(t, domain=args.domain) for t in bundled_list_tasks(args.split)[: args.limit]]
    console = Console()
    console.print(
        f"solve rate: {len(tasks)} list tasks ({args.split}), domain {args.domain}, "
        f"{args.timeout:g} s each, "
        f"{args.workers} worker(s)"
    )
    report = run_benchmark(tasks, timeout_s=args.timeout, workers=args.workers, progress=True)
    if not args.quiet:
        console.print(render_table(report))
    console.print(render_summary(report))
    s = report.summary()
    console.print(
        f"solved {s['solved']}/{s['tasks']} on train, "
        f"test-correct {s['test_correct']}/{s['tasks']} ({100 * s['test_correct_rate']:.1f}%) "
        f"at {args.timeout:g} s per task"
    )
    stamp = time.strftime("%Y%m%d-%H%M%S")
    name = f"solve_rate-{args.domain}-{args.split}-{args.timeout:g}s-{stamp}.json"
    out = args.out or RESULTS / name
    console.print(f"report written to {report.save(out)}")


if __name__ == "__main__":
    main()
