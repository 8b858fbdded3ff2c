"""Enumeration throughput: distinct well-typed programs enumerated and checked per second.

Runs the enumerative synthesizer on one core over list tasks from the *training*
split, each for a fixed time, and prints programs/second two ways:

* ``checked``: programs the search enumerated and ran against the task's
  training examples (the issue's figure), with pruning by observational
  equivalence on, as ``hylo solve`` runs;
* ``raw``: the enumerator alone, with no inputs (so no pruning) and no checking:
  every well-typed program up to a cost bound.

Usage: ``python benchmarks/throughput.py [--seconds 10] [--profile]``
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from hylo.domains.dreamcoder_format import bundled_list_tasks
from hylo.domains.lists import LISTS
from hylo.lang.evaluate import Budget
from hylo.lang.types import parse_type
from hylo.search import EnumerativeSynthesizer, Grammar
from hylo.search.enumerate import Enumerator, gc_paused

# Tasks that no short program solves, so the search runs for the whole budget.
TASKS = ("dup", "rotate-k with k=3", "repeat-many", "has-head-in-tail", "keep-mod-k with k=3")


def checked_rate(seconds: float) -> tuple[int, float]:
    tasks = {t.name: t for t in bundled_list_tasks("train")}
    grammar = Grammar.uniform(LISTS.primitives)
    programs, spent = 0, 0.0
    for name in TASKS:
        result = EnumerativeSynthesizer(timeout_s=seconds).search(tasks[name], grammar)
        programs += result.stats.programs
        spent += result.stats.seconds
        print(
            f"  {name:32s} {result.stats.programs:>9,d} programs in {result.stats.seconds:5.1f} s"
            f"  = {result.stats.programs_per_second:>9,.0f}/s"
        )
    return programs, spent


def raw_rate(request_text: str, max_cost: float) -> tuple[int, float]:
    enum = Enumerator(Grammar.uniform(LISTS.primitives), parse_type(request_text), Budget())
    n, lo, start = 0, 0.0, time.perf_counter()
    with gc_paused():
        while lo < max_cost:
            for _ in enum.band(lo, lo + 1.5):
                n += 1
            lo += 1.5
    return n, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="search time per task")
    parser.add_argument("--max-cost", type=float, default=19.5, help="cost bound for the raw rate")
    parser.add_argument("--profile", action="store_true", help="print where the time goes")
    args = parser.parse_args()

    print(f"checked: enumerate + run on the training examples, {args.seconds:.0f} s per task")
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    programs, spent = checked_rate(args.seconds)
    if profiler:
        profiler.disable()
    print(f"checked programs/second: {programs / spent:,.0f}  ({programs:,d} in {spent:.1f} s)")
    for request in ("list(int) -> list(int)", "list(int) -> int"):
        n, secs = raw_rate(request, args.max_cost)
        print(
            f"raw {request:24s} {n:>10,d} programs (cost < {args.max_cost}) in {secs:5.1f} s"
            f" = {n / secs:,.0f}/s"
        )
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
