"""Programs: a typed lambda calculus with de Bruijn indices, in Stitch's syntax.

``(lam (map (lam (+ $0 1)) $0))`` is a program that adds one to every element of
its argument. Nodes are immutable and hashable (the hash is computed once):

* :class:`Primitive` — a named built-in with a type and a Python implementation;
* :class:`Invented` — a named library abstraction with a closed body;
* :class:`Application` — ``(f x)``; ``(f x y)`` is ``((f x) y)``;
* :class:`Abstraction` — ``(lam body)``, binding ``$0`` in ``body``;
* :class:`Index` — ``$i``, the variable bound ``i`` lambdas up;
* :class:`Hole` — ``??``, a part left open (for sketches and search);
* :class:`Param` — ``#c0:float``, a numeric constant left open, fitted by
  :mod:`hylo.train` and given its value when the program runs.

>>> from hylo.lang.types import parse_type
>>> one = Primitive("1", parse_type("int"), lambda: 1)
>>> plus = Primitive("+", parse_type("int -> int -> int"), lambda a, b: a + b)
>>> p = parse("(lam (+ $0 1))", {"+": plus, "1": one})
>>> show(p)
'(lam (+ $0 1))'
>>> parse(show(p), {"+": plus, "1": one}) == p
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from hylo.lang.errors import HyloError, ParseError
from hylo.lang.types import TCon, Type, arguments, show_type


class _Node:
    """Programs print as their text: ``print(p)`` shows ``(lam (+ $0 1))``."""

    __slots__ = ()

    def __str__(self) -> str:
        return show(self)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"<program {show(self)}>"  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True, eq=False)
class Primitive:
    """A built-in function or constant.

    Args:
        name: how it prints and parses; unique within a domain.
        tp: its (polymorphic) type, e.g. ``(t0 -> t1) -> list(t0) -> list(t1)``.
        fn: the implementation, *uncurried*: it takes as many positional arguments as
            ``tp`` has arrows (none for a constant, which is called once).
        doc: a one-line description.
        lazy: when true, ``fn`` receives zero-argument thunks instead of values, so
            it evaluates only the arguments it needs (``if``).
    """

    name: str
    tp: Type
    fn: Callable[..., Any]
    doc: str = ""
    lazy: bool = False
    arity: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "arity", len(arguments(self.tp)))
        if not self.name or any(c in self.name for c in "() \t\n") or self.name.startswith("$"):
            raise ValueError(
                f"primitive name {self.name!r} cannot be parsed back: use a non-empty name "
                "without spaces or parentheses that does not start with '$'"
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Primitive) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("prim", self.name))

    def __repr__(self) -> str:
        return f"Primitive({self.name!r}: {show_type(self.tp)})"


@dataclass(frozen=True, slots=True, repr=False)
class Invented(_Node):
    """A library abstraction: a name for a closed program (usually a ``lam``)."""

    name: str
    body: Program
    tp: Type
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash(("inv", self.name, self.body)))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild from the fields: the cached hash differs between processes.
        return (Invented, (self.name, self.body, self.tp))


@dataclass(frozen=True, slots=True, repr=False)
class Application(_Node):
    f: Program
    x: Program
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.f, self.x)))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[Any, ...]:
        return (Application, (self.f, self.x))


@dataclass(frozen=True, slots=True, repr=False)
class Abstraction(_Node):
    body: Program
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash(("lam", self.body)))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[Any, ...]:
        return (Abstraction, (self.body,))


@dataclass(frozen=True, slots=True, repr=False)
class Index(_Node):
    i: int

    def __post_init__(self) -> None:
        if self.i < 0:
            raise ValueError(f"de Bruijn index must be >= 0, got {self.i}")


@dataclass(frozen=True, slots=True, repr=False)
class Hole(_Node):
    """An open part of a program, optionally annotated with the type it must have."""

    tp: Type | None = None


_PARAM_TYPE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PARAM = re.compile(r"#c(\d+):([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True, slots=True, repr=False)
class Param(_Node):
    """A numeric constant that the structure search leaves open: parameter ``index``.

    It prints as ``#c<index>:<type>`` and parses back. Its value comes from the
    parameter vector given to :meth:`~hylo.lang.evaluate.Evaluator.set_params`;
    :mod:`hylo.train` fits that vector. The type is a base type (``float``, ``int``).

    >>> from hylo.lang.types import FLOAT
    >>> show(Param(0, FLOAT))
    '#c0:float'
    >>> parse("#c1:int", {}) == Param(1, TCon("int"))
    True
    """

    index: int
    tp: Type

    def __post_init__(self) -> None:
        if self.index < 0:
            raise ValueError(f"parameter index must be >= 0, got {self.index}")
        tp = self.tp
        if not (isinstance(tp, TCon) and not tp.args and _PARAM_TYPE.fullmatch(tp.name)):
            raise ValueError(
                f"a parameter's type must be a base type such as float or int, "
                f"got {show_type(tp)} for #c{self.index}"
            )


Program = Primitive | Invented | Application | Abstraction | Index | Hole | Param

Namespace = Mapping[str, Primitive | Invented]


def apply_to(f: Program, *args: Program) -> Program:
    """``apply_to(f, a, b)`` is ``(f a b)``."""
    for a in args:
        f = Application(f, a)
    return f


def spine(p: Program) -> tuple[Program, list[Program]]:
    """Split ``(f a b)`` into ``f`` and ``[a, b]``."""
    args: list[Program] = []
    while isinstance(p, Application):
        args.append(p.x)
        p = p.f
    args.reverse()
    return p, args


# --- printing -----------------------------------------------------------------------


def show(p: Program) -> str:
    """Stitch/DreamCoder s-expression text; ``parse(show(p)) == p``."""
    if isinstance(p, Primitive):
        return p.name
    if isinstance(p, Invented):
        return p.name
    if isinstance(p, Index):
        return f"${p.i}"
    if isinstance(p, Hole):
        return "??"
    if isinstance(p, Param):
        return f"#c{p.index}:{show_type(p.tp)}"
    if isinstance(p, Abstraction):
        return f"(lam {show(p.body)})"
    head, args = spine(p)
    return "(" + " ".join(show(q) for q in (head, *args)) + ")"


# --- parsing ------------------------------------------------------------------------

_TOKENS = re.compile(r"\s*(\(|\)|[^\s()]+)")
_LAMBDA = {"lam", "lambda"}


def _tokenize(text: str) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        m = _TOKENS.match(stripped, pos)
        if m is None:  # pragma: no cover - the regex matches any non-space run
            raise ParseError(f"cannot read program text at position {pos}: {text!r}")
        out.append((m.group(1), m.start(1)))
        pos = m.end()
    return out


def parse(text: str, namespace: Namespace) -> Program:
    """Parse program text; names are looked up in ``namespace`` (primitives, inventions).

    Raises :class:`ParseError` naming the position and the problem.
    """
    tokens = _tokenize(text)
    if not tokens:
        raise ParseError("empty program text")
    pos = 0

    def fail(msg: str, at: int) -> ParseError:
        return ParseError(f"{msg} at character {at} of {text!r}")

    def expr() -> Program:
        nonlocal pos
        if pos >= len(tokens):
            raise fail("program ends early (missing ')'?)", len(text))
        tok, at = tokens[pos]
        pos += 1
        if tok == ")":
            raise fail("unexpected ')'", at)
        if tok != "(":
            return atom(tok, at)
        if pos < len(tokens) and tokens[pos][0] in _LAMBDA:
            pos += 1
            body = expr()
            if pos < len(tokens) and tokens[pos][0] != ")":
                raise fail(
                    "'lam' takes exactly one body (wrap an application in parentheses)",
                    tokens[pos][1],
                )
            close(at)
            return Abstraction(body)
        items: list[Program] = []
        while pos < len(tokens) and tokens[pos][0] != ")":
            items.append(expr())
        close(at)
        if not items:
            raise fail("empty application '()'", at)
        return apply_to(items[0], *items[1:])

    def close(opened_at: int) -> None:
        nonlocal pos
        if pos >= len(tokens) or tokens[pos][0] != ")":
            raise fail("'(' is never closed", opened_at)
        pos += 1

    def atom(tok: str, at: int) -> Program:
        if tok == "??":
            return Hole()
        if tok.startswith("$"):
            if not (tok[1:].isascii() and tok[1:].isdigit()):
                raise fail(f"bad variable {tok!r} (expected $0, $1, …)", at)
            return Index(int(tok[1:]))
        if tok in _LAMBDA:
            raise fail("'lam' must come right after '('", at)
        found = namespace.get(tok)
        if found is None and tok.startswith("#c"):
            return param(tok, at)
        if found is None:
            known = ", ".join(sorted(namespace)[:20])
            raise fail(
                f"unknown name {tok!r} (known: {known}{', …' if len(namespace) > 20 else ''})", at
            )
        return found

    def param(tok: str, at: int) -> Param:
        m = _PARAM.fullmatch(tok)
        if m is None:
            raise fail(f"bad parameter {tok!r} (expected #c<N>:<type>, e.g. #c0:float)", at)
        return Param(int(m.group(1)), TCon(m.group(2)))

    try:
        out = expr()
    except RecursionError:
        msg = f"program text is nested too deeply to parse ({len(tokens)} tokens)"
        raise ParseError(msg) from None
    if pos != len(tokens):
        raise fail(f"unexpected {tokens[pos][0]!r} after the end of the program", tokens[pos][1])
    return out


# --- structure ----------------------------------------------------------------------


def size(p: Program) -> int:
    """Number of leaves (primitives, inventions, indices, holes): the usual program size."""
    if isinstance(p, Application):
        return size(p.f) + size(p.x)
    if isinstance(p, Abstraction):
        return size(p.body)
    return 1


def subprograms(p: Program) -> Iterator[Program]:
    """Every node of ``p``, parents before children."""
    yield p
    if isinstance(p, Application):
        yield from subprograms(p.f)
        yield from subprograms(p.x)
    elif isinstance(p, Abstraction):
        yield from subprograms(p.body)


def primitives_of(p: Program) -> set[Primitive | Invented]:
    return {q for q in subprograms(p) if isinstance(q, Primitive | Invented)}


def params_of(p: Program) -> tuple[Param, ...]:
    """The distinct parameters of ``p``, sorted by index (then type name).

    >>> from hylo.lang.types import FLOAT
    >>> params_of(Application(Param(1, FLOAT), Param(0, FLOAT)))
    (<program #c0:float>, <program #c1:float>)
    """
    found = {q for q in subprograms(p) if isinstance(q, Param)}
    return tuple(sorted(found, key=lambda q: (q.index, show_type(q.tp))))


def is_closed(p: Program, depth: int = 0) -> bool:
    """True when no ``$i`` refers outside ``p``."""
    if isinstance(p, Index):
        return p.i < depth
    if isinstance(p, Application):
        return is_closed(p.f, depth) and is_closed(p.x, depth)
    if isinstance(p, Abstraction):
        return is_closed(p.body, depth + 1)
    return True


# --- de Bruijn shifting, substitution and beta reduction --------------------------------


def shift(p: Program, d: int, cutoff: int = 0) -> Program:
    """Add ``d`` to every index ``>= cutoff`` (the free variables of ``p``)."""
    if isinstance(p, Index):
        if p.i < cutoff:
            return p
        if p.i + d < 0:
            raise HyloError(f"shifting ${p.i} by {d} would make a negative index")
        return Index(p.i + d)
    if isinstance(p, Application):
        return Application(shift(p.f, d, cutoff), shift(p.x, d, cutoff))
    if isinstance(p, Abstraction):
        return Abstraction(shift(p.body, d, cutoff + 1))
    return p


def substitute(p: Program, i: int, value: Program) -> Program:
    """Replace ``$i`` by ``value`` in ``p`` (``value``'s free indices are adjusted)."""
    if isinstance(p, Index):
        return value if p.i == i else p
    if isinstance(p, Application):
        return Application(substitute(p.f, i, value), substitute(p.x, i, value))
    if isinstance(p, Abstraction):
        return Abstraction(substitute(p.body, i + 1, shift(value, 1)))
    return p


def _beta_step(p: Program, inline: bool) -> Program | None:
    """One leftmost-outermost reduction step, or None when ``p`` is normal."""
    if isinstance(p, Invented) and inline:
        return p.body
    if isinstance(p, Application):
        if isinstance(p.f, Abstraction):
            return shift(substitute(p.f.body, 0, shift(p.x, 1)), -1)
        f = _beta_step(p.f, inline)
        if f is not None:
            return Application(f, p.x)
        x = _beta_step(p.x, inline)
        return None if x is None else Application(p.f, x)
    if isinstance(p, Abstraction):
        b = _beta_step(p.body, inline)
        return None if b is None else Abstraction(b)
    return None


def beta_normal(p: Program, *, inline_inventions: bool = False, max_steps: int = 10_000) -> Program:
    """Beta-normal form (normal-order reduction; well-typed programs always normalise).

    With ``inline_inventions`` the bodies of library abstractions are expanded
    first, giving the program in base primitives only.
    """
    for _ in range(max_steps):
        nxt = _beta_step(p, inline_inventions)
        if nxt is None:
            return p
        p = nxt
    raise HyloError(f"beta reduction did not finish in {max_steps} steps (is the program untyped?)")
