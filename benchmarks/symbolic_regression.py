"""Symbolic regression: recover known physics formulas from noisy samples (GP + CMA-ES).

Each formula (Feynman-style, without trigonometry) is sampled at 40 random
points with 1 % Gaussian noise on the output. Typed genetic programming over
the ``numeric`` primitives (``+. -. *. /.`` and open constants ``c``) evolves
the structure with hylo's type-safe operators
(:class:`hylo.search.evolve.Variation`: subtree crossover, subtree/hoist/point
mutation); every individual's constants are fitted by CMA-ES
(:func:`hylo.train.fit_program`); half the first population are the
enumerator's most probable programs, half are sampled from the grammar; fitness
is the fitted mean squared error relative to the targets' variance, plus a small
cost per leaf (parsimony).

A formula counts as **recovered** when the best program, with its fitted
constants, is within 1 % (relative error) of the true formula on 200 held-out,
noise-free points, i.e. it is the formula up to the precision that 1 % noise
allows; the program is printed so that one can check it symbolically.

    python benchmarks/symbolic_regression.py               # 60 s per formula
    python benchmarks/symbolic_regression.py --timeout 10 --seed 1
    python benchmarks/symbolic_regression.py --engine enumerate   # structures in prior order

The best structure's constants are refitted with a larger budget at the end.
``--engine enumerate`` replaces GP by the enumerator (every structure in order of
prior probability, each fitted the same way): the comparison of
``benchmarks/gp_vs_enumeration.py`` on noisy numeric tasks.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cma  # type: ignore[import-untyped]  # noqa: F401  # slow to import: before any clock starts
import numpy as np
import torch

from hylo.domains.numeric import NUMERIC, close_constants, count_constants, open_constants
from hylo.lang.evaluate import Budget, Evaluator
from hylo.lang.program import Abstraction, Index, Program, show, size, spine, subprograms
from hylo.lang.types import FLOAT, arrow
from hylo.search.enumerate import Enumerator
from hylo.search.evolve import Variation
from hylo.search.grammar import Grammar
from hylo.train import CMAESFitter, FitBudget, fit_program

RESULTS = Path(__file__).resolve().parent.parent / "results"


@dataclass(frozen=True)
class Formula:
    name: str
    text: str
    num_vars: int
    f: Callable[..., float]
    low: float = 1.0
    high: float = 5.0


FORMULAS = [
    Formula("force", "F = m * a", 2, lambda m, a: m * a),
    Formula("kinetic energy", "E = 0.5 * m * v^2", 2, lambda m, v: 0.5 * m * v * v),
    Formula("potential energy", "U = 9.81 * m * h", 2, lambda m, h: 9.81 * m * h),
    Formula("electric power", "P = V^2 / R", 2, lambda v, r: v * v / r),
    Formula("Coulomb", "F = q1 * q2 / r^2", 3, lambda q1, q2, r: q1 * q2 / (r * r)),
    Formula("uniform motion", "x = x0 + v * t", 3, lambda x0, v, t: x0 + v * t),
    Formula("thin lens", "f = d1 * d2 / (d1 + d2)", 2, lambda a, b: a * b / (a + b)),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per formula (60)")
    parser.add_argument("--population", type=int, default=200, help="programs per generation")
    parser.add_argument("--noise", type=float, default=0.01, help="relative output noise (0.01)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--engine", choices=["gp", "enumerate"], default="gp")
    parser.add_argument("--out", type=Path, default=None, help="JSON report path")
    return parser.parse_args()


def samples(formula: Formula, n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(formula.low, formula.high, (n, formula.num_vars))


class _OutOfTime(Exception):
    """The time limit of one formula has passed."""


# Stop once the relative squared error (plus parsimony) is this small: within the noise.
NOISE_LEVEL = 1e-3


class Regression:
    """GP over structures, CMA-ES for each structure's constants (memoised by structure)."""

    def __init__(self, formula: Formula, args: argparse.Namespace) -> None:
        rng = np.random.default_rng(args.seed)
        xs = samples(formula, 40, rng)
        ys = np.array([formula.f(*x) for x in xs])
        ys = ys * (1 + args.noise * rng.standard_normal(len(ys)))
        self.examples = [(tuple(x), float(y)) for x, y in zip(xs, ys, strict=True)]
        self.scale = float(np.var(ys)) or 1.0
        self.request = arrow(*([FLOAT] * formula.num_vars), FLOAT)
        self.rng = random.Random(args.seed)
        grammar = Grammar.uniform(NUMERIC.primitives)
        self.variation = Variation(grammar, self.request, self.rng, max_depth=5)
        self.cache: dict[Program, tuple[float, Program]] = {}
        self.args = args

    def score(self, structure: Program) -> float:
        """Fitness to minimise (memoised); raises _OutOfTime past the deadline."""
        found = self.cache.get(structure)
        if found is None:
            if time.perf_counter() > self.deadline:
                raise _OutOfTime
            # A part built of constants alone is one constant: fit the simpler program.
            fit = math.inf if constant_part(structure) else self._fit(structure, 40)[0]
            found = self.cache[structure] = fit
            if found < self.best[0]:
                self.best = (found, structure, time.perf_counter() - self.start)
        return found

    def _fit(self, structure: Program, per_constant: int) -> tuple[float, Program]:
        k = count_constants(structure)
        if k > 4:
            return math.inf, structure
        program = open_constants(structure)
        fitter = CMAESFitter(sigma0=2.0, seed=0)
        budget = FitBudget(max_evaluations=per_constant * k + 1)
        result = fit_program(program, self.examples, "mse", fitter, init=[1.0] * k, budget=budget)
        error = result.loss / self.scale
        return error + 1e-4 * size(structure), close_constants(program, result.params, digits=6)

    def run(self, engine: str) -> tuple[Program, float]:
        """The best program (constants refitted with a larger budget) and when it was found."""
        self.start = time.perf_counter()
        self.deadline = self.start + self.args.timeout
        self.best: tuple[float, Program | None, float] = (math.inf, None, 0.0)
        with contextlib.suppress(_OutOfTime):
            self._gp() if engine == "gp" else self._enumerate()
        _, structure, found_at = self.best
        if structure is None:
            raise RuntimeError("no program was scored: raise --timeout")
        return self._fit(structure, 300)[1], found_at

    def _gp(self) -> None:
        pop = self._initial_population()
        while self.best[0] >= NOISE_LEVEL:
            scored = sorted(((self.score(p), p) for p in pop), key=lambda t: t[0])
            pop = self._next_generation(scored)

    def _enumerate(self) -> None:
        """Every structure in order of prior, each fitted, until one is within the noise."""
        inputs = [x for x, _ in self.examples]  # prune by observational equivalence
        enumerator = Enumerator(self.variation.grammar, self.request, Budget(), inputs=inputs)
        lo = 0.0
        while self.best[0] >= NOISE_LEVEL:
            for item in enumerator.band(lo, lo + 1.0):
                self.score(enumerator.program(item))
                if self.best[0] < NOISE_LEVEL:
                    return
            lo += 1.0

    def _initial_population(self) -> list[Program]:
        """The enumerator's most probable programs (half), then samples from the grammar."""
        enumerator = Enumerator(self.variation.grammar, self.request, Budget())
        pop: list[Program] = []
        lo = 0.0
        while len(pop) < self.args.population // 2:
            pop.extend(enumerator.program(item) for item in enumerator.band(lo, lo + 1.0))
            lo += 1.0
        pop = pop[: self.args.population // 2]
        while len(pop) < self.args.population:
            sampled = self.variation.sample()
            if sampled is not None:
                pop.append(sampled)
        return pop

    def _next_generation(self, scored: list[tuple[float, Program]]) -> list[Program]:
        elites = [p for _, p in scored[: max(1, len(scored) // 20)]]
        children = list(elites)
        while len(children) < self.args.population:
            a, b = self._select(scored), self._select(scored)
            r = self.rng.random()
            child = (
                self.variation.crossover(a, b) if r < 0.5 else self.variation.mutate(a)
            ) or self.variation.sample()
            if child is not None:
                children.append(child)
        return children

    def _select(self, scored: list[tuple[float, Program]]) -> Program:
        return min(self.rng.sample(scored, 5), key=lambda t: t[0])[1]


def constant_part(p: Program) -> bool:
    """Does ``p`` have an application of constants only (no variable), like ``(+. c c)``?"""
    while isinstance(p, Abstraction):
        p = p.body
    _, args = spine(p)
    if not args:
        return False
    if not any(isinstance(q, Index) for q in subprograms(p)):
        return True
    return any(constant_part(a) for a in args)


def recovered(formula: Formula, program: Program, seed: int) -> tuple[bool, float]:
    """Within 1 % of the formula on 200 held-out noise-free points (and the worst error)."""
    f = Evaluator().function(program)
    worst = 0.0
    for x in samples(formula, 200, np.random.default_rng(seed + 99)):
        try:
            got = float(f(*x))
        except Exception:
            return False, math.inf
        truth = formula.f(*x)
        worst = max(worst, abs(got - truth) / abs(truth))
    return bool(worst < 0.01), float(worst)


def main() -> None:
    torch.set_num_threads(1)
    args = parse_args()
    rows = []
    for formula in FORMULAS:
        start = time.perf_counter()
        program, found_at = Regression(formula, args).run(args.engine)
        ok, worst = recovered(formula, program, args.seed)
        seconds = time.perf_counter() - start
        rows.append(
            {
                "formula": formula.text,
                "program": show(program),
                "recovered": bool(ok),
                "max_relative_error": float(worst),
                "seconds": seconds,
                "found_at": found_at,
            }
        )
        mark = "recovered" if ok else "not recovered"
        print(f"{formula.text:28} {mark:14} err {worst:.2e} {seconds:5.1f}s  {show(program)}")
    count = int(sum(bool(r["recovered"]) for r in rows))
    print(
        f"{args.engine}: recovered {count} / {len(rows)} formulas "
        f"(1 % noise, {args.timeout:g} s each)"
    )
    out = args.out or RESULTS / f"symbolic_regression-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"recovered": count, "formulas": rows}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
