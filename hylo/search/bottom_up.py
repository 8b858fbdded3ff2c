"""Bottom-up, value-based search with observational equivalence.

Where the enumerator (:mod:`hylo.search.enumerate`) builds programs top-down and runs
each on the examples, this search builds *values*: every program it keeps is stored
with the tuple of values it produces on all of the task's inputs — training **and**
test inputs. Two programs that produce the same tuple are interchangeable inside any
larger program, so only the cheaper one is kept (observational equivalence, as in
TRANSIT, Escher and icecuber's ARC search). Because the test inputs are part of the
tuple, two kept programs that agree on the training outputs differ on some test
input: each one that fits is a *distinct prediction*, which is what ARC's top-3
scoring wants.

Programs grow by cost level: a production of cost ``c`` applied to arguments of
costs ``c1 … ck`` has cost ``c + c1 + … + ck``. Costs come from the grammar: a
production's ``-log`` probability in steps of ``nats_per_level`` (so a uniform grammar
gives program size, and a learned library makes its favourites cheaper). Each node's
cost is rounded to a whole level, so the finer the levels, the closer the search
follows the prior.
Arguments of arrow type (``map``'s function) are filled with small lambdas from the
top-down enumerator; every other argument comes from the value pool. Where the
grammar has an ``if`` for the goal type, two values that are each right on part of the
training pairs are joined under a boolean value that tells their pairs apart
(:class:`_CaseSplit`), without enumerating the conditional.

>>> from hylo.domains.lists import LISTS
>>> from hylo.domains.task import make_task
>>> from hylo.lang.types import parse_type
>>> task = make_task("sum-sorted", parse_type("list(int) -> int"),
...                  [([[3, 1]], 4), ([[5]], 5), ([[2, 2, 1]], 5)])
>>> result = BottomUpSynthesizer(timeout_s=10).search(task)
>>> result.solved, result.best([1, 2, 3])
(True, 6)
"""

from __future__ import annotations

import bisect
import itertools
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from hylo.domains.task import Task
from hylo.lang.errors import HyloError, TypeInferenceError, UnificationError
from hylo.lang.evaluate import Budget, Evaluator, Limits, curry, use_limits
from hylo.lang.evaluate import _compile as compile_with_budget
from hylo.lang.infer import infer
from hylo.lang.program import (
    Abstraction,
    Application,
    Index,
    Invented,
    Primitive,
    Program,
    apply_to,
    primitives_of,
)
from hylo.lang.types import (
    BOOL,
    Substitution,
    Type,
    apply,
    arguments,
    arrow,
    canonical,
    instantiate,
    is_arrow,
    is_ground,
    max_var_id,
    return_type,
    show_type,
    unify,
)
from hylo.search.base import Candidate, ProgressCallback, SearchResult, SearchStats
from hylo.search.enumerate import EnumerationTimeout, Enumerator, gc_paused
from hylo.search.grammar import Grammar
from hylo.search.synthesizer import SEARCH_LIMITS, BaseSynthesizer, default_grammar

Completion = tuple[Callable[[Program], Program], Callable[[Any], Any]]
"""How to finish a value: wrap its program; run the same step on a value."""

Finisher = Callable[
    [Sequence[Any], Sequence[Any], Sequence[Any]],
    "Completion | list[Completion] | None",
]
"""A goal-directed last step: given a value's training outputs, the targets and the
value's test outputs, how to finish it (wrap its program, run the same step on a
value), or ``None``; or a list of alternatives, most likely first (each one a
distinct prediction for top-k). The test outputs let a step that may not apply to
every value (a rule that has not seen some neighbourhood) choose one that does. ARC's learned
colour map is one (:func:`hylo.domains.arc.finish.color_map_completion`); its
neighbourhood rules another (:func:`hylo.domains.arc.rules.rule_completion`)."""


@dataclass(frozen=True)
class AtMost:
    """A finisher tried on only the first ``calls`` candidates of each search (the
    cheapest ones): for a last step that is costly to try, or more likely to fit by
    chance the further the candidate is from the task's inputs."""

    finisher: Finisher
    calls: int

    def __call__(self, outs: Sequence[Any], targets: Sequence[Any], tests: Sequence[Any]) -> Any:
        return self.finisher(outs, targets, tests)


