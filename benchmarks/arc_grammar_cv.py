"""Does a grammar refitted on solved ARC tasks help on other ARC tasks? Cross-validated.

DreamCoder's sleep refits the grammar's weights on the solutions found, so that what
was useful before is cheaper next time. This checks that on the ARC training split
alone: the tasks (in name order) are cut into two halves; the grammar is refitted
(:meth:`Grammar.fit`) on the programs a ``hylo bench arc --split training`` run found
right on one half, and the other half is searched at the same time limit with the
base grammar and with the refitted one. ``--mix L`` mixes each production's
probability with the base grammar's, ``L`` of the base.

Prints one line per setting: tasks right (top-3) and tasks fit on the held-out half.
Usage::

    hylo bench arc --split training --timeout 2 --json train.json
    python benchmarks/arc_grammar_cv.py train.json --pseudo-count 1 5 --mix 0 0.5
"""

from __future__ import annotations

import argparse
import math
from concurrent.futures import ProcessPoolExecutor

from hylo.domains import get_domain
from hylo.domains.arc import arc_tasks
from hylo.domains.task import Task
from hylo.lang.errors import HyloError
from hylo.lang.program import parse
from hylo.search.batch import BenchmarkReport, outcome_of
from hylo.search.grammar import Grammar
from hylo.search.synthesizer import default_grammar, solve


def refitted(base: Grammar, fit_on: list[Task], report: BenchmarkReport, c: float) -> Grammar:
    """``base`` refitted on the right programs of ``fit_on`` (rules and the like skipped)."""
    namespace = get_domain("arc").namespace
    right = {o.name: o.program for o in report if o.test_correct and o.program}
    frontiers = []
    for task in fit_on:
        if task.name in right:
            try:
                frontiers.append((task.request, [parse(right[task.name], namespace)]))
            except HyloError:
                continue
    return base.fit(frontiers, pseudo_count=c)


def mixed(base: Grammar, fitted: Grammar, share: float) -> Grammar:
    """Each production's weight ``log((1 - share) * p_fitted + share * p_base)``."""
    if share <= 0:
        return fitted
    weights = {p.program.name: p.log_weight for p in base.productions}

    def mix(fit: float, b: float) -> float:
        return math.log((1 - share) * math.exp(fit) + share * math.exp(b))

    productions = [
        (mix(p.log_weight, weights[p.program.name]), p.program) for p in fitted.productions
    ]
    return Grammar(productions, mix(fitted.log_variable, base.log_variable))


def _right_and_fit(job: tuple[Task, Grammar, float]) -> tuple[bool, bool]:
    task, grammar, timeout = job
    outcome = outcome_of(solve(task, grammar, timeout_s=timeout, top_k=3))
    return outcome.test_correct, outcome.solved


def held_out_score(
    tasks: list[Task], grammar: Grammar, timeout: float, workers: int
) -> tuple[int, int]:
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(_right_and_fit, [(t, grammar, timeout) for t in tasks]))
    return sum(r for r, _ in results), sum(f for _, f in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("report", help="JSON of a hylo bench arc --split training run")
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--held-out", type=int, choices=(0, 1), default=1, help="which half")
    parser.add_argument("--pseudo-count", type=float, nargs="+", default=[1.0])
    parser.add_argument("--mix", type=float, nargs="+", default=[0.0])
    args = parser.parse_args()
    report = BenchmarkReport.load(args.report)
    tasks = sorted(arc_tasks("training", 1), key=lambda t: t.name)
    held = [t for i, t in enumerate(tasks) if i % 2 == args.held_out]
    fit_on = [t for i, t in enumerate(tasks) if i % 2 != args.held_out]
    base = default_grammar(tasks[0])
    right, fit = held_out_score(held, base, args.timeout, args.workers)
    print(f"base grammar: {right} right, {fit} fit of {len(held)} held-out tasks", flush=True)
    for c in args.pseudo_count:
        fitted = refitted(base, fit_on, report, c)
        for share in args.mix:
            grammar = mixed(base, fitted, share)
            right, fit = held_out_score(held, grammar, args.timeout, args.workers)
            print(f"refitted (pseudo-count {c:g}, {share:g} base): {right} right, {fit} fit")


if __name__ == "__main__":
    main()
