"""Typed genetic programming: evolve well-typed programs on a task's examples.

Genetic programming (Koza 1992) over hylo's own programs, which are typed λ-terms
with de Bruijn indices and Hindley–Milner polymorphism. Like strongly typed GP
(Montana 1995), every operator keeps programs well typed; unlike it, types may be
polymorphic and subterms may use variables bound by enclosing lambdas, so an
operator only moves a subterm where its type *and* the types of its free
variables fit. Every program the search holds type-checks at the task's request
(:func:`hylo.lang.infer.check`) and is in eta-long form under the grammar (its
log-prior is finite), exactly like the enumerator's programs.

* **Initialisation**: the cheapest programs of the enumerator, one per behaviour on
  the training inputs, and programs sampled from the grammar (:func:`sample`).
* **Variation** (:class:`Variation`): subtree crossover, subtree mutation (a fresh
  sample at the same type and scope), hoist mutation and point mutation (another
  primitive, constant or variable of the same type).
* **Fitness**: per training example, 1 for the right output and partial credit
  (below 0.75) for a near miss: numbers by distance, lists element by element; a
  failure scores 0. The mean, minus ``parsimony`` per leaf, then the log-prior as
  tie-break. Only exact outputs make a solution: partial credit just gives
  selection a slope to climb where all-or-nothing scores are flat.
* **Selection**: tournament or lexicase (Spector 2012) on the per-example scores;
  elitism (each island's hall of fame); a child must be a program never seen
  before, and at most three programs of a population may share one behaviour
  (outputs on the training inputs), which keeps the population diverse; optional
  islands with ring migration.

What comes from DEAP (Fortin et al., JMLR 2012), and why: ``base.Fitness`` (the
lexicographic comparison of weighted objectives), ``tools.HallOfFame`` (the best
programs ever seen, re-injected as elites), ``tools.selBest``/``tools.selWorst``
and ``tools.migRing`` (elitism and migration between islands),
``tools.Statistics`` and ``tools.Logbook`` (per-generation records, kept in
``synth.logbook_``). What is written here, and why: the individuals and their
operators, because DEAP's ``gp`` module knows only monomorphic prefix trees
without binders and compiles programs by ``eval`` of their text; tournament and
lexicase selection (a few lines each), because DEAP's draw from the global
``random`` module and runs here must be reproducible from ``seed`` alone. No
``creator``: the one fitness class is defined in this module.

>>> from hylo.domains.task import make_task
>>> from hylo.lang.types import parse_type
>>> task = make_task("double", parse_type("list(int) -> list(int)"),
...                  [([[1, 2]], [2, 4]), ([[3]], [6]), ([[0, 5]], [0, 10])])
>>> result = EvolutionarySynthesizer(timeout_s=30, seed=1).search(task)
>>> result.solved, result([4, 1])
(True, [8, 2])
"""

from __future__ import annotations

import functools
import itertools
import math
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from deap import base, tools  # type: ignore[import-untyped]

from hylo.domains.task import Task
from hylo.lang.errors import HyloError, TypeInferenceError, UnificationError
from hylo.lang.evaluate import Budget, Closure, Evaluator, Limits, run, use_limits
from hylo.lang.infer import check
from hylo.lang.program import (
    Abstraction,
    Application,
    Hole,
    Index,
    Invented,
    Param,
    Primitive,
    Program,
    apply_to,
    shift,
    size,
    spine,
)
from hylo.lang.types import (
    Substitution,
    TVar,
    Type,
    apply,
    arguments,
    arrow,
    free_vars,
    generalize,
    instantiate,
    is_arrow,
    is_ground,
    max_var_id,
    rename,
    unify,
)
from hylo.search.base import Candidate, ProgressCallback, SearchResult, SearchStats
from hylo.search.enumerate import EnumerationTimeout, Enumerator, gc_paused
from hylo.search.grammar import Choice, Grammar, Head
from hylo.search.synthesizer import SEARCH_LIMITS, BaseSynthesizer, _predict, default_grammar

__all__ = [
    "EvolutionarySynthesizer",
    "Point",
    "Variation",
    "depth_of",
    "fits",
    "free_indices",
    "replace_at",
    "sample",
    "typed_points",
]

Path = tuple[int, ...]
"""Where a subterm is: 0 steps into ``f`` (or a lambda's body), 1 into ``x``."""

Selection = Literal["tournament", "lexicase"]


# --- sampling -----------------------------------------------------------------------


class _DepthExceeded(Exception):
    """A sample reached ``max_depth`` where no leaf fits: start again."""


def sample(
    grammar: Grammar,
    request: Type,
    rng: random.Random,
    max_depth: int = 6,
    env: Sequence[Type] = (),
    max_tries: int = 100,
) -> Program:
    """A random program of type ``request`` drawn from the grammar's probabilities.

    Top-down, like the enumerator: a function type is met by ``lam``, and every
    head is applied to all its arguments (eta-long form), so the program's
    log-prior is finite. Heads below ``max_depth`` levels must be leaves; a draw
    that ends where none fits is thrown away and drawn again.

    Args:
        grammar: the production weights to draw from.
        request: the type of the program.
        rng: the source of randomness (seeded by the caller).
        max_depth: most levels of applied heads (1: a leaf only).
        env: types of the variables in scope (``env[0]`` is ``$0``).
        max_tries: draws before giving up.

    Raises:
        HyloError: no program of at most ``max_depth`` levels was drawn.

    >>> from hylo.domains.lists import LISTS
    >>> from hylo.lang.types import parse_type
    >>> request = parse_type("list(int) -> int")
    >>> p = sample(Grammar.uniform(LISTS.primitives), request, random.Random(0), max_depth=3)
    >>> check(p, request)
    True
    """
    if max_depth < 1:
        raise ValueError(f"max_depth must be >= 1, got {max_depth}")
    return _Sampler(grammar, rng).sample(request, max_depth, tuple(env), max_tries)


