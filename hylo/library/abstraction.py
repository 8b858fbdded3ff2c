"""Abstraction: learn new library functions from the solutions of many tasks.

:func:`compress` hands the top solutions of every solved task to the Stitch
compressor (``stitch_core``; Bowers et al., *Top-Down Synthesis for Library
Learning*, POPL 2023), turns each abstraction it finds into an :class:`Invented`
function of our language with an inferred type, and rewrites the solutions with
the ones that type-check. :func:`rewrite` rewrites new programs with inventions
found before. Inventions may use earlier inventions, so the library deepens as
learning goes on.

Programs keep the form that the enumerator produces and the grammar is fitted
on (DreamCoder's): *beta-normal, eta-long* — every function-typed position is a
``lam`` and every head is applied to all its arguments (:func:`eta_long`). Stitch
itself knows nothing of types, so three things keep its output in that form:

* each program's leading lambdas (its arguments) are stripped before Stitch sees
  it, so no abstraction can swallow them (``(fn 1)`` for a whole program);
* an abstraction rooted at an inner ``lam``, as ``(lam (eq? (mod $0 #1) #0))``
  used in ``(filter (fn J K) xs)``, becomes its eta-long core, a function of
  all its variables, ``(lam (lam (lam (eq? (mod $0 $1) $2))))``, used in
  ``(filter (lam (f J K $0)) xs)``;
* the solutions are rewritten with those cores (``stitch_core.rewrite``), and
  an invention that then saves no more than its own size is dropped
  (DreamCoder's criterion; one that paid off only in Stitch's non-eta-long view,
  like ``(lam (eq? $0 #0))``, does not).

A use is also inlined back where it would run an argument that the original may
never run: the evaluator evaluates an invention's arguments first, so
``(if (empty? $0) 0 (car $0))`` must not become ``(g $0 0 (car $0))``. Every
rewritten program is checked: it has the original's type, and inlining the new
inventions gives back the original exactly (else the original is kept).

>>> from hylo.domains.lists import LISTS
>>> from hylo.lang import parse
>>> corpus = [
...     [parse(f"(lam (map (lam (+ $0 {k})) (cdr $0)))", LISTS.namespace)]
...     for k in range(1, 6)
... ]
>>> result = compress(corpus, LISTS.namespace)
>>> print(describe(result.inventions[0]))
f0 : list(int) -> int -> list(int) = (lam (lam (map (lam (+ $0 $1)) (cdr $1))))
>>> print(result.rewritten[2][0])
(lam (f0 $0 3))
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import stitch_core

from hylo.lang.errors import HyloError, ParseError, TypeInferenceError
from hylo.lang.infer import infer
from hylo.lang.program import (
    Abstraction,
    Application,
    Hole,
    Index,
    Invented,
    Namespace,
    Primitive,
    Program,
    apply_to,
    beta_normal,
    is_closed,
    parse,
    shift,
    show,
    size,
    spine,
    subprograms,
)
from hylo.lang.types import (
    TVar,
    Type,
    apply,
    arrow,
    instantiate,
    is_arrow,
    max_var_id,
    show_type,
    unify,
)

__all__ = [
    "STITCH_OPTIONS",
    "AbstractionError",
    "Compression",
    "compress",
    "describe",
    "eta_long",
    "is_eta_long",
    "rewrite",
]

STITCH_OPTIONS: Mapping[str, Any] = {
    # No abstraction whose body is a partial application, no argument in a head
    # position: both would put partial applications into eta-long programs.
    "no_curried_bodies": True,
    "no_curried_metavars": True,
    # Pinned: Stitch numbers an abstraction's arguments in the order this search
    # meets them, and rewrite() must give it bodies numbered that way.
    "hole_choice": "depth-first",
    # Stitch asserts that its predicted utility equals the rewrite's; for nested
    # uses of an abstraction with a repeated argument, ``(if true #0 #0)``, it does
    # not, and the process would panic (mlb2251/stitch#129: the rewrite is right,
    # the estimate off). hylo checks every rewritten program itself.
    "no_mismatch_check": True,
}
"""Options passed to ``stitch_core.compress`` and ``stitch_core.rewrite``.

