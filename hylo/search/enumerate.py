"""Top-down, type-directed enumeration in bands of description length.

This is DreamCoder's enumerator (Ellis et al., PLDI 2021): programs come out in
bands of cost ``[lo, lo + step)`` where cost is ``-log prior`` under a
:class:`~hylo.search.grammar.Grammar`, each well-typed program exactly once, and
within the whole run in (banded) decreasing prior.

What makes it fast in Python is memoisation. The set of programs that meet a
request ``(type, environment)`` up to a cost bound does not depend on where the
request arises, only on the request up to renaming of type variables. So every
request is put in canonical form and its programs are *materialised once* per
band: a sorted list of ``(cost, program, closure)`` grouped by how the request's
type variables got instantiated. A parent then combines its arguments' lists with
a cost-bounded cartesian product, and builds each candidate's closure from the
children's closures in constant time. Only the top level streams: the programs
checked against the examples are never stored, and their syntax trees are built
only for the few that fit.

Two bounds keep materialisation small. An argument is materialised only up to
the budget that the arguments after it leave over: each of them costs at least
the grammar's :meth:`~hylo.search.grammar.Grammar.min_node_cost`, or exactly its
cheapest program once its (ground) request has been seen. And a band's products
start, by bisection, at the first combination that reaches the band.

Given the task's inputs, subprograms outside any lambda can also be pruned by
observational equivalence (one program per behaviour on the inputs).
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import itertools
import math
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from hylo.lang.evaluate import (
    Budget,
    Closure,
    body_app_closure,
    const_closure,
    index_closure,
    invented_body,
    lambda_closure,
    primitive_app_closure,
    primitive_closure,
    value_app_closure,
)
from hylo.lang.evaluate import _compile as compile_with_budget
from hylo.lang.program import Abstraction, Index, Invented, Primitive, Program, apply_to
from hylo.lang.types import (
    Substitution,
    TVar,
    Type,
    apply,
    arguments,
    canonical,
    free_vars,
    instantiate,
    is_arrow,
    is_ground,
    rename,
    return_type,
)
from hylo.search.grammar import Choice, Context, Grammar, Head, head_key

Item = tuple[float, Closure, "Head | int", tuple[Any, ...]]
"""A program as the search holds it: ``(cost, closure, head, argument items)``.

The closure runs the program on an environment. The program itself is built on
demand by :func:`program_of` (a head that is an int ``n`` means ``n`` lambdas
around the single argument item), so the millions of programs that are only
checked never allocate a syntax tree.
"""

Groups = list[tuple[tuple[Type, ...], list[Item]]]
"""Items grouped by how the request's type variables were instantiated."""


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while enumerating.

    Search allocates millions of short-lived closures and tuples, none of them in
    reference cycles (reference counting frees them); the collector would still
    walk the whole memo table again and again, which halves throughput. It is
    switched back on when the search ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def program_of(item: Item) -> Program:
    """Build the program an item stands for (done only for the few that are kept)."""
    _, _, head, args = item
    if isinstance(head, int):
        body = program_of(args[0])
        for _ in range(head):
            body = Abstraction(body)
        return body
    return apply_to(head, *(program_of(a) for a in args))


class EnumerationTimeout(Exception):
    """Raised from inside the enumerator when its ``deadline`` has passed."""


class EnumerationMemoryFull(EnumerationTimeout):
    """Raised when the materialised programs exceed the enumerator's ``max_items``."""


class ZeroCostLoop(RuntimeError):
    """The grammar lets a request rewrite to itself at no cost: infinitely many programs."""