@dataclass(frozen=True, slots=True)
class _Table:
    """The choices at one canonical request, with cumulative weights for drawing."""

    choices: list[Choice]
    weights: list[float]
    leaves: list[Choice]
    leaf_weights: list[float]
    num_vars: int
    by_head: dict[Head, Choice]


class _Sampler:
    """Draws programs top-down; the choices at each request are computed once.

    A request's choices depend on it only up to the names of its type variables,
    so they are kept per canonical request (variables ``t0, t1, …``) and the one
    drawn is renamed into the caller's variables (few are, of the many looked at).
    """

    def __init__(self, grammar: Grammar, rng: random.Random) -> None:
        self.grammar = grammar
        self.rng = rng
        self._tables: dict[tuple[Type, ...], _Table] = {}
        self._canonical: dict[tuple[Type, ...], tuple[list[int], tuple[Type, ...]]] = {}

    def sample(
        self, request: Type, max_depth: int, env: tuple[Type, ...] = (), max_tries: int = 100
    ) -> Program:
        start = _next_id((request, *env))
        for _ in range(max_tries):
            try:
                return self.draw(request, env, {}, start, max_depth)[0]
            except _DepthExceeded:
                continue
        raise HyloError(
            f"no program of type {request} within depth {max_depth} in {max_tries} draws; "
            "raise max_depth or add leaves of that type to the grammar"
        )

    def draw(
        self, request: Type, env: tuple[Type, ...], s: Substitution, nid: int, depth: int
    ) -> tuple[Program, Substitution, int]:
        """One draw at ``request`` in ``env`` under ``s``: the program, the new ``s`` and id."""
        request = apply(request, s)
        if is_arrow(request):
            arg, ret = request.args  # type: ignore[union-attr]
            body, s, nid = self.draw(ret, (arg, *env), s, nid, depth)
            return Abstraction(body), s, nid
        ids, table = self._table(request, tuple(apply(t, s) for t in env))
        leaves_only = depth <= 1
        choices = table.leaves if leaves_only else table.choices
        weights = table.leaf_weights if leaves_only else table.weights
        if not choices:
            raise _DepthExceeded
        choice = self.rng.choices(choices, cum_weights=weights)[0]
        arg_types, bound, nid = _translate(choice, ids, table.num_vars, nid)
        s = {**s, **bound}
        args: list[Program] = []
        for arg_type in arg_types:
            a, s, nid = self.draw(arg_type, env, s, nid, depth - 1)
            args.append(a)
        return apply_to(choice.head, *args), s, nid

    def _table(self, request: Type, env: tuple[Type, ...]) -> tuple[list[int], _Table]:
        applied = (request, *env)
        canon = self._canonical.get(applied)
        if canon is None:
            if len(self._canonical) > _MEMO_LIMIT:
                self._canonical.clear()
            ids: list[int] = []
            for t in applied:
                free_vars(t, ids)
            mapping: dict[int, Type] = {v: TVar(i) for i, v in enumerate(ids)}
            canon = self._canonical[applied] = (ids, tuple(rename(t, mapping) for t in applied))
        ids, key = canon
        table = self._tables.get(key)
        if table is None:
            choices = self.grammar.choices(key[0], key[1:], len(ids))
            leaves = [c for c in choices if not c.arg_types]
            table = self._tables[key] = _Table(
                choices,
                _cumulative(choices),
                leaves,
                _cumulative(leaves),
                len(ids),
                {c.head: c for c in choices},
            )
        return ids, table

    def log_prior(self, program: Program, request: Type) -> float:
        """:meth:`Grammar.log_prior <hylo.search.grammar.Grammar.log_prior>`, from the tables."""
        try:
            return -self._cost(program, request, (), {}, _next_id((request,)))[0]
        except _NotDerivable:
            return -math.inf

    def _cost(
        self, p: Program, request: Type, env: tuple[Type, ...], s: Substitution, nid: int
    ) -> tuple[float, Substitution, int]:
        """``-log prior`` of ``p`` at ``request``: the grammar's derivation, node by node."""
        request = apply(request, s)
        if is_arrow(request):
            if not isinstance(p, Abstraction):
                raise _NotDerivable
            arg, ret = request.args  # type: ignore[union-attr]
            return self._cost(p.body, ret, (arg, *env), s, nid)
        head, args = spine(p)
        ids, table = self._table(request, tuple(apply(t, s) for t in env))
        choice = table.by_head.get(head)  # type: ignore[arg-type]
        if choice is None or len(choice.arg_types) != len(args):
            raise _NotDerivable
        arg_types, bound, nid = _translate(choice, ids, table.num_vars, nid)
        s = {**s, **bound}
        total = choice.cost
        for a, arg_type in zip(args, arg_types, strict=True):
            cost, s, nid = self._cost(a, arg_type, env, s, nid)
            total += cost
        return total, s, nid


class _NotDerivable(Exception):
    """The grammar cannot produce this program (not eta-long, or a head that does not fit)."""


def _cumulative(choices: Sequence[Choice]) -> list[float]:
    return list(itertools.accumulate(math.exp(-c.cost) for c in choices))


