"""Where an ARC benchmark run succeeds and fails: a breakdown of a ``hylo bench arc`` JSON.

Groups the tasks by the shape relation of their training pairs (output the same
size as the input, smaller, larger, or sizes that vary) and says for each group how
many were right on every test input (top-3), how many had a program that fit the
training pairs but predicted the test output wrong (over-fitting: the examples
did not pin the rule down), how many found no fitting program in the time, and how
many failed outright (error, memory). Then the throughput and pruning figures of
the run and the primitives that the right programs use most.

This reads a finished run; it chooses nothing. Usage::

    python benchmarks/arc_breakdown.py results/arc-eval-20s.json --split evaluation
"""

from __future__ import annotations

import argparse
import collections
import re
import statistics
from typing import Any

from hylo.domains.arc import arc_tasks
from hylo.domains.task import Task
from hylo.search.batch import BenchmarkReport, TaskOutcome

GROUPS = ("same size", "smaller", "larger", "varies")


def shape_group(task: Task) -> str:
    """How the training outputs' shapes relate to the inputs'."""
    relations = set()
    for e in task.train:
        (hi, wi), (ho, wo) = e.inputs[0].array.shape, e.output.array.shape
        if (hi, wi) == (ho, wo):
            relations.add("same size")
        elif ho * wo < hi * wi:
            relations.add("smaller")
        else:
            relations.add("larger")
    return relations.pop() if len(relations) == 1 else "varies"


def verdict(outcome: TaskOutcome) -> str:
    if outcome.error is not None:
        return "failed"
    if outcome.test_results and all(outcome.test_results):
        return "right"
    if outcome.solved:
        return "fits, wrong on test"
    return "no fit"


def primitives_of(program: str) -> list[str]:
    return [t for t in re.findall(r"[^\s()]+", program) if t != "lam" and not t.startswith("$")]


def breakdown(report: BenchmarkReport, tasks: dict[str, Task]) -> dict[str, Any]:
    table: dict[str, collections.Counter[str]] = {g: collections.Counter() for g in GROUPS}
    uses: collections.Counter[str] = collections.Counter()
    for o in report:
        group = shape_group(tasks[o.name]) if o.name in tasks else "varies"
        v = verdict(o)
        table[group][v] += 1
        table[group]["tasks"] += 1
        if v == "right" and o.program:
            uses.update(set(primitives_of(o.program)))
    right = [o for o in report if verdict(o) == "right"]
    programs = sum(o.search_programs for o in report)
    seconds = sum(o.search_seconds for o in report)
    return {
        "summary": report.summary(),
        "groups": {g: dict(c) for g, c in table.items()},
        "programs_per_second": programs / seconds if seconds else 0.0,
        "median_seconds_right": statistics.median(o.search_seconds for o in right)
        if right
        else None,
        "errors": collections.Counter(
            (o.error or "").split(":")[0] for o in report if o.error
        ).most_common(),
        "primitives_in_right_programs": uses.most_common(25),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", help="a 'hylo bench arc --json' file")
    parser.add_argument("--split", default="evaluation", choices=("training", "evaluation"))
    parser.add_argument("--version", type=int, default=1)
    args = parser.parse_args()
    report = BenchmarkReport.load(args.json)
    tasks = {t.name: t for t in arc_tasks(args.split, args.version)}
    out = breakdown(report, tasks)
    s = out["summary"]
    print(f"{args.json}: {s['tasks']} tasks, {s['test_correct']} right (top-3)")
    cols = ("tasks", "right", "fits, wrong on test", "no fit", "failed")
    print(f"{'outputs':<12}" + "".join(f"{c:>22}" for c in cols))
    for g, c in out["groups"].items():
        print(f"{g:<12}" + "".join(f"{c.get(k, 0):>22}" for k in cols))
    print(f"programs per second (all inputs each): {out['programs_per_second']:,.0f}")
    print(f"pruned as equivalent: {s.get('equivalent_fraction')}")
    print(f"peak memory (MiB, max over tasks): {s.get('peak_memory_mb_max')}")
    print(f"median search seconds of right tasks: {out['median_seconds_right']}")
    print(f"errors: {out['errors']}")
    print(
        "primitives in right programs:",
        ", ".join(f"{p} {n}" for p, n in out["primitives_in_right_programs"]),
    )


if __name__ == "__main__":
    main()
