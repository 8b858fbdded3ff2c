"""Compiling an architecture program to a ``torch.nn.Module``.

Every layer of the pipeline becomes one entry of :attr:`Network.layers`, keyed by its
path in the pipeline (``"3"``, ``"3_1"`` for the second layer inside block 3), so that
weights can be matched between a parent and a child architecture by path.

>>> import torch
>>> from hylo.automl._layers import parse_architecture, vec_type
>>> net = build_network(parse_architecture("(lam (dense_3 (relu (dense_8 $0))))"), vec_type(5))
>>> tuple(net(torch.zeros(2, 5)).shape)
(2, 3)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from hylo.automl._layers import (
    ELEMENTWISE,
    ArchitectureError,
    Block,
    Pipeline,
    block_input,
    block_output,
    concrete,
    dims,
    layer_output,
    to_pipeline,
)
from hylo.lang.program import Program, show
from hylo.lang.types import TCon, Type, show_type


@dataclass(frozen=True, slots=True)
class LayerInfo:
    """One compiled layer: its path key, name, and the concrete shapes around it."""

    key: str
    name: str
    input: TCon
    output: TCon


class _Sum(nn.Module):
    def __init__(self, op: str, kind: str) -> None:
        super().__init__()
        self.op, self.kind = op, kind

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "img":
            return x.mean(dim=(2, 3))
        return x.sum(dim=1) if self.op == "setsum" else x.mean(dim=1)


class _LastState(nn.Module):
    def __init__(self, features: int, units: int) -> None:
        super().__init__()
        self.gru = nn.GRU(features, units, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h = self.gru(x)
        last: torch.Tensor = h[-1]
        return last


class _BatchNorm(nn.Module):
    """Batch normalisation over the feature axis of vec, img, seq and set shapes."""

    def __init__(self, kind: str, features: int) -> None:
        super().__init__()
        self.kind = kind
        self.norm: nn.Module = (
            nn.BatchNorm2d(features) if kind == "img" else nn.BatchNorm1d(features)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind in ("seq", "set"):
            return self.norm(x.transpose(1, 2)).transpose(1, 2)  # type: ignore[no-any-return]
        return self.norm(x)  # type: ignore[no-any-return]


def _make_layer(name: str, shape: TCon) -> nn.Module:
    kind, sizes = shape.name, dims(shape)
    if name in ELEMENTWISE:
        activations: dict[str, type[nn.Module]] = {
            "relu": nn.ReLU,
            "gelu": nn.GELU,
            "tanh": nn.Tanh,
        }
        return activations[name]()
    if name.startswith("dense_"):
        return nn.Linear(sizes[-1], int(name.split("_")[1]))
    if name.startswith("conv_"):
        _, k, n = name.split("_")
        return nn.Conv2d(sizes[0], int(n), int(k), padding=int(k) // 2)
    if name.startswith("dropout_"):
        return nn.Dropout(int(name.split("_")[1]) / 100)
    if name.startswith("gru_"):
        return _LastState(sizes[1], int(name.split("_")[1]))
    if name == "batchnorm":
        return _BatchNorm(kind, sizes[0] if kind in ("img", "set") else sizes[-1])
    if name == "layernorm":
        if kind == "img":
            raise ArchitectureError("layernorm normalises the last axis: use batchnorm on images")
        return nn.LayerNorm(sizes[-1])
    if name in ("maxpool", "avgpool"):
        return nn.MaxPool2d(2) if name == "maxpool" else nn.AvgPool2d(2)
    if name == "flatten":
        return nn.Flatten()
    if name in ("globalavg", "seqmean", "setmean", "setsum"):
        return _Sum(name, kind)
    raise ArchitectureError(f"no torch module for layer {name!r}")  # pragma: no cover


_Plan = list["str | tuple[str, _Plan]"]
"""How to run a pipeline: layer keys, and (block name, inner plan) pairs."""


class Network(nn.Module):
    """The torch module of an architecture program on a given input shape.

    Attributes:
        program: the architecture.
        input_type: the concrete input shape.
        output_type: the concrete output shape.
        layers: every layer's module, keyed by its path.
        info: every layer's :class:`LayerInfo`, in order of application.
    """

    def __init__(self, program: Program, pipeline: Pipeline, input_type: TCon) -> None:
        super().__init__()
        self.program = program
        self.input_type = input_type
        self.layers = nn.ModuleDict()
        self.info: list[LayerInfo] = []
        self._plan, self.output_type = self._build(pipeline, input_type, "")

    def _build(self, pipeline: Pipeline, shape: TCon, prefix: str) -> tuple[_Plan, TCon]:
        plan: _Plan = []
        for i, node in enumerate(pipeline):
            key = f"{prefix}{i}"
            if isinstance(node, Block):
                inner = block_input(node.name, shape)
                sub, inner_out = self._build(node.body, inner, key + "_")
                out = block_output(node.name, shape, inner, inner_out)
                plan.append((node.name, sub))
            else:
                out = layer_output(node, shape)
                self.layers[key] = _make_layer(node, shape)
                self.info.append(LayerInfo(key, node, shape, out))
                plan.append(key)
            shape = out
        return plan, shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._run(self._plan, x)

    def _run(self, plan: _Plan, x: torch.Tensor) -> torch.Tensor:
        for step in plan:
            if isinstance(step, str):
                x = self.layers[step](x)
                continue
            name, sub = step
            if name == "residual":
                x = x + self._run(sub, x)
            else:  # tokenwise / setmap: the block sees one element at a time
                b, n, f = x.shape
                y = self._run(sub, x.reshape(b * n, f))
                x = y.reshape(b, n, y.shape[-1])
        return x


def build_network(program: Program, input_type: Type, output: Type | None = None) -> Network:
    """Compile an architecture to a torch module for ``input_type`` (checked first).

    Raises:
        ArchitectureError: the program is not a layer pipeline, or its shapes do not fit
            (then no module is built).
    """
    from hylo.automl._layers import check_architecture, output_type

    pipeline = to_pipeline(program)
    if output is not None:
        check_architecture(program, input_type, output)
    else:
        output_type(program, input_type)
    net = Network(program, pipeline, concrete(input_type))
    if output is not None and net.output_type != concrete(output):  # pragma: no cover
        raise ArchitectureError(f"{show(program)} compiled to {show_type(net.output_type)}")
    return net
