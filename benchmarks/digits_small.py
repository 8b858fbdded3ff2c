"""hylo vs standalone search at the smallest training sets, over several draws.

``hylo bench digits`` trains each size on one draw of examples, so at 10 or 30 lists a
cell moves by tens of points with the draw (two lists more or less with a 7 in them).
This script measures the claim "with its library, hylo beats the standalone search at
small data sizes" on several draws instead:

1. the library is built as the benchmark builds it: each task before a measured one is
   searched at its largest size and the program's modules are stored;
2. for each measured task and size, ``--draws`` fresh draws of training examples (seeds
   the benchmark never uses; the test examples come from test images only) are searched
   with the library (hylo) and without (standalone).

It prints each draw and, per task and size, the mean test accuracy of both methods and
how often hylo won, tied (within 0.01) or lost.

    python benchmarks/digits_small.py                       # count-7s, sum-digits; 10, 30 lists
    python benchmarks/digits_small.py --source mnist --tasks count-7s --draws 4
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from hylo.cli.digits import DigitsBenchConfig, search_digit_task
from hylo.domains.digits import CURRICULUM, SOURCES, load_digit_images, make_digit_task
from hylo.lang.program import show
from hylo.library import open_library
from hylo.train.neural import ModuleLibrary

TIE = 0.01
DRAW_SEED = 100_000  # far from the benchmark's seeds (seed * 1000 + k * 37 + n)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", choices=SOURCES, default="sklearn")
    parser.add_argument("--tasks", nargs="+", default=["count-7s", "sum-digits"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 30])
    parser.add_argument("--draws", type=int, default=6)
    parser.add_argument("--json", type=Path, default=None, help="write the rows here")
    return parser.parse_args()


def add_to_library(library: ModuleLibrary, k: int, config: DigitsBenchConfig) -> None:
    """Store the modules of hylo's program for task ``k`` at its largest size."""
    spec = CURRICULUM[k]
    n = (config.list_sizes if spec.is_list else config.image_sizes)[-1]
    data = load_digit_images(config.source)
    task = make_digit_task(spec, data, n, config.num_test, seed=config.seed * 1000 + k * 37 + n)
    synth = search_digit_task(task, library, config)
    accuracy, _ = synth.evaluate(task)
    synth.save_modules(library, task, {"test_accuracy": accuracy, "examples": n})
    print(f"library: {spec.name} from {n} examples, test {accuracy:.3f}", flush=True)


def measure(
    library: ModuleLibrary, k: int, n: int, draws: int, config: DigitsBenchConfig
) -> list[dict[str, Any]]:
    data = load_digit_images(config.source)
    spec = CURRICULUM[k]
    rows = []
    for d in range(draws):
        seed = DRAW_SEED + d * 7919 + k * 37 + n
        task = make_digit_task(spec, data, n, config.num_test, seed=seed)
        row: dict[str, Any] = {"task": spec.name, "n": n, "draw": d}
        for method, lib in (("hylo", library), ("standalone", None)):
            start = time.perf_counter()
            synth = search_digit_task(task, lib, config)
            row[method] = synth.evaluate(task)[0]
            row[f"{method}_program"] = show(synth.program_) if synth.program_ else None
            row[f"{method}_seconds"] = time.perf_counter() - start
        print(
            f"{spec.name:>10} n={n:<3} draw {d}: hylo {row['hylo']:.3f} "
            f"standalone {row['standalone']:.3f}   [{row['hylo_program']}]",
            flush=True,
        )
        rows.append(row)
    return rows


def summarise(rows: list[dict[str, Any]]) -> None:
    print(f"\n{'task':>10} {'n':>4} {'hylo':>7} {'alone':>7}  won tied lost")
    for key in dict.fromkeys((r["task"], r["n"]) for r in rows):
        cell = [r for r in rows if (r["task"], r["n"]) == key]
        diffs = [r["hylo"] - r["standalone"] for r in cell]
        won, lost = sum(x > TIE for x in diffs), sum(x < -TIE for x in diffs)
        hylo = statistics.mean(r["hylo"] for r in cell)
        alone = statistics.mean(r["standalone"] for r in cell)
        print(f"{key[0]:>10} {key[1]:>4} {hylo:7.3f} {alone:7.3f}  {won:>3} "
              f"{len(cell) - won - lost:>4} {lost:>4}")  # fmt: skip


def main() -> None:
    args = parse_args()
    torch.set_num_threads(1)
    names = [spec.name for spec in CURRICULUM]
    unknown = [t for t in args.tasks if t not in names]
    if unknown:
        raise SystemExit(f"unknown task(s) {unknown}; the sequence is {names}")
    config = DigitsBenchConfig(source=args.source)
    indices = sorted(names.index(t) for t in args.tasks)
    rows: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        open_library(Path(tmp) / "library.db", domain="digits") as store,
    ):
        library = ModuleLibrary(store)
        added = 0
        for k in indices:
            while added < k:  # the tasks before this one, as the benchmark would have
                add_to_library(library, added, config)
                added += 1
            for n in args.sizes:
                rows.extend(measure(library, k, n, args.draws, config))
    summarise(rows)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
