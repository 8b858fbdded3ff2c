"""Featurizers: a task's examples as one vector, for the neural guide (PyTorch).

A featurizer is a :class:`torch.nn.Module` that maps a batch of tasks to a
``(len(tasks), dim)`` tensor. Each domain declares one in a registry keyed by
domain name (:func:`register_featurizer`); a new domain adds its own. The list
domains read every example as a sequence of tokens (inputs, then the output)
through a small GRU, and pool the examples of a task by their mean, so the
embedding does not depend on how many examples a task has.

This module imports torch: it is loaded only by the guide, never by the language
or the search itself.

>>> from hylo.domains.task import make_task
>>> from hylo.lang.types import parse_type
>>> task = make_task("rev", parse_type("list(int) -> list(int)"), [([[1, 2]], [2, 1])])
>>> f = featurizer_for("lists")
>>> tuple(f([task, task]).shape) == (2, f.dim)
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from hylo.domains.task import Task
from hylo.lang.errors import HyloError

# Token ids of the list featurizer: small integers have their own token.
_MAX_INT = 64
_PAD, _IN, _OUT, _OPEN, _CLOSE, _TRUE, _FALSE, _BIG, _SMALL, _OTHER = range(10)
_INT0 = 10 + _MAX_INT  # token of the integer 0
_VOCAB = 10 + 2 * _MAX_INT + 1


class Featurizer(nn.Module):
    """Maps tasks to vectors: ``forward(tasks) -> Tensor[len(tasks), dim]``."""

    dim: int

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (plain JSON), to rebuild it for saved weights."""
        raise NotImplementedError

    def forward(self, tasks: Sequence[Task]) -> torch.Tensor:
        raise NotImplementedError


class ListFeaturizer(Featurizer):
    """Values of the list domains (ints, bools, nested lists) as token sequences, via a GRU.

    Args:
        embedding: size of a token's embedding.
        hidden: size of the GRU state, which is also the output size.
        max_tokens: longer examples are cut to this many tokens.
        max_examples: only the first this many training examples are read.
    """

    def __init__(
        self, embedding: int = 32, hidden: int = 64, max_tokens: int = 64, max_examples: int = 10
    ) -> None:
        super().__init__()
        self.embedding, self.hidden = embedding, hidden
        self.max_tokens, self.max_examples = max_tokens, max_examples
        self.dim = hidden
        self.embed = nn.Embedding(_VOCAB, embedding, padding_idx=_PAD)
        self.gru = nn.GRU(embedding, hidden, batch_first=True)

    def config(self) -> dict[str, Any]:
        return {
            "embedding": self.embedding,
            "hidden": self.hidden,
            "max_tokens": self.max_tokens,
            "max_examples": self.max_examples,
        }

    def forward(self, tasks: Sequence[Task]) -> torch.Tensor:
        sequences: list[list[int]] = []
        owner: list[int] = []
        for i, task in enumerate(tasks):
            examples = task.train[: self.max_examples]
            # A task without examples still gets a (blank) row.
            rows = [example_tokens(ex.inputs, ex.output) for ex in examples] or [[_OTHER]]
            sequences.extend(tokens[: self.max_tokens] for tokens in rows)
            owner.extend([i] * len(rows))
        lengths = torch.tensor([len(s) for s in sequences])
        padded = torch.zeros(len(sequences), int(lengths.max()), dtype=torch.long)
        for row, s in enumerate(sequences):
            padded[row, : len(s)] = torch.tensor(s)
        packed = nn.utils.rnn.pack_padded_sequence(
            self.embed(padded), lengths, batch_first=True, enforce_sorted=False
        )
        _, last = self.gru(packed)
        return _mean_by(last[0], torch.tensor(owner), len(tasks))


def _mean_by(rows: torch.Tensor, owner: torch.Tensor, n: int) -> torch.Tensor:
    """Mean of the rows that belong to each of ``n`` groups."""
    total = torch.zeros(n, rows.shape[1], dtype=rows.dtype).index_add_(0, owner, rows)
    ones = torch.ones(len(owner), dtype=rows.dtype)
    counts = torch.zeros(n, dtype=rows.dtype).index_add_(0, owner, ones)
    return total / counts.clamp(min=1.0).unsqueeze(1)


def example_tokens(inputs: Sequence[Any], output: Any) -> list[int]:
    """One example as tokens: each input after an input marker, then the output.

    >>> len(example_tokens(([1, 2],), 3))  # IN [ 1 2 ] OUT 3
    7
    """
    tokens: list[int] = []
    for x in inputs:
        tokens.append(_IN)
        _value_tokens(x, tokens)
    tokens.append(_OUT)
    _value_tokens(output, tokens)
    return tokens