@dataclass(frozen=True)
class OnKeys:
    """A finisher offered the values of ``key_type`` instead of the goal's: a last step
    that looks the output up from a key the search built (ARC's lookups from a count,
    a colour or a test to a grid, :mod:`hylo.domains.arc.lookups`)."""

    finisher: Finisher
    key_type: Type

    def __call__(self, outs: Sequence[Any], targets: Sequence[Any], tests: Sequence[Any]) -> Any:
        return self.finisher(outs, targets, tests)


# What a finishing step the grammar cannot write costs: its learned table's length, as
# written in its name (``lookup-int:1=8,2=0``), at a digit's worth of nats per
# character. A lookup of two one-cell grids costs 16 nats, a rule of twenty keys 140:
# a description-length prior, so a short table is not ranked below a long conditional.
_NATS_PER_TABLE_CHARACTER = math.log(10)

# Values between two looks at the clock.
_CHECK_EVERY = 128

# Bytes a kept value costs besides its outputs (program nodes, key, pool entry),
# measured on ARC tasks (peak RSS growth over values kept).
_VALUE_OVERHEAD = 1500

# Cost levels are this many nats of -log probability wide, by default. Half a nat:
# rounding each node to a whole nat put a six-node program up to three nats (a factor
# of ~20 in probability) away from its place in the prior's order (training at 2 s:
# 178 right with 1.0, 181 with 0.5; 179 with 0.25).
_NATS_PER_LEVEL = 0.5

# Lambdas looked at per arrow type: most of the cheapest ones are constant functions.
_MAX_SCANNED = 3000


@dataclass(frozen=True, slots=True, eq=False)
class _Value:
    """A kept program with its outputs on every input (train first, then test)."""

    program: Program
    tp: Type
    cost: int
    outs: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class _Production:
    head: Primitive | Invented
    cost: int
    arg_types: tuple[Type, ...]
    ret: Type
    fn: Callable[..., Any]
    order: tuple[int, ...]  # arguments filled non-arrow first, so arrows' types are known
    num_vars: int  # the head's type variables are t0 … t(num_vars - 1)
    higher_order: bool  # some argument is a function: its calls run under the budget
    ground_args: tuple[bool, ...]  # per argument: its type has no type variables


class BottomUpSynthesizer(BaseSynthesizer):
    """Value-based bottom-up search: one program per distinct behaviour on all inputs.

    Args:
        timeout_s: wall-clock budget for the whole search.
        top_k: how many fitting programs (distinct test predictions) to return.
        max_cost: stop after programs of this cost, in nats (None: until the time is up).
        max_values: keep at most this many values (the memory budget, in values).
        memory_mb: keep values only while their estimated size stays below this.
        limits: evaluation limits per call of a program on one input.
        num_lambdas: how many small lambdas to try for each arrow-typed argument.
        finishers: goal-directed last steps tried on every value of the goal type
            (wrap one in :class:`AtMost` to try it on the cheapest values only, in
            :class:`OnKeys` to offer it the values of another type).
        nats_per_level: the width of a cost level in nats of ``-log`` probability;
            finer levels follow the prior more closely, at more bookkeeping per value.
    """

    def __init__(
        self,
        timeout_s: float = 10.0,
        top_k: int = 3,
        max_cost: float | None = None,
        max_values: int = 2_000_000,
        memory_mb: float = 2_000.0,
        limits: Limits | None = None,
        num_lambdas: int = 40,
        finishers: Sequence[Finisher] = (),
        nats_per_level: float = _NATS_PER_LEVEL,
    ) -> None:
        if not nats_per_level > 0:
            raise ValueError(f"nats_per_level must be > 0, got {nats_per_level}")
        self.timeout_s = timeout_s
        self.top_k = top_k
        self.max_cost = max_cost
        self.max_values = max_values
        self.memory_mb = memory_mb
        self.limits = limits
        self.num_lambdas = num_lambdas
        self.finishers = finishers
        self.nats_per_level = nats_per_level

    def search(
        self, task: Task, grammar: Grammar | None = None, progress: ProgressCallback | None = None
    ) -> SearchResult:
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s}")
        if self.top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {self.top_k}")
        if not task.train:
            raise ValueError(f"task {task.name!r} has no training examples to search with")
        grammar = grammar or default_grammar(task)
        return _BottomUpRun(task, grammar, self, progress).run()


