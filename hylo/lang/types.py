"""Hindley–Milner types: constructors, variables, substitution, unification.

Types are immutable values. A *substitution* is a plain ``dict`` from type-variable
ids to types; functions that extend one return a new dict, so a failed branch of a
search never corrupts the context of another.

>>> t = parse_type("(a -> b) -> list(a) -> list(b)")
>>> show_type(t)
'(t0 -> t1) -> list(t0) -> list(t1)'
>>> s = unify(return_type(t), parse_type("list(int)"), {})
>>> show_type(apply(t, s))
'(t0 -> int) -> list(t0) -> list(int)'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from hylo.lang.errors import ParseError, UnificationError

ARROW = "->"


@dataclass(frozen=True, slots=True)
class TVar:
    """A type variable, identified by a small integer (printed ``t0``, ``t1``, …)."""

    id: int

    def __str__(self) -> str:
        return show_type(self)


@dataclass(frozen=True, slots=True, eq=False)
class TCon:
    """A type constructor applied to arguments: ``int``, ``list(int)``, ``a -> b``."""

    name: str
    args: tuple[Type, ...] = ()
    _ground: bool = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Types are dictionary keys on the search's hot path: cache what is asked often.
        ground = True
        for a in self.args:
            if not (isinstance(a, TCon) and a._ground):
                ground = False
                break
        object.__setattr__(self, "_ground", ground)
        object.__setattr__(self, "_hash", hash((self.name, self.args)))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[type[TCon], tuple[str, tuple[Type, ...]]]:
        # Rebuild from the fields: the cached hash differs between processes.
        return (TCon, (self.name, self.args))

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return (
            isinstance(other, TCon)
            and self._hash == other._hash
            and self.name == other.name
            and self.args == other.args
        )

    def __str__(self) -> str:
        return show_type(self)


Type = TVar | TCon
Substitution = dict[int, Type]


def is_ground(t: Type) -> bool:
    """True when ``t`` contains no type variable."""
    return isinstance(t, TCon) and t._ground


def arrow(*ts: Type) -> Type:
    """``arrow(a, b, c)`` is ``a -> b -> c`` (right-associative, curried)."""
    if not ts:
        raise ValueError("arrow() needs at least one type")
    out = ts[-1]
    for t in reversed(ts[:-1]):
        out = TCon(ARROW, (t, out))
    return out


def is_arrow(t: Type) -> bool:
    return isinstance(t, TCon) and t.name == ARROW


def arguments(t: Type) -> list[Type]:
    """Argument types of a curried function type: ``a -> b -> c`` gives ``[a, b]``."""
    out: list[Type] = []
    while isinstance(t, TCon) and t.name == ARROW:
        out.append(t.args[0])
        t = t.args[1]
    return out


def return_type(t: Type) -> Type:
    """What a curried function type returns once applied to all its arguments."""
    while isinstance(t, TCon) and t.name == ARROW:
        t = t.args[1]
    return t


def free_vars(t: Type, out: list[int] | None = None) -> list[int]:
    """Type-variable ids of ``t`` in order of first appearance (no repeats)."""
    acc: list[int] = [] if out is None else out
    if isinstance(t, TVar):
        if t.id not in acc:
            acc.append(t.id)
    elif not t._ground:
        for a in t.args:
            free_vars(a, acc)
    return acc


def apply(t: Type, s: Mapping[int, Type]) -> Type:
    """Apply a substitution fully (follows chains of bound variables)."""
    if isinstance(t, TVar):
        bound = s.get(t.id)
        return t if bound is None else apply(bound, s)
    if t._ground or not s:
        return t
    return TCon(t.name, tuple(apply(a, s) for a in t.args))


def occurs(v: int, t: Type, s: Mapping[int, Type]) -> bool:
    t = apply(t, s)
    if isinstance(t, TVar):
        return t.id == v
    return not t._ground and any(occurs(v, a, s) for a in t.args)


def unify(a: Type, b: Type, s: Substitution) -> Substitution:
    """Most general unifier of ``a`` and ``b`` extending ``s`` (a new dict).

    Raises :class:`UnificationError` when none exists.
    """
    out = dict(s)
    _unify_into(a, b, out)
    return out


def _unify_into(a: Type, b: Type, s: Substitution) -> None:
    a = apply(a, s) if isinstance(a, TVar) else a
    b = apply(b, s) if isinstance(b, TVar) else b
    if a is b:
        return
    if isinstance(a, TVar):
        if isinstance(b, TVar) and b.id == a.id:
            return
        if occurs(a.id, b, s):
            raise UnificationError(
                f"cannot unify {show_type(a)} with {show_type(b)}: infinite type"
            )
        s[a.id] = b
        return
    if isinstance(b, TVar):
        _unify_into(b, a, s)
        return
    if a.name != b.name or len(a.args) != len(b.args):
        raise UnificationError(
            f"cannot unify {show_type(apply(a, s))} with {show_type(apply(b, s))}"
        )
    if a._ground and b._ground:
        if a != b:
            raise UnificationError(f"cannot unify {show_type(a)} with {show_type(b)}")
        return
    for x, y in zip(a.args, b.args, strict=True):
        _unify_into(x, y, s)


def rename(t: Type, mapping: dict[int, Type]) -> Type:
    """Replace variables by ``mapping`` (no chasing; unmapped variables stay)."""
    if isinstance(t, TVar):
        return mapping.get(t.id, t)
    if t._ground:
        return t
    return TCon(t.name, tuple(rename(a, mapping) for a in t.args))


def instantiate(t: Type, next_id: int) -> tuple[Type, int]:
    """Give every variable of ``t`` a fresh id starting at ``next_id``.

    Returns the fresh type and the next unused id. This is how a polymorphic
    (generalised) type is used at one place in a program.
    """
    if is_ground(t):
        return t, next_id
    ids = free_vars(t)
    mapping: dict[int, Type] = {v: TVar(next_id + i) for i, v in enumerate(ids)}
    return rename(t, mapping), next_id + len(ids)


def canonical(types: Iterable[Type]) -> tuple[Type, ...]:
    """Rename variables to ``t0, t1, …`` in order of first appearance across ``types``."""
    ts = tuple(types)
    ids: list[int] = []
    for t in ts:
        free_vars(t, ids)
    if not ids or ids == list(range(len(ids))):
        return ts
    mapping: dict[int, Type] = {v: TVar(i) for i, v in enumerate(ids)}
    return tuple(rename(t, mapping) for t in ts)


def generalize(t: Type) -> Type:
    """Close ``t`` over all its variables (numbered canonically).

    Types in hylo are prenex-polymorphic: a primitive's type is implicitly
    quantified over all its variables, so generalising is canonical renaming.
    """
    return canonical((t,))[0]


def max_var_id(t: Type) -> int:
    """Largest variable id in ``t`` (``-1`` when ground)."""
    return max(free_vars(t), default=-1)


# --- printing and parsing --------------------------------------------------------


def show_type(t: Type) -> str:
    """Readable form: ``list(int) -> int``; arrows associate to the right."""
    if isinstance(t, TVar):
        return f"t{t.id}"
    if t.name == ARROW:
        left, right = t.args
        ls = show_type(left)
        if is_arrow(left):
            ls = f"({ls})"
        return f"{ls} -> {show_type(right)}"
    if not t.args:
        return t.name
    return f"{t.name}({', '.join(show_type(a) for a in t.args)})"


# A name may contain "-" but never swallow the "-" of an arrow: ``int->int``.
_TOKEN = re.compile(r"\s*(->|[A-Za-z_](?:[A-Za-z0-9_]|-(?!>))*|[(),])")


def _tokenize_type(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ParseError(f"unexpected character {text[pos:].strip()[:1]!r} in type {text!r}")
        tokens.append(m.group(1))
        pos = m.end()
    return tokens


def parse_type(text: str) -> Type:
    """Parse ``list(int) -> int``. Lower-case single letters and ``t<N>`` are variables.

    Variables are numbered by first appearance, so ``a -> b`` and ``t5 -> t7`` parse
    to the same type.
    """
    tokens = _tokenize_type(text)
    if not tokens:
        raise ParseError("empty type")
    names: dict[str, int] = {}
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take(expected: str | None = None) -> str:
        nonlocal pos
        tok = peek()
        if tok is None:
            raise ParseError(
                f"type {text!r} ends early" + (f"; expected {expected!r}" if expected else "")
            )
        if expected is not None and tok != expected:
            raise ParseError(f"expected {expected!r} but found {tok!r} in type {text!r}")
        pos += 1
        return tok

    def parse_arrow() -> Type:
        left = parse_atom()
        if peek() == ARROW:
            take()
            return TCon(ARROW, (left, parse_arrow()))
        return left

    def parse_atom() -> Type:
        tok = take()
        if tok == "(":
            inner = parse_arrow()
            take(")")
            return inner
        if tok in {")", ",", ARROW}:
            raise ParseError(f"unexpected {tok!r} in type {text!r}")
        if re.fullmatch(r"[a-z]|t\d+", tok):
            if tok not in names:
                names[tok] = len(names)
            return TVar(names[tok])
        if peek() == "(":
            take()
            args = [parse_arrow()]
            while peek() == ",":
                take()
                args.append(parse_arrow())
            take(")")
            return TCon(tok, tuple(args))
        return TCon(tok)

    out = parse_arrow()
    if pos != len(tokens):
        raise ParseError(f"unexpected {tokens[pos]!r} after the end of type {text!r}")
    return out


# --- common base types -------------------------------------------------------------

INT = TCon("int")
BOOL = TCon("bool")
FLOAT = TCon("float")


def list_of(t: Type) -> Type:
    return TCon("list", (t,))
