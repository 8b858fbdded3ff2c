"""Training a program's neural modules end to end, and running it hard.

:func:`encode_examples` turns a task's examples into batched tensors once;
:func:`train_program` fits the program's fresh modules with Adam through the
differentiable interpreter (:mod:`hylo.train.neural.soft`), early-stopping on a
validation set; :func:`evaluate` and :func:`predict` run it hard (argmax).

>>> import torch
>>> from hylo.domains.digits import DIGITS
>>> from hylo.lang import parse, parse_type
>>> from hylo.train.neural.modules import NeuralNamespace
>>> ns = NeuralNamespace(DIGITS.namespace)
>>> p = parse("(lam (nn:pred#0 $0))", ns)
>>> torch.manual_seed(0) and None
>>> xs = [torch.full((2, 2), float(i % 2)).numpy() for i in range(40)]
>>> data = encode_examples([((x,), bool(x[0, 0] > 0.5)) for x in xs], parse_type("image -> bool"))
>>> modules = instantiate_modules(p, image_shape=(2, 2))
>>> result = train_program(p, data, data, modules, TrainConfig(epochs=60, lr=0.05))
>>> result.val_accuracy
1.0
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch

from hylo.lang.errors import HyloError
from hylo.lang.program import Abstraction, Application, Primitive, Program, subprograms
from hylo.lang.types import TCon, Type, arguments, return_type, show_type
from hylo.train.neural.modules import (
    TEMPLATES,
    VECTOR_DIM,
    ModuleRef,
    ModuleSpec,
    NeuralModule,
    cnn_shape,
)
from hylo.train.neural.soft import SoftList, soft_run

__all__ = [
    "EncodedExamples",
    "ModuleSource",
    "TrainConfig",
    "TrainResult",
    "bind",
    "encode_examples",
    "evaluate",
    "instantiate_modules",
    "module_names",
    "predict",
    "restore_weights",
    "snapshot_weights",
    "soft_loss",
    "train_program",
]


# --- data -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Arg:
    """One input argument of every example: flat data (plus list offsets)."""

    data: torch.Tensor
    lengths: torch.Tensor | None = None  # per example, for list arguments
    starts: torch.Tensor | None = None

    def select(self, idx: torch.Tensor) -> Any:
        if self.lengths is None or self.starts is None:
            return self.data.index_select(0, idx)
        lengths = self.lengths.index_select(0, idx)
        total = int(lengths.sum())
        seg = torch.repeat_interleave(torch.arange(len(idx)), lengths)
        offsets = torch.cumsum(lengths, 0) - lengths
        within = torch.arange(total) - offsets.index_select(0, seg)
        items = self.starts.index_select(0, idx).index_select(0, seg) + within
        return SoftList(self.data.index_select(0, items), seg, len(idx))


@dataclass(frozen=True, eq=False)
class EncodedExamples:
    """A task's examples as tensors; ``output`` is ``"int"`` or ``"bool"``."""

    args: tuple[_Arg, ...]
    targets: torch.Tensor
    output: str

    def __len__(self) -> int:
        return int(self.targets.shape[0])

    def select(self, idx: torch.Tensor) -> tuple[tuple[Any, ...], torch.Tensor]:
        return tuple(a.select(idx) for a in self.args), self.targets.index_select(0, idx)

    def split(self, fraction: float, seed: int) -> tuple[EncodedExamples, EncodedExamples]:
        """A (train, validation) split with ``fraction`` (at least one) held out."""
        n = len(self)
        if n < 2:
            return self, self
        num_val = min(n - 1, max(1, round(n * fraction)))
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
        return self._subset(perm[num_val:]), self._subset(perm[:num_val])

    def folds(self, k: int, seed: int) -> list[tuple[EncodedExamples, EncodedExamples]]:
        """``k`` (train, validation) splits whose validation parts partition the examples."""
        n = len(self)
        if n < 2:
            return [(self, self)]
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
        parts = [part for part in torch.tensor_split(perm, min(k, n)) if len(part)]
        return [
            (self._subset(torch.cat([q for j, q in enumerate(parts) if j != i])), self._subset(v))
            for i, v in enumerate(parts)
        ]

    def _subset(self, idx: torch.Tensor) -> EncodedExamples:
        args, targets = self.select(idx)
        return EncodedExamples(tuple(_reencode(a) for a in args), targets, self.output)


def _reencode(value: Any) -> _Arg:
    if isinstance(value, SoftList):
        lengths = torch.bincount(value.seg, minlength=value.rows)
        return _Arg(value.items, lengths, torch.cumsum(lengths, 0) - lengths)
    return _Arg(value)