def _translate(
    choice: Choice, ids: list[int], num_vars: int, nid: int
) -> tuple[tuple[Type, ...], Substitution, int]:
    """A choice made at a canonical request, in the caller's variables (fresh ones from ``nid``)."""
    num_fresh = choice.next_id - num_vars
    if not ids and not num_fresh:
        return choice.arg_types, choice.substitution, nid
    mapping: dict[int, Type] = {i: TVar(v) for i, v in enumerate(ids)}
    mapping.update((num_vars + j, TVar(nid + j)) for j in range(num_fresh))
    arg_types = tuple(rename(t, mapping) for t in choice.arg_types)
    bound: Substitution = {
        mapping[v].id: rename(t, mapping)  # type: ignore[union-attr]
        for v, t in choice.substitution.items()
    }
    return arg_types, bound, nid + num_fresh


# --- typed positions in a program ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Point:
    """A complete subterm of an eta-long program, with its type and scope there.

    Attributes:
        path: where it is (see :data:`Path`).
        program: the subterm.
        tp: its type in the whole program (variables shared with the other points).
        env: the types of the variables in scope (``env[0]`` is ``$0``).
        depth: how many applied heads lie above it.
        head_tp: the type of its head, applied to all its arguments (``None`` for a lambda).
    """

    path: Path
    program: Program
    tp: Type
    env: tuple[Type, ...]
    depth: int
    head_tp: Type | None

    @property
    def is_leaf(self) -> bool:
        return not isinstance(self.program, Application | Abstraction)


def typed_points(program: Program, request: Type) -> list[Point]:
    """Every complete subterm of ``program`` (parents first), typed by inference.

    Complete subterms are the program, lambda bodies and arguments: the places
    where a subterm can be replaced without leaving eta-long form.

    Raises:
        TypeInferenceError: ``program`` does not have type ``request`` or is not eta-long.

    >>> from hylo.domains.lists import LISTS
    >>> from hylo.lang.program import parse
    >>> from hylo.lang.types import parse_type, show_type
    >>> p = parse("(lam (length $0))", LISTS.namespace)
    >>> [(str(q.program), show_type(q.tp)) for q in typed_points(p, parse_type("list(int) -> int"))]
    [('(lam (length $0))', 'list(int) -> int'), ('(length $0)', 'int'), ('$0', 'list(int)')]
    """
    walker = _Annotator(1 + max_var_id(request))
    walker.visit(program, request, (), (), 0)
    s = walker.s
    types: dict[Type, Type] = {}
    envs: dict[tuple[Type, ...], tuple[Type, ...]] = {}

    def final(t: Type) -> Type:
        out = types.get(t)
        if out is None:
            out = types[t] = apply(t, s)
        return out

    def final_env(env: tuple[Type, ...]) -> tuple[Type, ...]:
        out = envs.get(env)
        if out is None:
            out = envs[env] = tuple(final(t) for t in env)
        return out

    return [
        Point(path, p, final(tp), final_env(env), depth, None if head is None else final(head))
        for path, p, tp, env, depth, head in walker.found
    ]


def depth_of(program: Program) -> int:
    """Levels of applied heads in an eta-long program (a variable alone has depth 1)."""
    while isinstance(program, Abstraction):
        program = program.body
    _, args = spine(program)
    return 1 + max((depth_of(a) for a in args), default=0)


class _Annotator:
    """Algorithm W over complete subterms, recording each one's type and scope."""

    def __init__(self, next_id: int) -> None:
        self.s: Substitution = {}
        self.next_id = next_id
        self.found: list[tuple[Path, Program, Type, tuple[Type, ...], int, Type | None]] = []

    def fresh(self) -> TVar:
        self.next_id += 1
        return TVar(self.next_id - 1)

    def unify(self, a: Type, b: Type) -> None:
        try:
            self.s = unify(a, b, self.s)
        except UnificationError as e:
            raise TypeInferenceError(f"ill-typed program: {e}") from e

    def visit(self, p: Program, tp: Type, env: tuple[Type, ...], path: Path, depth: int) -> None:
        if isinstance(p, Abstraction):
            arg, ret = self.fresh(), self.fresh()
            self.unify(tp, arrow(arg, ret))
            self.found.append((path, p, tp, env, depth, None))
            self.visit(p.body, ret, (arg, *env), (*path, 0), depth)
            return
        head, args = spine(p)
        head_tp = self.head_type(head, env)
        arg_types = [self.fresh() for _ in args]
        self.unify(head_tp, arrow(*arg_types, tp))
        self.found.append((path, p, tp, env, depth, arrow(*arg_types, tp)))
        n = len(args)
        for i, (a, at) in enumerate(zip(args, arg_types, strict=True)):
            self.visit(a, at, env, (*path, *(0,) * (n - 1 - i), 1), depth + 1)

    def head_type(self, head: Program, env: tuple[Type, ...]) -> Type:
        if isinstance(head, Primitive | Invented):
            t, self.next_id = instantiate(head.tp, self.next_id)
            return t
        if isinstance(head, Index):
            if head.i >= len(env):
                raise TypeInferenceError(f"${head.i} is unbound here")
            return env[head.i]
        if isinstance(head, Param):
            return head.tp
        if isinstance(head, Hole):
            if head.tp is None:
                return self.fresh()
            t, self.next_id = instantiate(head.tp, self.next_id)
            return t
        raise TypeInferenceError("a lambda applied to arguments is not in eta-long form")


def replace_at(program: Program, path: Path, new: Program) -> Program:
    """``program`` with the subterm at ``path`` replaced by ``new``."""
    if not path:
        return new
    step, rest = path[0], path[1:]
    if isinstance(program, Abstraction) and step == 0:
        return Abstraction(replace_at(program.body, rest, new))
    if isinstance(program, Application):
        if step == 0:
            return Application(replace_at(program.f, rest, new), program.x)
        return Application(program.f, replace_at(program.x, rest, new))
    raise ValueError(f"path {path} leads nowhere in {program}")