class Enumerator:
    """Enumerates programs of one request type under a grammar.

    Args:
        grammar: the production weights.
        request: the type of the programs wanted (e.g. ``list(int) -> list(int)``).
        budget: the evaluation budget that every closure built here counts against.
    """

    def __init__(
        self,
        grammar: Grammar,
        request: Type,
        budget: Budget,
        inputs: Sequence[Sequence[Any]] | None = None,
        max_items: int = 20_000_000,
    ) -> None:
        self.grammar = grammar
        self.request = request
        self.budget = budget
        # Keyed by (request, *env), with the context appended for a contextual grammar.
        self._memo: dict[tuple[Any, ...], tuple[float, Groups]] = {}
        self._choices: dict[tuple[Any, ...], list[Choice]] = {}
        self._in_progress: dict[tuple[Any, ...], float] = {}
        self._head_closures: dict[Head, Closure] = {}
        self._builders: dict[Head, Callable[[Sequence[Item]], Closure]] = {}
        self._min_node_cost = grammar.min_node_cost()
        # A contextual grammar's choices depend on the parent: one memo entry per
        # (request, context) then; a plain grammar keeps one per request.
        self._contextual = grammar.is_contextual
        self._fresh_cache: dict[tuple[tuple[Type, ...], int], tuple[tuple[Type, ...], int]] = {}
        self._canonical: dict[tuple[Type, ...], tuple[list[int], tuple[Type, ...]]] = {}
        args = arguments(request)
        self.num_lambdas = len(args)
        # The body sees the last argument as $0.
        self.body_key = canonical((return_type(request), *reversed(args)))
        # Environments of the task's inputs, for pruning by observational equivalence.
        # Training inputs suffice: of two subprograms that agree on them, the
        # cheaper one always gives the more probable whole program, so pruning the
        # other never changes which program the search ranks first.
        self._envs = [tuple(reversed(tuple(x))) for x in inputs] if inputs else []
        # Materialising a band can take a while before the first program comes out,
        # so the deadline is also checked there (EnumerationTimeout).
        self.deadline = math.inf
        # Materialised programs cost memory (about 100 bytes each): stop past this.
        self.max_items = max_items
        self.num_items = 0

    # --- the public stream -------------------------------------------------------------

    def band(self, lo: float, hi: float) -> Iterator[Item]:
        """Every program with ``lo <= cost < hi``, as items of the *body*.

        The body's closure takes the environment of inputs, last input first;
        :meth:`program` turns an item into the whole program (with its lambdas).
        """
        for choice, _, _, lists in self._expansions(self.body_key, hi, None):
            head, c0 = choice.head, choice.cost
            build = self._builder_of(head)
            for cost, items in _products(lists, hi - c0, lo - c0):
                yield (c0 + cost, build(items), head, items)

    def program(self, body: Item) -> Program:
        """The whole program for an item from :meth:`band`."""
        p = program_of(body)
        for _ in range(self.num_lambdas):
            p = Abstraction(p)
        return p

    # --- materialisation ---------------------------------------------------------------

    def _materialize(self, key: tuple[Type, ...], hi: float, context: Context) -> Groups:
        """All programs for ``key = (request, *env)`` with cost < ``hi``, grouped and sorted."""
        mkey: tuple[Any, ...] = key if context is None else (*key, context)
        cached = self._memo.get(mkey)
        if cached is not None and cached[0] >= hi:
            return cached[1]
        outer = self._in_progress.get(mkey, math.inf)
        if outer <= hi:
            raise ZeroCostLoop(f"request {key} can rewrite to itself at zero cost")
        self._in_progress[mkey] = hi
        try:
            groups = self._build(key, hi, context)
        finally:
            if outer == math.inf:
                del self._in_progress[mkey]
            else:
                self._in_progress[mkey] = outer
        old = self._memo.get(mkey)
        if old is not None:
            self.num_items -= _count(old[1])
        self.num_items += _count(groups)
        self._memo[mkey] = (hi, groups)
        return groups

    def _check_limits(self, building: int = 0) -> None:
        if time.perf_counter() > self.deadline:
            raise EnumerationTimeout
        if self.num_items + building > self.max_items:
            raise EnumerationMemoryFull(f"more than {self.max_items:,} programs materialised")

    def _build(self, key: tuple[Type, ...], hi: float, context: Context) -> Groups:
        self._check_limits()
        request, env = key[0], key[1:]
        num_vars = len(free_vars_of(key))
        by_inst: dict[tuple[Type, ...], list[Item]] = {}
        if is_arrow(request):
            args = arguments(request)
            body_env = (*reversed(args), *env)
            body_request = return_type(request)
            children = self._child_groups(body_request, body_env, False, {}, num_vars, hi, context)
            for s, _, items in children:
                inst = _instantiation(s, num_vars)
                out = by_inst.setdefault(inst, [])
                for item in items:
                    cost, clo = item[0], item[1]
                    if cost >= hi:
                        break
                    for _ in args:
                        clo = lambda_closure(clo, self.budget)
                    out.append((cost, clo, len(args), (item,)))
        else:
            for choice, s, _, lists in self._expansions(key, hi, context):
                inst = _instantiation(s, num_vars)
                out = by_inst.setdefault(inst, [])
                head, c0 = choice.head, choice.cost
                build = self._builder_of(head)
                for cost, chosen in _products(lists, hi - c0):
                    out.append((c0 + cost, build(chosen), head, chosen))
                    if not len(out) & 0xFFFF:  # a big product: look at the clock
                        self._check_limits(len(out))
        groups: Groups = []
        prune = bool(self._envs) and len(env) == self.num_lambdas and not is_arrow(request)
        for inst, items in by_inst.items():
            if items:
                items.sort(key=_cost)
                groups.append((inst, self._distinct(items) if prune else items))
        return groups

    def _distinct(self, items: list[Item]) -> list[Item]:
        """Keep the cheapest program of each behaviour on the task's inputs.

        Only for requests at the top scope (no lambda-bound variable in sight):
        there a program's values on the task's inputs are all that any context can
        observe of it, so two programs that agree on every input are
        interchangeable and the costlier one would only produce duplicates
        (observational equivalence, as in bottom-up search).
        """
        seen: set[Any] = set()
        kept: list[Item] = []
        budget, envs = self.budget, self._envs
        for item in items:
            clo = item[1]
            values: list[Any] = []
            budget.reset()  # one clock per program; steps are counted per input
            for env in envs:
                budget.steps = 0
                try:
                    values.append(_freeze(clo(env)))
                except Exception:
                    values.append(_ERROR)
            signature = tuple(values)
            if signature not in seen:
                seen.add(signature)
                kept.append(item)
        return kept

    def _expansions(
        self, key: tuple[Type, ...], hi: float, context: Context
    ) -> Iterator[tuple[Choice, Substitution, int, list[list[Item]]]]:
        """For each head that fits ``key``, each type-consistent choice of argument lists."""
        request, env = key[0], key[1:]
        ckey: tuple[Any, ...] = key if context is None else (*key, context)
        choices = self._choices.get(ckey)
        if choices is None:
            choices = self.grammar.choices_in(context, request, env, len(free_vars_of(key)))
            choices.sort(key=lambda c: c.cost)
            self._choices[ckey] = choices
        floor = self._min_node_cost
        for choice in choices:
            if choice.cost >= hi:
                break
            if self._contextual:
                args = range(len(choice.arg_types))
                least = sum(self._min_cost_in(self._context(choice, i)) for i in args)
            else:
                least = floor * len(choice.arg_types)
            if choice.cost + least < hi:
                yield from self._argument_lists(choice, env, hi - choice.cost)

    def _argument_lists(
        self, choice: Choice, env: tuple[Type, ...], hi: float
    ) -> list[tuple[Choice, Substitution, int, list[list[Item]]]]:
        """Type-level search over argument groups, left to right.

        The item lists are combined later by a plain cost-bounded product, so the
        type work here is done once per group, not once per program.
        """
        out: list[tuple[Choice, Substitution, int, list[list[Item]]]] = []
        env_ground = all(is_ground(t) for t in env)
        # What the arguments after position i cost at least: leave that much over.
        floors = [
            self._floor(t, env, env_ground, choice.substitution, self._context(choice, i))
            for i, t in enumerate(choice.arg_types)
        ]
        after = [sum(floors[i + 1 :]) for i in range(len(floors))]
        self._choose_groups(
            choice, env, env_ground, after, hi, 0, choice.substitution, choice.next_id, 0.0, [], out
        )
        return out

    def _choose_groups(
        self,
        choice: Choice,
        env: tuple[Type, ...],
        env_ground: bool,
        after: list[float],
        hi: float,
        i: int,
        s: Substitution,
        nid: int,
        spent: float,
        lists: list[list[Item]],
        out: list[tuple[Choice, Substitution, int, list[list[Item]]]],
    ) -> None:
        # A method, not a nested recursive function: a closure that refers to itself
        # is a reference cycle, and with the collector paused it would pin the memo.
        if i == len(choice.arg_types):
            out.append((choice, s, nid, lists))
            return
        bound = hi - spent - after[i]
        for s2, nid2, items in self._child_groups(
            choice.arg_types[i], env, env_ground, s, nid, bound, self._context(choice, i)
        ):
            c = items[0][0]
            if c < bound:
                self._choose_groups(
                    choice,
                    env,
                    env_ground,
                    after,
                    hi,
                    i + 1,
                    s2,
                    nid2,
                    spent + c,
                    [*lists, items],
                    out,
                )

    def _context(self, choice: Choice, i: int) -> Context:
        """The context of argument ``i`` of ``choice`` (None for a plain grammar)."""
        if not self._contextual:
            return None
        return self.grammar.context_key((head_key(choice.head), i))

    def _floor(
        self,
        request: Type,
        env: tuple[Type, ...],
        env_ground: bool,
        s: Substitution,
        context: Context,
    ) -> float:
        """A lower bound on the cost of any program for ``request`` in ``env``.

        Exact for a ground request already materialised (its cheapest program, or
        the bound it was materialised to when it had none); otherwise the
        grammar's bound for a single choice.
        """
        if env_ground:
            request = apply(request, s) if s else request
            if is_ground(request):
                key: tuple[Any, ...] = (request, *env)
                cached = self._memo.get(key if context is None else (*key, context))
                if cached is not None:
                    hi, groups = cached
                    if not groups:
                        return max(hi, self._min_cost_in(context))
                    return min(items[0][0] for _, items in groups)
        return self._min_cost_in(context)

    def _min_cost_in(self, context: Context) -> float:
        """A lower bound on one choice's cost in ``context``."""
        if context is None and not self._contextual:
            return self._min_node_cost
        return self.grammar.min_node_cost_in(context)

    def _child_groups(
        self,
        request: Type,
        env: tuple[Type, ...],
        env_ground: bool,
        s: Substitution,
        nid: int,
        hi: float,
        context: Context,
    ) -> list[tuple[Substitution, int, list[Item]]]:
        """Materialise ``request`` in ``env`` (under ``s``) and map each group back."""
        if s:
            request = apply(request, s)
            if not env_ground:
                env = tuple(apply(t, s) for t in env)
        applied = (request, *env)
        canon = self._canonical.get(applied)
        if canon is None:
            ids = free_vars_of(applied)
            key = (
                tuple(rename(t, {v: TVar(i) for i, v in enumerate(ids)}) for t in applied)
                if ids and ids != list(range(len(ids)))
                else applied
            )
            canon = self._canonical[applied] = (ids, key)
        ids, key = canon
        groups = self._materialize(key, hi, context)
        if not ids:
            return [(s, nid, items) for _, items in groups]
        out = []
        for inst, items in groups:
            # The group says key variable j became inst[j]; give inst's variables
            # fresh ids here and bind our variable ids[j] to it.
            fresh, nid2 = self._fresh(inst, nid)
            s2 = dict(s)
            s2.update(zip(ids, fresh, strict=True))
            out.append((s2, nid2, items))
        return out

    def _fresh(self, inst: tuple[Type, ...], nid: int) -> tuple[tuple[Type, ...], int]:
        found = self._fresh_cache.get((inst, nid))
        if found is None:
            found = self._fresh_cache[(inst, nid)] = _instantiate_all(inst, nid)
        return found

    # --- closures --------------------------------------------------------------------

    def _builder_of(self, head: Head) -> Callable[[Sequence[Item]], Closure]:
        build = self._builders.get(head)
        if build is None:
            build = self._builders[head] = self._builder(head)
        return build

    def _builder(self, head: Head) -> Callable[[Sequence[Item]], Closure]:
        """A function from argument items to the closure of ``head`` applied to them.

        Specialised once per head, because building closures is on the hot path.
        """
        if isinstance(head, Primitive) and not head.lazy:
            fn = head.fn
            if head.arity == 0:
                value = self._head_closure(head)
                return lambda items: value
            if head.arity == 1:

                def build1(items: Sequence[Item]) -> Closure:
                    a = items[0][1]
                    return lambda env: fn(a(env))

                return build1
            if head.arity == 2:

                def build2(items: Sequence[Item]) -> Closure:
                    a, b = items[0][1], items[1][1]
                    return lambda env: fn(a(env), b(env))

                return build2
        if isinstance(head, Primitive):
            return lambda items: primitive_app_closure(head, [it[1] for it in items])
        if isinstance(head, Index):
            i = head.i
            if i == 0:
                return lambda items: (
                    value_app_closure(_var0, [it[1] for it in items]) if items else _var0
                )
            var = index_closure(i)
            return lambda items: value_app_closure(var, [it[1] for it in items]) if items else var
        value = self._head_closure(head)
        if isinstance(head, Invented):
            inner, num_lambdas = invented_body(head, self.budget)

            def build_invented(items: Sequence[Item]) -> Closure:
                args = [it[1] for it in items]
                if len(args) == num_lambdas and args:
                    return body_app_closure(inner, args)
                return value_app_closure(value, args)

            return build_invented
        return lambda items: value_app_closure(value, [it[1] for it in items])

    def _head_closure(self, head: Head) -> Closure:
        clo = self._head_closures.get(head)
        if clo is None:
            if isinstance(head, Primitive):
                clo = const_closure(head.fn()) if head.arity == 0 else primitive_closure(head)
            elif isinstance(head, Invented):
                clo = compile_with_budget(head, self.budget)
            else:
                clo = index_closure(head.i)
            self._head_closures[head] = clo
        return clo


