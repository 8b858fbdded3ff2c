"""The neural guide: a recognition model that predicts a grammar for each task.

DreamCoder's recognition model (Ellis et al., PLDI 2021): a network reads a
task's examples and predicts the log-weights of the library's productions *for
this task*, so the search looks first where the solution probably is. The guide
here embeds the task with its domain's featurizer
(:mod:`hylo.domains.featurize`) and adds a per-task correction to the library
grammar's log-weights (the unigram form). Its output is an ordinary
:class:`~hylo.search.grammar.Grammar`, so every synthesizer accepts it.

It is trained by maximising the log-prior of known solutions under the grammar
it predicts for their tasks: replayed solutions of solved tasks and *dreams*,
programs sampled from the library and run on real inputs
(:mod:`hylo.learn.dreams`). An untrained guide predicts exactly the library
grammar (its last layer starts at zero), so guidance can only start from there.

Weights are saved as safetensors bytes that also carry the architecture and
the production names, and load back bit for bit.

>>> from hylo.domains import get_domain
>>> from hylo.domains.task import make_task
>>> from hylo.lang.types import parse_type
>>> grammar = Grammar.uniform(get_domain("lists").primitives)
>>> guide = Guide(grammar, "lists")
>>> task = make_task("inc", parse_type("list(int) -> list(int)"), [([[1, 2]], [2, 3])])
>>> guide.grammar_for(task).weights() == grammar.weights()  # untrained: the library's grammar
True
"""

from __future__ import annotations

import json
import math
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors
from torch import nn

from hylo.domains.featurize import featurizer_for
from hylo.domains.task import Task
from hylo.lang.errors import HyloError
from hylo.lang.program import Program
from hylo.lang.types import arguments
from hylo.search.grammar import Context, ContextualGrammar, Grammar, NotInGrammar, head_key

_FORMAT = 1
_VARIABLE = "$"
_METADATA_KEY = "hylo-guide"


@dataclass(frozen=True)
class TrainingExample:
    """A task and programs that solve it (a replayed frontier, or one dream)."""

    task: Task
    programs: tuple[Program, ...]


@dataclass(frozen=True)
class TrainingStats:
    """What one call of :meth:`Guide.fit` did."""

    examples: int
    skipped: int
    epochs: int
    steps: int
    seconds: float
    first_loss: float
    final_loss: float

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class _Derived:
    """A program's derivation as tensors: at each node the candidates and the one chosen."""

    task: Task
    candidates: torch.Tensor  # (steps, productions + 1) bool
    chosen: torch.Tensor  # (steps,) long
    contexts: torch.Tensor  # (steps,) long: the row of the predicted weights
    weight: float


