"""Program search with training in the loop: structures with neural modules (HOUDINI-style).

The enumerator proposes well-typed *structures*, in order of prior probability, over
the domain's primitives plus one *fresh* module per template (``nn:digit#0``) —
exactly what the search without a library proposes. Each structure has library
variants: every fresh module replaced by a library module *frozen* (``nn:digit@3``),
by a fresh module *initialised* from it (``nn:digit#2~3``, fine-tuned), or by a fresh
output layer on the *trunk* of any library module reading the same input
(``nn:pred#4^3``). Candidates with fresh modules are trained end to end (Adam, early
stopping on a validation part of the training examples; see
:func:`hylo.train.neural.train_program`) for a few epochs and scored on that part —
the *screen* — and the best are trained to the end; frozen variants are only
evaluated. Variants that train a library module are then screened in the structures
that the fresh finalists and the frozen modules score best, and their best are
finalists too: a library adds candidates and never displaces one. When the validation
part is a handful of examples, the finalists (every candidate, when the screen saw
fewer than five) are scored by cross-validation instead, the winner is chosen among
them and the frozen candidates only, and it is refit on every example. Candidates
equal up to eta-reduction and the numbering of fresh modules are trained once.

>>> from hylo.domains.digits import CURRICULUM, load_digit_images, make_digit_task
>>> data = load_digit_images("sklearn")
>>> task = make_digit_task(CURRICULUM[0], data, num_train=60, num_test=100, seed=0)
>>> synth = NeuralSynthesizer(max_candidates=2, epochs=15).fit(task)
>>> canonical(synth.program_)
'nn:pred#0'
>>> synth.score(task) > 0.8
True
"""

from __future__ import annotations

import collections
import dataclasses
import inspect
import itertools
import math
import statistics
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

from hylo.domains.base import Domain
from hylo.domains.task import Task
from hylo.lang.errors import HyloError
from hylo.lang.evaluate import Budget
from hylo.lang.program import (
    Abstraction,
    Application,
    Index,
    Primitive,
    Program,
    apply_to,
    is_closed,
    shift,
    show,
    size,
    spine,
    subprograms,
)
from hylo.lang.types import INT, Type, show_type
from hylo.search.enumerate import Enumerator
from hylo.search.grammar import Grammar
from hylo.search.synthesizer import NotFittedError
from hylo.train.neural import (
    TEMPLATES,
    EncodedExamples,
    ModuleLibrary,
    ModuleRef,
    NeuralModule,
    TrainConfig,
    UnsupportedProgram,
    encode_examples,
    evaluate,
    instantiate_modules,
    module_names,
    module_primitive,
    predict,
    train_program,
)

_PROPOSALS_PER_CANDIDATE = 10  # bounds the frozen (evaluate-only) candidates looked at
_CROSS_VALIDATE_BELOW = 30  # validation examples under which finalists are cross-validated
_FOLDS = 5
_SCREEN_MIN_EXAMPLES = 5  # validation examples under which a screen cannot rank candidates

_ZERO = Primitive("0", INT, lambda: 0)  # stands for any constant in canonical forms

__all__ = [
    "CandidateRecord",
    "NeuralSearchStats",
    "NeuralSynthesizer",
    "Proposal",
    "canonical",
    "module_productions",
    "propose_programs",
    "propose_variants",
    "redundant",
]


@dataclass
class CandidateRecord:
    """One candidate program: its validation scores, training cost and prior."""

    program: str
    trained: bool
    val_accuracy: float
    val_loss: float
    epochs: int
    seconds: float
    prior: float = 0.0
    refit_epochs: int | None = None
    """Set when cross-validated: the epochs to train on all examples if it is chosen."""
    structure: str = ""
    """Canonical form of its structure with every module fresh (library variants share it)."""

    def score(self, num_val: int) -> float:
        """Minus log posterior (up to a constant): total validation NLL + description length."""
        return self.val_loss * num_val + self.prior


_Scored = tuple[CandidateRecord, Program, dict[str, NeuralModule]]


