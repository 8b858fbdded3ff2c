"""Mutations of architectures, and the weights a child inherits from its parent.

Two kinds:

* **function-preserving** (Net2Net): :func:`widen` splits units of a dense or conv
  layer and shares their outgoing weights between the copies (with random positive
  shares summing to one, which keeps the function and breaks the symmetry);
  :func:`deepen` inserts an identity-initialised layer (after a ReLU) or a residual
  block whose last layer starts at zero. The child computes exactly what its parent
  did and only needs brief training.
* **ordinary** (:func:`mutate`): change an activation, a dropout rate, a width, a
  kernel; add or remove batch normalisation or a layer. The child inherits every
  layer that did not change (:func:`inherit`).

>>> import torch
>>> from hylo.automl._layers import parse_architecture, vec_type
>>> from hylo.automl._network import build_network
>>> parent = build_network(parse_architecture("(lam (dense_3 (relu (dense_8 $0))))"), vec_type(4))
>>> child = widen(parent, "0", 12, np.random.default_rng(0))
>>> x = torch.randn(5, 4)
>>> bool(torch.allclose(parent(x), child(x), atol=1e-5))
True
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

import numpy as np
import torch

from hylo.automl._layers import (
    ELEMENTWISE,
    ArchitectureError,
    Block,
    Node,
    Pipeline,
    size_of,
    to_pipeline,
    to_program,
)
from hylo.automl._network import LayerInfo, Network, build_network
from hylo.lang.types import TCon, show_type

# Layers that act on every unit (channel) separately: widening can pass through them.
_PER_UNIT = ("relu", "gelu", "tanh", "batchnorm", "maxpool", "avgpool")


def _is_per_unit(name: str) -> bool:
    return name in _PER_UNIT or name.startswith("dropout_")


def _path(key: str) -> list[int]:
    return [int(p) for p in key.split("_")]


def _edit(pipeline: Pipeline, path: list[int], new: list[Node]) -> Pipeline:
    """Replace the node at ``path`` by the nodes ``new`` (none: delete it)."""
    items = list(pipeline)
    i = path[0]
    if len(path) == 1:
        items[i : i + 1] = new
    else:
        block = items[i]
        assert isinstance(block, Block)
        items[i] = Block(block.name, _edit(block.body, path[1:], new))
    return tuple(items)


def _siblings(pipeline: Pipeline, path: list[int]) -> Pipeline:
    for i in path[:-1]:
        block = pipeline[i]
        assert isinstance(block, Block)
        pipeline = block.body
    return pipeline


def _child(parent: Network, path: list[int], new: list[Node]) -> Network:
    """Build the child with the node at ``path`` replaced by ``new``; inherit the rest."""
    own = to_pipeline(parent.program)
    old = _siblings(own, path)[path[-1]]
    child = build_network(to_program(_edit(own, path, new)), parent.input_type, parent.output_type)
    inherit(parent, child, _key_map(parent, path, len(new), bool(new) and new[0] == old))
    return child


def _key_map(parent: Network, path: list[int], n_new: int, keeps_node: bool) -> dict[str, str]:
    """Where each parent layer sits in the child after an edit at ``path``."""
    out: dict[str, str] = {}
    depth = len(path) - 1
    for info in parent.info:
        parts = _path(info.key)
        if parts[:depth] != path[:depth] or len(parts) <= depth:
            out[info.key] = info.key
            continue
        i = parts[depth]
        if i == path[-1] and not keeps_node:
            continue
        if i > path[-1]:
            parts[depth] = i + n_new - 1
        out[info.key] = "_".join(map(str, parts))
    return out


# --- weight inheritance ------------------------------------------------------------------


def inherit(parent: Network, child: Network, mapping: dict[str, str] | None = None) -> list[str]:
    """Copy the weights of every layer the child shares with its parent; return their keys.

    ``mapping`` says where each parent layer sits in the child (an edit knows it);
    without it, layers are matched by aligning the two architectures' layer sequences
    (name, input shape, nesting depth). A layer is copied only when its name and every
    weight's shape agree.
    """
    if mapping is None:
        mapping = _aligned(parent, child)
    p_names = {i.key: i.name for i in parent.info}
    c_names = {i.key: i.name for i in child.info}
    copied: list[str] = []
    for p_key, c_key in mapping.items():
        if c_names.get(c_key) != p_names[p_key]:
            continue
        p_state = parent.layers[p_key].state_dict()
        c_layer = child.layers[c_key]
        if not p_state:  # nothing to inherit from an activation or a pooling
            continue
        if all(p_state[n].shape == v.shape for n, v in c_layer.state_dict().items()):
            c_layer.load_state_dict(p_state)
            copied.append(c_key)
    return copied


def _aligned(parent: Network, child: Network) -> dict[str, str]:
    def signature(net: Network) -> list[str]:
        return [f"{i.name}@{show_type(i.input)}@{i.key.count('_')}" for i in net.info]

    matcher = difflib.SequenceMatcher(a=signature(parent), b=signature(child), autojunk=False)
    return {
        parent.info[m.a + k].key: child.info[m.b + k].key
        for m in matcher.get_matching_blocks()
        for k in range(m.size)
    }


# --- Net2Net: widen -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    between: list[str]  # keys of per-unit layers between the widened layer and its consumer
    consumer: str
    spatial: int  # >1 when a flatten sits between: each channel is that many features
    pooled: bool


def widen_targets(net: Network) -> list[str]:
    """Keys of the layers :func:`widen` can widen (a dense/conv layer with a consumer)."""
    return [i.key for i in net.info if _plan(net, i.key) is not None]


def _plan(net: Network, key: str) -> _Plan | None:
    info = {i.key: i for i in net.info}
    name = info[key].name
    if not name.startswith(("dense_", "conv_")):
        return None
    path = _path(key)
    prefix = "_".join(str(p) for p in path[:-1])
    siblings = _siblings(to_pipeline(net.program), path)
    between: list[str] = []
    spatial, pooled = 1, False
    for j in range(path[-1] + 1, len(siblings)):
        node = siblings[j]
        k = f"{prefix}_{j}" if prefix else str(j)
        if isinstance(node, Block):
            return None
        if node.startswith(("dense_", "conv_")):
            if node.startswith("conv_") and (spatial > 1 or pooled):
                return None
            return _Plan(between, k, spatial, pooled)
        if node == "flatten":
            spatial = math.prod(size_of(a) for a in info[k].input.args[1:])
        elif node == "globalavg":
            pooled = True
        elif not _is_per_unit(node):
            return None
        between.append(k)
    return None


def widen(parent: Network, key: str, width: int, rng: np.random.Generator) -> Network:
    """Net2WiderNet: the child has ``width`` units at layer ``key`` and the same function.

    Raises:
        ArchitectureError: the layer cannot be widened (no consumer, or not wider).
    """
    plan = _plan(parent, key)
    name = next(i.name for i in parent.info if i.key == key)
    old = int(name.rsplit("_", 1)[1])
    if plan is None or width <= old:
        raise ArchitectureError(
            f"cannot widen layer {key} ({name}) to {width}: it needs a dense/conv consumer "
            f"through per-unit layers and a width above {old}"
        )
    new_name = f"{name.rsplit('_', 1)[0]}_{width}"
    child = _child(parent, _path(key), [new_name])
    mapping = np.concatenate([np.arange(old), rng.integers(0, old, width - old)])
    # Random positive shares of each original unit's outgoing weights, summing to one.
    raw = rng.uniform(0.5, 1.5, width)
    totals = np.bincount(mapping, weights=raw, minlength=old)
    share = torch.tensor(raw / totals[mapping], dtype=torch.float32)
    g = torch.from_numpy(mapping)
    with torch.no_grad():
        _copy_rows(parent, child, key, g)
        for k in plan.between:
            _copy_rows(parent, child, k, g)
        _split_inputs(parent, child, plan, g, share)
    return child


def _copy_rows(parent: Network, child: Network, key: str, g: torch.Tensor) -> None:
    src = parent.layers[key].state_dict()
    dst = child.layers[key].state_dict()
    for n, v in src.items():
        dst[n] = v[g] if v.dim() >= 1 else v  # every per-unit tensor is indexed by unit first
    child.layers[key].load_state_dict(dst)


def _split_inputs(
    parent: Network, child: Network, plan: _Plan, g: torch.Tensor, share: torch.Tensor
) -> None:
    src = parent.layers[plan.consumer].state_dict()
    w = src["weight"]
    if plan.spatial > 1:  # flatten: channel c owns features c*s .. c*s + s - 1
        s = plan.spatial
        cols = (g[:, None] * s + torch.arange(s)[None, :]).reshape(-1)
        new_w = w[:, cols] * share.repeat_interleave(s)[None, :]
    else:
        shape = [1, -1] + [1] * (w.dim() - 2)
        new_w = w[:, g] * share.reshape(shape)
    child.layers[plan.consumer].load_state_dict({**src, "weight": new_w})


# --- Net2Net: deepen ----------------------------------------------------------------------


def deepen_targets(net: Network) -> list[str]:
    """Keys after which :func:`deepen` can insert a layer (vec or img outputs)."""
    return [i.key for i in net.info if i.output.name in ("vec", "img")][:-1]


def deepen(parent: Network, key: str) -> Network:
    """Net2DeeperNet: insert an identity layer after layer ``key``; the function is kept.

    After a ReLU the new layer is ``dense``/``conv_3`` with identity weights followed by
    a ReLU (which is the identity on non-negative inputs); elsewhere it is a residual
    block whose last layer starts at zero.
    """
    info = next(i for i in parent.info if i.key == key)
    shape: TCon = info.output
    n = size_of(shape.args[0])
    layer = f"dense_{n}" if shape.name == "vec" else f"conv_3_{n}"
    path = _path(key)
    own = to_pipeline(parent.program)
    node = _siblings(own, path)[path[-1]]
    if info.name == "relu":
        new: list[Node] = [node, layer, "relu"]
    elif shape.name in ("vec", "img"):
        new = [node, Block("residual", (layer, "relu", layer))]
    else:
        raise ArchitectureError(f"cannot deepen after layer {key}: its output is {shape}")
    child = _child(parent, path, new)
    inserted = f"{'_'.join(map(str, path[:-1]))}_{path[-1] + 1}".lstrip("_")
    with torch.no_grad():
        if info.name == "relu":
            _identity(child.layers[inserted], n)
        else:
            last = child.layers[inserted + "_2"]
            for p in last.parameters():
                p.zero_()
    return child


def _identity(layer: torch.nn.Module, n: int) -> None:
    weight = layer.get_parameter("weight")
    bias = layer.get_parameter("bias")
    weight.zero_()
    bias.zero_()
    if weight.dim() == 2:
        weight.copy_(torch.eye(n))
    else:
        centre = weight.shape[-1] // 2
        weight[torch.arange(n), torch.arange(n), centre, centre] = 1.0


# --- ordinary mutations -------------------------------------------------------------------

ORDINARY = ("activation", "dropout", "batchnorm", "resize", "remove", "kernel")


def mutate(parent: Network, rng: np.random.Generator, tries: int = 20) -> tuple[Network, str]:
    """A function-changing mutation of ``parent``: the child inherits every unchanged layer.

    Returns the child and a short description. Children that do not type-check are
    never built; the next mutation is tried instead.

    Raises:
        ArchitectureError: no mutation fits after ``tries`` attempts.
    """
    own = to_pipeline(parent.program)
    for _ in range(tries):
        kind = ORDINARY[int(rng.integers(len(ORDINARY)))]
        edit = _ordinary(parent, own, kind, rng)
        if edit is None:
            continue
        try:
            return _child(parent, *edit), kind
        except ArchitectureError:
            continue
    raise ArchitectureError(f"no ordinary mutation fits {parent.program} after {tries} tries")


def _ordinary(
    parent: Network, own: Pipeline, kind: str, rng: np.random.Generator
) -> tuple[list[int], list[Node]] | None:
    infos = parent.info[:-1]  # the output layer keeps its width and place
    pick = _choose(rng, [i for i in infos if _fits(kind, i.name)])
    if pick is None:
        return None
    path = _path(pick.key)
    if kind == "activation":
        return path, [str(rng.choice([a for a in ELEMENTWISE if a != pick.name]))]
    if kind == "dropout":
        if pick.name.startswith("dropout_") and rng.random() < 0.5:
            return path, []
        p = int(rng.choice([10, 20, 30, 50]))
        keep = [] if pick.name.startswith("dropout_") else [pick.name]
        return path, [*keep, f"dropout_{p}"]
    if kind == "batchnorm":
        return path, [] if pick.name == "batchnorm" else [pick.name, "batchnorm"]
    if kind == "resize":
        base, width = pick.name.rsplit("_", 1)
        factor = float(rng.choice([0.5, 0.75, 1.5, 2.0]))
        return path, [f"{base}_{max(4, min(1024, round(int(width) * factor)))}"]
    if kind == "kernel":
        _, k, n = pick.name.split("_")
        return path, [f"conv_{rng.choice([x for x in (1, 3, 5) if str(x) != k])}_{n}"]
    return path, []  # remove


def _fits(kind: str, name: str) -> bool:
    return {
        "activation": name in ELEMENTWISE,
        "dropout": name.startswith("dropout_") or name in ELEMENTWISE,
        "batchnorm": name == "batchnorm" or name.startswith(("dense_", "conv_")),
        "resize": name.startswith(("dense_", "conv_")),
        "kernel": name.startswith("conv_"),
        "remove": name.startswith(("dense_", "conv_", "dropout_")) or name in ELEMENTWISE,
    }[kind]


def _choose(rng: np.random.Generator, items: list[LayerInfo]) -> LayerInfo | None:
    return items[int(rng.integers(len(items)))] if items else None