def encode_examples(
    examples: Sequence[tuple[Sequence[Any], Any]], request: Type
) -> EncodedExamples:
    """Stack ``(inputs, output)`` pairs of a task of type ``request`` into tensors.

    Inputs may be ``image`` (numpy arrays), ``list(image)``, ``int``, ``bool`` or
    ``vector``; the output ``int`` (non-negative) or ``bool``.
    """
    if not examples:
        raise HyloError("cannot train on zero examples")
    arg_types = arguments(request)
    args = tuple(_encode_arg([ins[k] for ins, _ in examples], t) for k, t in enumerate(arg_types))
    out_t = return_type(request)
    if out_t == TCon("int"):
        outs = [int(o) for _, o in examples]
        if min(outs) < 0:
            raise HyloError("neural programs support non-negative integer outputs only")
        return EncodedExamples(args, torch.tensor(outs, dtype=torch.long), "int")
    if out_t == TCon("bool"):
        targets = torch.tensor([float(bool(o)) for _, o in examples])
        return EncodedExamples(args, targets, "bool")
    raise HyloError(f"neural programs must return int or bool, not {show_type(out_t)}")


def _encode_arg(values: list[Any], t: Type) -> _Arg:
    if t in (TCon("image"), TCon("vector")):
        return _Arg(torch.as_tensor(np.stack([np.asarray(v, np.float32) for v in values])))
    if t == TCon("int"):
        ints = torch.tensor([int(v) for v in values])
        return _Arg(torch.nn.functional.one_hot(ints, int(ints.max()) + 1).float())
    if t == TCon("bool"):
        return _Arg(torch.tensor([float(bool(v)) for v in values]))
    if isinstance(t, TCon) and t.name == "list" and t.args[0] == TCon("image"):
        lengths = torch.tensor([len(v) for v in values], dtype=torch.long)
        flat = [np.asarray(x, np.float32) for v in values for x in v]
        if not flat:
            raise HyloError("every list of images is empty")
        data = torch.as_tensor(np.stack(flat))
        return _Arg(data, lengths, torch.cumsum(lengths, 0) - lengths)
    raise HyloError(f"neural programs cannot take inputs of type {show_type(t)}")


# --- modules --------------------------------------------------------------------------


class ModuleSource(Protocol):
    """Where library modules (``nn:…@id``) come from: see :class:`~.store.ModuleLibrary`."""

    def load(self, artifact: int) -> NeuralModule: ...


def module_names(program: Program) -> list[str]:
    """The program's neural module names, in order of first appearance."""
    seen: dict[str, None] = {}
    for q in subprograms(program):
        if isinstance(q, Primitive) and ModuleRef.is_module_name(q.name):
            seen.setdefault(q.name, None)
    return list(seen)


def instantiate_modules(
    program: Program,
    image_shape: Sequence[int],
    library: ModuleSource | None = None,
    seed: int = 0,
    hidden: tuple[int, ...] = (64,),
) -> dict[str, NeuralModule]:
    """Torch modules for every module name of ``program``.

    Fresh modules get new (seeded) weights, a trainable copy of the library's
    (``~``), or the library module's trunk under a new output layer (``^``);
    library modules are the library's own, frozen.
    """
    out: dict[str, NeuralModule] = {}
    for k, name in enumerate(module_names(program)):
        ref = ModuleRef.parse(name)
        base = None if ref.artifact is None else _library_module(name, ref, library)
        if base is not None and not ref.trunk:
            module = copy.deepcopy(base) if ref.trainable else base
        else:
            torch.manual_seed(seed * 7919 + k)
            t = TEMPLATES[ref.template]
            image = t.input_kind == "image"
            dim = math.prod(image_shape) if image else VECTOR_DIM
            conv = cnn_shape(image_shape) if image else ()
            layers = hidden if base is None else base.spec.hidden  # a trunk keeps its widths
            module = NeuralModule(ModuleSpec(ref.template, int(dim), layers, conv))
            if base is not None:
                module.load_trunk(base)
        module.requires_grad_(ref.trainable)
        out[name] = module
    return out