class _BottomUpRun:
    """One search: the pool of values by cost level and the loop that grows it."""

    def __init__(
        self,
        task: Task,
        grammar: Grammar,
        synth: BottomUpSynthesizer,
        progress: ProgressCallback | None,
    ) -> None:
        self.task, self.grammar, self.synth, self.progress = task, grammar, synth, progress
        self.limits = synth.limits or SEARCH_LIMITS
        self.budget = Budget(self.limits)
        self.inputs = [ex.inputs for ex in (*task.train, *task.test)]
        self.num_train = len(task.train)
        self.targets = [ex.output for ex in task.train]
        self.arg_types = arguments(task.request)
        self.goal = return_type(task.request)
        self.costs = _level_costs(grammar, self.arg_types, synth.nats_per_level)
        self.known = set(grammar.namespace)  # names the grammar writes (not learned tables)
        self.pool: dict[int, dict[Type, list[_Value]]] = {}
        self.poly_levels: set[int] = set()  # levels holding values of polymorphic types
        self.type_levels: dict[Type, list[int]] = {}  # per type: the levels holding values
        self.levels: list[int] = []  # the levels holding values, before the one being built
        self.seen: set[tuple[Type, tuple[Any, ...]]] = set()
        self.lambdas: dict[Type, list[_Value]] = {}
        self.goal_types: dict[Type, bool] = {}
        self.finisher_calls = [0] * len(synth.finishers)
        self.goal_finishers = [
            f for f in enumerate(synth.finishers) if not isinstance(f[1], OnKeys)
        ]
        self.key_finishers: dict[Type, list[Finisher]] = {}
        for finish in synth.finishers:
            if isinstance(finish, OnKeys):
                self.key_finishers.setdefault(canonical([finish.key_type])[0], []).append(finish)
        self.cases = _CaseSplit.of(grammar, self.goal, self.num_train)
        # Per hit: found by a step the grammar cannot write, or by a case split (either
        # way ranked by its prior, but no reason to stop the search).
        self.foreign: list[bool] = []
        self.own_hits = 0  # hits the grammar can write
        self.hits: list[Candidate] = []
        self.programs = self.equivalent = self.bytes = 0
        self.full = False
        self.start = time.perf_counter()
        self.deadline = self.start + synth.timeout_s
        self.next_check = _CHECK_EVERY

    # --- the loop -------------------------------------------------------------------

    def run(self) -> SearchResult:
        use_limits(self.limits)
        with gc_paused():
            try:
                timed_out = self._loop()
            except EnumerationTimeout:
                timed_out = not self.hits  # a solved task stops on its grace period
            seconds = time.perf_counter() - self.start
            del self.pool, self.seen, self.lambdas
        hits = sorted(self.hits, key=lambda c: -c.log_posterior)[: self.synth.top_k]
        stats = SearchStats(self.programs, seconds, timed_out, self.equivalent)
        return SearchResult(self.task, tuple(hits), stats)

    def _loop(self) -> bool:
        """Grow the pool level by level; returns whether time (or memory) ran out."""
        productions = self._productions()
        self._add_terminals()
        max_cost = self.synth.max_cost
        top = 10_000 if max_cost is None else math.floor(max_cost / self.synth.nats_per_level)
        for level in range(2, top + 1):
            if self.own_hits >= self.synth.top_k:
                return False
            self.levels = sorted(self.pool)  # this level's own values come too late for it
            for prod in productions:
                if prod.cost < level:
                    self._grow(prod, level)
            if self.full and not self.pool.get(level):
                return True  # nothing new can be kept: larger levels would repeat this one
            if level > self._last_possible_level(productions):
                return False  # the space is exhausted: every value is built from kept ones
        return False

    def _last_possible_level(self, productions: Sequence[_Production]) -> int:
        highest = max((c for c, by_type in self.pool.items() if by_type), default=1)
        widest = max((len(p.arg_types) for p in productions), default=1)
        lambda_cost = max((v.cost for vs in self.lambdas.values() for v in vs), default=0)
        priciest = max((p.cost for p in productions), default=1)
        return priciest + widest * max(highest, lambda_cost)

    def _grow(self, prod: _Production, level: int) -> None:
        options = [self._levels_for(prod.arg_types[i], prod.ground_args[i]) for i in prod.order]
        for split in _splits(level - prod.cost, options):
            self._fill(prod, split, 0, {}, [None] * len(options), level)

    def _levels_for(self, want: Type, ground: bool) -> Sequence[int] | None:
        """The levels whose values may fill an argument of type ``want`` (None: any level,
        for arrow types, filled by lambdas). Most levels hold few types, so most splits of
        a level's cost among the arguments have no values to try: they are never made."""
        if is_arrow(want):
            return None
        if not ground:
            return self.levels
        exact = self.type_levels.get(want, ())
        if not self.poly_levels:
            return exact
        return sorted(self.poly_levels.union(exact))

    def _fill(
        self,
        prod: _Production,
        split: tuple[int, ...],
        j: int,
        subst: Substitution,
        chosen: list[_Value | None],
        level: int,
    ) -> None:
        i = prod.order[j]
        want = apply(prod.arg_types[i], subst)
        last = j == len(prod.order) - 1
        # Pool types are renamed apart from the head's variables and each other's.
        fresh = prod.num_vars + 1000 * (j + 1)
        ground = is_ground(want)
        for tp, values in self._candidates(want, split[j], fresh):
            if ground and is_ground(tp):
                # _candidates gave this very type: nothing to bind, so share the
                # substitution (deeper levels copy before unifying).
                s = subst
            else:
                try:
                    s = unify(tp, want, dict(subst))
                except UnificationError:
                    continue
            if last:
                ret = canonical([apply(prod.ret, s)])[0]
                for v in values:
                    chosen[i] = v
                    self._apply(prod, chosen, ret, level)  # type: ignore[arg-type]
            else:
                for v in values:
                    chosen[i] = v
                    self._fill(prod, split, j + 1, s, chosen, level)

    def _candidates(self, want: Type, cost: int, fresh: int) -> Iterator[tuple[Type, list[_Value]]]:
        if is_arrow(want):
            yield from self._lambdas_of(want, cost, fresh)
            return
        by_type = self.pool.get(cost, {})
        if is_ground(want):
            # Only values of this very type fit, and polymorphic ones (rare: ``empty``).
            if exact := by_type.get(want):
                yield want, exact
            if cost not in self.poly_levels:
                return
            by_type = {tp: values for tp, values in by_type.items() if not is_ground(tp)}
        for tp, values in by_type.items():
            yield instantiate(tp, fresh)[0], values

    # --- applying a production -----------------------------------------------------------

    def _apply(self, prod: _Production, args: Sequence[_Value], tp: Type, level: int) -> None:
        """Run ``prod`` on ``args`` over every input; keep the result if it is new."""
        self.programs += 1
        if self.programs >= self.next_check:
            self._check_clock()
        fn = prod.fn
        if prod.higher_order:
            self.budget.reset()
        try:
            if len(args) == 1:
                outs = tuple(map(fn, args[0].outs))
            else:
                outs = tuple(itertools.starmap(fn, zip(*(a.outs for a in args), strict=True)))
        except Exception:  # a failing combination is just a failed candidate
            return
        key = self._new_key(tp, outs)
        if key is None:
            return
        program = apply_to(prod.head, *(a.program for a in args))
        self._check(program, tp, outs)
        self._keep(_Value(program, tp, level, outs), key)

    def _new_key(self, tp: Type, outs: tuple[Any, ...]) -> tuple[Type, tuple[Any, ...]] | None:
        """The behaviour's key, or None (counted as equivalent) when it was seen before."""
        key = (tp, tuple(map(_frozen, outs)))
        try:
            seen = key in self.seen
        except TypeError:  # an unhashable value inside: compare by its text instead
            key = (tp, tuple(map(repr, outs)))
            seen = key in self.seen
        if seen:
            self.equivalent += 1
            return None
        return key

    def _check(self, program: Program, tp: Type, outs: tuple[Any, ...]) -> None:
        """Record ``program`` if it fits the training examples, directly or once finished."""
        if not self._returns_goal(tp):
            for finish in self.key_finishers.get(tp, ()):
                self._finish(finish, program, tp, outs[: self.num_train], outs[self.num_train :])
            if self.cases is not None and tp == BOOL:
                for body, predictions in self.cases.add_test(program, outs):
                    self._hit(body, predictions, split=True)
            return
        train, tests = outs[: self.num_train], outs[self.num_train :]
        if train == tuple(self.targets):
            self._hit(program, tests)
            return
        if self.cases is not None:
            for body, predictions in self.cases.add_branch(program, outs, self.targets):
                self._hit(body, predictions, split=True)
        for i, finish in self.goal_finishers:
            if isinstance(finish, AtMost):
                if self.finisher_calls[i] >= finish.calls:
                    continue
                self.finisher_calls[i] += 1
            self._finish(finish, program, tp, train, tests)

    def _finish(
        self,
        finish: Finisher,
        program: Program,
        tp: Type,
        train: Sequence[Any],
        tests: Sequence[Any],
    ) -> None:
        found = finish(train, self.targets, tests)
        for wrap, run in [found] if isinstance(found, tuple) else found or ():
            try:
                predictions = tuple(map(run, tests))
            except Exception:
                continue
            self._hit(wrap(program), predictions, (program, tp))

    def _returns_goal(self, tp: Type) -> bool:
        known = self.goal_types.get(tp)
        if known is None:
            try:
                unify(tp, self.goal, {})
                known = True
            except UnificationError:
                known = False
            self.goal_types[tp] = known
        return known

    def _keep(self, value: _Value, key: tuple[Type, tuple[Any, ...]]) -> None:
        if self.full:
            return
        self.seen.add(key)
        by_type = self.pool.setdefault(value.cost, {})
        if value.tp not in by_type:
            by_type[value.tp] = []
            bisect.insort(self.type_levels.setdefault(value.tp, []), value.cost)
            if not is_ground(value.tp):
                self.poly_levels.add(value.cost)
        by_type[value.tp].append(value)
        self.bytes += _VALUE_OVERHEAD + sum(map(_size, value.outs))
        if len(self.seen) >= self.synth.max_values or self.bytes > self.synth.memory_mb * 2**20:
            self.full = True

    def _hit(
        self,
        body: Program,
        predictions: tuple[Any, ...],
        unfinished: tuple[Program, Type] | None = None,
        split: bool = False,
    ) -> None:
        """Record a fitting program (``unfinished``: the candidate a finisher completed,
        with its type; ``split``: a case split, which does not stop the search)."""
        same = next((i for i, h in enumerate(self.hits) if _same(h.predictions, predictions)), None)
        if same is not None and not self.foreign[same]:
            return  # a finished program may predict what one the grammar writes does
        program = self._closed(body)
        log_prior = self._log_prior(program)
        foreign = False
        if split:
            foreign = True
        elif log_prior is None and unfinished is not None:
            # A step the grammar cannot write (a learned rule, a whole table): ranked
            # after what the grammar can, and no reason to stop looking for that.
            foreign = True
            inner_body, inner_tp = unfinished
            inner = self._log_prior(self._closed(inner_body), arrow(*self.arg_types, inner_tp))
            log_prior = (-1e3 if inner is None else inner) - self._table_nats(body)
        if same is not None:
            # Same predictions as a rule: the more probable program keeps the place.
            if foreign or log_prior is None or self.hits[same].log_prior >= log_prior:
                return
            del self.hits[same], self.foreign[same]
        self.foreign.append(foreign)
        if not foreign:
            self.own_hits += 1
            if self.own_hits == 1:
                # Look for rival predictions (top-k) a little longer, not the whole budget.
                elapsed = time.perf_counter() - self.start
                self.deadline = min(self.deadline, self.start + elapsed + max(1.0, 2 * elapsed))
        if log_prior is None:
            log_prior = -1e6 - len(self.hits)  # cannot happen for the grammar's own programs
        self.hits.append(
            Candidate(
                program,
                self.task.request,
                log_prior,
                0.0,
                time.perf_counter() - self.start,
                self.programs,
                predictions,
                self.limits,
            )
        )

    def _table_nats(self, body: Program) -> float:
        """The description length of the steps in ``body`` that the grammar cannot write
        (learned tables, named by their contents)."""
        tables = [p.name for p in primitives_of(body) if p.name not in self.known]
        return _NATS_PER_TABLE_CHARACTER * sum(len(n.partition(":")[2] or n) for n in tables)

    def _closed(self, body: Program) -> Program:
        """``body`` under one lambda per task argument: the task's program."""
        for _ in self.arg_types:
            body = Abstraction(body)
        return body

    def _log_prior(self, program: Program, request: Type | None = None) -> float | None:
        """The grammar's log-prior of ``program`` (of the task's type unless ``request``
        says otherwise), or ``None``."""
        try:
            log_prior = self.grammar.log_prior(program, request or self.task.request)
        except HyloError:
            return None
        return log_prior if math.isfinite(log_prior) else None

    def _check_clock(self) -> None:
        self.next_check = self.programs + _CHECK_EVERY
        self.budget.reset()
        now = time.perf_counter()
        if self.progress is not None:
            self.progress(self.programs, now - self.start)
        if now > self.deadline:
            raise EnumerationTimeout

    # --- what the pool starts from ---------------------------------------------------

    def _productions(self) -> list[_Production]:
        out = []
        for prod in self.grammar.productions:
            head = prod.program
            args = arguments(head.tp)
            if not args or is_arrow(return_type(head.tp)):
                continue
            order = tuple(sorted(range(len(args)), key=lambda i: is_arrow(args[i])))
            fn = _implementation(head, self.limits)
            num_vars = max_var_id(head.tp) + 1
            ret = return_type(head.tp)
            cost = self.costs[head.name]
            higher = any(map(is_arrow, args))
            ground = tuple(map(is_ground, args))
            out.append(
                _Production(head, cost, tuple(args), ret, fn, order, num_vars, higher, ground)
            )
        return out

    def _add_terminals(self) -> None:
        n = len(self.arg_types)
        for j, tp in enumerate(self.arg_types):
            if is_arrow(tp):
                continue  # function-typed task inputs are passed through only by lambdas
            outs = tuple(inputs[j] for inputs in self.inputs)
            self._offer(Index(n - 1 - j), tp, self.costs[f"${j}"], outs)
        for prod in self.grammar.productions:
            head = prod.program
            if arguments(head.tp):
                continue
            try:
                value = _constant_value(head, self.limits)
            except Exception:
                continue
            self._offer(head, head.tp, self.costs[head.name], (value,) * len(self.inputs))

    def _offer(self, program: Program, tp: Type, cost: int, outs: tuple[Any, ...]) -> None:
        tp = canonical([tp])[0]
        self.programs += 1
        key = self._new_key(tp, outs)
        if key is None:
            return
        self._check(program, tp, outs)
        self._keep(_Value(program, tp, cost, outs), key)

    # --- lambdas for arrow-typed arguments -------------------------------------------

    def _lambdas_of(self, want: Type, cost: int, fresh: int) -> Iterator[tuple[Type, list[_Value]]]:
        key = canonical([want])[0]
        if key not in self.lambdas:
            self.lambdas[key] = self._enumerate_lambdas(key)
        by_type: dict[Type, list[_Value]] = {}
        for v in self.lambdas[key]:
            if v.cost == cost:
                by_type.setdefault(v.tp, []).append(v)
        for tp, values in by_type.items():
            yield instantiate(tp, fresh)[0], values

    def _enumerate_lambdas(self, request: Type) -> list[_Value]:
        """The most probable closed programs of an arrow type, as function values."""
        enumerator = Enumerator(self.grammar, request, self.budget)
        enumerator.deadline = self.deadline
        found: list[_Value] = []
        lo, scanned = 0.0, 0
        while len(found) < self.synth.num_lambdas and lo < 30.0 and scanned < _MAX_SCANNED:
            for item in enumerator.band(lo, lo + 1.5):
                scanned += 1
                if scanned >= _MAX_SCANNED:
                    break
                program = enumerator.program(item)
                if not _uses_all_arguments(program):
                    continue  # a constant function is almost never what map or fold needs
                try:
                    tp = infer(program)
                    fn = compile_with_budget(program, self.budget)(())
                except (TypeInferenceError, HyloError):
                    continue
                outs = (fn,) * len(self.inputs)
                found.append(_Value(program, canonical([tp])[0], self._cost_of(program), outs))
                if len(found) >= self.synth.num_lambdas:
                    break
            lo += 1.5
        return found

    def _cost_of(self, program: Program) -> int:
        """A program's level cost: the sum of its nodes' costs (lambdas are free)."""
        if isinstance(program, Abstraction):
            return self._cost_of(program.body)
        if isinstance(program, Application):
            return self._cost_of(program.f) + self._cost_of(program.x)
        if isinstance(program, Primitive | Invented):
            return self.costs.get(program.name, 1)
        return self.costs["$"]