def _value_tokens(value: Any, out: list[int]) -> None:
    if isinstance(value, bool):
        out.append(_TRUE if value else _FALSE)
    elif isinstance(value, int):
        if value > _MAX_INT:
            out.append(_BIG)
        elif value < -_MAX_INT:
            out.append(_SMALL)
        else:
            out.append(_INT0 + value)
    elif isinstance(value, list | tuple):
        out.append(_OPEN)
        for v in value:
            _value_tokens(v, out)
        out.append(_CLOSE)
    else:
        out.append(_OTHER)


FeaturizerFactory = Callable[..., Featurizer]

_REGISTRY: dict[str, FeaturizerFactory] = {
    "lists": ListFeaturizer,
    "lists-dreamcoder": ListFeaturizer,
}


def register_featurizer(domain: str, factory: FeaturizerFactory) -> None:
    """Declare how tasks of ``domain`` become vectors (a new domain calls this once).

    ``factory(**config)`` must build the featurizer; ``config`` is what its
    :meth:`Featurizer.config` returns, so saved guides can be rebuilt.
    """
    _REGISTRY[domain] = factory


def featurizer_for(domain: str, **config: Any) -> Featurizer:
    """A fresh featurizer for the tasks of ``domain``.

    Raises:
        HyloError: no featurizer is registered for ``domain``.
    """
    _register_optional()
    factory = _REGISTRY.get(domain)
    if factory is None:
        raise HyloError(
            f"domain {domain!r} has no featurizer for the neural guide (known: "
            f"{', '.join(sorted(_REGISTRY))}); register one with "
            "hylo.domains.featurize.register_featurizer"
        )
    return factory(**config)


def _register_optional() -> None:
    """Featurizers of domains that may not be installed (the grid domain)."""
    if "arc" in _REGISTRY:
        return
    try:
        import hylo.domains.arc  # noqa: F401
    except ImportError:
        return
    _REGISTRY["arc"] = GridFeaturizer


class GridFeaturizer(Featurizer):
    """Grids of colours 0–9 as one-hot images through a small CNN, input and output side by side.

    Args:
        channels: feature maps per convolution.
        max_examples: only the first this many training examples are read.
    """

    def __init__(self, channels: int = 32, max_examples: int = 5) -> None:
        super().__init__()
        self.channels, self.max_examples = channels, max_examples
        self.dim = 2 * channels
        self.cnn = nn.Sequential(
            nn.Conv2d(11, channels, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveMaxPool2d(1),
            nn.Flatten(),
        )

    def config(self) -> dict[str, Any]:
        return {"channels": self.channels, "max_examples": self.max_examples}

    def forward(self, tasks: Sequence[Task]) -> torch.Tensor:
        pairs: list[torch.Tensor] = []
        owner: list[int] = []
        for i, task in enumerate(tasks):
            for ex in task.train[: self.max_examples]:
                grid_in = ex.inputs[0] if ex.inputs else None
                pairs.append(torch.cat([_one_hot(grid_in), _one_hot(ex.output)]))
                owner.append(i)
        if not pairs:
            return torch.zeros(len(tasks), self.dim)
        features = self.cnn(torch.stack(pairs).view(-1, 11, 30, 30))
        return _mean_by(features.view(len(pairs), self.dim), torch.tensor(owner), len(tasks))


def _one_hot(grid: Any) -> torch.Tensor:
    """A grid as an 11×30×30 one-hot image; channel 10 marks cells outside the grid.

    Reads rows of colours 0–9, a 2-D array, or anything with such an ``array``
    (the ARC domain's ``Grid``); anything else is a blank image.
    """
    image = torch.zeros(11, 30, 30)
    image[10] = 1.0
    try:
        cells = torch.from_numpy(np.array(getattr(grid, "array", grid), dtype=np.int64))
    except (TypeError, ValueError, RuntimeError):
        return image
    if cells.dim() != 2:
        return image
    cells = cells[:30, :30]
    h, w = cells.shape
    inside = (cells >= 0) & (cells <= 9)
    colours = nn.functional.one_hot(cells.clamp(0, 9), 10).permute(2, 0, 1).float()
    image[:10, :h, :w] = colours * inside.float()
    image[10, :h, :w] = (~inside).float()
    return image