Stitch's own ``eta_long`` mode needs ``utility_by_rewrite``, which crashes the
process (a segmentation fault) in stitch_core 0.1.29, and without it leaves
lambda-rooted abstractions in place; hylo does the eta-long bookkeeping itself.
"""

_STITCH_PREFIX = "stitch_fn_"
_RESERVED = frozenset({"lam", "lambda", "app"})


class AbstractionError(HyloError):
    """Compression could not run: a bad corpus, or the Stitch compressor failed."""


@dataclass(frozen=True, slots=True)
class Compression:
    """What :func:`compress` found.

    Attributes:
        inventions: the new functions, in the order they were learned (each may use
            the ones before it).
        rewritten: ``rewritten[i][k]`` is ``corpus[i][k]`` rewritten with them
            (beta-normal, eta-long, same type, same meaning).
        seconds: wall time of the whole call.
        size_before: total :func:`~hylo.lang.program.size` of the corpus (eta-long).
        size_after: total size of the rewritten corpus.
        num_uses: for each invention, how often the rewritten corpus uses it.
        task_uses: for each invention, the indices of the tasks whose rewritten
            programs use it.
        rejected: one line per abstraction of Stitch's left out (it does not
            type-check, duplicates another, or no longer compresses once programs
            are eta-long) and per rewritten program that failed its check (the
            original was kept).
    """

    inventions: tuple[Invented, ...]
    rewritten: tuple[tuple[Program, ...], ...]
    seconds: float
    size_before: int
    size_after: int
    num_uses: tuple[int, ...] = ()
    task_uses: tuple[tuple[int, ...], ...] = ()
    rejected: tuple[str, ...] = ()

    @property
    def ratio(self) -> float:
        """``size_before / size_after`` (1.0 when nothing was rewritten)."""
        return self.size_before / self.size_after if self.size_after else 1.0


def describe(invention: Invented) -> str:
    """``name : type = body``, e.g. ``f3 : list(int) -> int = (lam (fold $0 0 …))``."""
    return f"{invention.name} : {show_type(invention.tp)} = {show(invention.body)}"


# --- beta-normal, eta-long form -------------------------------------------------------


class _Typer:
    """Type-directed eta expansion, with one substitution threaded through."""

    def __init__(self, next_id: int) -> None:
        self.s: dict[int, Type] = {}
        self.next_id = next_id

    def fresh(self) -> TVar:
        self.next_id += 1
        return TVar(self.next_id - 1)

    def unify(self, a: Type, b: Type) -> None:
        self.s = unify(a, b, self.s)

    def head_type(self, head: Program, env: tuple[Type, ...]) -> Type:
        if isinstance(head, Index):
            if head.i >= len(env):
                raise TypeInferenceError(f"variable ${head.i} is unbound")
            return env[head.i]
        tp = head.tp if isinstance(head, Primitive | Invented | Hole) else None
        if tp is None:  # an open hole (a lam or an application is never a head here)
            return self.fresh()
        out, self.next_id = instantiate(tp, self.next_id)
        return out

    def eta(self, p: Program, t: Type, env: tuple[Type, ...]) -> Program:
        """``p`` (beta-normal, of type ``t`` in ``env``) in eta-long form."""
        t = apply(t, self.s)
        if is_arrow(t) or isinstance(p, Abstraction):
            a, r = self.fresh(), self.fresh()
            self.unify(t, arrow(a, r))  # a lam where the type is still open: make it a ->
            body = p.body if isinstance(p, Abstraction) else Application(shift(p, 1), Index(0))
            return Abstraction(self.eta(body, r, (a, *env)))
        head, args = spine(p)
        types = [self.fresh() for _ in args]
        self.unify(self.head_type(head, env), arrow(*types, t))
        # Arguments whose type is known first: they can fix the type of the others.
        order = sorted(range(len(args)), key=lambda i: isinstance(apply(types[i], self.s), TVar))
        out = list(args)
        for i in order:
            out[i] = self.eta(args[i], types[i], env)
        return apply_to(head, *out)


def eta_long(program: Program, request: Type | None = None) -> Program:
    """``program`` in beta-normal, eta-long form at type ``request`` (default: its own).

    Eta-long: every position of function type holds a ``lam``, and every head is
    applied to all its arguments — the form the enumerator builds and the grammar
    scores. A partial application ``(+ 1)`` becomes ``(lam (+ 1 $0))``.

    Raises:
        TypeInferenceError: ``program`` does not have type ``request``.

    >>> from hylo.domains.lists import LISTS
    >>> from hylo.lang import parse, parse_type
    >>> p = parse("(map (+ 1))", LISTS.namespace)
    >>> print(eta_long(p, parse_type("list(int) -> list(int)")))
    (lam (map (lam (+ 1 $0)) $0))
    """
    normal = beta_normal(program)
    tp = infer(normal) if request is None else request
    return _Typer(1 + max(max_var_id(tp), 0)).eta(normal, tp, ())


def is_eta_long(program: Program, request: Type | None = None) -> bool:
    """True when ``program`` is already beta-normal and eta-long at ``request``."""
    try:
        return eta_long(program, request) == program
    except TypeInferenceError:
        return False


# --- program helpers ------------------------------------------------------------------


def _strip(p: Program) -> tuple[int, Program]:
    """The number of leading lambdas of ``p`` and what is under them."""
    n = 0
    while isinstance(p, Abstraction):
        n, p = n + 1, p.body
    return n, p


def _wrap(n: int, p: Program) -> Program:
    for _ in range(n):
        p = Abstraction(p)
    return p


def _map_leaves(p: Program, fn: Callable[[Program, int], Program], depth: int = 0) -> Program:
    """Replace every leaf ``q`` (at ``depth`` lambdas inside ``p``) by ``fn(q, depth)``."""
    if isinstance(p, Application):
        return Application(_map_leaves(p.f, fn, depth), _map_leaves(p.x, fn, depth))
    if isinstance(p, Abstraction):
        return Abstraction(_map_leaves(p.body, fn, depth + 1))
    return fn(p, depth)


def _inline(p: Program, inventions: frozenset[Invented]) -> Program:
    """``p`` with the bodies of ``inventions`` (which may use each other) in place of
    their names, beta-reduced."""

    def expand(q: Program, _: int) -> Program:
        return q.body if isinstance(q, Invented) and q in inventions else q

    while any(q in inventions for q in subprograms(p) if isinstance(q, Invented)):
        p = _map_leaves(p, expand)
    return beta_normal(p)


def _free_order(body: Program) -> list[int]:
    """Free variables of ``body`` (``$i`` at depth ``d`` is variable ``i - d``) in the
    order Stitch's depth-first search first meets them: an application's argument
    before its function."""
    order: list[int] = []

    def visit(p: Program, depth: int) -> None:
        if isinstance(p, Index) and p.i >= depth and p.i - depth not in order:
            order.append(p.i - depth)
        elif isinstance(p, Application):
            visit(p.x, depth)
            visit(p.f, depth)
        elif isinstance(p, Abstraction):
            visit(p.body, depth + 1)

    visit(body, 0)
    return order


def _placeholder(name: str) -> Primitive:
    return Primitive(name, TVar(0), lambda: None)


# --- Stitch patterns ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Pattern:
    """An invention as Stitch sees it: ``text`` with ``#c`` for argument ``c``.

    Stitch applies it to its arguments in its own order; ``positions[c]`` is the
    invention's parameter (0 = outermost ``lam``) that Stitch's argument ``c`` is.
    ``base`` and ``occurrences`` give the size of a use once inlined:
    ``base + sum(occurrences[i] * size(argument i))``.
    """

    invention: Invented
    text: str
    positions: tuple[int, ...]
    lazy: tuple[bool, ...]  # per parameter: the body may not evaluate it
    base: int
    occurrences: tuple[int, ...]

    @property
    def arity(self) -> int:
        return len(self.positions)

    @property
    def reordered(self) -> bool:
        return self.positions != tuple(range(self.arity))

    def saving(self, args: Sequence[Program]) -> int:
        """How much smaller ``(f args…)`` is than the code it stands for."""
        return (
            self.base
            - 1
            + sum((k - 1) * size(x) for k, x in zip(self.occurrences, args, strict=False))
        )

    def unsafe(self, args: Sequence[Program]) -> bool:
        """The evaluator runs an invention's arguments first: would ``(f args…)`` run
        one that may fail or loop (``(car $0)`` in an ``if`` branch) and that the
        original may never have run?"""
        return any(lazy and not _is_value(x) for lazy, x in zip(self.lazy, args, strict=False))


def _pattern(invention: Invented) -> _Pattern | None:
    """The Stitch pattern of ``invention``, or None when Stitch cannot express it
    (it ignores a parameter, or it is a bare variable)."""
    n, body = _strip(eta_long(invention.body, invention.tp))
    order = _free_order(body)
    if isinstance(body, Index) or len(order) < n:
        return None
    number = {var: c for c, var in enumerate(order)}

    def ivar(q: Program, depth: int) -> Program:
        if isinstance(q, Index) and q.i >= depth:
            return _placeholder(f"#{number[q.i - depth]}")
        return q

    text = show(_map_leaves(body, ivar))
    strict = _strict(body)
    free = [q.i - d for q, d in _leaves(body) if isinstance(q, Index) and q.i >= d]
    return _Pattern(
        invention,
        text,
        positions=tuple(n - 1 - var for var in order),
        lazy=tuple(n - 1 - position not in strict for position in range(n)),
        base=size(body) - len(free),
        occurrences=tuple(free.count(n - 1 - position) for position in range(n)),
    )


def _leaves(p: Program, depth: int = 0) -> Iterator[tuple[Program, int]]:
    if isinstance(p, Application):
        yield from _leaves(p.f, depth)
        yield from _leaves(p.x, depth)
    elif isinstance(p, Abstraction):
        yield from _leaves(p.body, depth + 1)
    else:
        yield p, depth


def _strict(p: Program, depth: int = 0) -> set[int]:
    """Free variables of ``p`` (numbered as in :func:`_free_order`) that every
    evaluation of ``p`` evaluates: not only under a ``lam`` or in a lazy argument."""
    if isinstance(p, Index):
        return {p.i - depth} if p.i >= depth else set()
    if not isinstance(p, Application):
        return set()
    head, args = spine(p)
    if isinstance(head, Primitive) and head.lazy:
        args = args[head.arity :]  # the primitive decides which of its arguments run
    out = _strict(head, depth)
    for x in args:
        out |= _strict(x, depth)
    return out


def _is_value(p: Program) -> bool:
    """Evaluating ``p`` cannot fail or loop: a variable, a ``lam``, a primitive."""
    if isinstance(p, Invented):
        return isinstance(p.body, Abstraction)
    return isinstance(p, Index | Abstraction | Primitive)


_Choice = Callable[[_Pattern, Sequence[Program]], bool]


def _expand(p: Program, patterns: Mapping[Invented, _Pattern], inline: _Choice) -> Program:
    """``p`` with each use ``(f args…)`` for which ``inline(pattern of f, args)``
    holds replaced by the code it stands for (innermost uses decided first)."""
    if isinstance(p, Abstraction):
        return Abstraction(_expand(p.body, patterns, inline))
    head, args = spine(p)
    args = [_expand(x, patterns, inline) for x in args]
    pattern = patterns.get(head) if isinstance(head, Invented) else None
    if pattern is not None and len(args) >= pattern.arity and inline(pattern, args):
        body = beta_normal(apply_to(pattern.invention.body, *args))
        return _expand(body, patterns, inline)  # the body may use inventions too
    return apply_to(head, *args)


def _uses(p: Program) -> Iterator[tuple[Invented, list[Program]]]:
    """Every use ``(f args…)`` of an invention in ``p``."""
    if isinstance(p, Abstraction):
        yield from _uses(p.body)
        return
    head, args = spine(p)
    if isinstance(head, Invented):
        yield head, args
    for x in args:
        yield from _uses(x)


def _reorder(p: Program, patterns: Mapping[Invented, _Pattern]) -> Program:
    """Put the arguments of Stitch's uses ``(f x_0 … x_k)`` in ``f``'s own order."""
    if isinstance(p, Abstraction):
        return Abstraction(_reorder(p.body, patterns))
    head, args = spine(p)
    args = [_reorder(x, patterns) for x in args]
    pattern = patterns.get(head) if isinstance(head, Invented) else None
    if pattern is not None and pattern.reordered and len(args) >= pattern.arity:
        ordered: list[Program] = list(args[: pattern.arity])
        for c, position in enumerate(pattern.positions):
            ordered[position] = args[c]
        args = ordered + args[pattern.arity :]
    return apply_to(head, *args)


def _stitch_call(what: str, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception as e:  # the boundary to the Rust core: panics, parse errors
        raise AbstractionError(
            f"the Stitch compressor failed in {what}: {type(e).__name__}: {e}. "
            "Check that every program is closed and parses, or report the corpus."
        ) from e


# --- the corpus -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    """One program of the corpus: normalised, with its type and its stripped text."""

    task: int
    original: Program
    normal: Program
    request: Type
    num_lambdas: int
    text: str


def _check_names(p: Program, namespace: Namespace, where: str) -> None:
    for q in subprograms(p):
        if isinstance(q, Hole):
            raise AbstractionError(f"{where} has a hole ??: only complete programs compress")
        if isinstance(q, Primitive | Invented):
            if q.name in _RESERVED or q.name.startswith("#"):
                raise AbstractionError(
                    f"{where} uses {q.name!r}, a name Stitch reserves: rename it"
                )
            if namespace.get(q.name) != q:
                raise AbstractionError(
                    f"{where} uses {q.name!r}, which is not in the namespace given: "
                    "pass a namespace with every primitive and invention the corpus uses"
                )


def _entry(task: int, p: Program, request: Type | None, namespace: Namespace) -> _Entry:
    where = f"program {show(p)} (task {task})"
    _check_names(p, namespace, where)
    if not is_closed(p):
        raise AbstractionError(f"{where} has a free variable: only closed programs compress")
    try:
        tp = infer(p) if request is None else request
        normal = eta_long(p, tp)
    except HyloError as e:
        wanted = "" if request is None else f" at type {show_type(request)}"
        raise AbstractionError(f"{where} does not type-check{wanted}: {e}") from e
    n, body = _strip(normal)
    return _Entry(task, p, normal, tp, n, show(body))


def _entries(
    corpus: Sequence[Sequence[Program]], requests: Sequence[Type] | None, namespace: Namespace
) -> list[_Entry]:
    if requests is not None and len(requests) != len(corpus):
        raise AbstractionError(
            f"requests must give one type per task: got {len(requests)} for {len(corpus)} task(s)"
        )
    return [
        _entry(i, p, None if requests is None else requests[i], namespace)
        for i, task in enumerate(corpus)
        for p in task
    ]


# --- rewriting ------------------------------------------------------------------------


def _stitch_rewrite(
    entries: Sequence[_Entry], patterns: Sequence[_Pattern], namespace: Namespace
) -> list[Program]:
    """Rewrite with Stitch (which applies a pattern even where it does not pay: the
    caller inlines those uses again) and parse the results back."""
    if not patterns or not entries:
        return [e.normal for e in entries]
    abstractions = [stitch_core.Abstraction(p.invention.name, p.text, p.arity) for p in patterns]
    result = _stitch_call(
        "rewrite",
        lambda: stitch_core.rewrite([e.text for e in entries], abstractions, **STITCH_OPTIONS),
    )
    scope = {**namespace, **{p.invention.name: p.invention for p in patterns}}
    by_invention = {p.invention: p for p in patterns}
    return [
        _wrap(entry.num_lambdas, _reorder(parse(text, scope), by_invention))
        for entry, text in zip(entries, result.rewritten, strict=True)
    ]


def _pays(pattern: _Pattern, args: Sequence[Program]) -> bool:
    return pattern.saving(args) > 0 and not pattern.unsafe(args)


def _verified(
    entries: Sequence[_Entry],
    programs: Sequence[Program],
    new: frozenset[Invented],
    rejected: list[str],
) -> list[Program]:
    """Each program, or its original where it fails :func:`_checked`."""
    out: list[Program] = []
    for entry, program in zip(entries, programs, strict=True):
        checked = _checked(entry, program, new)
        if isinstance(checked, str):
            rejected.append(f"rewrite of {show(entry.normal)} as {show(program)} {checked}")
            checked = entry.normal
        out.append(checked)
    return out


def _checked(entry: _Entry, program: Program, new: frozenset[Invented]) -> Program | str:
    """``program`` in eta-long form if it can replace ``entry``, else why not."""
    try:
        program = eta_long(program, entry.request)
        inlined, target = _inline(program, new), _inline(entry.normal, new)
        if inlined != target and eta_long(inlined, entry.request) != target:
            return "does not inline back to it; kept the original"
    except HyloError as e:
        return f"fails ({e}); kept the original"
    return program


def rewrite(
    programs: Sequence[Program],
    inventions: Sequence[Invented],
    namespace: Namespace,
    *,
    requests: Sequence[Type] | None = None,
) -> list[Program]:
    """Rewrite ``programs`` with ``inventions`` found before (in that order).

    An invention is used only where it makes the program smaller, and never
    where it would run an argument that the original may not run; each result
    is beta-normal, eta-long, has the type of the program it replaces and inlines
    back to it. Inventions that ignore a parameter cannot be matched and are
    skipped.

    Args:
        programs: closed programs over ``namespace``.
        inventions: library functions; later ones may use earlier ones.
        namespace: primitives (and older inventions) the programs use.
        requests: the type of each program (default: its inferred type).

    Raises:
        AbstractionError: a program is not closed or does not type-check, or
            Stitch failed.

    >>> from hylo.domains.lists import LISTS
    >>> from hylo.lang import parse
    >>> from hylo.lang.infer import invent
    >>> add = invent("add", parse("(lam (lam (map (lam (+ $0 $2)) $0)))", LISTS.namespace))
    >>> new = rewrite([parse("(lam (map (lam (+ $0 4)) $0))", LISTS.namespace)], [add],
    ...               LISTS.namespace)
    >>> print(new[0])
    (lam (add 4 $0))
    """
    entries = _entries([[p] for p in programs], requests, namespace)
    patterns = {p.invention: p for p in map(_pattern, inventions) if p is not None}
    rewritten = _stitch_rewrite(entries, list(patterns.values()), namespace)
    local = [_expand(p, patterns, lambda f, args: not _pays(f, args)) for p in rewritten]
    return _verified(entries, local, frozenset(patterns), [])


# --- from Stitch's abstractions to inventions -------------------------------------------


@dataclass
class _Candidates:
    """Inventions made from Stitch's abstractions so far, by Stitch name."""

    namespace: Namespace
    patterns: list[_Pattern]
    adapters: dict[str, Program]  # Stitch name -> closed program meaning the same
    rejected: list[str]

    def add(self, abstraction: stitch_core.Abstraction, name: str) -> None:
        where = f"abstraction {abstraction.name} := {abstraction.body}"
        try:
            raw = self._closed(abstraction)
        except ParseError:
            self.rejected.append(f"{where}: uses an abstraction that was left out")
            return
        try:
            long = eta_long(raw, infer(raw))
        except HyloError as e:
            self.rejected.append(f"{where}: does not type-check ({e})")
            return
        self._add_core(abstraction.name, long, name, where)

    def _closed(self, abstraction: stitch_core.Abstraction) -> Program:
        """The abstraction as a closed program: ``(lam … (lam body))``, ``#i`` bound."""
        arity = abstraction.arity
        holes = {f"#{i}": _placeholder(f"#{i}") for i in range(arity)}
        refs = {name: _placeholder(name) for name in self.adapters}
        body = parse(abstraction.body, {**self.namespace, **refs, **holes})

        def bind(q: Program, depth: int) -> Program:
            if isinstance(q, Primitive) and q.name in holes:
                return Index(depth + arity - 1 - int(q.name[1:]))
            if isinstance(q, Primitive) and q.name in refs:
                return self.adapters[q.name]
            return q

        return beta_normal(_wrap(arity, _map_leaves(body, bind)))

    def _add_core(self, stitch_name: str, long: Program, name: str, where: str) -> None:
        """Make the eta-long core of ``long`` an invention (or reuse an equal one)."""
        n, body = _strip(long)
        order = _free_order(body)  # a lam-rooted body may ignore its own lam's variable
        if isinstance(body, Index):
            self.rejected.append(f"{where}: only returns one of its arguments")
            return
        m = len(order)
        number = {var: c for c, var in enumerate(order)}

        def renumber(q: Program, depth: int) -> Program:
            if isinstance(q, Index) and q.i >= depth:
                return Index(depth + m - 1 - number[q.i - depth])
            return q

        core = _wrap(m, _map_leaves(body, renumber))
        earlier = {p.invention: p for p in self.patterns}
        if _expand(core, earlier, _Pattern.unsafe) != core:
            self.rejected.append(f"{where}: runs an argument of another one too early")
            return
        invention = next((p.invention for p in self.patterns if p.invention.body == core), None)
        if invention is None:
            invention = Invented(name, core, infer(core))
            pattern = _pattern(invention)
            if pattern is None:  # pragma: no cover - the core uses every parameter
                self.rejected.append(f"{where}: cannot be matched")
                return
            self.patterns.append(pattern)
        else:
            self.rejected.append(f"{where}: the same function as {invention.name}")
        use = apply_to(invention, *(Index(var) for var in order))
        self.adapters[stitch_name] = _wrap(n, use)


