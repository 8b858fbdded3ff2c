"""Sleep, second phase: dream up tasks and train the neural guide on them and on replays.

A *dream* is a task the system makes up itself (DreamCoder's Helmholtz samples):
a program sampled from the library's grammar, run on inputs drawn from real
tasks of its type. Only informative dreams are kept: the program must not fail
on those inputs, must not give the same output for all of them, and must behave
differently from every other dream (observational equivalence on a fixed probe
of real inputs; of two equivalent programs the more probable one is kept). The
guide (:class:`~hylo.search.guide.Guide`) is then trained to predict each
dream's program from its examples, together with the *replayed* solutions of
the training tasks solved so far.

The trained guide's weights go into the library store as an artifact of kind
``"guide"`` that names the grammar version it was trained for.

>>> from hylo.domains.dreamcoder_format import bundled_list_tasks
>>> from hylo.learn.spec import LibrarySpec
>>> found = dream(LibrarySpec("lists").grammar(), bundled_list_tasks("train"), 5, seed=1)
>>> len(found), all(d.task.name.startswith("dream") for d in found)
(5, True)
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from hylo.domains.task import Task, make_task
from hylo.lang.evaluate import Evaluator, Limits
from hylo.lang.program import Abstraction, Program, apply_to
from hylo.lang.types import (
    Substitution,
    TCon,
    TVar,
    Type,
    apply,
    free_vars,
    is_arrow,
    max_var_id,
    rename,
    show_type,
)
from hylo.library import LibraryError, LibraryStore
from hylo.search.grammar import Choice, Grammar

DREAM_LIMITS = Limits(max_steps=10_000, timeout_s=0.05, max_length=100)
"""Per-call limits when running a dream: as in search, what needs more is discarded."""

GUIDE_KIND = "guide"
GUIDE_FILE = "guide.safetensors"


@dataclass(frozen=True)
class Dream:
    """A made-up task, the program that made it, and that program's log-prior."""

    task: Task
    program: Program
    log_prior: float


class _DeadEnd(Exception):
    """A sample that cannot be finished within the depth or size limit."""


def sample_program(
    grammar: Grammar,
    request: Type,
    rng: random.Random,
    max_depth: int = 4,
    max_nodes: int = 40,
) -> Program | None:
    """Draw a program of type ``request`` from ``grammar`` (``None`` if the draw dead-ends).

    Top-down, exactly as the grammar scores programs: at each node a head is
    drawn with its normalised probability among those that fit; below
    ``max_depth`` only heads without arguments are allowed.

    >>> from hylo.lang.types import parse_type
    >>> from hylo.learn.spec import LibrarySpec
    >>> g = LibrarySpec("lists").grammar()
    >>> p = sample_program(g, parse_type("list(int) -> int"), random.Random(0))
    >>> p is None or g.log_prior(p, parse_type("list(int) -> int")) > -math.inf
    True
    """
    state = _Sampler(grammar, rng, max_depth, max_nodes)
    try:
        program, _, _ = state.sample(request, (), {}, max_var_id(request) + 1, 0)
    except _DeadEnd:
        return None
    return program


@dataclass(frozen=True)
class _Options:
    """The choices at a request in canonical form (variables ``0..k-1``), leaves apart."""

    all: tuple[Choice, ...]
    weights: tuple[float, ...]
    leaves: tuple[Choice, ...]
    leaf_weights: tuple[float, ...]


