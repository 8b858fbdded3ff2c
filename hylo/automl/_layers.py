"""The layer domain: architectures are hylo programs whose types carry shapes.

A shape is a type: ``vec(d64)`` is a feature vector of width 64, ``img(d1, d8, d8)``
a one-channel 8×8 image, ``seq(d20, d16)`` twenty 16-wide tokens, ``set(d16)`` an
unordered set of 16-wide elements. A layer is a primitive from shape to shape, so
Hindley–Milner inference checks that an architecture fits together, and the few
shapes arithmetic decides (``half(d8)`` after pooling, ``flat(c, h, w)`` after
flattening) are evaluated when the types are made concrete.

>>> arch = parse_architecture("(lam (dense_10 (relu (dense_64 $0))))")
>>> show_type(output_type(arch, vec_type(64)))
'vec(d10)'
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from hylo.lang.errors import HyloError
from hylo.lang.program import (
    Abstraction,
    Application,
    Index,
    Primitive,
    Program,
    parse,
    show,
    spine,
)
from hylo.lang.types import TCon, TVar, Type, parse_type, show_type, unify
from hylo.lang.types import apply as apply_subst


class ArchitectureError(HyloError, ValueError):
    """An architecture that cannot be built: ill-typed, a shape that does not fit, bad text."""


def _no_impl(*_: object) -> object:
    # Layer primitives are compiled to torch modules, never evaluated as Python values.
    raise ArchitectureError("layer primitives are compiled with build_network, not evaluated")


# --- shapes as types ---------------------------------------------------------------------


def dim(n: int) -> TCon:
    """The type of a size: ``dim(64)`` is ``d64``."""
    if n < 1:
        raise ArchitectureError(f"a size must be >= 1, got {n}")
    return TCon(f"d{n}")


def vec_type(width: int) -> TCon:
    """``vec(d<width>)``: a feature vector."""
    return TCon("vec", (dim(width),))


def img_type(channels: int, height: int, width: int) -> TCon:
    """``img(d<c>, d<h>, d<w>)``: an image, channels first."""
    return TCon("img", (dim(channels), dim(height), dim(width)))


def seq_type(length: int, features: int) -> TCon:
    """``seq(d<length>, d<features>)``: a sequence of feature vectors."""
    return TCon("seq", (dim(length), dim(features)))


def set_type(features: int) -> TCon:
    """``set(d<features>)``: an unordered set of feature vectors (any size)."""
    return TCon("set", (dim(features),))


def size_of(t: Type) -> int:
    """The number a size type stands for: ``d8`` → 8, ``half(d8)`` → 4, ``flat(...)`` → product.

    Raises:
        ArchitectureError: the size is not known (a type variable) or is below 1.
    """
    if isinstance(t, TVar):
        raise ArchitectureError(f"size {show_type(t)} is not known; give the input's shape")
    if t.name == "half":
        n = size_of(t.args[0]) // 2
    elif t.name == "flat":
        n = 1
        for a in t.args:
            n *= size_of(a)
    elif re.fullmatch(r"d\d+", t.name) and not t.args:
        n = int(t.name[1:])
    else:
        raise ArchitectureError(f"{show_type(t)} is not a size")
    if n < 1:
        raise ArchitectureError(
            f"size {show_type(t)} is {n}: the input is too small for this many poolings"
        )
    return n


def concrete(t: Type) -> TCon:
    """``t`` with every size evaluated: ``img(d4, half(d8), half(d8))`` → ``img(d4, d4, d4)``."""
    if not isinstance(t, TCon) or t.name not in _SHAPES:
        raise ArchitectureError(f"{show_type(t)} is not a tensor shape (vec, img, seq, set)")
    return TCon(t.name, tuple(dim(size_of(a)) for a in t.args))


def dims(t: Type) -> tuple[int, ...]:
    """The sizes of a concrete shape: ``img(d1, d8, d8)`` → ``(1, 8, 8)``."""
    return tuple(size_of(a) for a in concrete(t).args)


_SHAPES = {"vec": 1, "img": 3, "seq": 2, "set": 1}


# --- layer primitives --------------------------------------------------------------------

# Fixed layers: name -> (type, doc).
_FIXED: dict[str, tuple[str, str]] = {
    "relu": ("t0 -> t0", "rectified linear unit, elementwise"),
    "gelu": ("t0 -> t0", "Gaussian error linear unit, elementwise"),
    "tanh": ("t0 -> t0", "hyperbolic tangent, elementwise"),
    "batchnorm": ("t0 -> t0", "batch normalisation over features (vec) or channels (img)"),
    "layernorm": ("t0 -> t0", "layer normalisation over the last axis"),
    "maxpool": ("img(t0, t1, t2) -> img(t0, half(t1), half(t2))", "2×2 max pooling"),
    "avgpool": ("img(t0, t1, t2) -> img(t0, half(t1), half(t2))", "2×2 average pooling"),
    "flatten": ("img(t0, t1, t2) -> vec(flat(t0, t1, t2))", "image to vector, channel-major"),
    "globalavg": ("img(t0, t1, t2) -> vec(t0)", "average over the spatial positions"),
    "seqmean": ("seq(t0, t1) -> vec(t1)", "mean over a sequence's positions"),
    "setmean": ("set(t0) -> vec(t0)", "mean over a set's elements (a DeepSets pooling)"),
    "setsum": ("set(t0) -> vec(t0)", "sum over a set's elements (a DeepSets pooling)"),
    "residual": ("(t0 -> t0) -> t0 -> t0", "x + block(x); the block must keep the shape"),
    "tokenwise": (
        "(vec(t1) -> vec(t2)) -> seq(t0, t1) -> seq(t0, t2)",
        "apply a block to every position of a sequence",
    ),
    "setmap": ("(vec(t0) -> vec(t1)) -> set(t0) -> set(t1)", "apply a block to every element"),
}

# Parameterised layers: a pattern on the name, its type template and doc.
_PATTERNS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"dense_([1-9]\d{0,4})"), "vec(t0) -> vec(d{0})", "fully connected, {0} units"),
    (
        re.compile(r"conv_([1357])_([1-9]\d{0,3})"),
        "img(t0, t1, t2) -> img(d{1}, t1, t2)",
        "{0}×{0} convolution, {1} filters, same padding",
    ),
    (re.compile(r"dropout_([1-9]\d?)"), "t0 -> t0", "dropout with probability 0.{0:0>2}"),
    (re.compile(r"gru_([1-9]\d{0,3})"), "seq(t0, t1) -> vec(d{0})", "GRU, last state, {0} units"),
]

HIGHER_ORDER = frozenset({"residual", "tokenwise", "setmap"})
"""Layers that take a block (a function) before the data."""

ELEMENTWISE = frozenset({"relu", "gelu", "tanh"})


def layer_primitive(name: str) -> Primitive:
    """The primitive for a layer name: ``relu``, ``dense_64``, ``conv_3_16``, ``dropout_20``.

    Raises:
        ArchitectureError: no layer has that name.
    """
    hit = _LAYERS.get(name)
    if hit is None:
        raise ArchitectureError(f"unknown layer {name!r}; layers are: {', '.join(LAYER_FORMS)}")
    return hit


class _LayerNamespace(Mapping[str, Primitive]):
    """Every layer name, parameterised ones made on first use (``dense_96`` after widening)."""

    def __init__(self) -> None:
        self._made = {n: Primitive(n, parse_type(t), _no_impl, d) for n, (t, d) in _FIXED.items()}

    def __getitem__(self, name: str) -> Primitive:
        if name in self._made:
            return self._made[name]
        for pattern, template, doc in _PATTERNS:
            m = pattern.fullmatch(name)
            if m is not None:
                groups = m.groups()
                prim = Primitive(
                    name, parse_type(template.format(*groups)), _no_impl, doc.format(*groups)
                )
                self._made[name] = prim
                return prim
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._made)

    def __len__(self) -> int:
        return len(self._made)


_LAYERS = _LayerNamespace()
LAYERS: Mapping[str, Primitive] = _LAYERS
"""The layer namespace to parse architectures with (parameterised names made on demand)."""

LAYER_FORMS = (*_FIXED, "dense_N", "conv_K_N", "dropout_P", "gru_N")


# --- architectures: programs and their pipeline form ------------------------------------


@dataclass(frozen=True, slots=True)
class Block:
    """A higher-order layer (``residual``, ``tokenwise``, ``setmap``) and its inner pipeline."""

    name: str
    body: Pipeline


Node = str | Block
Pipeline = tuple[Node, ...]
"""An architecture as a list of layers applied in order (what mutations edit)."""


def parse_architecture(text: str) -> Program:
    """Parse architecture text such as ``(lam (dense_10 (relu (dense_64 $0))))``.

    Raises:
        ArchitectureError: the text does not parse, or is not a layer pipeline.
    """
    try:
        program = parse(text, LAYERS)
    except HyloError as e:
        raise ArchitectureError(f"cannot parse architecture: {e}") from e
    to_pipeline(program)
    return program


def to_pipeline(program: Program) -> Pipeline:
    """The layers of an architecture program, first applied first.

    Raises:
        ArchitectureError: the program is not ``(lam LAYERS-APPLIED-TO-$0)``.
    """
    if not isinstance(program, Abstraction):
        raise ArchitectureError(f"an architecture is a (lam ...) over its input, got {program}")
    return _pipeline_of(program.body)


def _pipeline_of(body: Program) -> Pipeline:
    out: list[Node] = []
    while True:
        head, args = spine(body)
        if isinstance(head, Index) and not args:
            if head.i != 0:
                raise ArchitectureError(f"layers may use only their own input $0, got ${head.i}")
            break
        if not isinstance(head, Primitive) or head.name not in _LAYERS:
            raise ArchitectureError(f"{show(body)} is not a layer applied to an input")
        want = 2 if head.name in HIGHER_ORDER else 1
        if len(args) != want:
            raise ArchitectureError(f"layer {head.name} takes {want} argument(s) in {show(body)}")
        if want == 2:
            out.append(Block(head.name, _function_pipeline(args[0])))
        else:
            out.append(head.name)
        body = args[-1]
    return tuple(reversed(out))


def _function_pipeline(f: Program) -> Pipeline:
    # A block is (lam ...) or an eta-reduced layer such as `relu` or `(residual relu)`.
    if isinstance(f, Abstraction):
        return _pipeline_of(f.body)
    return _pipeline_of(Application(f, Index(0)))


def to_program(pipeline: Pipeline) -> Program:
    """The architecture program of a pipeline, first layer innermost.

    ``("dense_64", "relu")`` gives ``(lam (relu (dense_64 $0)))``.
    """
    return Abstraction(_body(pipeline))


def _body(pipeline: Pipeline) -> Program:
    out: Program = Index(0)
    for node in pipeline:
        if isinstance(node, Block):
            block = Abstraction(_body(node.body))
            out = Application(Application(layer_primitive(node.name), block), out)
        else:
            out = Application(layer_primitive(node), out)
    return out


def output_type(program: Program, input_type: Type) -> TCon:
    """The concrete shape an architecture gives for ``input_type``.

    Each layer's type is unified with the concrete shape before it and its sizes are
    evaluated right away, so ``flat(d4, half(d8), half(d8))`` and ``d64`` are one size.

    Raises:
        ArchitectureError: a layer does not fit the shape it gets, or a size drops below 1.
    """
    try:
        return pipeline_output(to_pipeline(program), concrete(input_type))
    except ArchitectureError as e:
        raise ArchitectureError(
            f"architecture {show(program)} does not fit input {show_type(input_type)}: {e}"
        ) from e


def pipeline_output(pipeline: Pipeline, shape: TCon) -> TCon:
    """The concrete shape after applying ``pipeline`` to ``shape`` (see :func:`output_type`)."""
    for node in pipeline:
        if isinstance(node, Block):
            inner = block_input(node.name, shape)
            shape = block_output(node.name, shape, inner, pipeline_output(node.body, inner))
        else:
            shape = layer_output(node, shape)
    return shape


def block_input(name: str, shape: TCon) -> TCon:
    """The shape a block's body sees: the input itself (residual) or one element."""
    if name == "residual":
        return shape
    if (name, shape.name) not in (("tokenwise", "seq"), ("setmap", "set")):
        raise ArchitectureError(f"{name} does not apply to {show_type(shape)}")
    return TCon("vec", (shape.args[-1],))