def _candidates(
    abstractions: Iterable[stitch_core.Abstraction], namespace: Namespace, names: Iterable[str]
) -> _Candidates:
    found = _Candidates(namespace, [], {}, [])
    for abstraction, name in zip(abstractions, names, strict=False):
        found.add(abstraction, name)
    return found


# --- compress ---------------------------------------------------------------------------


def _check_options(
    namespace: Namespace, iterations: int, max_arity: int, names: Sequence[str]
) -> None:
    if iterations < 0 or max_arity < 0:
        raise AbstractionError(
            f"iterations and max_arity must be >= 0, got iterations={iterations}, "
            f"max_arity={max_arity}"
        )
    taken = [n for n in names if n in namespace]
    if taken:
        raise AbstractionError(
            f"new invention name(s) {taken} are already in the namespace: pass a "
            "start_index (or name_prefix) past the existing inventions"
        )
    clash = [n for n in namespace if n.startswith(_STITCH_PREFIX)]
    if clash:
        raise AbstractionError(f"names {clash} clash with Stitch's internal prefix: rename them")


def _run_stitch(entries: Sequence[_Entry], iterations: int, max_arity: int) -> Any:
    texts = [e.text for e in entries]
    tasks = [str(e.task) for e in entries]
    return _stitch_call(
        "compress",
        lambda: stitch_core.compress(
            texts,
            iterations=iterations,
            max_arity=max_arity,
            tasks=tasks,
            abstraction_prefix=_STITCH_PREFIX,
            **STITCH_OPTIONS,
        ),
    )