# --- case splits ---------------------------------------------------------------------------


class _CaseSplit:
    """Conditional programs ``(if test a b)`` put together from parts, not enumerated.

    A value of the goal type that is right on some training pairs but not all is a
    *branch*; a boolean value is a *test*. When two branches together are right on
    every pair and a test is true only where the first is right and false only where
    the second is, ``(if test first second)`` fits (the unification step of EUSolver
    and of decision-tree synthesis). Branches and tests are indexed by the set of
    pairs they get right (or hold on) as a bit mask, the cheapest one per mask (values
    arrive cheapest first), so a new part is checked against at most ``2**n`` others.
    """

    def __init__(self, if_: Primitive | Invented, num_train: int) -> None:
        self.if_, self.num_train = if_, num_train
        self.full = (1 << num_train) - 1
        self.branches: dict[int, tuple[Program, tuple[Any, ...]]] = {}
        self.tests: dict[int, tuple[Program, tuple[Any, ...]]] = {}

    @classmethod
    def of(cls, grammar: Grammar, goal: Type, num_train: int) -> _CaseSplit | None:
        """The case split for ``goal``, or None when the grammar has no ``if`` for it or
        a single pair leaves nothing to split."""
        if num_train < 2:
            return None
        for prod in grammar.productions:
            head = prod.program
            if head.name != "if":
                continue
            try:
                fresh = instantiate(head.tp, max_var_id(goal) + 1)[0]
                unify(fresh, arrow(BOOL, goal, goal, goal), {})
            except UnificationError:
                continue
            return cls(head, num_train)
        return None

    def add_branch(
        self, program: Program, outs: tuple[Any, ...], targets: Sequence[Any]
    ) -> Iterator[tuple[Program, tuple[Any, ...]]]:
        mask = _mask(a == b for a, b in zip(outs[: self.num_train], targets, strict=True))
        if mask == 0 or mask in self.branches:
            return
        self.branches[mask] = (program, outs[self.num_train :])
        for other in list(self.branches):
            if mask | other == self.full:
                for test in self.tests:
                    yield from self._joined(test, mask, other)
                    yield from self._joined(test, other, mask)

    def add_test(
        self, program: Program, outs: tuple[Any, ...]
    ) -> Iterator[tuple[Program, tuple[Any, ...]]]:
        mask = _mask(bool(b) for b in outs[: self.num_train])
        if mask in (0, self.full) or mask in self.tests:
            return
        self.tests[mask] = (program, outs[self.num_train :])
        for a in list(self.branches):
            for b in list(self.branches):
                if a | b == self.full:
                    yield from self._joined(mask, a, b)

    def _joined(
        self, test: int, then: int, orelse: int
    ) -> Iterator[tuple[Program, tuple[Any, ...]]]:
        """``(if test then orelse)`` when it is right on every training pair."""
        if test & ~then or ~test & self.full & ~orelse:
            return
        (cond, checks), (a, a_tests), (b, b_tests) = (
            self.tests[test],
            self.branches[then],
            self.branches[orelse],
        )
        predictions = tuple(x if c else y for c, x, y in zip(checks, a_tests, b_tests, strict=True))
        yield apply_to(self.if_, cond, a, b), predictions


