"""Neural module templates, module references (``nn:digit#0``) and their namespace.

A *template* is a typed neural function: ``digit`` is ``image -> int`` (a 10-way
classifier), ``pred`` is ``image -> bool``, ``embed`` is ``image -> vector``, …
A program refers to a module by a primitive name:

* ``nn:digit#0`` — fresh module 0 of template ``digit``, trained for this task;
* ``nn:digit#1~3`` — fresh module 1 that starts from library artifact 3's weights
  (fine-tuned);
* ``nn:digit#1^3`` — fresh module 1 built on library artifact 3's *trunk* (its image
  reader and hidden layers, fine-tuned) with a new output layer; artifact 3 may be of
  another template that reads the same input (a ``pred`` on a ``digit``'s features);
* ``nn:digit@3`` — library artifact 3, frozen.

:class:`NeuralNamespace` resolves such names on demand, so programs with modules
print, parse and type-check like any other:

>>> from hylo.domains.digits import DIGITS
>>> from hylo.lang import parse, show, infer, show_type
>>> ns = NeuralNamespace(DIGITS.namespace)
>>> p = parse("(lam (sum (map nn:digit#0 $0)))", ns)
>>> show(p), show_type(infer(p))
('(lam (sum (map nn:digit#0 $0)))', 'list(image) -> int')
>>> parse(show(p), ns) == p
True
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from hylo.lang.errors import HyloError
from hylo.lang.program import Invented, Primitive
from hylo.lang.types import parse_type, show_type

__all__ = [
    "TEMPLATES",
    "VECTOR_DIM",
    "ModuleRef",
    "ModuleSpec",
    "NeuralModule",
    "NeuralNamespace",
    "Template",
    "module_primitive",
]

VECTOR_DIM = 16
CNN_MIN_SIDE = 16
"""Images at least this many pixels high and wide are read by a small CNN (MNIST's
28×28); smaller ones by an MLP over the pixels (sklearn's 8×8 digits, where a
convolution has too little to slide over)."""
"""Width of the ``vector`` type."""


@dataclass(frozen=True)
class Template:
    """A neural function's signature and output kind.

    ``output`` is ``"categorical"`` (an ``int`` in ``0..width-1`` as probabilities),
    ``"bernoulli"`` (a ``bool`` as one probability) or ``"vector"``.
    """

    name: str
    type_text: str
    output: str
    width: int
    doc: str

    @property
    def input_kind(self) -> str:
        return self.type_text.split(" ->")[0]


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template("digit", "image -> int", "categorical", 10, "10-way digit classifier"),
        Template("pred", "image -> bool", "bernoulli", 1, "binary image classifier"),
        Template("embed", "image -> vector", "vector", VECTOR_DIM, "image encoder"),
        Template("vmap", "vector -> vector", "vector", VECTOR_DIM, "vector transformer"),
        Template("vdigit", "vector -> int", "categorical", 10, "10-way vector classifier"),
        Template("vpred", "vector -> bool", "bernoulli", 1, "binary vector classifier"),
    )
}
"""The built-in templates, by name."""

_REF = re.compile(r"nn:([a-z]+)(?:#(\d+)(?:([~^])(\d+))?|@(\d+))")


@dataclass(frozen=True)
class ModuleRef:
    """A parsed module name: template plus ``fresh`` index or library ``artifact`` id.

    >>> ModuleRef.parse("nn:digit#1~3")
    ModuleRef(template='digit', fresh=1, artifact=3, trunk=False)
    >>> ModuleRef("pred", artifact=5).name
    'nn:pred@5'
    >>> ModuleRef("pred", fresh=0, artifact=5, trunk=True).name
    'nn:pred#0^5'
    """

    template: str
    fresh: int | None = None
    artifact: int | None = None
    trunk: bool = False
    """Only the artifact's trunk is reused; the output layer starts afresh."""

    def __post_init__(self) -> None:
        if self.template not in TEMPLATES:
            raise HyloError(
                f"unknown neural template {self.template!r}; known: {', '.join(TEMPLATES)}"
            )
        if self.fresh is None and self.artifact is None:
            raise HyloError("a module reference needs a fresh index or a library artifact id")
        if self.trunk and (self.fresh is None or self.artifact is None):
            raise HyloError("only a fresh module can start from a library module's trunk")

    @property
    def trainable(self) -> bool:
        """Fresh modules (also those initialised from the library) are trained."""
        return self.fresh is not None

    @property
    def name(self) -> str:
        if self.fresh is None:
            return f"nn:{self.template}@{self.artifact}"
        init = "" if self.artifact is None else f"{'^' if self.trunk else '~'}{self.artifact}"
        return f"nn:{self.template}#{self.fresh}{init}"

    @classmethod
    def parse(cls, name: str) -> ModuleRef:
        m = _REF.fullmatch(name)
        if m is None:
            raise HyloError(
                f"{name!r} is not a module name (expected nn:<template>#<k>, "
                "nn:<template>#<k>~<artifact>, nn:<template>#<k>^<artifact> or "
                "nn:<template>@<artifact>)"
            )
        fresh, how, init, lib = m.group(2), m.group(3), m.group(4), m.group(5)
        if fresh is not None:
            return cls(m.group(1), int(fresh), None if init is None else int(init), how == "^")
        return cls(m.group(1), None, int(lib))

    @property
    def head_is_fresh(self) -> bool:
        """The output layer starts from random weights, so its classes mean nothing yet."""
        return self.fresh is not None and (self.artifact is None or self.trunk)

    @staticmethod
    def is_module_name(name: str) -> bool:
        return _REF.fullmatch(name) is not None