def _prune(
    programs: Sequence[Program], patterns: Sequence[_Pattern], rejected: list[str]
) -> tuple[list[Program], list[_Pattern], dict[Invented, Program]]:
    """Keep the inventions that make the eta-long corpus smaller by more than their
    own size (DreamCoder's criterion, in :func:`~hylo.lang.program.size`).

    Uses that do not pay, or that would run an argument too early, are inlined
    first; then the latest invention that does not gain is dropped (its uses
    inlined, in the programs and in other inventions' bodies, which may make
    the earlier ones it was built on gain again), until every one gains.

    Returns the programs, the inventions kept, and their bodies (with the
    dropped ones inlined).
    """
    by_invention = {p.invention: p for p in patterns}
    out = [_expand(p, by_invention, lambda f, args: not _pays(f, args)) for p in programs]
    kept = list(patterns)
    bodies = {p.invention: p.invention.body for p in patterns}
    dropped: dict[Invented, _Pattern] = {}
    while kept:
        gains = _gains(out, kept, bodies)
        losing = [p for p in kept if gains[p.invention] <= 0]
        if not losing:
            break
        worst = losing[-1]  # the latest: its uses go back to the ones it builds on
        kept.remove(worst)
        rejected.append(
            f"{worst.invention.name} = {show(worst.invention.body)}: saves "
            f"{gains[worst.invention] + size(bodies[worst.invention])} once programs are "
            f"eta-long, not more than its own size {size(bodies[worst.invention])}"
        )
        dropped[worst.invention] = worst
        out = [_expand(p, dropped, lambda f, args: True) for p in out]
        bodies = {
            p.invention: _expand(bodies[p.invention], dropped, lambda f, a: True) for p in kept
        }
    return out, kept, bodies