def _library_module(name: str, ref: ModuleRef, library: ModuleSource | None) -> NeuralModule:
    if library is None:
        raise HyloError(f"{name} refers to a library module, but no library was given")
    assert ref.artifact is not None
    base = library.load(ref.artifact)
    kind = TEMPLATES[base.spec.template].input_kind
    if base.spec.template != ref.template and not (
        ref.trunk and kind == TEMPLATES[ref.template].input_kind
    ):
        raise HyloError(
            f"{name}: artifact {ref.artifact} is a {base.spec.template} module; only its "
            f"trunk can serve a {ref.template} module, and only when both read a {kind}"
        )
    return base


# --- training -------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainConfig:
    """Adam with early stopping: stop after ``patience`` epochs without a lower
    validation loss (the negative log-likelihood of the outputs), and never before
    ``patience_steps`` updates without one.

    The floor in updates matters for small example sets: 80 lists in batches of 32
    make 3 updates an epoch, and a module supervised only through a count or a sum
    sits on a plateau (predicting the mean) for longer than 8 such epochs before
    its loss drops (count-7s on MNIST, 100 lists: validation loss 0.99 when stopped
    after 8 epochs without progress, 0.61 with the floor).
    """

    epochs: int = 40
    patience: int = 6
    lr: float = 3e-3
    batch_size: int = 32
    seed: int = 0
    patience_steps: int = 60
    min_steps: int = 0
    """Updates allowed even when ``epochs`` makes fewer: 24 lists are one update an
    epoch, and 60 updates leave a module trained through a count short of converged."""

    def patience_for(self, examples: int) -> int:
        """Epochs without progress before stopping, for ``examples`` training examples."""
        return max(self.patience, math.ceil(self.patience_steps / self._steps(examples)))

    def epochs_for(self, examples: int) -> int:
        """The most epochs to train on ``examples`` training examples."""
        return max(self.epochs, math.ceil(self.min_steps / self._steps(examples)))

    def _steps(self, examples: int) -> int:
        return max(1, math.ceil(examples / self.batch_size))


@dataclass
class TrainResult:
    """Validation scores of the epoch with the lowest validation loss (whose weights
    ``modules`` now hold)."""

    val_loss: float
    val_accuracy: float
    epochs: int
    seconds: float
    trained: bool
    history: list[tuple[float, float]] = field(default_factory=list)
    best_epoch: int = 0
    """The epoch whose weights were kept (0: the starting weights)."""


def train_program(
    program: Program,
    train: EncodedExamples,
    val: EncodedExamples,
    modules: Mapping[str, NeuralModule],
    config: TrainConfig = TrainConfig(),
    params: Sequence[float] = (),
) -> TrainResult:
    """Fit the trainable modules of ``program`` end to end by the likelihood of outputs.

    Programs without trainable modules are only evaluated (nothing is retrained).
    ``params`` are the values of the program's parameters ``#c<i>`` (held fixed
    here; :func:`hylo.train.hybrid.fit_hybrid` fits both).
    """
    start = time.perf_counter()
    best = _scores(program, val, modules, params)
    weights = [q for m in modules.values() for q in m.parameters() if q.requires_grad]
    if not weights or config.epochs == 0:
        return TrainResult(best[1], best[0], 0, time.perf_counter() - start, False)
    opt = torch.optim.Adam(weights, lr=config.lr)
    gen = torch.Generator().manual_seed(config.seed)
    best_state = snapshot_weights(modules)
    history: list[tuple[float, float]] = []
    since, epochs, best_epoch = 0, 0, 0
    patience, max_epochs = config.patience_for(len(train)), config.epochs_for(len(train))
    while epochs < max_epochs:
        epochs += 1
        _epoch(program, train, modules, opt, config.batch_size, gen, params)
        acc, loss = _scores(program, val, modules, params)
        history.append((acc, loss))
        if loss < best[1] - 1e-4:  # the likelihood, not accuracy: tiny validation sets tie
            best, best_state, since, best_epoch = (acc, loss), snapshot_weights(modules), 0, epochs
        else:
            since += 1
            if since >= patience:
                break
    restore_weights(modules, best_state)
    seconds = time.perf_counter() - start
    return TrainResult(best[1], best[0], epochs, seconds, True, history, best_epoch)


def _epoch(
    program: Program,
    data: EncodedExamples,
    modules: Mapping[str, NeuralModule],
    opt: torch.optim.Optimizer,
    batch_size: int,
    gen: torch.Generator,
    params: Sequence[float],
) -> None:
    for m in modules.values():
        m.train()
    perm = torch.randperm(len(data), generator=gen)
    for i in range(0, len(data), batch_size):
        inputs, targets = data.select(perm[i : i + batch_size])
        loss = _loss(soft_run(program, inputs, modules, params=params), targets, data.output)
        opt.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()


