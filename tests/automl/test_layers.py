"""Architectures are programs: they parse, print, type-check, and compile to torch."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hylo.automl import (
    ArchitectureError,
    build_network,
    img_type,
    output_type,
    parse_architecture,
    seq_type,
    set_type,
    to_pipeline,
    to_program,
    vec_type,
)
from hylo.lang import show

GOOD = [
    ("(lam (dense_3 (relu (dense_16 $0))))", vec_type(5), (5,)),
    (
        "(lam (dense_10 (flatten (maxpool (batchnorm (relu (conv_3_4 $0)))))))",
        img_type(1, 8, 8),
        (1, 8, 8),
    ),
    (
        "(lam (dense_10 (globalavg (residual (lam (conv_3_8 (relu (conv_3_8 $0))))"
        " (conv_5_8 $0)))))",
        img_type(1, 8, 8),
        (1, 8, 8),
    ),
    ("(lam (dense_2 (setmean (setmap (lam (relu (dense_8 $0))) $0))))", set_type(3), (7, 3)),
    (
        "(lam (dense_2 (gru_8 (tokenwise (lam (layernorm (dense_8 $0))) $0))))",
        seq_type(5, 3),
        (5, 3),
    ),
    # flatten gives flat(d4, half(d8), half(d8)) = 64 wide: a 64-wide residual block fits.
    (
        "(lam (dense_2 (residual (lam (dense_64 (relu (dense_64 $0))))"
        " (flatten (maxpool (conv_3_4 $0))))))",
        img_type(1, 8, 8),
        (1, 8, 8),
    ),
]

BAD = [
    ("(lam (dense_3 (conv_3_4 $0)))", vec_type(5), "does not fit"),  # conv on a vector
    ("(lam (dense_3 (residual (lam (dense_7 $0)) $0)))", vec_type(5), "keep its shape"),
    (
        "(lam (dense_3 (flatten (maxpool (maxpool (maxpool (maxpool $0)))))))",
        img_type(1, 8, 8),
        "too small",
    ),
    ("(lam (dense_3 (layernorm $0)))", img_type(1, 8, 8), "needs a vec"),
    ("(lam (dense_3 (dense_4 $0)))", img_type(1, 8, 8), "does not fit"),
    ("(lam (dense_2 (setmap (lam (flatten $0)) $0)))", set_type(3), "does not fit"),
]


@pytest.mark.parametrize(("text", "tp", "shape"), GOOD)
def test_good_architectures_round_trip_and_compile(
    text: str, tp: object, shape: tuple[int, ...]
) -> None:
    program = parse_architecture(text)
    assert show(program) == text
    assert to_program(to_pipeline(program)) == program
    net = build_network(program, tp)  # type: ignore[arg-type]
    out = net(torch.randn(4, *shape))
    assert out.shape == (4, int(output_type(program, tp).args[0].name[1:]))  # type: ignore[arg-type,union-attr]


@pytest.mark.parametrize(("text", "tp", "why"), BAD)
def test_ill_typed_architectures_are_never_built(text: str, tp: object, why: str) -> None:
    with pytest.raises(ArchitectureError, match=why):
        build_network(parse_architecture(text), tp)  # type: ignore[arg-type]


def test_wrong_output_type_is_a_clean_error() -> None:
    program = parse_architecture("(lam (dense_3 (relu (dense_16 $0))))")
    with pytest.raises(ArchitectureError, match="task needs vec"):
        build_network(program, vec_type(5), vec_type(10))


@pytest.mark.parametrize(
    "text", ["(lam (dense_x $0))", "(dense_3 $0)", "(lam (relu $1))", "(lam (dense_3 $0)"]
)
def test_bad_text_is_a_clean_error(text: str) -> None:
    with pytest.raises(ArchitectureError):
        parse_architecture(text)


LAYER = st.sampled_from(
    [
        "dense_4",
        "dense_9",
        "relu",
        "tanh",
        "conv_3_2",
        "conv_1_5",
        "maxpool",
        "flatten",
        "globalavg",
        "batchnorm",
        "layernorm",
        "dropout_20",
        "avgpool",
    ]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(LAYER, min_size=1, max_size=6))
def test_random_pipelines_build_exactly_when_their_types_fit(layers: list[str]) -> None:
    program = to_program(tuple(layers))
    tp = img_type(2, 4, 4)
    try:
        expected = output_type(program, tp)
    except ArchitectureError:
        with pytest.raises(ArchitectureError):
            build_network(program, tp)
        return
    net = build_network(program, tp)
    net.eval()
    out = net(torch.randn(3, 2, 4, 4))
    sizes = [int(a.name[1:]) for a in expected.args]  # type: ignore[union-attr]
    assert list(out.shape) == [3, *sizes]
