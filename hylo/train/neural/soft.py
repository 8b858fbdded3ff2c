"""Differentiable execution of programs with neural modules, over a batch of examples.

A value is a tensor whose first dimension is the batch of *rows* (examples, or
list elements inside a ``map``):

* ``int`` — a distribution ``[rows, K]`` over ``0..K-1`` (a module's softmax,
  or a one-hot constant); ``bool`` — a probability ``[rows]``;
* ``image`` ``[rows, *shape]``; ``vector`` ``[rows, width]``;
* ``list(t)`` — :class:`SoftList`: the elements of all rows flattened, a segment
  id per element (which row it belongs to) and, after ``filter``, the
  probability that each element is present.

The algorithmic primitives act on these *exactly* under the assumption that the
modules' outputs are independent: ``sum`` and ``count`` return the exact
distribution of the total by convolution along each segment (a Poisson-binomial
for ``count``), ``maximum`` multiplies CDFs, ``eq?``/``gt?`` return the
probability of the event, ``if`` mixes its branches. So a task supervised only at
the end (the sum of a list of digit images) trains its classifier by the
likelihood of the observed sum. With ``hard=True`` every module output is
replaced by its argmax (one-hot), and the same code computes ordinary discrete
execution.

Supported subset: ``lam``, variables, application (also of lambdas and partial
applications), inventions, the :data:`~hylo.domains.digits.DIGITS` primitives
(``map filter count length sum maximum + eq? gt? not if 0…9``), neural
modules and ``int`` parameters ``#c<i>:int`` (constants whose values come from
``params``: discrete, so a gradient-free fitter chooses them, see
:mod:`hylo.train.hybrid`); integers are non-negative; lists are not nested.
Anything else raises :class:`UnsupportedProgram`.

>>> import torch
>>> from hylo.domains.digits import DIGITS
>>> from hylo.lang import parse
>>> from hylo.train.neural.modules import NeuralNamespace
>>> p = parse("(lam (lam (+ $0 $1)))", NeuralNamespace(DIGITS.namespace))
>>> two, three = torch.eye(10)[[2]], torch.eye(10)[[3]]
>>> int(soft_run(p, (two, three), {}).argmax())
5
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from hylo.lang.errors import HyloError
from hylo.lang.program import (
    Abstraction,
    Application,
    Index,
    Invented,
    Param,
    Primitive,
    Program,
    show,
    spine,
)
from hylo.lang.types import INT
from hylo.train.neural.modules import ModuleRef, NeuralModule

__all__ = ["SoftList", "UnsupportedProgram", "soft_run"]

_EPS = 1e-12


class UnsupportedProgram(HyloError):
    """The program uses something the differentiable interpreter cannot run."""


@dataclass(frozen=True, eq=False)
class SoftList:
    """A batch of lists: flat ``items``, their row ``seg`` ids (non-decreasing), ``keep``."""

    items: Any
    seg: torch.Tensor
    rows: int
    keep: torch.Tensor | None = None

    def weights(self) -> torch.Tensor:
        if self.keep is not None:
            return self.keep
        return torch.ones(self.seg.shape[0], dtype=torch.float32)


@dataclass(frozen=True, eq=False)
class _Context:
    modules: Mapping[str, NeuralModule]
    hard: bool
    rows: int
    params: tuple[float, ...] = ()


@dataclass(frozen=True, eq=False)
class _Closure:
    body: Program
    env: tuple[Any, ...]


@dataclass(frozen=True, eq=False)
class _Partial:
    prim: Primitive
    args: tuple[Any, ...]


def soft_run(
    program: Program,
    inputs: Sequence[Any],
    modules: Mapping[str, NeuralModule],
    hard: bool = False,
    params: Sequence[float] = (),
) -> Any:
    """Run ``program`` (a ``lam`` per input) on a batch; see the module docstring.

    ``params`` gives parameter ``#c<i>`` the value ``params[i]``.
    """
    rows = _rows(inputs[0]) if inputs else 1
    p = program
    for _ in inputs:
        if not isinstance(p, Abstraction):
            raise UnsupportedProgram(f"expected one lam per input ({len(inputs)}) in {program}")
        p = p.body
    ctx = _Context(modules, hard, rows, tuple(params))
    return _ev(p, tuple(reversed(inputs)), ctx)


def _rows(value: Any) -> int:
    if isinstance(value, SoftList):
        return value.rows
    return int(value.shape[0])


def _ev(p: Program, env: tuple[Any, ...], ctx: _Context) -> Any:
    if isinstance(p, Index):
        if p.i >= len(env):
            raise UnsupportedProgram(f"unbound variable ${p.i}")
        if isinstance(env[p.i], _Nested):
            raise UnsupportedProgram("a list used inside a map over a list is not supported")
        return env[p.i]
    if isinstance(p, Abstraction):
        return _Closure(p.body, env)
    if isinstance(p, Invented):
        return _ev(p.body, (), ctx)
    if isinstance(p, Primitive):
        return _call(_Partial(p, ()), [], ctx)
    if isinstance(p, Param):
        return _param(p, ctx)
    if isinstance(p, Application):
        head, args = spine(p)
        values = [_ev(a, env, ctx) for a in args]
        f = _Partial(head, ()) if isinstance(head, Primitive) else _ev(head, env, ctx)
        return _call(f, values, ctx)
    raise UnsupportedProgram(f"cannot run {type(p).__name__} nodes differentiably ({p})")


def _call(f: Any, args: list[Any], ctx: _Context) -> Any:
    while True:
        if isinstance(f, _Closure):
            if not args:
                return f
            f, args = _ev(f.body, (args[0], *f.env), ctx), args[1:]
            continue
        if isinstance(f, _Partial):
            given = (*f.args, *args)
            if len(given) < f.prim.arity:
                return _Partial(f.prim, given)
            f, args = (
                _apply_primitive(f.prim, given[: f.prim.arity], ctx),
                list(given[f.prim.arity :]),
            )
            if not args:
                return f
            continue
        if args:
            raise UnsupportedProgram(f"cannot apply a value of kind {type(f).__name__}")
        return f


def _apply_primitive(prim: Primitive, args: tuple[Any, ...], ctx: _Context) -> Any:
    if prim.name.startswith("nn:"):
        return _module(prim.name, args[0], ctx)
    impl = _SOFT.get(prim.name)
    if impl is not None:
        return impl(args, ctx)
    if prim.arity == 0 and prim.name.isdigit():
        return _constant(int(prim.name), ctx.rows)
    raise UnsupportedProgram(f"primitive {prim.name!r} has no differentiable version")


def _module(name: str, x: Any, ctx: _Context) -> torch.Tensor:
    module = ctx.modules.get(name)
    if module is None:
        raise HyloError(f"no weights for neural module {name} (known: {sorted(ctx.modules)})")
    if isinstance(x, SoftList):
        raise UnsupportedProgram(f"{name} takes one {ModuleRef.parse(name).template} input")
    out: torch.Tensor = module(x)
    if not ctx.hard:
        return out
    if module.template.output == "categorical":
        return torch.nn.functional.one_hot(out.argmax(-1), out.shape[-1]).to(out.dtype)
    if module.template.output == "bernoulli":
        return (out > 0.5).to(out.dtype)
    return out


def _param(p: Param, ctx: _Context) -> torch.Tensor:
    if p.tp != INT:
        raise UnsupportedProgram(f"{show(p)}: only int parameters run differentiably")
    if p.index >= len(ctx.params):
        raise HyloError(
            f"no value for {show(p)}: pass params with one value per parameter, #c0 first"
        )
    k = round(ctx.params[p.index])
    if k < 0:
        raise UnsupportedProgram(f"{show(p)} = {k}: integers are non-negative here")
    return _constant(k, ctx.rows)


def _constant(k: int, rows: int) -> torch.Tensor:
    out = torch.zeros(rows, k + 1)
    out[:, k] = 1.0
    return out


# --- lists ----------------------------------------------------------------------------


def _lift(value: Any, seg: torch.Tensor) -> Any:
    """A row-level value seen from the elements of a list (one copy per element)."""
    if isinstance(value, torch.Tensor):
        return value.index_select(0, seg)
    if isinstance(value, _Closure):
        return _Closure(value.body, tuple(_lift(v, seg) for v in value.env))
    if isinstance(value, _Partial):
        return _Partial(value.prim, tuple(_lift(v, seg) for v in value.args))
    if isinstance(value, SoftList | _Nested):
        return _NESTED  # an error only if the element-level code reads it
    raise UnsupportedProgram(f"cannot use a {type(value).__name__} inside map")


class _Nested:
    """A list seen from inside a map over another list: not supported."""


_NESTED = _Nested()


def _elementwise(f: Any, xs: Any, ctx: _Context) -> Any:
    if not isinstance(xs, SoftList):
        raise UnsupportedProgram("expected a list")
    inner = _Context(ctx.modules, ctx.hard, int(xs.seg.shape[0]), ctx.params)
    return _call(_lift(f, xs.seg), [xs.items], inner)


def _map(args: tuple[Any, ...], ctx: _Context) -> SoftList:
    f, xs = args
    return SoftList(_elementwise(f, xs, ctx), xs.seg, xs.rows, xs.keep)


def _filter(args: tuple[Any, ...], ctx: _Context) -> SoftList:
    f, xs = args
    q = _bool(_elementwise(f, xs, ctx))
    keep = q if xs.keep is None else xs.keep * q
    return SoftList(xs.items, xs.seg, xs.rows, keep)


def _bernoulli_dist(q: torch.Tensor) -> torch.Tensor:
    return torch.stack([1.0 - q, q], dim=-1)


def _count(args: tuple[Any, ...], ctx: _Context) -> torch.Tensor:
    f, xs = args
    q = _bool(_elementwise(f, xs, ctx)) * xs.weights()
    return _segment_sum(_bernoulli_dist(q), xs.seg, xs.rows)


def _length(args: tuple[Any, ...], ctx: _Context) -> torch.Tensor:
    (xs,) = args
    if not isinstance(xs, SoftList):
        raise UnsupportedProgram("length expects a list")
    return _segment_sum(_bernoulli_dist(xs.weights()), xs.seg, xs.rows)


def _present(xs: Any) -> torch.Tensor:
    """Element distributions, with absent (filtered-out) elements counted as 0."""
    if not isinstance(xs, SoftList):
        raise UnsupportedProgram("expected a list of integers")
    dist = _int(xs.items)
    if xs.keep is None:
        return dist
    zero = torch.zeros_like(dist)
    zero[:, 0] = 1.0
    k = xs.keep[:, None]
    return k * dist + (1.0 - k) * zero


def _sum(args: tuple[Any, ...], ctx: _Context) -> torch.Tensor:
    (xs,) = args
    return _segment_sum(_present(xs), xs.seg, xs.rows)


def _maximum(args: tuple[Any, ...], ctx: _Context) -> torch.Tensor:
    (xs,) = args
    cdf = torch.cumsum(_present(xs), dim=-1).clamp(_EPS, 1.0)
    log_cdf = torch.zeros(xs.rows, cdf.shape[1]).index_add(0, xs.seg, torch.log(cdf))
    cdf_max = torch.exp(log_cdf)
    return torch.diff(cdf_max, dim=-1, prepend=torch.zeros(xs.rows, 1)).clamp_min(0.0)


def convolve(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Row-wise distribution of ``x + y`` for independent ``x ~ a``, ``y ~ b``."""
    ka, kb = a.shape[1], b.shape[1]
    outer = (a[:, :, None] * b[:, None, :]).reshape(a.shape[0], ka * kb)
    idx = (torch.arange(ka)[:, None] + torch.arange(kb)[None, :]).reshape(-1)
    return torch.zeros(a.shape[0], ka + kb - 1, dtype=a.dtype).index_add(1, idx, outer)


