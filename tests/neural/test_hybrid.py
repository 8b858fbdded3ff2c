"""Hybrid fitting: neural weights by gradient and integer constants by CMA-ES, in one call."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hylo.domains.digits import DIGITS
from hylo.lang import HyloError, parse, parse_type
from hylo.train import FitError
from hylo.train.hybrid import fit_hybrid
from hylo.train.neural import (
    NeuralNamespace,
    TrainConfig,
    encode_examples,
    evaluate,
    instantiate_modules,
    soft_run,
    train_program,
)
from hylo.train.neural.soft import UnsupportedProgram

NS = NeuralNamespace(DIGITS.namespace)
COUNT_ABOVE = parse("(lam (count (lam (gt? (nn:digit#0 $0) #c0:int)) $0))", NS)
LIST_TYPE = parse_type("list(image) -> int")


def image(rng: np.random.Generator, digit: int) -> np.ndarray:
    """A noisy 10-pixel picture of ``digit``: easy to learn, not trivial."""
    x = rng.normal(0.0, 0.3, 10).astype(np.float32)
    x[digit] += 1.0
    return x


def count_above(rng: np.random.Generator, n: int, c: int) -> list:
    out = []
    for _ in range(n):
        digits = rng.integers(0, 10, rng.integers(2, 6))
        out.append(([[image(rng, int(d)) for d in digits]], int((digits > c).sum())))
    return out


def test_soft_execution_reads_integer_parameters() -> None:
    p = parse("(lam (+ $0 #c0:int))", NS)
    out = soft_run(p, (torch.eye(10)[[3, 8]],), {}, params=(4,))
    assert out.argmax(-1).tolist() == [7, 12]
    with pytest.raises(HyloError, match="one value per parameter"):
        soft_run(p, (torch.eye(10)[[3]],), {})
    with pytest.raises(UnsupportedProgram, match="non-negative"):
        soft_run(p, (torch.eye(10)[[3]],), {}, params=(-2,))


def test_constant_by_cma_es_and_weights_by_gradient_in_one_call() -> None:
    rng = np.random.default_rng(0)
    # A digit classifier from labelled single images, as a library module would be ...
    single = parse("(lam (nn:digit#0 $0))", NS)
    labels = rng.integers(0, 10, 300)
    data = encode_examples(
        [((image(rng, int(d)),), int(d)) for d in labels], parse_type("image -> int")
    )
    modules = instantiate_modules(single, (10,))
    train_program(single, *data.split(0.2, 0), modules, TrainConfig(epochs=30, lr=0.01))
    before = {k: t.clone() for k, t in modules["nn:digit#0"].state_dict().items()}
    # ... reused in "count the digits above c" with c unknown: only counts supervise.
    train, val = encode_examples(count_above(rng, 120, 6), LIST_TYPE).split(0.25, 0)
    result = fit_hybrid(COUNT_ABOVE, train, val, modules, config=TrainConfig(epochs=8))
    assert result.params == (6,)
    assert result.fits[0].evaluations > 1  # the constant was searched, not guessed
    assert result.trains[0].trained
    after = modules["nn:digit#0"].state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)  # fine-tuned
    test = encode_examples(count_above(rng, 200, 6), LIST_TYPE)
    accuracy, _ = evaluate(COUNT_ABOVE, test, modules, result.params)
    assert accuracy > 0.6  # lists of up to 5 digits, each read right ~93% of the time


def test_bad_settings_are_clean_errors() -> None:
    rng = np.random.default_rng(1)
    data = encode_examples(count_above(rng, 4, 5), LIST_TYPE)
    modules = instantiate_modules(COUNT_ABOVE, (10,))
    with pytest.raises(ValueError, match="rounds"):
        fit_hybrid(COUNT_ABOVE, data, data, modules, rounds=0)
    floats = parse("(lam (count (lam (gt? (nn:digit#0 $0) #c0:float)) $0))", NS)
    with pytest.raises(FitError, match="int parameters only"):
        fit_hybrid(floats, data, data, modules)