def _gains(
    programs: Sequence[Program], kept: Sequence[_Pattern], bodies: Mapping[Invented, Program]
) -> dict[Invented, int]:
    """For each invention: what its uses save, less its own size."""
    by_invention = {p.invention: p for p in kept}
    gains = {p.invention: -size(bodies[p.invention]) for p in kept}
    for source in [*programs, *bodies.values()]:
        for invention, args in _uses(source):
            pattern = by_invention.get(invention)
            if pattern is not None:
                gains[invention] += pattern.saving(args)
    return gains


def _needed(
    kept: Sequence[_Pattern], programs: Sequence[Program], bodies: Mapping[Invented, Program]
) -> tuple[list[_Pattern], dict[Invented, int]]:
    """The inventions the programs use, with the ones those use; and how often."""
    counts: dict[Invented, int] = {p.invention: 0 for p in kept}
    for program in programs:
        for invention, _ in _uses(program):
            if invention in counts:
                counts[invention] += 1
    needed = {inv for inv, k in counts.items() if k}
    for p in reversed(kept):  # later inventions only use earlier ones
        if p.invention in needed:
            needed |= {inv for inv, _ in _uses(bodies[p.invention])}
    return [p for p in kept if p.invention in needed], counts


def _rename(
    kept: Sequence[_Pattern],
    bodies: Mapping[Invented, Program],
    names: Sequence[str],
    namespace: Namespace,
) -> dict[str, Invented]:
    """Final inventions with contiguous names, by their provisional name."""
    final: dict[str, Invented] = {}
    for pattern, name in zip(kept, names, strict=False):
        body = parse(show(bodies[pattern.invention]), {**namespace, **final})
        tp = infer(body)
        final[pattern.invention.name] = Invented(name, eta_long(body, tp), tp)
    return final