def _segment_sum(dist: torch.Tensor, seg: torch.Tensor, rows: int) -> torch.Tensor:
    """Distribution of each row's total of independent element distributions."""
    n, k = dist.shape
    counts = torch.bincount(seg, minlength=rows)
    out = torch.zeros(rows, 1, dtype=dist.dtype)
    out[:, 0] = 1.0
    if n == 0:
        return out
    starts = torch.cumsum(counts, 0) - counts
    pos = torch.arange(n) - starts.index_select(0, seg)
    width = int(counts.max())
    padded = torch.zeros(rows, width, k, dtype=dist.dtype)
    padded[:, :, 0] = 1.0  # rows shorter than ``width`` add zeros
    padded = padded.index_put((seg, pos), dist)
    for j in range(width):
        out = convolve(out, padded[:, j])
    return out


# --- scalars --------------------------------------------------------------------------


def _int(v: Any) -> torch.Tensor:
    if not isinstance(v, torch.Tensor) or v.dim() != 2:
        raise UnsupportedProgram("expected an integer distribution")
    return v


def _bool(v: Any) -> torch.Tensor:
    if not isinstance(v, torch.Tensor) or v.dim() != 1:
        raise UnsupportedProgram("expected a boolean probability")
    return v


def _pad(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    k = max(a.shape[1], b.shape[1])
    pad = torch.nn.functional.pad
    return pad(a, (0, k - a.shape[1])), pad(b, (0, k - b.shape[1]))


def _plus(args: tuple[Any, ...], ctx: _Context) -> torch.Tensor:
    return convolve(_int(args[0]), _int(args[1]))


def _eq(args: tuple[Any, ...], ctx: _Context) -> torch.Tensor:
    a, b = _pad(_int(args[0]), _int(args[1]))
    return (a * b).sum(-1)


def _gt(args: tuple[Any, ...], ctx: _Context) -> torch.Tensor:
    a, b = _pad(_int(args[0]), _int(args[1]))
    below = torch.cumsum(b, -1) - b  # P(y < i)
    return (a * below).sum(-1)


def _not(args: tuple[Any, ...], ctx: _Context) -> torch.Tensor:
    return 1.0 - _bool(args[0])


def _if(args: tuple[Any, ...], ctx: _Context) -> torch.Tensor:
    c, a, b = _bool(args[0]), args[1], args[2]
    if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)):
        raise UnsupportedProgram("if over lists or functions is not differentiable here")
    if a.dim() > 2 or b.dim() > 2 or a.dim() != b.dim():
        raise UnsupportedProgram("if chooses between integers, booleans or vectors here")
    if a.dim() == 2 and b.dim() == 2:
        a, b = _pad(a, b)
    w = c.reshape(-1, *([1] * (a.dim() - 1)))
    return w * a + (1.0 - w) * b


_SOFT: dict[str, Callable[[tuple[Any, ...], _Context], Any]] = {
    "map": _map,
    "filter": _filter,
    "count": _count,
    "length": _length,
    "sum": _sum,
    "maximum": _maximum,
    "+": _plus,
    "eq?": _eq,
    "gt?": _gt,
    "not": _not,
    "if": _if,
}