def _unbound(name: str) -> Any:
    def call(*_: Any) -> Any:
        raise HyloError(
            f"neural module {name} has no weights here: bind it first with "
            "hylo.train.neural.bind(program, modules)"
        )

    return call


def module_primitive(ref: ModuleRef | str) -> Primitive:
    """The primitive for a module reference (unbound: it runs after :func:`bind`)."""
    r = ModuleRef.parse(ref) if isinstance(ref, str) else ref
    t = TEMPLATES[r.template]
    return Primitive(r.name, parse_type(t.type_text), _unbound(r.name), t.doc)


class NeuralNamespace(Mapping[str, Primitive | Invented]):
    """A namespace that also resolves every well-formed module name (``nn:…``)."""

    def __init__(self, base: Mapping[str, Primitive | Invented]) -> None:
        self._base = dict(base)

    def __getitem__(self, name: str) -> Primitive | Invented:
        found = self._base.get(name)
        if found is not None:
            return found
        if ModuleRef.is_module_name(name):
            try:
                return module_primitive(name)
            except HyloError:
                raise KeyError(name) from None
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._base)

    def __len__(self) -> int:
        return len(self._base)


# --- torch modules --------------------------------------------------------------------


def cnn_shape(shape: Sequence[int]) -> tuple[int, ...]:
    """``(height, width)`` when inputs of ``shape`` are read by a CNN, else ``()``."""
    large = len(shape) == 2 and min(shape) >= CNN_MIN_SIDE
    return tuple(int(d) for d in shape) if large else ()


MAX_SHIFT = 2
"""Pixels a CNN-read image may be shifted by in training (±2 of 28 on MNIST)."""


class ShiftingReader(nn.Sequential):
    """Layers that read an image, which shift it at random while training.

    Random translations are the standard augmentation for small digit sets: a
    classifier trained on 3,000 MNIST images (or on the sums of lists of them)
    otherwise learns where strokes are, not what they are, and overfits. The shift
    has no weights, so stored modules load unchanged; evaluation never shifts.
    """

    def __init__(self, image: tuple[int, int], *layers: nn.Module) -> None:
        super().__init__(*layers)
        self.image = image

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and len(x):
            x = shift_images(x, self.image, MAX_SHIFT)
        return super().forward(x)  # type: ignore[no-any-return, no-untyped-call]


def shift_images(x: torch.Tensor, image: tuple[int, int], k: int) -> torch.Tensor:
    """Each row of ``x`` (a flattened ``image``) moved by its own random offset in
    ``-k..k`` on both axes, zero-filled where it leaves the frame."""
    (h, w), b = image, x.shape[0]
    padded = nn.functional.pad(x.reshape(b, h, w), (k, k, k, k))
    dy, dx = torch.randint(0, 2 * k + 1, (2, b))
    rows = torch.arange(h)[None, :, None] + dy[:, None, None]
    cols = torch.arange(w)[None, None, :] + dx[:, None, None]
    return padded[torch.arange(b)[:, None, None], rows, cols].reshape(x.shape)