class _Error:
    """Stands for "this program failed on this input" in a behaviour signature."""

    __slots__ = ()


_ERROR = _Error()


def _freeze(value: Any) -> Any:
    """A hashable copy of a program's value (lists become tuples)."""
    if type(value) is list:
        if value and type(value[0]) is list:
            return tuple(_freeze(v) for v in value)
        return tuple(value)
    return value


def _var0(env: tuple[Any, ...]) -> Any:
    return env[0]


def _count(groups: Groups) -> int:
    return sum(len(items) for _, items in groups)


def _cost(item: Item) -> float:
    return item[0]


def free_vars_of(types: Sequence[Type]) -> list[int]:
    ids: list[int] = []
    for t in types:
        free_vars(t, ids)
    return ids


def _instantiation(s: Substitution, num_vars: int) -> tuple[Type, ...]:
    """How key variables ``0..num_vars-1`` were instantiated, in canonical form."""
    if num_vars == 0:
        return ()
    return canonical(apply(TVar(i), s) for i in range(num_vars))


def _instantiate_all(types: tuple[Type, ...], nid: int) -> tuple[tuple[Type, ...], int]:
    ids = free_vars_of(types)
    if not ids:
        return types, nid
    mapping: dict[int, Type] = {v: TVar(nid + i) for i, v in enumerate(ids)}
    return tuple(rename(t, mapping) for t in types), nid + len(ids)