def compress(
    corpus: Sequence[Sequence[Program]],
    namespace: Namespace,
    *,
    iterations: int = 10,
    max_arity: int = 3,
    name_prefix: str = "f",
    start_index: int = 0,
    requests: Sequence[Type] | None = None,
) -> Compression:
    """Learn up to ``iterations`` new functions from the solutions of many tasks.

    Stitch runs once on all programs, with each task's programs grouped so that
    a task counts by its best program and an abstraction must serve two tasks
    (DreamCoder's objective). Each abstraction becomes an :class:`Invented`
    named ``{name_prefix}{start_index + k}`` whose type is inferred; one that
    does not type-check is rejected, the corpus is rewritten with the rest, and
    those that do not save more than their own size are dropped again (see the
    module's notes on eta-long form). ``rejected`` says what was left out and why.

    Args:
        corpus: ``corpus[i]``: the top solutions of task ``i`` (closed programs).
        namespace: every primitive and earlier invention the corpus uses.
        iterations: at most this many inventions.
        max_arity: at most this many arguments per abstraction (as Stitch sees it).
        name_prefix: new inventions are named ``{name_prefix}{start_index + k}``.
        start_index: the number of the first new invention.
        requests: each task's type (default: each program's inferred type).

    Returns:
        A :class:`Compression`; with an empty corpus, no inventions.

    Raises:
        AbstractionError: a program is not closed or does not type-check, a new
            name is taken, or Stitch failed.
    """
    start = time.perf_counter()
    names = [f"{name_prefix}{start_index + k}" for k in range(iterations)]
    _check_options(namespace, iterations, max_arity, names)
    entries = _entries(corpus, requests, namespace)
    found = _candidates(
        _run_stitch(entries, iterations, max_arity).abstractions if entries and iterations else (),
        namespace,
        names,
    )
    rewritten = _stitch_rewrite(entries, found.patterns, namespace)
    rewritten, kept, bodies = _prune(rewritten, found.patterns, found.rejected)
    new = frozenset(p.invention for p in found.patterns)
    rewritten = _verified(entries, rewritten, new, found.rejected)
    kept, counts = _needed(kept, rewritten, bodies)
    final = _rename(kept, bodies, names, namespace)
    by_task: list[list[Program]] = [[] for _ in corpus]
    for entry, program in zip(entries, rewritten, strict=True):
        by_task[entry.task].append(parse(show(program), {**namespace, **final}))
    inventions = [(final[p.invention.name], counts[p.invention]) for p in kept]
    return _compression(start, entries, by_task, inventions, found.rejected)


def _compression(
    start: float,
    entries: Sequence[_Entry],
    rewritten: Sequence[Sequence[Program]],
    inventions: Sequence[tuple[Invented, int]],
    rejected: Sequence[str],
) -> Compression:
    tasks_of: dict[Invented, list[int]] = {inv: [] for inv, _ in inventions}
    for i, task in enumerate(rewritten):
        used = {q for p in task for q in subprograms(p) if isinstance(q, Invented)}
        for inv in tasks_of.keys() & used:
            tasks_of[inv].append(i)
    return Compression(
        inventions=tuple(inv for inv, _ in inventions),
        rewritten=tuple(tuple(task) for task in rewritten),
        seconds=time.perf_counter() - start,
        size_before=sum(size(e.normal) for e in entries),
        size_after=sum(size(p) for task in rewritten for p in task),
        num_uses=tuple(k for _, k in inventions),
        task_uses=tuple(tuple(tasks_of[inv]) for inv, _ in inventions),
        rejected=tuple(rejected),
    )