def image_encoder(shape: Sequence[int]) -> tuple[nn.Module, int]:
    """The layers that read one input of ``shape``, and the width of their output.

    An image at least :data:`CNN_MIN_SIDE` on both sides: two strided convolutions
    (8 channels 5×5, then 16 channels 3×3, stride 2), about as cheap per image as the
    MLP's first layer on MNIST; while training, each image is shifted by up to
    :data:`MAX_SHIFT` pixels (see :class:`ShiftingReader`). Anything else: its
    values, flattened.
    """
    if not cnn_shape(shape):
        return nn.Flatten(), int(torch.Size(shape).numel())
    h, w = cnn_shape(shape)
    reader = ShiftingReader(
        (h, w),
        nn.Flatten(),
        nn.Unflatten(1, (1, h, w)),
        nn.Conv2d(1, 8, 5, stride=2),
        nn.ReLU(),
        nn.Conv2d(8, 16, 3, stride=2),
        nn.ReLU(),
        nn.Flatten(),
    )
    with torch.no_grad():  # the width the convolutions leave, without redoing their arithmetic
        width = int(reader(torch.zeros(1, h * w)).shape[1])
    return reader, width


@dataclass(frozen=True)
class ModuleSpec:
    """A module's architecture as JSON-able data.

    An MLP over the flattened input; with ``image_shape`` (``(height, width)``), the
    input is an image read first by :func:`image_encoder`'s CNN.
    """

    template: str
    input_dim: int
    hidden: tuple[int, ...] = (64,)
    image_shape: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        t = TEMPLATES[self.template]
        out = {
            "format": "hylo-cnn-v1" if self.image_shape else "hylo-mlp-v1",
            "template": self.template,
            "type": show_type(parse_type(t.type_text)),
            "input_dim": self.input_dim,
            "hidden": list(self.hidden),
            "output": t.output,
            "output_dim": t.width,
        }
        if self.image_shape:
            out["image_shape"] = list(self.image_shape)
        return out

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> ModuleSpec:
        if obj.get("format") not in ("hylo-mlp-v1", "hylo-cnn-v1"):
            raise HyloError(f"unknown module architecture format {obj.get('format')!r}")
        return cls(
            str(obj["template"]),
            int(obj["input_dim"]),
            tuple(int(h) for h in obj["hidden"]),
            tuple(int(d) for d in obj.get("image_shape", ())),
        )


class NeuralModule(nn.Module):
    """An MLP (after a CNN, for large images) whose ``forward`` returns the template's
    output distribution.

    Categorical: probabilities ``[rows, width]``; Bernoulli: ``[rows]``; vector:
    ``[rows, width]``.
    """

    def __init__(self, spec: ModuleSpec) -> None:
        super().__init__()
        self.spec = spec
        self.template = TEMPLATES[spec.template]
        reader, width = image_encoder(spec.image_shape or (spec.input_dim,))
        dims = (width, *spec.hidden)
        layers: list[nn.Module] = [reader]
        for a, b in itertools.pairwise(dims):
            layers += [nn.Linear(a, b), nn.ReLU()]
        layers.append(nn.Linear(dims[-1], self.template.width))
        self.net = nn.Sequential(*layers)

    def load_trunk(self, other: NeuralModule) -> None:
        """Copy every layer of ``other`` but its output layer (the same input and hidden
        sizes are needed; the templates may differ)."""
        mine, theirs = (
            (m.spec.input_dim, m.spec.hidden, m.spec.image_shape) for m in (self, other)
        )
        if mine != theirs:
            raise HyloError(
                f"cannot reuse the trunk of a module reading input {theirs[0]} through "
                f"{theirs[1]} (image {theirs[2]}) in one reading {mine[0]} through "
                f"{mine[1]} (image {mine[2]}): the two read different inputs"
            )
        head = f"net.{len(self.net) - 1}."
        trunk = {k: v for k, v in other.state_dict().items() if not k.startswith(head)}
        missing = self.load_state_dict(trunk, strict=False).missing_keys
        assert all(k.startswith(head) for k in missing), missing

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)  # type: ignore[no-any-return]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.logits(x)
        if self.template.output == "categorical":
            return torch.softmax(z, dim=-1)
        if self.template.output == "bernoulli":
            return torch.sigmoid(z[:, 0])
        return z