@dataclass
class _Sampler:
    grammar: Grammar
    rng: random.Random
    max_depth: int
    max_nodes: int
    nodes: int = 0
    cache: dict[tuple[Type, ...], _Options] = field(default_factory=dict)

    def sample(
        self, request: Type, env: tuple[Type, ...], s: Substitution, nid: int, depth: int
    ) -> tuple[Program, Substitution, int]:
        request = apply(request, s)
        if isinstance(request, TCon) and is_arrow(request):
            arg, ret = request.args
            body, s, nid = self.sample(ret, (arg, *env), s, nid, depth)
            return Abstraction(body), s, nid
        self.nodes += 1
        if self.nodes > self.max_nodes:
            raise _DeadEnd
        choice, nid = self.choose((request, *(apply(t, s) for t in env)), nid, depth)
        s2 = dict(s)
        s2.update(choice.substitution)
        args: list[Program] = []
        for arg_type in choice.arg_types:
            child, s2, nid = self.sample(arg_type, env, s2, nid, depth + 1)
            args.append(child)
        return apply_to(choice.head, *args), s2, nid

    def choose(self, applied: tuple[Type, ...], nid: int, depth: int) -> tuple[Choice, int]:
        """Draw a head for ``(request, *env)``; returns it in the caller's variables.

        ``grammar.choices`` is computed once per request up to renaming of its type
        variables (most requests recur: ``int`` with ``$0 : int``…), then the chosen
        head's variables are mapped back: request variables to the caller's,
        fresh ones to ids from ``nid``.
        """
        ids: list[int] = []
        for t in applied:
            free_vars(t, ids)
        canon: dict[int, Type] = {v: TVar(i) for i, v in enumerate(ids)}
        key = tuple(rename(t, canon) for t in applied) if ids else applied
        options = self.cache.get(key)
        if options is None:
            options = self.cache[key] = _options(self.grammar.choices(key[0], key[1:], len(ids)))
        if depth >= self.max_depth:
            pool, weights = options.leaves, options.leaf_weights
        else:
            pool, weights = options.all, options.weights
        if not pool:
            raise _DeadEnd
        choice = self.rng.choices(pool, weights=weights)[0]
        k = len(ids)
        back: dict[int, Type] = {i: TVar(v) for i, v in enumerate(ids)}
        back.update({v: TVar(nid + v - k) for v in range(k, choice.next_id)})
        return (
            Choice(
                choice.cost,
                choice.head,
                tuple(rename(t, back) for t in choice.arg_types),
                {_var_id(back[v]): rename(t, back) for v, t in choice.substitution.items()},
                nid + choice.next_id - k,
            ),
            nid + choice.next_id - k,
        )


def _options(choices: list[Choice]) -> _Options:
    leaves = [c for c in choices if not c.arg_types]
    return _Options(
        tuple(choices),
        tuple(math.exp(-c.cost) for c in choices),
        tuple(leaves),
        tuple(math.exp(-c.cost) for c in leaves),
    )


def _var_id(t: Type) -> int:
    assert isinstance(t, TVar)  # ``back`` maps variables to variables
    return t.id


def dream(
    grammar: Grammar,
    tasks: Sequence[Task],
    n: int,
    *,
    seed: int = 0,
    attempts: int | None = None,
    max_depth: int = 4,
    probe_size: int = 12,
    limits: Limits | None = None,
    patience: int = 2000,
) -> list[Dream]:
    """Up to ``n`` distinct, informative dreams made with real tasks' types and inputs.

    Args:
        grammar: the grammar programs are sampled from.
        tasks: real tasks: their types (in proportion) and training inputs are used.
        n: how many dreams are wanted.
        seed: seeds the sampling (same seed, same dreams).
        attempts: samples drawn at most (default ``50 * n``).
        max_depth: depth limit of sampled programs.
        probe_size: real inputs per type on which behaviours are compared.
        limits: evaluation limits per call (default :data:`DREAM_LIMITS`).
        patience: stop after this many samples in a row bring no new behaviour
            (the tasks' inputs cannot tell more programs apart).
    """
    usable = [t for t in tasks if len(t.train) >= 2]
    if n <= 0 or not usable:
        return []
    rng = random.Random(seed)
    evaluator = Evaluator(limits or DREAM_LIMITS)
    probes = _probes(usable, probe_size)
    kept: dict[tuple[str, tuple[Any, ...]], Dream] = {}
    last_new = 0
    for attempt in range(attempts if attempts is not None else 50 * n):
        if len(kept) >= n or attempt - last_new > patience:
            break
        real = rng.choice(usable)
        program = sample_program(grammar, real.request, rng, max_depth)
        if program is None:
            continue
        found = _run_dream(evaluator, program, real, probes[show_type(real.request)])
        if found is None:
            continue
        outputs, signature = found
        name = f"dream-{len(kept)}"
        examples = [(ex.inputs, out) for ex, out in zip(real.train, outputs, strict=True)]
        task = make_task(name, real.request, examples, domain=real.domain)
        candidate = Dream(task, program, grammar.log_prior(program, real.request))
        key = (show_type(real.request), signature)
        old = kept.get(key)
        if old is None:
            last_new = attempt
        if old is None or candidate.log_prior > old.log_prior:
            kept[key] = Dream(
                make_task(old.task.name, real.request, examples, domain=real.domain)
                if old
                else task,
                program,
                candidate.log_prior,
            )
    return list(kept.values())