@functools.lru_cache(maxsize=1 << 16)
def free_indices(p: Program, depth: int = 0) -> tuple[int, ...]:
    """The variables ``p`` uses from outside itself (``$i`` relative to ``p``), sorted."""
    if isinstance(p, Index):
        return (p.i - depth,) if p.i >= depth else ()
    if isinstance(p, Application):
        return tuple(sorted({*free_indices(p.f, depth), *free_indices(p.x, depth)}))
    if isinstance(p, Abstraction):
        return free_indices(p.body, depth + 1)
    return ()


def _rename_apart(types: Sequence[Type], start: int) -> list[Type]:
    """``types`` with their variables renamed, jointly, to ids from ``start`` up."""
    ids: list[int] = []
    for t in types:
        free_vars(t, ids)
    mapping: dict[int, Type] = {v: TVar(start + i) for i, v in enumerate(ids)}
    return [rename(t, mapping) for t in types]


def _next_id(types: Sequence[Type]) -> int:
    return 1 + max((max_var_id(t) for t in types), default=-1)


def fits(donor: Point, target: Point) -> bool:
    """Can ``donor``'s subterm stand at ``target`` (its type and free variables agree)?"""
    free = free_indices(donor.program)
    if free and free[-1] >= len(target.env):
        return False
    if _clash(donor.tp, target.tp) or any(_clash(donor.env[i], target.env[i]) for i in free):
        return False
    start = _next_id((target.tp, *target.env))
    tp, *env = _rename_apart((donor.tp, *(donor.env[i] for i in free)), start)
    try:
        s = unify(tp, target.tp, {})
        for t, i in zip(env, free, strict=True):
            s = unify(t, target.env[i], s)
    except UnificationError:
        return False
    return True


def _clash(a: Type, b: Type) -> bool:
    """A quick test: ``a`` and ``b`` differ in a type constructor, so they cannot unify.

    (``False`` does not promise that they unify: variables are not followed.)
    """
    if isinstance(a, TVar) or isinstance(b, TVar):
        return False
    if a.name != b.name or len(a.args) != len(b.args):
        return True
    if is_ground(a) and is_ground(b):
        return a != b
    return any(_clash(x, y) for x, y in zip(a.args, b.args, strict=True))


# --- variation ----------------------------------------------------------------------


_MEMO_LIMIT = 200_000
# Draws of a subtree mutation before it gives up (a fresh parent is tried instead).
_SUBTREE_TRIES = 3
# Internal nodes are picked this often as crossover and mutation points (Koza's 90 %).
_INTERNAL_BIAS = 0.9