@dataclass
class NeuralSearchStats:
    """What :meth:`NeuralSynthesizer.fit` did: candidates in order, total time."""

    candidates: list[CandidateRecord] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def num_trained(self) -> int:
        return sum(c.trained for c in self.candidates)

    @property
    def seconds_per_trained(self) -> float:
        spent = [c.seconds for c in self.candidates if c.trained]
        return sum(spent) / len(spent) if spent else 0.0


# --- proposing structures -------------------------------------------------------------


def module_productions(
    templates: Sequence[str],
    library: ModuleLibrary | None,
    finetune: bool = True,
    image_size: int | None = None,
) -> list[Primitive]:
    """A fresh module per template, then frozen and fine-tuned variants of library modules.

    Fresh modules come first and are numbered ``#0``, ``#1``, … in template order,
    so they are named alike with and without a library. With ``finetune``, each
    template also gets a fresh module on the trunk of every library module that reads
    the same input, whatever its template: a new output layer over features learned
    before (a 7-detector on a 3-detector's features). With ``image_size`` (pixels),
    library modules reading images of another size are left out: they cannot read
    this task's images.
    """
    out = [module_primitive(ModuleRef(t, fresh=k)) for k, t in enumerate(templates)]
    fresh = len(templates)
    infos = [
        info
        for info in (library.modules() if library is not None else [])
        if image_size is None
        or TEMPLATES[info.template].input_kind != "image"
        or info.metadata["architecture"].get("input_dim") == image_size
    ]
    for t in templates:
        for info in infos:
            same = info.template == t
            if same:
                out.append(module_primitive(ModuleRef(t, artifact=info.id)))
            reads_same = TEMPLATES[info.template].input_kind == TEMPLATES[t].input_kind
            for trunk, offered in ((False, same), (True, reads_same)):
                if finetune and offered:
                    out.append(module_primitive(ModuleRef(t, fresh, info.id, trunk)))
                    fresh += 1
    return out


def canonical(p: Program) -> str:
    """Text of ``p`` eta-reduced, with fresh modules renumbered by first appearance.

    A fresh module's classes are interchangeable before training, so comparing its
    output with any constant (``(eq? 7 (nn:digit#0 $0))``) is one candidate.

    >>> from hylo.domains.digits import DIGITS
    >>> from hylo.lang import parse
    >>> from hylo.train.neural import NeuralNamespace
    >>> canonical(parse("(lam (count (lam (nn:pred#4 $0)) $0))", NeuralNamespace(DIGITS.namespace)))
    '(count nn:pred#0)'
    """
    p = _symmetric(_eta(p))
    names: dict[str, str] = {}
    for name in module_names(p):
        ref = ModuleRef.parse(name)
        if ref.fresh is not None:
            names[name] = dataclasses.replace(ref, fresh=len(names)).name
    return show(_rename(p, names))


def _fresh_random(p: Program) -> bool:
    """``p`` is an application of a freshly initialised module."""
    head = p.f if isinstance(p, Application) else None
    if not (isinstance(head, Primitive) and ModuleRef.is_module_name(head.name)):
        return False
    return ModuleRef.parse(head.name).head_is_fresh


def _symmetric(p: Program) -> Program:
    if isinstance(p, Abstraction):
        return Abstraction(_symmetric(p.body))
    if not isinstance(p, Application):
        return p
    head, args = spine(p)
    if isinstance(head, Primitive) and head.name in ("eq?", "gt?") and len(args) == 2:
        a, b = args
        if isinstance(a, Primitive) and a.name.isdigit() and _fresh_random(b):
            a = _ZERO
        if isinstance(b, Primitive) and b.name.isdigit() and _fresh_random(a):
            b = _ZERO
        args = [a, b]
    if isinstance(head, Primitive) and head.name in ("eq?", "gt?", "+") and len(args) == 2:
        a, b = (_symmetric(x) for x in args)
        if head.name != "gt?":
            a, b = sorted((a, b), key=show)
        return apply_to(head, a, b)
    return Application(_symmetric(p.f), _symmetric(p.x))