def _mask(bits: Iterable[bool]) -> int:
    return sum(1 << i for i, bit in enumerate(bits) if bit)


# --- helpers ---------------------------------------------------------------------------


def _level_costs(
    grammar: Grammar, variable_types: Sequence[Type], nats_per_level: float = _NATS_PER_LEVEL
) -> dict[str, int]:
    """Integer cost per production, ``$j`` per task argument and ``$`` for lambda variables.

    A production's cost is ``-log P(production | its return type)``, in units of
    ``nats_per_level``: probabilities are normalised among the productions (and
    variables) that return the same type, as in the top-down grammar, so that choosing
    one of ten colours is cheaper than choosing one of ninety grid transformations. A
    production with a polymorphic return type competes in every group (it is charged its
    highest cost); a uniform grammar thus gives each type its own fixed price per node.
    """
    groups: dict[str, list[float]] = {}
    anywhere: list[float] = []
    for prod in grammar.productions:
        ret = return_type(prod.program.tp)
        (groups.setdefault(show_type(ret), []) if is_ground(ret) else anywhere).append(
            prod.log_weight
        )
    for tp in variable_types:
        if is_ground(tp):
            groups.setdefault(show_type(tp), []).append(grammar.log_variable)
    norms = {key: _logsumexp(ws + anywhere) for key, ws in groups.items()}
    everything = _logsumexp([w for ws in groups.values() for w in ws] + anywhere)

    def level(log_weight: float, norm: float) -> int:
        return max(1, round((norm - log_weight) / nats_per_level))

    costs: dict[str, int] = {}
    for prod in grammar.productions:
        ret = return_type(prod.program.tp)
        norm = norms[show_type(ret)] if is_ground(ret) else max(norms.values(), default=everything)
        costs[prod.program.name] = level(prod.log_weight, norm)
    for j, tp in enumerate(variable_types):
        norm = norms[show_type(tp)] if is_ground(tp) else everything
        costs[f"${j}"] = level(grammar.log_variable, norm)
    costs["$"] = level(grammar.log_variable, everything)
    return costs


