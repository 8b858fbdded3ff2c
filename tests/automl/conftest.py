"""Tiny datasets so that every AutoML test runs in seconds."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hylo.automl import Dataset, split


def tiny_dataset(seed: int = 0, n: int = 90) -> Dataset:
    """Three Gaussian blobs in 4-D: learnable in a few epochs."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    centres = rng.normal(0, 3, (3, 4))
    x = centres[y] + rng.normal(0, 1, (n, 4))
    return split("tiny", x, y, seed=seed)


@pytest.fixture
def tiny() -> Dataset:
    torch.set_num_threads(1)
    return tiny_dataset()