def redundant(p: Program) -> bool:
    """Structures equivalent to a smaller candidate, or whose modules cannot matter.

    Identity and constant functions, double negation, equal branches or operands, a
    condition that is also a branch, counting or filtering by the filter just applied,
    negating a fresh module (it can learn the negation itself), ``length`` of a
    ``map``/``filter`` (``count`` says it), a ``map`` consumed by another list
    primitive (the fused lambda says it).
    """
    for q in subprograms(p):
        if isinstance(q, Abstraction) and (q.body == Index(0) or _free_of_zero(q.body)):
            return True
        head, args = spine(q)
        if not isinstance(head, Primitive):
            continue
        name = head.name
        if name == "not" and args and (_fresh_random(args[0]) or _calls(args[0], {"not"})):
            return True
        if name == "+" and any(isinstance(a, Primitive) and a.name == "0" for a in args):
            return True
        if name == "gt?" and args and isinstance(args[0], Primitive) and args[0].name == "0":
            return True
        if name == "not" and args and _compares_fresh(args[0]):
            return True
        if name in ("count", "filter") and len(args) == 2 and _filters_by(args[1], args[0]):
            return True
        if (name == "if" and len(args) == 3 and (args[1] == args[2] or args[0] in args[1:])) or (
            name in ("eq?", "gt?", "+") and len(args) == 2 and args[0] == args[1]
        ):
            return True
        if name == "length" and args and _calls(args[0], {"map", "filter"}):
            return True
        if name in _LIST_CONSUMERS and args and _calls(args[-1], {"map"}):
            return True
    return False


def _filters_by(xs: Program, predicate: Program) -> bool:
    """``xs`` is ``(filter predicate …)``: filtering or counting by it again changes nothing."""
    head, args = spine(xs)
    return isinstance(head, Primitive) and head.name == "filter" and args[:1] == [predicate]


def _compares_fresh(p: Program) -> bool:
    head, args = spine(p)
    return (
        isinstance(head, Primitive)
        and head.name in ("eq?", "gt?")
        and any(_fresh_random(a) for a in args)
    )


_LIST_CONSUMERS = {"map", "filter", "count", "length"}


def _calls(p: Program, names: set[str]) -> bool:
    head, _ = spine(p)
    return isinstance(head, Primitive) and head.name in names


def _eta(p: Program) -> Program:
    if isinstance(p, Application):
        return Application(_eta(p.f), _eta(p.x))
    if isinstance(p, Abstraction):
        body = _eta(p.body)
        if (
            isinstance(body, Application)
            and body.x == Index(0)
            and is_closed(body.f, 0)
            and _free_of_zero(body.f)
        ):
            return shift(body.f, -1)
        return Abstraction(body)
    return p


def _free_of_zero(p: Program, depth: int = 0) -> bool:
    if isinstance(p, Index):
        return p.i != depth
    if isinstance(p, Application):
        return _free_of_zero(p.f, depth) and _free_of_zero(p.x, depth)
    if isinstance(p, Abstraction):
        return _free_of_zero(p.body, depth + 1)
    return True


def propose_programs(
    request: Type,
    grammar: Grammar,
    max_modules: int = 1,
    max_cost: float = 30.0,
) -> Iterator[Program]:
    """Well-typed programs of type ``request`` that use 1..``max_modules`` neural modules,
    most probable first, each canonical form once, none :func:`redundant`.

    >>> from itertools import islice
    >>> from hylo.lang import parse_type
    >>> found = propose_programs(parse_type("list(image) -> int"), NeuralSynthesizer().grammar())
    >>> [canonical(p) for p in islice(found, 3)]
    ['(count nn:pred#0)', '(lam (sum (map nn:digit#0 $0)))', '(lam (maximum (map nn:digit#0 $0)))']
    """
    for proposal in propose_variants(request, grammar, {}, max_modules, max_cost):
        yield proposal.program