class Variation:
    """Type-safe variation of the programs of one request type.

    Every program an operator returns type-checks at ``request``, is eta-long
    under ``grammar`` (finite log-prior), has at most ``max_depth`` levels and
    differs from its parent; an operator that finds no such child returns
    ``None``.

    Args:
        grammar: the productions (and weights) that samples and point mutations use.
        request: the type of every program.
        rng: the source of randomness.
        max_depth: most levels of applied heads in a program.

    >>> from hylo.domains.lists import LISTS
    >>> from hylo.lang.program import parse
    >>> from hylo.lang.types import parse_type
    >>> request = parse_type("list(int) -> list(int)")
    >>> var = Variation(Grammar.uniform(LISTS.primitives), request, random.Random(0))
    >>> child = var.mutate_point(parse("(lam (sort $0))", LISTS.namespace))
    >>> child is not None and check(child, request)
    True
    """

    def __init__(
        self, grammar: Grammar, request: Type, rng: random.Random, max_depth: int = 6
    ) -> None:
        self.grammar = grammar
        self.request = request
        self.rng = rng
        self.max_depth = max_depth
        self._points: dict[Program, list[Point]] = {}
        self._priors: dict[Program, float] = {}
        self._valid: dict[Program, bool] = {}
        self._fitting_heads: dict[tuple[Type, int], list[Primitive | Invented]] = {}
        self.sampler = _Sampler(self.grammar, rng)

    # --- what a program is ---------------------------------------------------------

    def points(self, p: Program) -> list[Point]:
        """Typed complete subterms of ``p`` (memoised); see :func:`typed_points`."""
        found = self._points.get(p)
        if found is None:
            if len(self._points) > _MEMO_LIMIT:
                self._points.clear()
            found = self._points[p] = typed_points(p, self.request)
        return found

    def log_prior(self, p: Program) -> float:
        """The grammar's log-prior of ``p`` (memoised; ``-inf`` outside the grammar)."""
        found = self._priors.get(p)
        if found is None:
            if len(self._priors) > _MEMO_LIMIT:
                self._priors.clear()
            found = self._priors[p] = self.sampler.log_prior(p, self.request)
        return found

    def accept(self, child: Program, parent: Program) -> Program | None:
        """``child`` if it is new, not too deep, in the grammar and type-checks at the request."""
        if child == parent:
            return None
        valid = self._valid.get(child)
        if valid is None:
            if len(self._valid) > _MEMO_LIMIT:
                self._valid.clear()
            valid = self._valid[child] = (
                depth_of(child) <= self.max_depth
                and math.isfinite(self.log_prior(child))
                and check(child, self.request)
            )
        return child if valid else None

    # --- operators -----------------------------------------------------------------

    def sample(self, max_depth: int | None = None) -> Program | None:
        """A fresh program from the grammar (``None`` when no draw fits the depth)."""
        try:
            return self.sampler.sample(self.request, max_depth or self.max_depth)
        except HyloError:
            return None

    def crossover(self, a: Program, b: Program) -> Program | None:
        """``a`` with one subterm replaced by a subterm of ``b`` that fits there."""
        target = self._pick(self.points(a))
        donors = [q for q in self.points(b) if q.program != target.program and fits(q, target)]
        if not donors:
            return None
        return self.accept(replace_at(a, target.path, self._pick(donors).program), a)

    def mutate(self, p: Program) -> Program | None:
        """One of subtree (half the time), hoist or point mutation, at random."""
        r = self.rng.random()
        if r < 0.5:
            return self.mutate_subtree(p)
        if r < 0.75:
            return self.mutate_hoist(p)
        return self.mutate_point(p)

    def mutate_subtree(self, p: Program) -> Program | None:
        """``p`` with one subterm replaced by a fresh sample of the same type and scope."""
        target = self._pick(self.points(p))
        room = self.max_depth - target.depth
        if room < 1:  # a parent deeper than max_depth (an enumerated one)
            return None
        try:
            depth = self.rng.randint(1, room)
            new = self.sampler.sample(target.tp, depth, target.env, _SUBTREE_TRIES)
        except HyloError:
            return None
        return self.accept(replace_at(p, target.path, new), p)

    def mutate_hoist(self, p: Program) -> Program | None:
        """``p`` with one subterm replaced by a subterm of itself of the same type."""
        pts = self.points(p)
        internal = [q for q in pts if not q.is_leaf]
        if not internal:
            return None
        target = self._pick(internal)
        inner = [
            q
            for q in pts
            if len(q.path) > len(target.path) and q.path[: len(target.path)] == target.path
        ]
        hoistable = [q for q in inner if self._hoistable(q, target)]
        if not hoistable:
            return None
        q = self._pick(hoistable)
        lifted = len(q.env) - len(target.env)
        return self.accept(replace_at(p, target.path, shift(q.program, -lifted)), p)

    def mutate_point(self, p: Program) -> Program | None:
        """``p`` with one head (primitive, constant or variable) swapped for another that fits."""
        point = self.rng.choice([q for q in self.points(p) if q.head_tp is not None])
        head, args = spine(point.program)
        if point.head_tp is None:  # pragma: no cover - only lambdas have none
            return None
        fitting: list[Head] = [
            h for h in self._fitting_productions(point.head_tp, len(args)) if h != head
        ]
        for i, t in enumerate(point.env):
            if Index(i) != head and self._can_head(t, point.head_tp, len(args)):
                fitting.append(Index(i))
        if not fitting:
            return None
        path = (*point.path, *(0,) * len(args))
        return self.accept(replace_at(p, path, self.rng.choice(fitting)), p)

    # --- helpers -------------------------------------------------------------------

    def _pick(self, points: Sequence[Point]) -> Point:
        """One of ``points``: an internal one with probability 0.9 when both kinds are there.

        Most nodes of a tree are leaves; without the bias, crossover would mostly
        swap single leaves (Koza 1992).
        """
        internal = [q for q in points if not q.is_leaf]
        if internal and len(internal) < len(points) and self.rng.random() < _INTERNAL_BIAS:
            return self.rng.choice(internal)
        if internal and len(internal) < len(points):
            return self.rng.choice([q for q in points if q.is_leaf])
        return self.rng.choice(points)

    @staticmethod
    def _hoistable(inner: Point, target: Point) -> bool:
        lifted = len(inner.env) - len(target.env)
        free = free_indices(inner.program)
        if free and free[0] < lifted:
            return False  # it uses a variable bound between the two
        if _clash(inner.tp, target.tp):
            return False
        try:
            unify(inner.tp, target.tp, {})
        except UnificationError:
            return False
        return True

    def _fitting_productions(self, head_tp: Type, num_args: int) -> list[Primitive | Invented]:
        """Productions of ``num_args`` arguments whose type unifies with ``head_tp`` (memoised)."""
        key = (generalize(head_tp), num_args)
        found = self._fitting_heads.get(key)
        if found is None:
            start = _next_id((key[0],))
            found = self._fitting_heads[key] = [
                prod
                for prod in self.grammar.primitives
                if self._can_head(_rename_apart((prod.tp,), start)[0], key[0], num_args)
            ]
        return found

    @staticmethod
    def _can_head(tp: Type, head_tp: Type, num_args: int) -> bool:
        """Can a head of type ``tp`` take the place of one of type ``head_tp``, same arguments?"""
        if len(arguments(tp)) != num_args or _clash(tp, head_tp):
            return False
        try:
            unify(tp, head_tp, {})
        except UnificationError:
            return False
        return True


# --- individuals and selection ------------------------------------------------------


class _Fitness(base.Fitness):  # type: ignore[misc]
    """(score, log-prior), compared lexicographically; both maximised."""

    weights = (1.0, 1.0)


class _Individual:
    """A program with its per-example results and fitness (what DEAP's tools read)."""

    __slots__ = ("behaviour", "cases", "fitness", "program")

    def __init__(
        self,
        program: Program,
        cases: tuple[float, ...],
        values: tuple[float, float],
        behaviour: tuple[Any, ...],
    ) -> None:
        self.program = program
        self.cases = cases
        self.fitness = _Fitness(values)
        self.behaviour = behaviour

    def copy(self) -> _Individual:
        """A new individual for the same program (migration tells individuals apart by identity)."""
        return _Individual(self.program, self.cases, self.fitness.values, self.behaviour)

    def __deepcopy__(self, memo: dict[int, Any]) -> _Individual:
        return self  # never changes once evaluated: the hall of fame may share it


def _by_fitness(ind: _Individual) -> tuple[float, ...]:
    """DEAP's ordering of fitnesses (weighted values, lexicographic), as a plain tuple."""
    values: tuple[float, ...] = ind.fitness.wvalues
    return values


def _tournament(
    population: Sequence[_Individual], rng: random.Random, size: int
) -> Callable[[], _Individual]:
    def select() -> _Individual:
        return max((rng.choice(population) for _ in range(size)), key=_by_fitness)

    return select


