"""The digit task sequence: hylo with its module library vs standalone search vs DeepSets.

Runs :func:`hylo.cli.digits.run_digits_bench` (the same as ``hylo bench digits``)
with adjustable sizes and budgets, prints the accuracy table and the summary, and
writes ``results/digits-<source>-<date>.json`` plus the plot next to it.

    nice -n 10 python benchmarks/digits.py                   # sklearn 8×8, default sizes
    nice -n 10 python benchmarks/digits.py --source mnist --tasks 3
    python benchmarks/digits.py --list-sizes 10 100 --image-sizes 10 100 --candidates 6

The headline figure is ``summary.sample_efficiency_ratio`` (see the module
docstring of :mod:`hylo.cli.digits` for how it is computed).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from hylo.cli.digits import DigitsBenchConfig, render, run_digits_bench, write_report
from hylo.domains.digits import SOURCES

RESULTS = Path(__file__).resolve().parent.parent / "results"


def parse_args() -> argparse.Namespace:
    defaults = DigitsBenchConfig()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", choices=SOURCES, default=defaults.source)
    parser.add_argument("--image-sizes", type=int, nargs="+", default=defaults.image_sizes)
    parser.add_argument("--list-sizes", type=int, nargs="+", default=defaults.list_sizes)
    parser.add_argument(
        "--extra-sizes",
        type=int,
        nargs="*",
        default=defaults.monolithic_extra_sizes,
        help="extra list-task sizes for the monolithic baseline only",
    )
    parser.add_argument("--candidates", type=int, default=defaults.max_candidates)
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument(
        "--timeout",
        type=float,
        default=defaults.timeout_s,
        help="wall-time budget of one search, seconds",
    )
    parser.add_argument("--tasks", type=int, default=None, help="only the first N tasks")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="JSON report path")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    config = DigitsBenchConfig(
        source=args.source,
        image_sizes=tuple(args.image_sizes),
        list_sizes=tuple(args.list_sizes),
        monolithic_extra_sizes=tuple(args.extra_sizes),
        max_candidates=args.candidates,
        epochs=args.epochs,
        timeout_s=args.timeout,
        seed=args.seed,
        num_tasks=args.tasks,
    )
    report = run_digits_bench(config, log=lambda line: print(line, flush=True))
    print(render(report))
    print(json.dumps(report["summary"], indent=2))
    out = args.out or RESULTS / f"digits-{args.source}-{time.strftime('%Y%m%d-%H%M')}.json"
    written, plot = write_report(report, out)
    print(f"report written to {written}, plot to {plot}")


if __name__ == "__main__":
    main()