class Guide(nn.Module):
    """Task → grammar: the library grammar's log-weights plus a learned per-task correction.

    Args:
        grammar: the library grammar the guide adjusts (its productions and weights).
        domain: the domain whose featurizer reads the tasks.
        hidden: width of the layer between the task embedding and the log-weights.
        featurizer: keyword arguments of the domain's featurizer.
        contextual: also predict DreamCoder's bigram weights, per parent production
            and argument position (a :class:`~hylo.search.grammar.ContextualGrammar`);
            otherwise one set of weights per task (a plain grammar).
        max_contexts: if given, a predicted grammar keeps its own weights only in the
            this many contexts where they differ most from its plain weights (the
            others use those). Every context with its own weights costs the
            enumerator its own memo, so this trades how closely the guide is
            followed for search speed; ``None`` keeps every context.
        library_share: the library grammar's share in each predicted distribution
            (a defensive mixture, ``(1 - s) * guide + s * library``): a production the
            guide all but rules out still costs at most ``-log s`` nats more than
            under the library, so an overconfident prediction slows a search down
            instead of losing the task. 0 follows the guide alone.
        seed: seeds the initial weights (same seed, same guide).
    """

    def __init__(
        self,
        grammar: Grammar,
        domain: str,
        hidden: int = 64,
        featurizer: dict[str, Any] | None = None,
        contextual: bool = True,
        max_contexts: int | None = None,
        library_share: float = 0.0,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if len(grammar) == 0:
            raise HyloError("a guide needs a grammar with at least one production")
        if not 0.0 <= library_share < 1.0:
            raise ValueError(f"library_share must be in [0, 1), got {library_share}")
        self.library_share = library_share
        self.library = grammar
        self.domain = domain
        self.hidden = hidden
        self.contextual = contextual
        self.max_contexts = max_contexts
        self.names = [p.program.name for p in grammar.productions] + [_VARIABLE]
        self._index = {n: i for i, n in enumerate(self.names)}
        self.contexts = _contexts(grammar) if contextual else []
        # Row len(contexts) of the predicted weights is the plain (unigram) grammar.
        self._context_index = {c: i for i, c in enumerate(self.contexts)}
        n = len(self.names)
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            self.featurizer = featurizer_for(domain, **(featurizer or {}))
            self.body = nn.Sequential(nn.Linear(self.featurizer.dim, hidden), nn.ReLU())
            self.unigram = nn.Linear(hidden, n)
            self.bigram = nn.Linear(hidden, len(self.contexts) * n) if contextual else None
        # Start at the library grammar: only evidence moves the guide away from it.
        for layer in (self.unigram, self.bigram):
            if layer is not None:
                nn.init.zeros_(layer.weight)
                nn.init.zeros_(layer.bias)
        base = [p.log_weight for p in grammar.productions] + [grammar.log_variable]
        self.register_buffer("base", torch.tensor(base, dtype=torch.float32))

    def __repr__(self) -> str:
        kind = "bigram" if self.contextual else "unigram"
        return (
            f"Guide({self.domain!r}, {len(self.names) - 1} productions, {kind}, "
            f"hidden={self.hidden})"
        )

    # --- prediction ------------------------------------------------------------------------

    def forward(self, tasks: Sequence[Task]) -> torch.Tensor:
        """Log-weights ``(len(tasks), contexts + 1, productions + 1)``.

        Row ``c`` holds the weights in context ``self.contexts[c]``; the last row,
        the plain weights used elsewhere. The last column is the variables'.
        """
        hidden = self.body(self.featurizer(tasks))
        plain: torch.Tensor = self.get_buffer("base") + self.unigram(hidden)
        rows = plain.unsqueeze(1)
        if self.bigram is not None:
            per_context = self.bigram(hidden).view(len(tasks), len(self.contexts), -1)
            rows = torch.cat([plain.unsqueeze(1) + per_context, rows], dim=1)
        return rows

    def grammar_for(self, task: Task) -> Grammar:
        """The grammar predicted for ``task`` (any synthesizer's ``grammar`` argument)."""
        return self.grammars([task])[0]

    def grammars(self, tasks: Sequence[Task]) -> list[Grammar]:
        """One predicted grammar per task (one forward pass for all of them)."""
        if not tasks:
            return []
        was_training = self.training
        self.eval()
        with torch.no_grad():
            weights = self._mixed(self(tasks).double()).tolist()
        self.train(was_training)
        productions = self.library.primitives

        def plain(row: list[float]) -> Grammar:
            return Grammar(zip(row[:-1], productions, strict=True), row[-1])

        if not self.contextual:
            return [plain(rows[-1]) for rows in weights]
        every = list(range(len(self.contexts)))
        kept = (
            [every] * len(weights)
            if self.max_contexts is None
            else self._informative_contexts(weights, self.max_contexts)
        )
        return [
            ContextualGrammar(plain(rows[-1]), {self.contexts[c]: plain(rows[c]) for c in keep})
            for rows, keep in zip(weights, kept, strict=True)
        ]

    def _mixed(self, logits: torch.Tensor) -> torch.Tensor:
        """``logits`` (log-weights, last axis the productions) mixed with the library's."""
        share = self.library_share
        if share == 0.0:
            return logits
        guide = torch.log_softmax(logits, dim=-1) + math.log1p(-share)
        library = torch.log_softmax(self.get_buffer("base").double(), dim=-1) + math.log(share)
        return torch.logaddexp(guide, library.expand_as(guide))

    def _informative_contexts(self, weights: list[list[list[float]]], k: int) -> list[list[int]]:
        """Per task, the ``k`` contexts whose weights differ most from the plain ones.

        Measured by KL divergence between the two distributions over all productions.
        """
        logits = torch.tensor(weights, dtype=torch.float64)
        logp = torch.log_softmax(logits, dim=2)
        plain = logp[:, -1:, :]
        kl = (logp.exp() * (logp - plain)).sum(dim=2)[:, :-1]
        k = min(k, kl.shape[1])
        return [sorted(row) for row in torch.topk(kl, k, dim=1).indices.tolist()]

    # --- training --------------------------------------------------------------------------

    def fit(
        self,
        examples: Sequence[TrainingExample],
        *,
        epochs: int = 10,
        batch_size: int = 32,
        lr: float = 3e-3,
        max_seconds: float | None = None,
        seed: int = 0,
    ) -> TrainingStats:
        """Maximise the log-prior of each example's programs under its task's predicted grammar.

        A task with several programs counts once (each program weighs ``1/n``).
        Programs the library grammar cannot produce are skipped.

        Args:
            examples: tasks with their solutions (replays) or sampled programs (dreams).
            epochs: passes over the examples.
            batch_size: tasks per gradient step.
            lr: Adam's learning rate.
            max_seconds: stop after the epoch that passes this much time.
            seed: the order in which examples are visited.
        """
        if epochs < 0 or batch_size < 1:
            raise ValueError(f"need epochs >= 0 and batch_size >= 1, got {epochs}, {batch_size}")
        start = time.perf_counter()
        derived = [d for ex in examples for d in self._derive(ex)]
        skipped = sum(len(ex.programs) for ex in examples) - len(derived)
        stats = TrainingStats(len(derived), skipped, 0, 0, 0.0, math.nan, math.nan)
        if not derived:
            return stats
        optimizer = torch.optim.Adam(self.parameters(), lr=lr)
        generator = torch.Generator().manual_seed(seed)
        first, last, steps, done = math.nan, math.nan, 0, 0
        self.train()
        for _ in range(epochs):
            order = torch.randperm(len(derived), generator=generator).tolist()
            total = 0.0
            for at in range(0, len(order), batch_size):
                batch = [derived[i] for i in order[at : at + batch_size]]
                loss = self._loss(batch, plain_too=True)
                optimizer.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                optimizer.step()
                total += float(loss.detach()) * len(batch)
                steps += 1
            done += 1
            last = total / len(derived)
            first = last if math.isnan(first) else first
            if max_seconds is not None and time.perf_counter() - start > max_seconds:
                break
        self.eval()
        seconds = time.perf_counter() - start
        return TrainingStats(len(derived), skipped, done, steps, seconds, first, last)

    def loss(self, examples: Sequence[TrainingExample]) -> float:
        """Mean negative log-prior of the examples' programs (nats, up to a constant)."""
        derived = [d for ex in examples for d in self._derive(ex)]
        if not derived:
            return math.nan
        with torch.no_grad():
            return float(self._loss(derived))

    def _loss(self, batch: Sequence[_Derived], plain_too: bool = False) -> torch.Tensor:
        """Mean negative log-prior under the predicted grammars (``plain_too``: plus that
        under their plain weights alone, the training objective)."""
        logits = self([d.task for d in batch])
        owner = torch.cat([torch.full((len(d.chosen),), i) for i, d in enumerate(batch)])
        weights = torch.tensor([d.weight for d in batch])[owner]
        contexts = torch.cat([d.contexts for d in batch])
        candidates = torch.cat([d.candidates for d in batch])
        chosen = torch.cat([d.chosen for d in batch])

        def nll(rows: torch.Tensor) -> torch.Tensor:
            normaliser = torch.logsumexp(rows.masked_fill(~candidates, -math.inf), dim=1)
            picked = rows.gather(1, chosen.unsqueeze(1)).squeeze(1)
            return ((normaliser - picked) * weights).sum()

        total = nll(logits[owner, contexts])
        if plain_too and self.bigram is not None:
            # The plain weights must also stand on their own, as a unigram grammar: a
            # synthesizer that cannot follow contexts (the bottom-up search) reads only
            # them. Trained only where no context applies, they made ARC solutions less
            # likely than the library grammar did.
            total = total + nll(logits[owner, torch.full_like(contexts, len(self.contexts))])
        return total / len(batch)

    def _derive(self, example: TrainingExample) -> list[_Derived]:
        found: list[tuple[list[set[int]], list[int], list[int]]] = []
        plain = len(self.contexts)
        for program in example.programs:
            try:
                steps = self.library.contextual_derivation(program, example.task.request)
            except NotInGrammar:
                continue
            found.append(
                (
                    [{self._index[head_key(c.head)] for c in options} for _, options, _ in steps],
                    [self._index[head_key(chosen.head)] for _, _, chosen in steps],
                    [self._context_index.get(context, plain) for context, _, _ in steps],
                )
            )
        out = []
        for options, chosen, contexts in found:
            mask = torch.zeros(len(chosen), len(self.names), dtype=torch.bool)
            for row, allowed in enumerate(options):
                mask[row, list(allowed)] = True
            out.append(
                _Derived(
                    example.task,
                    mask,
                    torch.tensor(chosen),
                    torch.tensor(contexts),
                    1.0 / len(found),
                )
            )
        return out

    # --- saving ----------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """The architecture and the productions, as plain JSON."""
        return {
            "format": _FORMAT,
            "domain": self.domain,
            "hidden": self.hidden,
            "contextual": self.contextual,
            "max_contexts": self.max_contexts,
            "library_share": self.library_share,
            "featurizer": self.featurizer.config(),
            "productions": self.names[:-1],
        }

    def to_bytes(self) -> bytes:
        """The weights as safetensors bytes, with :meth:`config` in their metadata."""
        state = {k: v.detach().contiguous() for k, v in self.state_dict().items()}
        text = json.dumps(self.config(), sort_keys=True)
        return save_tensors(state, metadata={_METADATA_KEY: text})

    @classmethod
    def from_bytes(cls, data: bytes, grammar: Grammar) -> Guide:
        """Rebuild a guide saved by :meth:`to_bytes` for the library grammar ``grammar``.

        Raises:
            HyloError: ``data`` is not a saved guide, or it was trained for other productions.
        """
        config = guide_config(data)
        names = [p.program.name for p in grammar.productions]
        if config.get("productions") != names:
            theirs = set(config.get("productions", []))
            diff = sorted(theirs.symmetric_difference(names))[:5]
            raise HyloError(
                "the guide was trained for a different library (productions differ: "
                f"{', '.join(diff) or 'order'}); train a new one with 'hylo learn'"
            )
        guide = cls(
            grammar,
            config["domain"],
            config["hidden"],
            config["featurizer"],
            contextual=bool(config.get("contextual", False)),
            max_contexts=config.get("max_contexts"),
            library_share=float(config.get("library_share", 0.0)),
        )
        try:
            guide.load_state_dict(load_tensors(data))
        except (RuntimeError, ValueError) as exc:
            raise HyloError(f"the guide's weights do not fit its architecture: {exc}") from exc
        guide.eval()
        return guide


def guide_config(data: bytes) -> dict[str, Any]:
    """The architecture stored in a guide's safetensors bytes (without loading the weights).

    Raises:
        HyloError: ``data`` is not safetensors bytes of a hylo guide.
    """
    try:
        (n,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8 : 8 + n])
        config = json.loads(header["__metadata__"][_METADATA_KEY])
    except (struct.error, ValueError, KeyError, TypeError) as exc:
        raise HyloError(f"not the safetensors bytes of a hylo guide ({exc})") from exc
    if not isinstance(config, dict) or config.get("format") != _FORMAT:
        raise HyloError(f"unsupported guide format {config!r}; train a new guide")
    return config


def _contexts(grammar: Grammar) -> list[Context]:
    """Every context a node can stand in: the top, and each argument of each head.

    Variables (functions in scope, such as a fold's accumulator) take up to
    :data:`_VARIABLE_ARITY` arguments here; deeper ones use the plain weights.
    """
    out: list[Context] = [None]
    for p in grammar.productions:
        out.extend((p.program.name, i) for i in range(len(arguments(p.tp))))
    out.extend((_VARIABLE, i) for i in range(_VARIABLE_ARITY))
    return out


_VARIABLE_ARITY = 3