def _products(
    lists: list[list[Item]], hi: float, lo: float = -math.inf
) -> Iterator[tuple[float, tuple[Item, ...]]]:
    """Every choice of one item per list with ``lo <= total cost < hi``.

    The lists are sorted by cost; the last list is entered by bisection at the
    first item that can reach ``lo``, so programs of earlier bands are skipped
    without being visited.
    """
    n = len(lists)
    if n == 0:
        if lo <= 0.0 < hi:
            yield 0.0, ()
        return
    # Minimum cost of the lists after position i, for pruning.
    rest_min = [0.0] * (n + 1)
    for i in range(n - 1, -1, -1):
        rest_min[i] = rest_min[i + 1] + lists[i][0][0]
    yield from _product_from(lists, rest_min, hi, lo, 0, 0.0, ())


def _product_from(
    lists: list[list[Item]],
    rest_min: list[float],
    hi: float,
    lo: float,
    i: int,
    spent: float,
    chosen: tuple[Item, ...],
) -> Iterator[tuple[float, tuple[Item, ...]]]:
    # Module-level recursion (no self-referencing closure; see _choose_groups).
    if i == len(lists) - 1:
        last = lists[i]
        start = bisect.bisect_left(last, lo - spent, key=_cost) if lo > spent else 0
        bound = hi - spent
        for it in itertools.islice(last, start, None):
            c = it[0]
            if c >= bound:
                break
            yield spent + c, (*chosen, it)
        return
    after = rest_min[i + 1]
    for it in lists[i]:
        c = spent + it[0]
        if c + after >= hi:
            break
        yield from _product_from(lists, rest_min, hi, lo, i + 1, c, (*chosen, it))


def instantiate_request(request: Type) -> Type:
    """``request`` with fresh canonical variables (exposed for tests)."""
    return instantiate(request, 0)[0]