def _probes(tasks: Sequence[Task], size: int) -> dict[str, list[tuple[Any, ...]]]:
    """Per type, the first ``size`` distinct real inputs (the same for every dream)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    seen: dict[str, set[str]] = {}
    for task in tasks:
        key = show_type(task.request)
        probe, known = out.setdefault(key, []), seen.setdefault(key, set())
        for ex in task.train:
            text = repr(ex.inputs)
            if len(probe) < size and text not in known:
                known.add(text)
                probe.append(ex.inputs)
    return out


_ERROR = "<error>"


def _run_dream(
    evaluator: Evaluator, program: Program, real: Task, probe: list[tuple[Any, ...]]
) -> tuple[list[Any], tuple[Any, ...]] | None:
    """Outputs on ``real``'s inputs and the behaviour on the probe; None if uninformative."""
    try:
        f = evaluator.function(program)
    except Exception:  # a program that does not even compile is not a dream
        return None
    outputs = []
    for ex in real.train:
        try:
            outputs.append(f(*ex.inputs))
        except Exception:
            return None
    first = _freeze(outputs[0])
    if all(_freeze(o) == first for o in outputs[1:]):
        return None  # constant on these inputs: says nothing about the program
    signature = []
    for inputs in probe:
        try:
            signature.append(_freeze(f(*inputs)))
        except Exception:
            signature.append(_ERROR)
    return outputs, tuple(signature)


def _freeze(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


# --- training the guide ----------------------------------------------------------------


@dataclass(frozen=True)
class DreamSettings:
    """How much to dream and train in one sleep."""

    dreams: int = 500
    epochs: int = 8
    max_seconds: float = 300.0
    seed: int = 0
    contextual: bool = True
    """Predict bigram weights (per parent and argument) as well as unigram ones."""
    max_contexts: int | None = None
    """Contexts with their own weights in a predicted grammar (None: all; see the guide)."""
    library_share: float = 0.2
    """The library grammar's share in each predicted distribution (see the guide).
    Chosen on the list training tasks that the wake phase left unsolved (tasks no
    replay showed the guide): over two seeds they solved 6.5, 7.5, 8.5 and 7.5 of 30
    at shares 0, 0.05, 0.2 and 0.5."""
    threads: int = 1
    """Torch threads while training: the model is small, and more threads only
    contend with the search workers for the cores."""


@dataclass
class DreamReport:
    """What one dream phase did (an event of the run log)."""

    dreams: int
    replays: int
    dream_seconds: float
    train_seconds: float
    first_loss: float
    final_loss: float
    replay_loss_before: float
    replay_loss_after: float
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "extra"}
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in out.items()}


def train_guide(
    grammar: Grammar,
    domain: str,
    tasks: Sequence[Task],
    replays: Mapping[str, Sequence[Program]],
    settings: DreamSettings | None = None,
) -> tuple[Any, DreamReport]:
    """Dream with ``grammar`` on ``tasks``' inputs, then train a new guide on dreams and replays.

    Args:
        grammar: the library grammar (the guide predicts corrections to it).
        domain: the domain whose featurizer reads tasks.
        tasks: the real training tasks (types, inputs, and the tasks of the replays).
        replays: task name → solutions rewritten in this grammar's library.
        settings: how many dreams, epochs and seconds.

    Returns:
        The trained :class:`~hylo.search.guide.Guide` and a report.
    """
    import torch

    settings = settings or DreamSettings()
    threads = torch.get_num_threads()
    torch.set_num_threads(settings.threads)
    try:
        return _train_guide(grammar, domain, tasks, replays, settings)
    finally:
        torch.set_num_threads(threads)


