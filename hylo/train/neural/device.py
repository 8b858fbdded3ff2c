"""Which torch device trains networks: a GPU where one is present, else the CPU.

``"auto"`` (the default everywhere) reads the environment variable ``HYLO_DEVICE``
first, so a whole run can be pinned without touching code (``HYLO_DEVICE=cpu
hylo automl digits``); otherwise it takes CUDA when torch sees a GPU.

>>> torch_device("cpu")
device(type='cpu')
>>> torch_device("tpu")
Traceback (most recent call last):
    ...
hylo.lang.errors.HyloError: unknown device 'tpu': use 'auto', 'cpu', 'cuda' or 'cuda:N'
"""

from __future__ import annotations

import os

import torch

from hylo.lang.errors import HyloError

ENV_VAR = "HYLO_DEVICE"


def torch_device(name: str = "auto") -> torch.device:
    """The torch device for ``name``: ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``."""
    if name == "auto":
        name = os.environ.get(ENV_VAR, "auto") or "auto"
        if name == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name != "cpu" and name != "cuda" and not name.startswith("cuda:"):
        raise HyloError(f"unknown device {name!r}: use 'auto', 'cpu', 'cuda' or 'cuda:N'")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise HyloError(
            f"device {name!r} asked for, but torch sees no CUDA GPU "
            f"(torch {torch.__version__}); use 'cpu' or 'auto'"
        )
    return torch.device(name)
