"""Net2Net mutations keep the function; ordinary mutations keep every unchanged layer."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hylo.automl import (
    ArchitectureError,
    Network,
    build_network,
    deepen,
    deepen_targets,
    img_type,
    inherit,
    mutate,
    parse_architecture,
    vec_type,
    widen,
    widen_targets,
)
from hylo.lang import show

ARCHS = [
    (
        "(lam (dense_3 (dropout_20 (batchnorm (gelu (dense_16 (relu (dense_32 $0))))))))",
        vec_type(5),
    ),
    (
        "(lam (dense_10 (flatten (maxpool (batchnorm (relu (conv_3_4 (tanh (conv_3_8 $0)))))))))",
        img_type(1, 8, 8),
    ),
    (
        "(lam (dense_10 (globalavg (residual (lam (conv_3_8 (relu (conv_3_8 $0))))"
        " (relu (conv_3_8 $0))))))",
        img_type(2, 6, 6),
    ),
    (
        "(lam (dense_4 (residual (lam (dense_12 (relu (dense_6 $0)))) (relu (dense_12 $0)))))",
        vec_type(3),
    ),
]


def _trained_like(text: str, tp: object, seed: int) -> Network:
    """A network with non-trivial batchnorm statistics, in evaluation mode."""
    torch.manual_seed(seed)
    net = build_network(parse_architecture(text), tp)  # type: ignore[arg-type]
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(torch.randn(16, *_shape(net)))
    net.eval()
    return net


def _shape(net: Network) -> list[int]:
    return [int(a.name[1:]) for a in net.input_type.args]  # type: ignore[union-attr]


def _same_function(a: Network, b: Network, seed: int) -> None:
    b.eval()
    x = torch.randn(8, *_shape(a), generator=torch.Generator().manual_seed(seed))
    torch.testing.assert_close(a(x), b(x), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize(("text", "tp"), ARCHS)
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), extra=st.integers(1, 40))
def test_every_widening_keeps_the_function(text: str, tp: object, seed: int, extra: int) -> None:
    parent = _trained_like(text, tp, seed)
    targets = widen_targets(parent)
    assert targets
    for key in targets:
        old = int(next(i.name for i in parent.info if i.key == key).rsplit("_", 1)[1])
        child = widen(parent, key, old + extra, np.random.default_rng(seed))
        assert show(child.program) != show(parent.program)
        _same_function(parent, child, seed)


@pytest.mark.parametrize(("text", "tp"), ARCHS)
@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_every_deepening_keeps_the_function(text: str, tp: object, seed: int) -> None:
    parent = _trained_like(text, tp, seed)
    for key in deepen_targets(parent):
        child = deepen(parent, key)
        assert len(child.info) > len(parent.info)
        _same_function(parent, child, seed)


def test_widening_breaks_symmetry_between_copies() -> None:
    parent = _trained_like(ARCHS[0][0], ARCHS[0][1], 0)
    child = widen(parent, "0", 64, np.random.default_rng(0))
    consumer = child.layers["2"].weight  # dense_16 reads the widened layer's units
    # Each new unit copies some unit u < 32; their outgoing shares differ (summing to u's).
    for j in range(32, 64):
        assert not any(torch.equal(consumer[:, j], consumer[:, u]) for u in range(32))


def test_a_layer_without_consumer_cannot_be_widened() -> None:
    parent = _trained_like(ARCHS[0][0], ARCHS[0][1], 0)
    last = parent.info[-1].key
    assert last not in widen_targets(parent)
    with pytest.raises(ArchitectureError, match="cannot widen"):
        widen(parent, last, 10, np.random.default_rng(0))


@pytest.mark.parametrize(("text", "tp"), ARCHS)
def test_ordinary_mutations_inherit_every_unchanged_layer(text: str, tp: object) -> None:
    parent = _trained_like(text, tp, 1)
    rng = np.random.default_rng(3)
    for _ in range(6):
        child, kind = mutate(parent, rng)
        assert show(child.program) != show(parent.program) or kind == "dropout"
        # Any layer whose name and input shape appear unchanged carries the parent's weights.
        p_by_sig = {(i.name, str(i.input)): i.key for i in parent.info}
        shared = 0
        for info in child.info:
            p_key = p_by_sig.get((info.name, str(info.input)))
            state = child.layers[info.key].state_dict()
            if p_key is None or not state:
                continue
            p_state = parent.layers[p_key].state_dict()
            if all(torch.equal(state[n], p_state[n]) for n in state):
                shared += 1
        params = [i for i in child.info if child.layers[i.key].state_dict()]
        assert shared >= len(params) - 3  # at most the edited layer and its neighbours changed


def test_inherit_by_alignment_copies_shared_layers() -> None:
    a = build_network(parse_architecture("(lam (dense_3 (relu (dense_8 $0))))"), vec_type(4))
    b = build_network(parse_architecture("(lam (dense_3 (relu (dense_8 (tanh $0)))))"), vec_type(4))
    copied = inherit(a, b)
    assert set(copied) == {"1", "3"}  # the two dense layers, shifted by the new tanh
    assert torch.equal(a.layers["0"].weight, b.layers["1"].weight)