def block_output(name: str, shape: TCon, inner: TCon, inner_out: TCon) -> TCon:
    """The shape after a block whose body maps ``inner`` to ``inner_out``."""
    if name == "residual":
        if inner_out != inner:
            raise ArchitectureError(
                f"a residual block must keep its shape {show_type(inner)}, "
                f"but gives {show_type(inner_out)}"
            )
        return shape
    if inner_out.name != "vec":
        raise ArchitectureError(f"the block of {name} must give a vec, got {show_type(inner_out)}")
    return concrete(TCon(shape.name, (*shape.args[:-1], inner_out.args[0])))


def check_architecture(program: Program, input_type: Type, output: Type) -> None:
    """Raise :class:`ArchitectureError` unless ``program`` maps ``input_type`` to ``output``.

    Example:
        >>> arch = parse_architecture("(lam (dense_3 (flatten $0)))")
        >>> check_architecture(arch, img_type(1, 8, 8), vec_type(3))
        >>> try:
        ...     check_architecture(arch, vec_type(4), vec_type(3))
        ... except ArchitectureError as e:
        ...     print("not built:", str(e).split(": ")[-1])
        not built: layer flatten (img(t0, t1, t2) -> vec(flat(t0, t1, t2))) does not fit vec(d4)
    """
    got = output_type(program, input_type)
    if got != concrete(output):
        raise ArchitectureError(
            f"architecture {show(program)} gives {show_type(got)} on {show_type(input_type)}, "
            f"but the task needs {show_type(output)}"
        )


def layer_output(name: str, input_type: TCon) -> TCon:
    """The concrete shape one (first-order) layer gives on a concrete input shape."""
    prim = layer_primitive(name)
    tp, _ = _fresh(prim.tp)
    try:
        s = unify(tp.args[0], input_type, {})
    except HyloError as e:
        raise ArchitectureError(
            f"layer {name} ({show_type(prim.tp)}) does not fit {show_type(input_type)}"
        ) from e
    if (name.startswith("dense_") or name in ("layernorm",)) and input_type.name == "img":
        raise ArchitectureError(f"layer {name} needs a vec, got {show_type(input_type)}")
    return concrete(apply_subst(tp.args[1], s))


def _fresh(t: Type) -> tuple[TCon, int]:
    from hylo.lang.types import instantiate

    out, n = instantiate(t, 20_000)
    assert isinstance(out, TCon)
    return out, n