def _loss(out: Any, targets: torch.Tensor, kind: str) -> torch.Tensor:
    if not isinstance(out, torch.Tensor):
        raise HyloError("the program returned a list or function, not an int or bool")
    if kind == "bool":
        return torch.nn.functional.binary_cross_entropy(out.clamp(1e-6, 1 - 1e-6), targets)
    width = max(out.shape[1], int(targets.max()) + 1)
    dist = torch.nn.functional.pad(out, (0, width - out.shape[1]))
    return -torch.log(dist.gather(1, targets[:, None]).clamp_min(1e-9)).mean()


def snapshot_weights(modules: Mapping[str, NeuralModule]) -> dict[str, dict[str, torch.Tensor]]:
    return {
        k: {n: t.detach().clone() for n, t in m.state_dict().items()} for k, m in modules.items()
    }


def restore_weights(
    modules: Mapping[str, NeuralModule], state: dict[str, dict[str, torch.Tensor]]
) -> None:
    for k, m in modules.items():
        m.load_state_dict(state[k])


def _scores(
    program: Program,
    data: EncodedExamples,
    modules: Mapping[str, NeuralModule],
    params: Sequence[float] = (),
) -> tuple[float, float]:
    """(hard accuracy, soft loss) on ``data``."""
    with torch.no_grad():
        acc, _ = evaluate(program, data, modules, params)
        return acc, soft_loss(program, data, modules, params)


def soft_loss(
    program: Program,
    data: EncodedExamples,
    modules: Mapping[str, NeuralModule],
    params: Sequence[float] = (),
) -> float:
    """Mean negative log-likelihood of ``data``'s outputs under the soft program."""
    with torch.no_grad():
        losses = [
            float(_loss(soft_run(program, inputs, modules, params=params), targets, data.output))
            * len(targets)
            for inputs, targets in _chunks(data)
        ]
    return sum(losses) / len(data)


def _chunks(data: EncodedExamples, size: int = 512) -> list[tuple[tuple[Any, ...], torch.Tensor]]:
    return [
        data.select(torch.arange(i, min(i + size, len(data)))) for i in range(0, len(data), size)
    ]


# --- hard execution -------------------------------------------------------------------


def predict(
    program: Program,
    data: EncodedExamples,
    modules: Mapping[str, NeuralModule],
    params: Sequence[float] = (),
) -> torch.Tensor:
    """Hard predictions (argmax modules, discrete execution): ints, or 0./1. for bools."""
    for m in modules.values():
        m.eval()
    outs: list[torch.Tensor] = []
    with torch.no_grad():
        for inputs, _ in _chunks(data):
            out = soft_run(program, inputs, modules, hard=True, params=params)
            outs.append(out.argmax(-1) if data.output == "int" else (out > 0.5).float())
    return torch.cat(outs)


def evaluate(
    program: Program,
    data: EncodedExamples,
    modules: Mapping[str, NeuralModule],
    params: Sequence[float] = (),
) -> tuple[float, float]:
    """(accuracy, RMSE) of hard predictions; RMSE is 0 for boolean outputs."""
    pred = predict(program, data, modules, params)
    acc = float((pred == data.targets).float().mean())
    rmse = 0.0
    if data.output == "int":
        rmse = float(torch.sqrt(((pred - data.targets).float() ** 2).mean()))
    return acc, rmse


def bind(program: Program, modules: Mapping[str, NeuralModule]) -> Program:
    """``program`` with its modules given weights, for :class:`hylo.lang.Evaluator`.

    Each module then takes one input (a numpy image or vector) and returns an
    ``int`` (argmax), a ``bool`` or a vector. The result equals ``program``
    (primitives compare by name); only the implementations change.
    """
    if isinstance(program, Primitive) and program.name in modules:
        return Primitive(program.name, program.tp, _hard_fn(modules[program.name]), program.doc)
    if isinstance(program, Application):
        return Application(bind(program.f, modules), bind(program.x, modules))
    if isinstance(program, Abstraction):
        return Abstraction(bind(program.body, modules))
    return program


def _hard_fn(module: NeuralModule) -> Callable[[Any], Any]:
    def run(x: Any) -> Any:
        module.eval()
        with torch.no_grad():
            out = module(torch.as_tensor(np.asarray(x, np.float32))[None])
        if module.template.output == "categorical":
            return int(out.argmax(-1)[0])
        if module.template.output == "bernoulli":
            return bool(out[0] > 0.5)
        return out[0].numpy()

    return run