def _lexicase(population: Sequence[_Individual], rng: random.Random) -> Callable[[], _Individual]:
    """Lexicase selection (Spector 2012) over the distinct per-example result vectors.

    Individuals with the same results are one group; lexicase picks a group, and a
    tournament of two within it prefers the fitter (smaller, more probable) program.
    """
    groups: dict[tuple[float, ...], list[_Individual]] = {}
    for ind in population:
        groups.setdefault(ind.cases, []).append(ind)
    vectors = list(groups)
    order = list(range(len(vectors[0])))

    def select() -> _Individual:
        alive = vectors
        rng.shuffle(order)
        for case in order:
            if len(alive) == 1:
                break
            best = max(v[case] for v in alive)
            alive = [v for v in alive if v[case] == best]
        members = groups[rng.choice(alive)]
        return max((rng.choice(members) for _ in range(2)), key=_by_fitness)

    return select


# --- the synthesizer ----------------------------------------------------------------


class EvolutionarySynthesizer(BaseSynthesizer):
    """Typed genetic programming: evolve programs until one fits every training example.

    Args:
        timeout_s: wall-clock budget for the whole search.
        top_k: how many fitting programs to keep (ranked by log-prior).
        population_size: programs per island.
        generations: stop after this many generations (None: only the clock stops it).
        selection: ``"tournament"`` or ``"lexicase"`` (per-example results).
        tournament_size: programs per tournament.
        crossover_rate: share of children made by crossover.
        mutation_rate: share made by mutation (the rest are copies of selected parents).
        max_depth: most levels of applied heads in a program.
        parsimony: fitness lost per leaf of a program (against bloat).
        num_islands: populations evolved apart, exchanging their best every few generations.
        num_enumerated: programs of the enumerator (cheapest first) to run; the fittest
            distinct behaviours among them make half of each initial population, the
            rest is sampled (0: all sampled). One that fits ends the search at once.
        seed: seeds the one random generator of the run (same seed, same programs).
        limits: evaluation limits per call of a program on one example.

    >>> from hylo.domains.task import make_task
    >>> from hylo.lang.types import parse_type
    >>> task = make_task("sum", parse_type("list(int) -> int"), [([[1, 2]], 3), ([[]], 0)])
    >>> str(EvolutionarySynthesizer(timeout_s=10).fit(task).program_)
    '(lam (sum $0))'
    """

    logbook_: Any
    """DEAP ``Logbook``: one record per island and generation (set by :meth:`search`)."""

    def __init__(
        self,
        timeout_s: float = 10.0,
        top_k: int = 5,
        population_size: int = 100,
        generations: int | None = None,
        selection: Selection = "tournament",
        tournament_size: int = 5,
        crossover_rate: float = 0.5,
        mutation_rate: float = 0.45,
        max_depth: int = 6,
        parsimony: float = 0.005,
        num_islands: int = 1,
        num_enumerated: int = 20_000,
        seed: int = 0,
        limits: Limits | None = None,
    ) -> None:
        self.timeout_s = timeout_s
        self.top_k = top_k
        self.population_size = population_size
        self.generations = generations
        self.selection = selection
        self.tournament_size = tournament_size
        self.crossover_rate = crossover_rate
        self.mutation_rate = mutation_rate
        self.max_depth = max_depth
        self.parsimony = parsimony
        self.num_islands = num_islands
        self.num_enumerated = num_enumerated
        self.seed = seed
        self.limits = limits

    def search(
        self, task: Task, grammar: Grammar | None = None, progress: ProgressCallback | None = None
    ) -> SearchResult:
        self._validate(task)
        run_ = _EvolutionRun(task, grammar or default_grammar(task), self, progress)
        result = run_.run()
        self.logbook_ = run_.logbook
        return result

    def _validate(self, task: Task) -> None:
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s}")
        if self.selection not in ("tournament", "lexicase"):
            raise ValueError(
                f"selection must be 'tournament' or 'lexicase', got {self.selection!r}"
            )
        for name in ("population_size", "tournament_size", "max_depth", "num_islands", "top_k"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.num_enumerated < 0:
            raise ValueError(f"num_enumerated must be >= 0, got {self.num_enumerated}")
        if self.generations is not None and self.generations < 0:
            raise ValueError(f"generations must be >= 0 or None, got {self.generations}")
        rates = (self.crossover_rate, self.mutation_rate)
        if min(rates) < 0 or sum(rates) > 1:
            raise ValueError(
                "crossover_rate and mutation_rate must be >= 0 with a sum <= 1, "
                f"got crossover_rate={self.crossover_rate}, mutation_rate={self.mutation_rate}"
            )
        if not task.train:
            raise ValueError(f"task {task.name!r} has no training examples to search with")


class _OutOfTime(Exception):
    """The search's deadline has passed (raised before running one more program)."""


# Every this many generations, each island sends its best to the next one.
_MIGRATION_INTERVAL = 5
# Width of the enumerator's cost bands (nats) when seeding.
_BAND_WIDTH = 1.5
# Tries of the operators (then of fresh samples) for a child that brings something new.
_MAX_TRIES = 5
# Seeding ends after this many empty bands in a row (a grammar with few programs).
_EMPTY_BANDS = 20
# Children that behave like this many others of the new population are not taken.
_BEHAVIOUR_CAP = 3


class _EvolutionRun:
    """One search: initial populations, then generations until a program fits."""

    def __init__(
        self,
        task: Task,
        grammar: Grammar,
        synth: EvolutionarySynthesizer,
        progress: ProgressCallback | None,
    ) -> None:
        self.task, self.grammar, self.synth, self.progress = task, grammar, synth, progress
        self.limits = synth.limits or SEARCH_LIMITS
        self.rng = random.Random(synth.seed)
        self.variation = Variation(grammar, task.request, self.rng, synth.max_depth)
        self.evaluator = Evaluator(self.limits)
        self.pairs = [(tuple(reversed(ex.inputs)), ex.output) for ex in task.train]
        self.goal = tuple(_freeze(ex.output) for ex in task.train)  # a solution's signature
        self.seen: set[Program] = set()
        self.found: dict[Program, tuple[float, int]] = {}
        elites = max(1, synth.population_size // 50)
        self.halls = [
            tools.HallOfFame(elites, similar=_same_program) for _ in range(synth.num_islands)
        ]
        self.logbook = tools.Logbook()
        self.stats = _statistics()
        self.programs = 0
        self.start = time.perf_counter()
        self.deadline = self.start + synth.timeout_s

    def run(self) -> SearchResult:
        use_limits(self.limits)
        with gc_paused():
            try:
                timed_out = self._loop()
            except _OutOfTime:
                timed_out = True
        seconds = time.perf_counter() - self.start
        return SearchResult(
            self.task, self._candidates(), SearchStats(self.programs, seconds, timed_out)
        )

    def _loop(self) -> bool:
        """Returns whether the search stopped for want of time or generations."""
        islands = self._initial_populations()
        self._record(0, islands)
        generation = 0
        limit = self.synth.generations
        while not self.found:
            if limit is not None and generation >= limit:
                return True
            generation += 1
            islands = [
                self._generation(hall, pop) for hall, pop in zip(self.halls, islands, strict=True)
            ]
            if len(islands) > 1 and generation % _MIGRATION_INTERVAL == 0:
                k = max(1, self.synth.population_size // 20)
                tools.migRing(islands, k, tools.selBest, replacement=tools.selWorst)
            self._record(generation, islands)
        return False

    # --- populations -----------------------------------------------------------------

    def _initial_populations(self) -> list[list[_Individual]]:
        """Enumerated programs (the cheapest of each behaviour), then samples; per island."""
        n, size = self.synth.num_islands, self.synth.population_size
        seeds = self._enumerated(n * (size // 2)) if self.synth.num_enumerated else []
        islands = [seeds[i::n] for i in range(n)]
        if not self.found:  # else the search is over
            for pop in islands:
                self._fill(pop, size)
        return islands

    def _enumerated(self, wanted: int) -> list[_Individual]:
        """The ``wanted`` fittest behaviours among the enumerator's first programs.

        Runs the enumerator's own closures (no compiling, no syntax tree) on its
        first ``num_enumerated`` programs, keeps the first (cheapest) program of
        each behaviour and returns the fittest of them. Any program that fits is a
        solution already: then the scan stops at the end of its band, like the
        enumerator.
        """
        budget = Budget(self.limits)
        enumerator = Enumerator(self.grammar, self.task.request, budget)
        enumerator.deadline = self.deadline
        kept: dict[Any, _Individual] = {}
        scanned, lo, most, empty = 0, 0.0, self.synth.num_enumerated, 0
        try:
            while scanned < most and not self.found and empty < _EMPTY_BANDS:
                before = scanned
                for item in enumerator.band(lo, lo + _BAND_WIDTH):
                    outputs, signature = self._run(item[1], budget)
                    scanned += 1
                    if signature not in kept or signature == self.goal:  # scored: few are
                        cases = self._cases(outputs)
                        ind = self._scored(enumerator.program(item), cases, -item[0], signature)
                        kept.setdefault(signature, ind)
                    if scanned >= most:
                        break
                lo += _BAND_WIDTH
                empty = 0 if scanned > before else empty + 1
        except EnumerationTimeout:
            raise _OutOfTime from None
        return sorted(kept.values(), key=_by_fitness, reverse=True)[:wanted]

    def _fill(self, pop: list[_Individual], size: int) -> None:
        """Add sampled programs (none seen before) until ``pop`` has ``size``."""
        for _ in range(4 * size):
            if len(pop) >= size:
                return
            ind = self._immigrant()
            if ind is not None:
                pop.append(ind)
        if not pop:
            raise HyloError(
                f"could not draw any program of type {self.task.request} from the grammar "
                f"within depth {self.synth.max_depth}: raise max_depth or check the grammar"
            )
        drawn = len(pop)
        for i in range(size - drawn):  # a tiny grammar: repeat what there is
            pop.append(pop[i % drawn].copy())

    def _generation(self, hall: Any, pop: list[_Individual]) -> list[_Individual]:
        """Elites (the island's hall of fame), then children of selected parents."""
        hall.update(pop)
        select = self._selector(pop)
        children = [ind.copy() for ind in hall]
        counts: dict[tuple[Any, ...], int] = {}
        for ind in children:
            counts[ind.behaviour] = counts.get(ind.behaviour, 0) + 1
        while len(children) < self.synth.population_size:
            child = self._offspring(select, counts)
            counts[child.behaviour] = counts.get(child.behaviour, 0) + 1
            children.append(child)
        return children

    def _selector(self, pop: list[_Individual]) -> Callable[[], _Individual]:
        if self.synth.selection == "lexicase":
            return _lexicase(pop, self.rng)
        return _tournament(pop, self.rng, self.synth.tournament_size)

    def _offspring(
        self, select: Callable[[], _Individual], counts: dict[tuple[Any, ...], int]
    ) -> _Individual:
        """A child by crossover, mutation or copy; a fresh sample when those bring nothing new.

        A child made by an operator must be a program never seen before whose
        behaviour (outputs on the training inputs) is not yet common in the new
        population; so must a copy. Without that, copies of the fittest program
        soon fill the population and evolution stalls.
        """
        r = self.rng.random()
        cross, mutate = self.synth.crossover_rate, self.synth.mutation_rate
        if r >= cross + mutate:
            parent = select()
            if counts.get(parent.behaviour, 0) < _BEHAVIOUR_CAP:
                return parent.copy()
        for _ in range(_MAX_TRIES):
            if r < cross:
                child = self.variation.crossover(select().program, select().program)
            else:
                child = self.variation.mutate(select().program)
            if child is not None and child not in self.seen:
                ind = self._evaluate(child)
                if counts.get(ind.behaviour, 0) < _BEHAVIOUR_CAP:
                    return ind
        return self._immigrant() or select().copy()

    def _immigrant(self) -> _Individual | None:
        """A program sampled afresh (ramped depth), if one never seen comes out."""
        depth = self.synth.max_depth
        for _ in range(_MAX_TRIES):
            program = self.variation.sample(self.rng.randint(min(2, depth), depth))
            if program is not None and program not in self.seen:
                return self._evaluate(program)
        return None

    # --- fitness ---------------------------------------------------------------------

    def _evaluate(self, program: Program) -> _Individual:
        """Run ``program`` on every training example and score it."""
        body = program
        while isinstance(body, Abstraction):
            body = body.body
        outputs, signature = self._run(self.evaluator.compile(body), self.evaluator.budget)
        cases = self._cases(outputs)
        return self._scored(program, cases, self.variation.log_prior(program), signature)

    def _run(self, closure: Closure, budget: Budget) -> tuple[list[Any], tuple[Any, ...]]:
        """A compiled body's outputs on the training inputs, and their hashable signature."""
        if time.perf_counter() > self.deadline:
            raise _OutOfTime
        self.programs += 1
        outputs: list[Any] = []
        for env, _ in self.pairs:
            try:
                outputs.append(run(closure, env, budget))
            except Exception:  # a failing program is a wrong answer, never a crash
                outputs.append(_FAILED)
        return outputs, tuple(_freeze(out) for out in outputs)

    def _cases(self, outputs: Sequence[Any]) -> tuple[float, ...]:
        """Closeness of each output to the expected one (1.0: right)."""
        return tuple(
            0.0 if out is _FAILED else _closeness(out, expected)
            for out, (_, expected) in zip(outputs, self.pairs, strict=True)
        )

    def _scored(
        self,
        program: Program,
        cases: tuple[float, ...],
        log_prior: float,
        behaviour: tuple[Any, ...],
    ) -> _Individual:
        """The individual for an evaluated program; a program that fits is recorded."""
        score = sum(cases) / len(cases) - self.synth.parsimony * size(program)
        self.seen.add(program)
        if min(cases) == 1.0 and program not in self.found:
            self.found[program] = (time.perf_counter() - self.start, self.programs)
        return _Individual(program, cases, (score, log_prior), behaviour)

    # --- reporting -------------------------------------------------------------------

    def _record(self, generation: int, islands: list[list[_Individual]]) -> None:
        for i, pop in enumerate(islands):
            if pop:
                stats = self.stats.compile(pop)
                self.logbook.record(gen=generation, island=i, evals=self.programs, **stats)
        if self.progress is not None:
            self.progress(self.programs, time.perf_counter() - self.start)

    def _candidates(self) -> tuple[Candidate, ...]:
        """The programs that fit, most probable first, with their test predictions."""
        priors = {p: self.grammar.log_prior(p, self.task.request) for p in self.found}
        ranked = sorted(self.found, key=priors.__getitem__, reverse=True)
        out = []
        for program in ranked[: self.synth.top_k]:
            seconds, programs = self.found[program]
            f = Evaluator(self.limits).function(program)
            predictions = tuple(_predict(f, ex) for ex in self.task.test)
            out.append(
                Candidate(
                    program,
                    self.task.request,
                    priors[program],
                    0.0,
                    seconds,
                    programs,
                    predictions,
                    self.limits,
                )
            )
        use_limits(self.limits)
        return tuple(out)


def _same_program(a: _Individual, b: _Individual) -> bool:
    return a.program == b.program


def _statistics() -> Any:
    """Per-generation statistics of score and size (DEAP ``MultiStatistics``)."""
    score = tools.Statistics(key=lambda ind: ind.fitness.values[0])
    length = tools.Statistics(key=lambda ind: size(ind.program))
    stats = tools.MultiStatistics(score=score, size=length)
    stats.register("max", max)
    stats.register("mean", statistics.fmean)
    return stats


def _equal(out: Any, expected: Any) -> bool:
    try:
        return bool(out == expected)
    except Exception:  # values whose == is not a plain truth value
        return False


def _closeness(out: Any, expected: Any) -> float:
    """1.0 for the right output, else partial credit below 0.75 (0.0: nothing alike).

    Numbers score by distance, lists by their elements position by position and
    by their length. Exact match alone decides whether a program fits; the
    partial credit only orders the programs that do not, so that selection has a
    gradient to follow (all-or-nothing scores are flat on most list tasks).
    """
    if _equal(out, expected):
        return 1.0
    if isinstance(out, list) and isinstance(expected, list):
        n = max(len(out), len(expected))
        alike = sum(_closeness(x, y) for x, y in zip(out, expected, strict=False)) / n
        return 0.5 * alike + 0.25 * min(len(out), len(expected)) / n
    if _is_number(out) and _is_number(expected):
        return 0.5 / (1.0 + float(abs(out - expected)))
    return 0.0


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


class _Failed:
    """Stands for "this program failed on this example" among its outputs."""

    __slots__ = ()


_FAILED = _Failed()


def _freeze(value: Any) -> Any:
    """A hashable stand-in for an output (lists become tuples; else its text)."""
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value
