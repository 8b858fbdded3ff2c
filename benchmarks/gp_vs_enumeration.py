"""Typed GP against the enumerator at the same time limit: held-out list tasks, noisy formulas.

Two task families, each engine with the same wall-clock limit per task, one
task at a time in this process:

* the 81 held-out DreamCoder list tasks (``bundled_list_tasks("test")``): exact
  symbolic tasks. :class:`~hylo.search.EnumerativeSynthesizer` against
  :class:`~hylo.search.EvolutionarySynthesizer` (default settings, seed 0). A
  task is solved when a program fits its training examples, right when it is
  also right on every test example.
* the noisy physics formulas of ``symbolic_regression.py`` (1 % noise, constants
  fitted by CMA-ES): GP over structures against the enumerator's structures in
  order of prior, each fitted the same way. A formula is solved (and right) when
  the program is within 1 % of it on held-out noise-free points.

Prints solve rates and the median time to the solving program for each.

    python benchmarks/gp_vs_enumeration.py                 # 1 s per list task, 30 s per formula
    python benchmarks/gp_vs_enumeration.py --timeout 1 --numeric-timeout 0   # lists only
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

from hylo.domains.dreamcoder_format import bundled_list_tasks
from hylo.domains.task import Task
from hylo.lang.program import show
from hylo.search import EnumerativeSynthesizer, EvolutionarySynthesizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from symbolic_regression import FORMULAS, Regression, recovered

RESULTS = Path(__file__).resolve().parent.parent / "results"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds per list task (1)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N list tasks")
    parser.add_argument(
        "--numeric-timeout",
        type=float,
        default=30.0,
        help="seconds per noisy formula (30; 0: skip)",
    )
    parser.add_argument("--out", type=Path, default=None, help="JSON report path")
    return parser.parse_args()


def noisy_formulas(timeout: float, seed: int) -> list[tuple[str, dict[str, Any]]]:
    """Both engines on the noisy formulas of ``symbolic_regression.py`` (constants by CMA-ES)."""
    settings = argparse.Namespace(timeout=timeout, population=100, noise=0.01, seed=seed)
    rows = []
    for engine in ("enumerate", "gp"):
        for formula in FORMULAS:
            program, found_at = Regression(formula, settings).run(engine)
            ok, _ = recovered(formula, program, seed)
            name = "evolve" if engine == "gp" else "enumerate"
            row = {"solved": ok, "right": ok, "seconds": found_at, "program": show(program)}
            rows.append((name, {"task": formula.text, **row}))
    return rows


def run(engine: str, task: Task, timeout: float) -> dict[str, Any]:
    synth = (
        EnumerativeSynthesizer(timeout_s=timeout, top_k=1)
        if engine == "enumerate"
        else EvolutionarySynthesizer(timeout_s=timeout, top_k=1, seed=0)
    )
    start = time.perf_counter()
    try:
        result = synth.search(task)
    except Exception as e:  # a failed search is an unsolved task, reported with its reason
        return {
            "solved": False,
            "right": False,
            "seconds": time.perf_counter() - start,
            "error": f"{type(e).__name__}: {e}",
        }
    best = result.best if result.solved else None
    return {
        "solved": result.solved,
        "right": bool(result.solved and result.test_correct),
        "seconds": best.seconds if best is not None else result.stats.seconds,
        "program": str(best.program) if best is not None else None,
    }


def summarise(family: str, engine: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    solved = [r for r in rows if r["solved"]]
    median = statistics.median(r["seconds"] for r in solved) if solved else None
    return {
        "family": family,
        "engine": engine,
        "tasks": len(rows),
        "solved": len(solved),
        "right_on_test": sum(r["right"] for r in rows),
        "median_seconds": median,
    }


def report(family: str, engine: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    summary = summarise(family, engine, rows)
    med = summary["median_seconds"]
    print(
        f"{family:26} {engine:10} solved {summary['solved']:3}/{summary['tasks']:<3} "
        f"right {summary['right_on_test']:3}  median "
        + (f"{med:.3f} s" if med is not None else "-"),
        flush=True,
    )
    return summary


def main() -> None:
    torch.set_num_threads(1)
    args = parse_args()
    table, details = [], []
    tasks = bundled_list_tasks("test")[: args.limit]
    for engine in ("enumerate", "evolve"):
        rows = [run(engine, task, args.timeout) for task in tasks]
        details += [
            {"family": "lists", "engine": engine, "task": t.name, **r}
            for t, r in zip(tasks, rows, strict=True)
        ]
        table.append(report("held-out lists", engine, rows))
    if args.numeric_timeout > 0:
        found = noisy_formulas(args.numeric_timeout, seed=0)
        for engine in ("enumerate", "evolve"):
            rows = [r for e, r in found if e == engine]
            details += [{"family": "noisy formulas", "engine": engine, **r} for r in rows]
            table.append(report(f"noisy formulas ({args.numeric_timeout:g} s)", engine, rows))
    out = args.out or RESULTS / f"gp_vs_enumeration-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"timeout": args.timeout, "summary": table, "tasks": details}, indent=2)
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
