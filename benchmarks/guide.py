"""Guided vs unguided search on the held-out list tasks: base, +library, +guide, +both.

One wake–sleep iteration on the 136 training tasks of the bundled DreamCoder list
suite, made step by step so that each ingredient can be switched on alone:

1. **wake**: solve the training tasks with the base grammar (their solutions are
   the replays);
2. **guide for the base grammar**: dream with the base grammar and train a guide
   on dreams + replays;
3. **sleep**: compress the solutions into inventions and refit the grammar (the
   library), then dream with the library's grammar and train its guide on dreams +
   the rewritten replays;
4. **measure** the 81 held-out tasks at a fixed timeout under four settings:
   base, +library, +guide, +both; and compare guided with unguided search *with
   the same library* on the tasks both solve (programs enumerated until the
   solution, and time).

Prints the ablation table and writes everything as JSON. Timings depend on the
machine's load; program counts do not.

Usage: ``python benchmarks/guide.py [--timeout 1] [--dreams 544] [--out guide.json]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import torch

from hylo.domains.dreamcoder_format import bundled_list_tasks
from hylo.domains.task import Task
from hylo.lang.program import Program, parse
from hylo.learn import LibrarySolver, LibrarySpec
from hylo.learn.dreams import DreamSettings, train_guide
from hylo.learn.sleep import sleep
from hylo.search.batch import BenchmarkReport, run_benchmark


def wake(tasks: list[Task], spec: LibrarySpec, timeout: float, workers: int) -> BenchmarkReport:
    return run_benchmark(tasks, timeout_s=timeout, workers=workers, solver=LibrarySolver(spec, 5))


def frontiers(report: BenchmarkReport, spec: LibrarySpec) -> dict[str, list[Program]]:
    namespace = spec.namespace()
    return {
        o.name: [parse(text, namespace) for text, _ in o.candidates]
        for o in report
        if o.solved and o.candidates
    }


def guide_for(
    spec: LibrarySpec, tasks: list[Task], replays: dict[str, list[Program]], args: Any
) -> tuple[bytes, dict[str, Any]]:
    settings = DreamSettings(
        dreams=args.dreams,
        epochs=args.epochs,
        seed=args.seed,
        contextual=not args.unigram,
        max_contexts=args.max_contexts,
        library_share=args.library_share,
    )
    start = time.perf_counter()
    guide, report = train_guide(spec.grammar(), spec.domain, tasks, replays, settings)
    info = {**report.to_json(), "seconds": time.perf_counter() - start}
    print(
        f"  guide: {report.dreams} dreams ({report.dream_seconds:.1f} s) + {report.replays} "
        f"replays, trained in {report.train_seconds:.1f} s; replay loss "
        f"{report.replay_loss_before:.2f} -> {report.replay_loss_after:.2f}"
    )
    return guide.to_bytes(), info


def summary(report: BenchmarkReport) -> dict[str, Any]:
    s = report.summary()
    keys = ("solved", "test_correct", "programs_to_solution_median", "median_seconds")
    return {k: s[k] for k in keys}


def paired(unguided: BenchmarkReport, guided: BenchmarkReport) -> dict[str, Any]:
    """Programs and time to solution on the tasks both settings solve."""
    a = {o.name: o for o in unguided if o.solved}
    b = {o.name: o for o in guided if o.solved}
    both = sorted(set(a) & set(b))
    if not both:
        return {"both_solved": 0}
    ratios = [a[n].programs / max(b[n].programs, 1) for n in both]
    return {
        "both_solved": len(both),
        "only_unguided": sorted(set(a) - set(b)),
        "only_guided": sorted(set(b) - set(a)),
        "median_programs_unguided": statistics.median(a[n].programs for n in both),
        "median_programs_guided": statistics.median(b[n].programs for n in both),
        "median_ratio_unguided_over_guided": statistics.median(ratios),
        "median_seconds_unguided": statistics.median(a[n].seconds for n in both),
        "median_seconds_guided": statistics.median(b[n].seconds for n in both),
        "guided_fewer_programs": sum(r > 1 for r in ratios),
        "guided_more_programs": sum(r < 1 for r in ratios),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds per held-out task")
    parser.add_argument("--wake-timeout", type=float, default=1.0, help="seconds per train task")
    parser.add_argument("--dreams", type=int, default=4 * 136)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--compression-iterations", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--unigram", action="store_true", help="no bigram weights")
    parser.add_argument("--max-contexts", type=int, default=None, help="default: all")
    parser.add_argument(
        "--library-share",
        type=float,
        default=DreamSettings.library_share,
        help="the library grammar's share in each predicted grammar",
    )
    parser.add_argument("--out", type=Path, default=Path("guide.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    train, test = bundled_list_tasks("train"), bundled_list_tasks("test")
    base = LibrarySpec("lists")
    timings: dict[str, float] = {}

    print(f"wake: {len(train)} training tasks, {args.wake_timeout:g} s each")
    start = time.perf_counter()
    solved = frontiers(wake(train, base, args.wake_timeout, args.workers), base)
    timings["wake_seconds"] = time.perf_counter() - start
    print(f"  {len(solved)} solved in {timings['wake_seconds']:.0f} s")

    print("guide for the base grammar")
    base_guide, base_info = guide_for(base, train, solved, args)

    print("sleep: compress and refit")
    start = time.perf_counter()
    requests = {t.name: t.request for t in train}
    result = sleep(
        base,
        {n: (requests[n], ps) for n, ps in solved.items()},
        compression_iterations=args.compression_iterations,
    )
    timings["sleep_seconds"] = time.perf_counter() - start
    library = result.spec
    print(f"  {len(result.new_inventions)} inventions in {timings['sleep_seconds']:.0f} s")
    print("guide for the library")
    rewritten = {n: list(ps) for n, ps in result.rewritten.items()}
    library_guide, library_info = guide_for(library, train, rewritten, args)

    settings = {
        "base": LibrarySolver(base, 1),
        "+guide": LibrarySolver(base, 1, base_guide),
        "+library": LibrarySolver(library, 1),
        "+both": LibrarySolver(library, 1, library_guide),
    }
    reports: dict[str, BenchmarkReport] = {}
    for name, solver in settings.items():
        print(f"measure {name}: {len(test)} held-out tasks, {args.timeout:g} s each")
        reports[name] = run_benchmark(
            test, timeout_s=args.timeout, workers=args.workers, solver=solver
        )
        print(f"  {summary(reports[name])}")

    comparisons = {
        "base: guided vs unguided": paired(reports["base"], reports["+guide"]),
        "library: guided vs unguided": paired(reports["+library"], reports["+both"]),
    }
    print("\n| setting | solved | test correct | median programs to solution | median s |")
    print("|---|---|---|---|---|")
    for name, report in reports.items():
        s = summary(report)
        print(
            f"| {name} | {s['solved']}/{len(test)} | {s['test_correct']}/{len(test)} | "
            f"{s['programs_to_solution_median']:,.0f} | {s['median_seconds']:.3f} |"
        )
    for name, c in comparisons.items():
        print(f"\n{name}: {json.dumps(c, indent=1)}")
    out = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "timings": timings,
        "guides": {"base": base_info, "library": library_info},
        "inventions": [str(inv) for inv in result.new_inventions],
        "ablation": {name: summary(r) for name, r in reports.items()},
        "comparisons": comparisons,
        "reports": {name: r.to_json() for name, r in reports.items()},
    }
    args.out.write_text(json.dumps(out, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
