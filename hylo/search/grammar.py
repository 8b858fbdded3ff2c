"""A probabilistic grammar over a set of primitives (DreamCoder's unigram form).

Each production (a primitive or an invention) has a log-weight; variables in scope
share one log-weight ``log_variable``, split evenly among those that fit. At each
point of a program, the weights of the candidates whose return type unifies with
the requested type are normalised; a program's log-prior is the sum over its
nodes. Programs are in eta-long form: a function-typed request is always met by a
``lam``, and every head is applied to all its arguments.

>>> from hylo.lang.types import parse_type
>>> one = Primitive("1", parse_type("int"), lambda: 1)
>>> plus = Primitive("+", parse_type("int -> int -> int"), lambda a, b: a + b)
>>> g = Grammar.uniform([one, plus])
>>> from hylo.lang.program import parse
>>> round(g.log_prior(parse("(lam (+ $0 1))", {"+": plus, "1": one}), parse_type("int -> int")), 3)
-3.296
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hylo.lang.errors import HyloError, UnificationError
from hylo.lang.program import Abstraction, Index, Invented, Primitive, Program, show, spine
from hylo.lang.types import (
    Substitution,
    TCon,
    Type,
    apply,
    arguments,
    instantiate,
    max_var_id,
    return_type,
    show_type,
    unify,
)

Head = Primitive | Invented | Index

Context = tuple[str, int] | None
"""Where a node stands: ``(parent head's name, argument index)``; ``None`` at the top.
Variables as parents are named ``"$"``. Only a :class:`ContextualGrammar` looks at it."""


@dataclass(frozen=True, slots=True)
class Production:
    log_weight: float
    program: Primitive | Invented

    @property
    def tp(self) -> Type:
        return self.program.tp


@dataclass(frozen=True, slots=True)
class Choice:
    """One way to fill a request: a head, its cost (-log prob) and what it needs.

    ``arg_types`` and ``substitution`` live in the caller's type-variable space;
    ``next_id`` is the first variable id still unused after instantiating the head.
    """

    cost: float
    head: Head
    arg_types: tuple[Type, ...]
    substitution: Substitution
    next_id: int


def _logsumexp(xs: Sequence[float]) -> float:
    m = max(xs)
    if m == -math.inf:
        return m
    return m + math.log(sum(math.exp(x - m) for x in xs))


class Grammar:
    """Log-weights for productions plus one for variables.

    Args:
        productions: ``(log_weight, primitive_or_invention)`` pairs.
        log_variable: log-weight shared by the variables in scope.
    """

    def __init__(
        self,
        productions: Iterable[tuple[float, Primitive | Invented]],
        log_variable: float = 0.0,
    ) -> None:
        self.productions = tuple(Production(w, p) for w, p in productions)
        self.log_variable = log_variable
        self._min_node_cost: float | None = None
        self._instances: dict[tuple[str, int], tuple[Type, tuple[Type, ...], int]] = {}
        self._return_names = tuple(
            r.name if isinstance(r, TCon) else None
            for r in (return_type(p.tp) for p in self.productions)
        )
        names = [p.program.name for p in self.productions]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"grammar has duplicate productions: {dup}")

    @classmethod
    def uniform(
        cls, primitives: Iterable[Primitive | Invented], log_variable: float = 0.0
    ) -> Grammar:
        """Every production equally likely, and the variables as likely (the default) or
        weighted by ``log_variable``."""
        return cls(((0.0, p) for p in primitives), log_variable)

    @property
    def primitives(self) -> tuple[Primitive | Invented, ...]:
        return tuple(p.program for p in self.productions)

    @property
    def namespace(self) -> dict[str, Primitive | Invented]:
        return {p.program.name: p.program for p in self.productions}

    def __len__(self) -> int:
        return len(self.productions)

    is_contextual = False
    """Whether :meth:`choices_in` depends on the context (the enumerator keeps one memo
    per context then, so a plain grammar pays nothing for the feature)."""

    def choices_in(
        self, context: Context, request: Type, env: Sequence[Type], next_id: int
    ) -> list[Choice]:
        """:meth:`choices` at a node in ``context``; the same everywhere in a plain grammar."""
        del context
        return self.choices(request, env, next_id)

    def context_key(self, context: Context) -> Context:
        """The context whose weights apply at ``context`` (always ``None`` here)."""
        del context
        return None

    def min_node_cost_in(self, context: Context) -> float:
        """:meth:`min_node_cost` for a node in ``context`` (the same everywhere here)."""
        del context
        return self.min_node_cost()

    def __repr__(self) -> str:
        return f"Grammar({len(self.productions)} productions, log_variable={self.log_variable:.2f})"

    def choices(self, request: Type, env: Sequence[Type], next_id: int) -> list[Choice]:
        """Heads that can produce ``request`` in ``env`` with their normalised costs.

        ``request`` must not be an arrow (arrows are met by ``lam``). Type
        variables of ``request`` and ``env`` must be ``< next_id``.
        """
        found: list[tuple[float, Head, tuple[Type, ...], Substitution, int]] = []
        variables: list[tuple[Head, tuple[Type, ...], Substitution]] = []
        for i, t in enumerate(env):
            try:
                s = unify(return_type(t), request, {})
            except UnificationError:
                continue
            variables.append((Index(i), tuple(arguments(t)), s))
        if variables:
            w = self.log_variable - math.log(len(variables))
            found.extend((w, h, a, s, next_id) for h, a, s in variables)
        head_name = request.name if isinstance(request, TCon) else None
        for prod, ret_name in zip(self.productions, self._return_names, strict=True):
            # Cheap filter before the costly instantiate-and-unify.
            if head_name is not None and ret_name is not None and ret_name != head_name:
                continue
            ret, args, nid = self._instantiated(prod, next_id)
            try:
                s = unify(ret, request, {})
            except UnificationError:
                continue
            found.append((prod.log_weight, prod.program, args, s, nid))
        if not found:
            return []
        z = _logsumexp([f[0] for f in found])
        return [Choice(z - w, h, a, s, nid) for w, h, a, s, nid in found]

    def min_node_cost(self) -> float:
        """A lower bound on the cost of any one choice, at any request.

        Productions that return a bare type variable (``car``, ``if``, ``fold``…)
        fit every request, so they are always in the normaliser; that bounds how
        cheap any choice can be. The enumerator uses it to give an argument only
        the budget that the arguments after it leave over.
        """
        if self._min_node_cost is None:
            anywhere = [
                p.log_weight
                for p, name in zip(self.productions, self._return_names, strict=True)
                if name is None
            ]
            bounds = [_logsumexp([*anywhere, self.log_variable]) - self.log_variable]
            for p, name in zip(self.productions, self._return_names, strict=True):
                always = anywhere if name is None else [*anywhere, p.log_weight]
                bounds.append(_logsumexp(always) - p.log_weight)
            self._min_node_cost = max(0.0, min(bounds))
        return self._min_node_cost

    def _instantiated(self, prod: Production, next_id: int) -> tuple[Type, tuple[Type, ...], int]:
        """Return type, argument types and next free id of ``prod``, instantiated at ``next_id``."""
        key = (prod.program.name, next_id)
        found = self._instances.get(key)
        if found is None:
            t, nid = instantiate(prod.tp, next_id)
            found = self._instances[key] = (return_type(t), tuple(arguments(t)), nid)
        return found

    def log_prior(self, program: Program, request: Type) -> float:
        """Log-probability of ``program`` at type ``request`` (``-inf`` if impossible).

        Follows the enumerator exactly: arguments are scored left to right, each
        at its request with the variables bound so far.
        """
        try:
            return -sum(chosen.cost for _, chosen in self.derivation(program, request))
        except NotInGrammar:
            return -math.inf

    def derivation(self, program: Program, request: Type) -> list[tuple[list[Choice], Choice]]:
        """The choices that produce ``program``: at each node, the candidates and the one taken.

        Raises:
            NotInGrammar: ``program`` is not eta-long at ``request``, or uses a head
                that cannot produce the type requested where it stands.
        """
        return [(c, chosen) for _, c, chosen in self.contextual_derivation(program, request)]

    def contextual_derivation(
        self, program: Program, request: Type
    ) -> list[tuple[Context, list[Choice], Choice]]:
        """:meth:`derivation` with the context of each node (see :data:`Context`)."""
        steps: list[tuple[Context, list[Choice], Choice]] = []
        self._derive(program, request, (), {}, max_var_id(request) + 1, steps, None)
        return steps

    def _derive(
        self,
        p: Program,
        request: Type,
        env: tuple[Type, ...],
        s: Substitution,
        nid: int,
        steps: list[tuple[Context, list[Choice], Choice]],
        context: Context,
    ) -> tuple[Substitution, int]:
        request = apply(request, s)
        if isinstance(request, TCon) and request.name == "->":
            if not isinstance(p, Abstraction):
                raise NotInGrammar(f"{show(p)} is not eta-long at {show_type(request)}")
            arg, ret = request.args
            # A lambda's body stands where the lambda stands (DreamCoder's convention).
            return self._derive(p.body, ret, (arg, *env), s, nid, steps, context)
        head, args = spine(p)
        env_s = tuple(apply(t, s) for t in env)
        choices = self.choices_in(context, request, env_s, nid)
        for choice in choices:
            if choice.head != head:
                continue
            if len(choice.arg_types) != len(args):
                raise NotInGrammar(f"{show(head)} is not applied to all its arguments")
            steps.append((context, choices, choice))
            s2 = dict(s)
            s2.update(choice.substitution)
            nid = choice.next_id
            name = head_key(choice.head)
            for i, (a, at) in enumerate(zip(args, choice.arg_types, strict=True)):
                s2, nid = self._derive(a, at, env, s2, nid, steps, (name, i))
            return s2, nid
        raise NotInGrammar(f"{show(head)} cannot produce {show_type(request)} here")

    def fit(
        self,
        frontiers: Iterable[tuple[Type, Sequence[Program]]],
        pseudo_count: float = 1.0,
        productions: Iterable[Primitive | Invented] | None = None,
    ) -> Grammar:
        """Re-estimate the weights from solutions (DreamCoder's closed-form update).

        Each frontier is one task's request and its solutions, weighted by their
        posterior under this grammar (so a task counts once however many solutions
        it has). At each node the chosen production is *used* and every candidate
        that could have been chosen was *possible*; the new log-weight is
        ``log(used + c) - log(possible + c)`` with pseudo-count ``c``. The ratio,
        not the raw count, is what the normalised grammar needs: a production that
        fits every request (``if``, ``car``) is possible everywhere, and raw counts
        would overrate it. Programs outside the grammar are skipped.

        Args:
            frontiers: ``(request, solutions)`` per task.
            pseudo_count: prior count added to both sides (smooths rare productions).
            productions: the productions of the new grammar (default: this one's);
                pass this grammar's plus new inventions to fit a grown library.
        """
        target = Grammar.uniform(tuple(productions) if productions is not None else self.primitives)
        used: dict[str, float] = {}
        possible: dict[str, float] = {}
        for request, programs in frontiers:
            scored = []
            for program in programs:
                try:
                    scored.append(target.derivation(program, request))
                except NotInGrammar:
                    continue
            if not scored:
                continue
            weights = _softmax([-sum(c.cost for _, c in steps) for steps in scored])
            for w, steps in zip(weights, scored, strict=True):
                for candidates, chosen in steps:
                    _add(used, _key(chosen.head), w)
                    for name in {_key(c.head) for c in candidates}:
                        _add(possible, name, w)

        def weight(name: str) -> float:
            return math.log(used.get(name, 0.0) + pseudo_count) - math.log(
                possible.get(name, 0.0) + pseudo_count
            )

        return Grammar(
            ((weight(p.name), p) for p in target.primitives), log_variable=weight(_VARIABLE)
        )

    def weights(self) -> dict[str, float]:
        """Production name → log-weight (plain data, for storing)."""
        return {p.program.name: p.log_weight for p in self.productions}


_VARIABLE = "$"


def head_key(head: Head) -> str:
    """A head's name in contexts and weights (``"$"`` for every variable)."""
    return _VARIABLE if isinstance(head, Index) else head.name


_key = head_key


class ContextualGrammar(Grammar):
    """DreamCoder's bigram grammar: weights that depend on the parent and argument position.

    Each context ``(parent, i)`` that has its own weights maps to a plain grammar
    over the same productions; the others (and the top, ``None``, unless given)
    use this grammar's own weights. The enumerator and :meth:`log_prior` follow
    the contexts; other synthesizers see the plain weights.

    >>> from hylo.lang.types import parse_type
    >>> one = Primitive("1", parse_type("int"), lambda: 1)
    >>> plus = Primitive("+", parse_type("int -> int -> int"), lambda a, b: a + b)
    >>> base = Grammar.uniform([one, plus])
    >>> no_nesting = Grammar([(0.0, one), (-9.0, plus)])  # under +: almost always 1
    >>> g = ContextualGrammar(base, {("+", 0): no_nesting, ("+", 1): no_nesting})
    >>> from hylo.lang.program import parse
    >>> ns = {"+": plus, "1": one}
    >>> g.log_prior(parse("(+ 1 1)", ns), parse_type("int")) > base.log_prior(
    ...     parse("(+ 1 1)", ns), parse_type("int"))
    True
    """

    is_contextual = True

    def __init__(self, base: Grammar, tables: dict[Context, Grammar]) -> None:
        super().__init__(((p.log_weight, p.program) for p in base.productions), base.log_variable)
        names = [p.program.name for p in base.productions]
        for context, table in tables.items():
            if [p.program.name for p in table.productions] != names:
                raise ValueError(f"the grammar of context {context} has other productions")
        self.tables = tables
        self.plain = base

    def __repr__(self) -> str:
        n, k = len(self.productions), len(self.tables)
        return f"ContextualGrammar({n} productions, {k} contexts)"

    def choices_in(
        self, context: Context, request: Type, env: Sequence[Type], next_id: int
    ) -> list[Choice]:
        return self.tables.get(context, self).choices(request, env, next_id)

    def context_key(self, context: Context) -> Context:
        """``context`` if it has its own weights, else ``None`` (the plain weights).

        The enumerator keeps one memo per key, so contexts without their own
        weights share the plain grammar's programs.
        """
        return context if context in self.tables else None

    def min_node_cost(self) -> float:
        if self._min_node_cost is None:
            own = self.plain.min_node_cost()
            self._min_node_cost = min([own, *(t.min_node_cost() for t in self.tables.values())])
        return self._min_node_cost

    def min_node_cost_in(self, context: Context) -> float:
        # A context with confident weights can make its favourite almost free; the
        # others keep their own (higher) bound, which is what keeps budgets tight.
        return self.tables.get(context, self.plain).min_node_cost()


def _add(counts: dict[str, float], key: str, amount: float) -> None:
    counts[key] = counts.get(key, 0.0) + amount


def _softmax(xs: Sequence[float]) -> list[float]:
    z = _logsumexp(xs)
    return [math.exp(x - z) for x in xs]


class NotInGrammar(HyloError):
    """A program the grammar cannot produce (not eta-long, or a head at the wrong type)."""