@dataclass(frozen=True)
class Proposal:
    """A candidate program and the structure it fills in."""

    program: Program
    structure: str
    """Canonical form of the structure with every module fresh."""
    fresh: bool
    """Every module is fresh: a candidate of the search without a library."""


def propose_variants(
    request: Type,
    grammar: Grammar,
    variants: Mapping[str, Sequence[Primitive]],
    max_modules: int = 1,
    max_cost: float = 30.0,
) -> Iterator[Proposal]:
    """Structures from ``grammar`` (fresh modules only), each followed by its library
    variants: every fresh module replaced by each of ``variants[template]``.

    Structures are enumerated without library modules, so a library adds candidates
    and never reorders or displaces the ones the search without it would try. Each
    variant is checked on its own: ``(not nn:pred#0)`` is redundant (a fresh module
    can learn the negation), ``(not nn:pred@3)`` is not.
    """
    enum = Enumerator(grammar, request, Budget())
    seen: set[str] = set()
    lo, step = 0.0, 1.5
    while lo < max_cost:
        for item in enum.band(lo, lo + step):
            p = enum.program(item)
            names = module_names(p)
            if not 1 <= len(names) <= max_modules:
                continue
            structure = canonical(p)
            options = [[n, *_names(variants.get(ModuleRef.parse(n).template, ()))] for n in names]
            for choice in itertools.product(*options):
                q = _rename(p, dict(zip(names, choice, strict=True)))
                key = canonical(q)
                if key not in seen and not redundant(q):
                    seen.add(key)
                    yield Proposal(q, structure, choice == tuple(names))
        lo += step


# --- the synthesizer ------------------------------------------------------------------