def _logsumexp(xs: Sequence[float]) -> float:
    top = max(xs, default=-math.inf)
    if top == -math.inf:
        return top
    return top + math.log(sum(math.exp(x - top) for x in xs))


def _implementation(head: Primitive | Invented, limits: Limits) -> Callable[..., Any]:
    """An uncurried Python function for a production (lazy arguments as thunks)."""
    if isinstance(head, Primitive):
        if head.lazy:
            inner = head.fn
            return lambda *xs: inner(*[(lambda v=v: v) for v in xs])
        return head.fn
    return Evaluator(limits).function(head)


def _constant_value(head: Primitive | Invented, limits: Limits) -> Any:
    if isinstance(head, Primitive):
        return curry(head.fn, 0)
    return Evaluator(limits).function(head)()


def _uses_all_arguments(program: Program) -> bool:
    """Whether a ``(lam … (lam body))`` refers to each of its own variables."""
    arity = 0
    while isinstance(program, Abstraction):
        arity, program = arity + 1, program.body
    used: set[int] = set()
    _free_indices(program, 0, used)
    return used >= set(range(arity))


def _free_indices(program: Program, depth: int, out: set[int]) -> None:
    if isinstance(program, Index):
        if program.i >= depth:
            out.add(program.i - depth)
    elif isinstance(program, Abstraction):
        _free_indices(program.body, depth + 1, out)
    elif isinstance(program, Application):
        _free_indices(program.f, depth, out)
        _free_indices(program.x, depth, out)


