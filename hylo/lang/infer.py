"""Type inference (Hindley–Milner, algorithm W) for programs.

>>> from hylo.lang.types import parse_type, show_type
>>> one = Primitive("1", parse_type("int"), lambda: 1)
>>> plus = Primitive("+", parse_type("int -> int -> int"), lambda a, b: a + b)
>>> show_type(infer(parse("(lam (+ $0 1))", {"+": plus, "1": one})))
'int -> int'
"""

from __future__ import annotations

from collections.abc import Sequence

from hylo.lang.errors import TypeInferenceError, UnificationError
from hylo.lang.program import (
    Abstraction,
    Application,
    Hole,
    Index,
    Invented,
    Param,
    Primitive,
    Program,
    parse,
    show,
)
from hylo.lang.types import (
    Substitution,
    TVar,
    Type,
    apply,
    arrow,
    canonical,
    instantiate,
    max_var_id,
    show_type,
    unify,
)

__all__ = ["check", "infer", "invent", "parse"]


class _Inference:
    def __init__(self, next_id: int) -> None:
        self.s: Substitution = {}
        self.next_id = next_id

    def fresh(self) -> TVar:
        v = TVar(self.next_id)
        self.next_id += 1
        return v

    def instantiate(self, t: Type) -> Type:
        out, self.next_id = instantiate(t, self.next_id)
        return out

    def unify(self, a: Type, b: Type, where: Program) -> None:
        try:
            self.s = unify(a, b, self.s)
        except UnificationError as e:
            raise TypeInferenceError(
                f"type error in {show(where)}: {show_type(apply(a, self.s))} "
                f"does not match {show_type(apply(b, self.s))}"
            ) from e

    def infer(self, p: Program, env: tuple[Type, ...]) -> Type:
        if isinstance(p, Primitive | Invented):
            return self.instantiate(p.tp)
        if isinstance(p, Index):
            if p.i >= len(env):
                raise TypeInferenceError(
                    f"variable ${p.i} is unbound: only {len(env)} enclosing lambda(s)"
                )
            return env[p.i]
        if isinstance(p, Abstraction):
            a = self.fresh()
            return arrow(a, self.infer(p.body, (a, *env)))
        if isinstance(p, Application):
            tf = self.infer(p.f, env)
            tx = self.infer(p.x, env)
            r = self.fresh()
            self.unify(tf, arrow(tx, r), p)
            return r
        if isinstance(p, Hole):
            return self.fresh() if p.tp is None else self.instantiate(p.tp)
        if isinstance(p, Param):
            return p.tp
        raise TypeError(f"not a program: {p!r}")  # pragma: no cover


def infer(p: Program, env: Sequence[Type] = (), request: Type | None = None) -> Type:
    """The principal type of ``p`` in ``env`` (``env[0]`` is the type of ``$0``).

    With ``request``, also checks that ``p`` can have that type and returns the
    type it has there. Variables are numbered canonically in the result.

    Raises:
        TypeInferenceError: ``p`` does not type-check (or not at ``request``).
    """
    env_t = tuple(env)
    start = 1 + max([max_var_id(t) for t in (*env_t, *([request] if request else []))], default=-1)
    inf = _Inference(start)
    t = inf.infer(p, env_t)
    if request is not None:
        inf.unify(t, request, p)
    return canonical((apply(t, inf.s),))[0]


def check(p: Program, request: Type, env: Sequence[Type] = ()) -> bool:
    """True when ``p`` can have type ``request``."""
    try:
        infer(p, env, request)
    except TypeInferenceError:
        return False
    return True


def invent(name: str, body: Program) -> Invented:
    """A library abstraction named ``name`` whose type is inferred from ``body``."""
    return Invented(name, body, infer(body))