class NeuralSynthesizer:
    """Search program structures with neural modules and train each candidate.

    Args:
        domain: algorithmic primitives (default: :data:`~hylo.domains.digits.DIGITS`).
        library: where library modules come from (None: fresh modules only, the
            *standalone* setting).
        templates: neural templates the search may use.
        max_candidates: how many distinct candidates to train (candidates whose modules
            are all frozen library modules are only evaluated and not counted).
        screen_epochs: epochs every candidate is trained before the cut.
        finalists: how many of the best screened candidates are trained to the end.
        epochs, patience, lr, batch_size: training (Adam, early stopping).
        min_steps: updates a finalist may train even when ``epochs`` makes fewer (a few
            dozen examples are one update an epoch).
        timeout_s: wall-time budget for the whole search.
        validation_fraction: part of the training examples held out to score candidates.
        max_modules: the most distinct modules in one program.
        finetune: also propose fresh modules initialised from library modules.
        seed: seeds the module initialisation, batch order and validation split.
    """

    def __init__(
        self,
        domain: Domain | None = None,
        library: ModuleLibrary | None = None,
        templates: Sequence[str] = ("digit", "pred"),
        max_candidates: int = 8,
        screen_epochs: int = 3,
        finalists: int = 2,
        epochs: int = 40,
        patience: int = 6,
        lr: float = 3e-3,
        batch_size: int = 32,
        min_steps: int = 200,
        timeout_s: float = 120.0,
        validation_fraction: float = 0.2,
        max_modules: int = 1,
        finetune: bool = True,
        seed: int = 0,
    ) -> None:
        self.domain = domain
        self.library = library
        self.templates = templates
        self.max_candidates = max_candidates
        self.screen_epochs = screen_epochs
        self.finalists = finalists
        self.epochs = epochs
        self.patience = patience
        self.lr = lr
        self.batch_size = batch_size
        self.min_steps = min_steps
        self.timeout_s = timeout_s
        self.validation_fraction = validation_fraction
        self.max_modules = max_modules
        self.finetune = finetune
        self.seed = seed

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor arguments (scikit-learn convention)."""
        del deep
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {n: getattr(self, n) for n in names}

    def grammar(self) -> Grammar:
        """The primitives and fresh modules the search enumerates structures over."""
        fresh = module_productions(self.templates, None)  # the library's come as variants
        return Grammar.uniform([*self._domain().primitives, *fresh])

    def _domain(self) -> Domain:
        if self.domain is not None:
            return self.domain
        from hylo.domains.digits import DIGITS

        return DIGITS

    def _modules(self) -> list[Primitive]:
        shape = getattr(self, "image_shape_", None)
        pixels = None if shape is None else math.prod(shape)
        return module_productions(self.templates, self.library, self.finetune, pixels)

    def fit(self, task: Task) -> Self:
        """Search and train; sets ``program_``, ``modules_``, ``stats_`` and ``request_``.

        Every candidate is first trained for ``screen_epochs``; the ``finalists``
        best on validation are trained on to convergence (early stopping).
        """
        if self.max_candidates < 1 or self.finalists < 1:
            raise ValueError(
                f"max_candidates and finalists must be >= 1, got {self.max_candidates} "
                f"and {self.finalists}"
            )
        if not task.train:
            raise HyloError(f"task {task.name!r} has no training examples")
        start = time.perf_counter()
        data = encode_examples([(e.inputs, e.output) for e in task.train], task.request)
        train, val = data.split(self.validation_fraction, self.seed)
        self.image_shape_ = _image_shape(task)
        self.request_ = task.request
        self.stats_ = NeuralSearchStats()
        pool, waiting = self._screen(task.request, train, val, data, start)
        if not pool:
            raise HyloError(
                f"no candidate program for {task.name!r} ({show_type(task.request)}) could be "
                "trained: check that the domain and templates can produce this type"
            )
        # Rank by posterior: validation likelihood (accuracies tie on a few held-out
        # examples) plus description length, which decides when the examples cannot.
        n_val = len(val)
        pool.sort(key=lambda c: c[0].score(n_val))
        fresh = [c for c in pool if c[0].trained]  # library variants are still waiting
        fresh = fresh[: self._num_finalists(n_val, len(fresh))]
        cross_validate = n_val < _CROSS_VALIDATE_BELOW and len(fresh) + bool(waiting) > 1
        self._train_finalists(fresh, train, val, data, cross_validate, start)
        # Library modules are tried in the structures the examples rank best, scored by
        # the fresh finalists and by frozen library modules (no training flatters those).
        n_scored = self._evidence(pool, data, val)
        ranked = sorted(_comparable(pool), key=lambda c: c[0].score(n_scored))
        leading = list(dict.fromkeys(c[0].structure for c in ranked))[: self.finalists]
        reused = self._screen_variants(leading, waiting, train, val, data, start)
        reused.sort(key=lambda c: c[0].score(n_val))
        pool += reused
        reused = reused[: self._num_finalists(n_val, len(reused))]
        self._train_finalists(reused, train, val, data, cross_validate, start)
        n_scored = self._evidence(pool, data, val)
        best = min(_comparable(pool), key=lambda c: c[0].score(n_scored))
        if best[0].refit_epochs is not None:
            best = (best[0], best[1], self._refit(*best, data))
        self.stats_.candidates = [c[0] for c in pool]
        self.program_, self.modules_ = best[1], best[2]
        self.stats_.seconds = time.perf_counter() - start
        return self

    def _try(
        self,
        p: Program,
        train: EncodedExamples,
        val: EncodedExamples,
        everything: EncodedExamples,
        config: TrainConfig,
    ) -> tuple[CandidateRecord | None, dict[str, NeuralModule]]:
        modules = instantiate_modules(p, self.image_shape_, self.library, self.seed)
        frozen = not any(q.requires_grad for m in modules.values() for q in m.parameters())
        try:
            # A candidate with only frozen modules never saw these examples: score it on
            # all of them, which is less noisy than the validation part alone.
            r = train_program(p, train, everything if frozen else val, modules, config)
        except UnsupportedProgram:
            return None, modules
        return CandidateRecord(
            show(p), r.trained, r.val_accuracy, r.val_loss, r.epochs, r.seconds
        ), modules

    def _screen(
        self,
        request: Type,
        train: EncodedExamples,
        val: EncodedExamples,
        data: EncodedExamples,
        start: float,
    ) -> tuple[list[_Scored], dict[str, list[Program]]]:
        """Train the fresh candidates for ``screen_epochs`` and evaluate the frozen ones.

        The budget counts structures, as the search without a library does.
        Candidates whose modules are all frozen cost an evaluation only; those that
        train library modules wait, by structure, for :meth:`_screen_variants`.
        """
        grammar = self.grammar()
        library_variants = self._modules()[len(self.templates) :]
        self._prior = _Prior(math.log(len(grammar)), _reuse_nats(library_variants))
        by_template: dict[str, list[Primitive]] = collections.defaultdict(list)
        for v in library_variants:
            by_template[ModuleRef.parse(v.name).template].append(v)
        pool: list[_Scored] = []
        waiting: dict[str, list[Program]] = collections.defaultdict(list)
        structures = 0
        proposed = 0
        for proposal in propose_variants(request, grammar, by_template, self.max_modules):
            if proposal.fresh:
                if proposed >= _PROPOSALS_PER_CANDIDATE * self.max_candidates:
                    break
                proposed += 1
            if time.perf_counter() - start > self.timeout_s:
                break
            p, trainable = proposal.program, _trainable(proposal.program)
            if trainable and not proposal.fresh:
                waiting[proposal.structure].append(p)
                continue
            if trainable and structures >= self.max_candidates:
                continue  # the training budget is spent; library reuse is still looked at
            scored = self._screened(p, proposal.structure, train, val, data)
            if scored is not None:
                structures += scored[0].trained
                pool.append(scored)
        return pool, waiting

    def _screen_variants(
        self,
        structures: list[str],
        waiting: dict[str, list[Program]],
        train: EncodedExamples,
        val: EncodedExamples,
        data: EncodedExamples,
        start: float,
    ) -> list[_Scored]:
        """Screen the candidates waiting with library modules to train, for ``structures``."""
        out: list[_Scored] = []
        for structure in structures:
            for p in waiting.get(structure, []):
                if time.perf_counter() - start > self.timeout_s:
                    return out
                scored = self._screened(p, structure, train, val, data)
                if scored is not None:
                    out.append(scored)
        return out

    @staticmethod
    def _evidence(pool: list[_Scored], data: EncodedExamples, val: EncodedExamples) -> int:
        """Examples a comparable score stands on: cross-validated and frozen candidates
        were scored on every example, the others on the validation part."""
        cross_validated = any(c[0].refit_epochs is not None for c in pool)
        return len(data) if cross_validated else len(val)

    def _screened(
        self,
        p: Program,
        structure: str,
        train: EncodedExamples,
        val: EncodedExamples,
        everything: EncodedExamples,
    ) -> _Scored | None:
        """``p`` screened (or, with only frozen modules, evaluated) with its prior."""
        screen = TrainConfig(
            self.screen_epochs, self.screen_epochs, self.lr, self.batch_size, self.seed
        )
        record, modules = self._try(p, train, val, everything, screen)
        if record is None:
            return None
        record.structure = structure
        record.prior = self._prior(p)
        return record, p, modules

    def _train_finalists(
        self,
        finalists: list[_Scored],
        train: EncodedExamples,
        val: EncodedExamples,
        data: EncodedExamples,
        cross_validate: bool,
        start: float,
    ) -> None:
        """Train each finalist to the end (early stopping); cross-validate it on request."""
        full = TrainConfig(
            self.epochs,
            self.patience,
            self.lr,
            self.batch_size,
            self.seed,
            min_steps=self.min_steps,
        )
        for record, p, modules in finalists:
            if time.perf_counter() - start > self.timeout_s:
                break
            r = train_program(p, train, val, modules, full)
            record.val_accuracy, record.val_loss = r.val_accuracy, r.val_loss
            record.epochs += r.epochs
            record.seconds += r.seconds
            if cross_validate:
                self._cross_validate(record, p, data, full)

    def _num_finalists(self, n_val: int, trained: int) -> int:
        """``finalists``, or every trained candidate when the screen cannot rank them.

        A screen of a few updates scored on fewer than :data:`_SCREEN_MIN_EXAMPLES`
        examples mostly measures where a module starts (a library 3-detector looks best
        on two lists without a 7). On so few examples cross-validating every candidate
        is cheap. Above that, more finalists only add chances to win by luck (sklearn
        count-7s, 30 lists, 6 draws: the standalone search's mean test accuracy fell
        from 0.83 with two finalists to 0.73 with five).
        """
        return trained if n_val < _SCREEN_MIN_EXAMPLES else self.finalists

    def _cross_validate(
        self, record: CandidateRecord, p: Program, data: EncodedExamples, config: TrainConfig
    ) -> None:
        """Score a finalist by k-fold cross-validation: every example held out once.

        On a few dozen examples the validation part is a handful, and finalists that
        differ only in where their modules start tie or swap on it by chance.
        """
        loss = correct = 0.0
        best_epochs = []
        for train, val in data.folds(_FOLDS, self.seed):
            modules = instantiate_modules(p, self.image_shape_, self.library, self.seed)
            r = train_program(p, train, val, modules, config)
            loss += r.val_loss * len(val)
            correct += r.val_accuracy * len(val)
            record.epochs += r.epochs
            record.seconds += r.seconds
            best_epochs.append(r.best_epoch)
        record.val_loss, record.val_accuracy = loss / len(data), correct / len(data)
        record.refit_epochs = int(statistics.median_low(best_epochs))

    def _refit(
        self,
        record: CandidateRecord,
        p: Program,
        trained: dict[str, NeuralModule],
        data: EncodedExamples,
    ) -> dict[str, NeuralModule]:
        """Train a cross-validated winner afresh on every example, for as many epochs as
        the folds found best: a validation part of a handful of examples may hold no
        positive at all, and then cannot tell a module stuck at its start from one that
        learned. A refit that fits its own examples worse than the folds' modules fit
        unseen ones is stuck too: then the modules ``trained`` on the split stay."""
        assert record.refit_epochs is not None
        modules = instantiate_modules(p, self.image_shape_, self.library, self.seed)
        epochs = record.refit_epochs
        config = TrainConfig(epochs, epochs, self.lr, self.batch_size, self.seed, patience_steps=0)
        r = train_program(p, data, data, modules, config)
        record.epochs += r.epochs
        record.seconds += r.seconds
        return modules if r.val_loss <= record.val_loss else trained

    def _fitted(self) -> Program:
        if getattr(self, "program_", None) is None:
            raise NotFittedError("call fit(task) before predict or score")
        assert self.program_ is not None
        return self.program_

    def predict(self, inputs: Sequence[Sequence[Any]]) -> list[Any]:
        """Hard outputs of the best program, one per tuple of arguments."""
        program = self._fitted()
        request = self.request_
        dummy = encode_examples([(x, _placeholder(request)) for x in inputs], request)
        out = predict(program, dummy, self.modules_)
        return [bool(v) if dummy.output == "bool" else int(v) for v in out.tolist()]

    def score(self, task: Task) -> float:
        """Accuracy on ``task.test`` (or ``task.train`` without tests)."""
        return self.evaluate(task)[0]

    def evaluate(self, task: Task) -> tuple[float, float]:
        """(accuracy, RMSE) on ``task.test`` (or ``task.train`` without tests)."""
        program = self._fitted()
        examples = task.test or task.train
        data = encode_examples([(e.inputs, e.output) for e in examples], task.request)
        return evaluate(program, data, self.modules_)

    def save_modules(self, library: ModuleLibrary, task: Task, metrics: dict[str, Any]) -> Program:
        """Store the best program's trained modules; returns the program with ``@id`` refs.

        Frozen library modules are not stored again. ``program_`` and ``modules_``
        are updated to the stored references.
        """
        program = self._fitted()
        text = show(program)
        renamed: dict[str, str] = {}
        for name in module_names(program):
            ref = ModuleRef.parse(name)
            if not ref.trainable:
                continue
            meta = {
                "task": task.name,
                "type": show_type(task.request),
                "program": text,
                "metrics": metrics,
                "role": name,
                "training": {
                    "examples": len(task.train),
                    "description": str(task.metadata.get("doc", "")),
                    "source": str(task.metadata.get("source", "")),
                    "validation_fraction": self.validation_fraction,
                },
                "provenance": {
                    "created_by": "hylo.search.neural.NeuralSynthesizer",
                    "initialised_from": ref.artifact,
                    "reused": None if ref.artifact is None else ("trunk" if ref.trunk else "all"),
                    "seed": self.seed,
                    "params": {k: v for k, v in self.get_params().items() if _jsonable(v)},
                },
            }
            new_id = library.save(self.modules_[name], f"{task.name}/{ref.template}", meta)
            renamed[name] = ModuleRef(ref.template, artifact=new_id).name
        self.program_ = _rename(program, renamed)
        self.modules_ = {renamed.get(k, k): v for k, v in self.modules_.items()}
        for name in renamed.values():
            self.modules_[name].requires_grad_(False)
        return self.program_


@dataclass(frozen=True)
class _Prior:
    """Description length of a candidate: ``bits`` per leaf, plus ``reuse`` nats for
    each library variant it uses."""

    bits: float
    reuse: dict[str, float]

    def __call__(self, p: Program) -> float:
        return size(p) * self.bits + sum(self.reuse.get(n, 0.0) for n in module_names(p))


def _reuse_nats(variants: Sequence[Primitive]) -> dict[str, float]:
    """Extra description length of each library variant: ``log V``, where ``V`` is the
    number of library variants offered for its template.

    Structures are enumerated with one fresh module per template, which costs one
    leaf; a prior that first picks fresh or reused and then which variant charges the
    variant ``log V`` more. On a handful of examples a variant then has to fit better
    by that much to win, not by the noise of a few held-out lists; a frozen module
    that knows the task does.
    """
    refs = [ModuleRef.parse(p.name) for p in variants]
    counts = collections.Counter(r.template for r in refs if r.artifact is not None)
    return {
        r.name: math.log(counts[r.template])
        for r in refs
        if r.artifact is not None and counts[r.template] > 1
    }


def _comparable(pool: list[_Scored]) -> list[_Scored]:
    """The candidates whose scores can be ranked together for the final choice.

    Cross-validated finalists are scored on every example, each held out once, as are
    frozen candidates; a candidate only screened is scored on the validation part
    after a few epochs. On a handful of examples that part may hold only easy ones
    (ten lists, two held out, both without a 7): a screened module then looks better
    than the finalists' honest scores, and must not win on that.
    """
    if not any(record.refit_epochs is not None for record, _, _ in pool):
        return pool
    return [c for c in pool if c[0].refit_epochs is not None or not c[0].trained]


def _trainable(p: Program) -> bool:
    return any(ModuleRef.parse(name).trainable for name in module_names(p))


def _reuses(p: Program) -> bool:
    """Some module of ``p`` is, or starts from, a library module."""
    return any(ModuleRef.parse(name).artifact is not None for name in module_names(p))


def _names(primitives: Sequence[Primitive]) -> list[str]:
    return [q.name for q in primitives]


def _rename(p: Program, names: dict[str, str]) -> Program:
    if isinstance(p, Primitive) and p.name in names:
        return module_primitive(names[p.name])
    if isinstance(p, Application):
        return Application(_rename(p.f, names), _rename(p.x, names))
    if isinstance(p, Abstraction):
        return Abstraction(_rename(p.body, names))
    return p


def _jsonable(v: Any) -> bool:
    return v is None or isinstance(v, int | float | str | bool | tuple | list)


def _image_shape(task: Task) -> tuple[int, ...]:
    for e in task.train:
        for x in e.inputs:
            v = x[0] if isinstance(x, list) and x else x
            shape = getattr(v, "shape", None)
            if shape is not None:
                return tuple(int(d) for d in shape)
    return (1,)


def _placeholder(request: Type) -> Any:
    from hylo.lang.types import return_type

    return False if show_type(return_type(request)) == "bool" else 0