def _splits(total: int, options: Sequence[Sequence[int] | None]) -> Iterator[tuple[int, ...]]:
    """Every way to write ``total`` as an ordered sum of one integer per entry of
    ``options``, each drawn from its entry (sorted levels; None: any integer >= 1)."""
    *firsts, last = options
    if not firsts:
        if total >= 1 and (last is None or total in last):
            yield (total,)
        return
    head, rest = firsts[0], options[1:]
    most = total - (len(options) - 1)  # every other part takes at least 1
    for first in range(1, most + 1) if head is None else head:
        if first > most:
            break
        for tail in _splits(total - first, rest):
            yield (first, *tail)


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    try:
        return bool(a == b)
    except ValueError:  # values whose == is element-wise (numpy arrays)
        return tuple(map(repr, a)) == tuple(map(repr, b))


def _frozen(value: Any) -> Any:
    """A hashable stand-in for a value (lists become tuples; hashing may still fail)."""
    cls = type(value)
    if cls is list:
        return tuple(map(_frozen, value))
    if cls is dict:
        return frozenset((k, _frozen(v)) for k, v in value.items())
    return value


def _size(value: Any) -> int:
    """A rough size in bytes (with Python's object overhead), for the memory budget."""
    cls = type(value)
    if cls is list or cls is tuple:
        return 56 + sum(map(_size, value))
    nbytes = getattr(getattr(value, "array", value), "nbytes", None)
    return nbytes + 250 if isinstance(nbytes, int) else 32