def _train_guide(
    grammar: Grammar,
    domain: str,
    tasks: Sequence[Task],
    replays: Mapping[str, Sequence[Program]],
    settings: DreamSettings,
) -> tuple[Any, DreamReport]:
    from hylo.search.guide import Guide, TrainingExample

    by_name = {t.name: t for t in tasks}
    start = time.perf_counter()
    dreams = dream(grammar, tasks, settings.dreams, seed=settings.seed)
    dream_seconds = time.perf_counter() - start
    replayed = [
        TrainingExample(by_name[name], tuple(programs))
        for name, programs in sorted(replays.items())
        if name in by_name and programs
    ]
    examples = replayed + [TrainingExample(d.task, (d.program,)) for d in dreams]
    guide = Guide(
        grammar,
        domain,
        contextual=settings.contextual,
        max_contexts=settings.max_contexts,
        library_share=settings.library_share,
        seed=settings.seed,
    )
    before = guide.loss(replayed)
    stats = guide.fit(
        examples, epochs=settings.epochs, max_seconds=settings.max_seconds, seed=settings.seed
    )
    report = DreamReport(
        dreams=len(dreams),
        replays=len(replayed),
        dream_seconds=dream_seconds,
        train_seconds=stats.seconds,
        first_loss=stats.first_loss,
        final_loss=stats.final_loss,
        replay_loss_before=before,
        replay_loss_after=guide.loss(replayed),
    )
    return guide, report


# --- where guides are kept -------------------------------------------------------------


class GuideStore(Protocol):
    """Keeps trained guides' bytes; returns a reference to find them again."""

    def put(self, data: bytes, metadata: Mapping[str, Any]) -> str:
        """Keep ``data``; returns its reference."""
        ...

    def get(self, ref: str) -> bytes | None:
        """The bytes kept under ``ref`` (None when they are gone)."""
        ...


class MemoryGuideStore:
    """Guides kept in memory only (a run without a library: lost when the process ends)."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}

    def put(self, data: bytes, metadata: Mapping[str, Any]) -> str:
        del metadata
        ref = f"memory:{len(self._data)}"
        self._data[ref] = data
        return ref

    def get(self, ref: str) -> bytes | None:
        return self._data.get(ref)


class LibraryGuideStore:
    """Guides kept in a library store, as artifacts of kind ``"guide"``.

    Each names the grammar version it was trained for: the library's newest
    grammar when it is saved (sleep stores the refitted grammar first).
    """

    def __init__(self, store: LibraryStore) -> None:
        self.store = store

    def put(self, data: bytes, metadata: Mapping[str, Any]) -> str:
        grammar = self.store.latest_grammar()
        meta = {**metadata, "grammar_version": grammar.version if grammar else None}
        record = self.store.put_artifact(GUIDE_KIND, "guide", meta, {GUIDE_FILE: data})
        return str(record.id)

    def get(self, ref: str) -> bytes | None:
        try:
            return self.store.read_artifact_file(self.store.artifact(int(ref)), GUIDE_FILE)
        except (LibraryError, ValueError):
            return None


def library_guide(store: LibraryStore) -> tuple[bytes | None, str]:
    """The newest guide of a library if it fits the library's newest grammar, and why not.

    Returns:
        ``(bytes, description)`` of the guide, or ``(None, reason)`` when the
        library has no guide or its newest guide was trained for another grammar.
    """
    guides = store.artifacts(kind=GUIDE_KIND)
    if not guides:
        return None, "the library has no guide (train one with 'hylo learn --dreams N')"
    record = guides[-1]
    grammar = store.latest_grammar()
    version = grammar.version if grammar else None
    if record.metadata.get("grammar_version") != version:
        return None, (
            f"the library's guide was trained for grammar version "
            f"{record.metadata.get('grammar_version')}, but the library is at version {version}; "
            "run 'hylo learn' again to train a new one"
        )
    try:
        data = store.read_artifact_file(record, GUIDE_FILE)
    except LibraryError as exc:
        return None, f"the library's guide cannot be read: {exc}"
    return data, f"guide {record.id} (grammar version {version})"


def replay_frontiers(
    rewritten: Mapping[str, Iterable[str]], namespace: Mapping[str, Any]
) -> dict[str, list[Program]]:
    """Solutions as text (a sleep event's ``rewritten``) parsed with the new library."""
    from hylo.lang.program import parse

    return {name: [parse(p, dict(namespace)) for p in ps] for name, ps in rewritten.items()}
