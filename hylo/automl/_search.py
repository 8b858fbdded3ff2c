"""Hyperparameter and architecture search: an Optuna study whose trials evolve programs.

Every trial samples its optimiser settings (learning rate, weight decay, batch size)
with Optuna's sampler. Its architecture is either drawn from a template (widths and
depths sampled too), taken from a warm start, or — once a population is trained — a
mutation of a good earlier trial, whose weights the child inherits: Net2Net
mutations keep the parent's function, ordinary ones keep every unchanged layer. A
child trains for a few epochs only; learning curves feed Optuna's pruner.

Studies live in Optuna storage (a journal file on one machine, an RDB URL for
many), so they resume after a crash and several worker *processes* share one.
Checkpoints are kept only for the trials that can still be parents (the best
``keep``), so disk use stays bounded.

>>> from hylo.automl._data import load_dataset
>>> automl = AutoML(n_trials=4, budget_s=60, epochs=5, child_epochs=2).fit(load_dataset("wine"))
>>> automl.best_.val_accuracy > 0.5
True
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import torch
from optuna.trial import TrialState
from safetensors.torch import load_file, save_file

from hylo.automl._data import Dataset
from hylo.automl._layers import ArchitectureError, parse_architecture, to_program, vec_type
from hylo.automl._mutate import deepen, deepen_targets, inherit, mutate, widen, widen_targets
from hylo.automl._network import Network, build_network
from hylo.automl._train import OutOfTime, Pruned, TrainConfig, train
from hylo.lang.errors import HyloError
from hylo.lang.program import show
from hylo.train.neural.device import torch_device

SAMPLERS = ("tpe", "cmaes", "random")
PRUNERS = ("median", "halving", "none")
MUTATIONS = ("widen", "deepen", "ordinary", "continue")
LR_RANGE = (1e-4, 3e-2)
WD_RANGE = (1e-6, 1e-2)
_MAX_WIDTH = 1024  # units or channels a widening mutation stops at
LR_FACTORS = (0.5, 1.0, 2.0)
"""How a child's learning rate may differ from its parent's (sampled per child; the
result is capped at the top of ``LR_RANGE``, above which training diverges)."""

optuna.logging.set_verbosity(logging.WARNING)


@dataclass(frozen=True)
class WarmStart:
    """A configuration to try first: an architecture and its hyperparameters.

    With ``weights`` (safetensors bytes of a network whose architecture is ``source``,
    trained on a past task with the same input shape), the trial starts from every
    layer of that network that fits (transfer learning); the output layer is new.
    """

    architecture: str
    params: dict[str, Any]
    source: str | None = None
    weights: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class TrialRecord:
    """One finished trial, as the search history and the library see it."""

    number: int
    architecture: str
    params: dict[str, Any]
    val_accuracy: float
    test_accuracy: float
    seconds: float
    epochs: float
    origin: str


def make_storage(storage: str | Path | None) -> optuna.storages.BaseStorage:
    """Optuna storage from ``None`` (in memory), a URL (RDB), or a path (journal file).

    A journal file is the right store for several processes on one machine (SQLite
    locks under parallel writers); give ``postgresql://…`` for many machines.
    """
    if storage is None:
        return optuna.storages.InMemoryStorage()
    text = str(storage)
    if "://" in text:
        return optuna.storages.RDBStorage(text)
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    Path(text).parent.mkdir(parents=True, exist_ok=True)
    return JournalStorage(JournalFileBackend(text, lock_obj=_lock(text)))


def _lock(path: str) -> Any:
    """A journal lock the operating system drops when its holder dies.

    Optuna's default lock files outlive a killed process and block every other
    worker for their grace period (30 s); ``flock`` locks cannot go stale.
    """
    from optuna.storages.journal import JournalFileOpenLock
    from optuna.storages.journal._file import BaseJournalFileLock

    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return JournalFileOpenLock(path)

    class FlockLock(BaseJournalFileLock):
        def __init__(self, lock_path: str) -> None:
            self._path = lock_path
            self._fd: int | None = None

        def acquire(self) -> bool:
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._fd = fd
            return True

        def release(self) -> None:
            if self._fd is not None:
                fd, self._fd = self._fd, None
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    return FlockLock(path + ".flock")


def _sampler(name: str, seed: int) -> optuna.samplers.BaseSampler:
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=5)
    if name == "cmaes":
        try:
            import cmaes  # type: ignore[import-untyped, unused-ignore]  # noqa: F401  (Optuna's CMA-ES needs it)
        except ImportError as e:
            raise ValueError("the cmaes sampler needs the cmaes package: pip install cmaes") from e
        independent = optuna.samplers.TPESampler(seed=seed)
        return optuna.samplers.CmaEsSampler(
            seed=seed, independent_sampler=independent, warn_independent_sampling=False
        )
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, got {name!r}")


def _pruner(name: str) -> optuna.pruners.BasePruner:
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=2)
    if name == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=2, reduction_factor=3)
    if name == "none":
        return optuna.pruners.NopPruner()
    raise ValueError(f"pruner must be one of {', '.join(PRUNERS)}, got {name!r}")


@dataclass
class AutoML:
    """Search architectures (as programs) and hyperparameters for a classification dataset.

    Args:
        budget_s: wall-clock budget of this call, seconds.
        n_trials: stop once the study has this many finished trials (all runs together).
        sampler: ``"tpe"`` (default), ``"cmaes"`` or ``"random"``.
        pruner: ``"median"``, ``"halving"`` (successive halving) or ``"none"``.
        storage: where the study lives: ``None`` (memory), a journal file path, or an
            RDB URL such as ``postgresql://…``.
        study_name: resume this study when it exists.
        inherit: children start from their parent's weights (else from scratch).
        warm_start: configurations to try first (see :func:`warm_start_configs`).
        population: fresh trials before evolution starts.
        explore: the share of later trials that are fresh too, so that the
            population does not collapse onto one lineage.
        epochs / child_epochs: training epochs of a fresh trial / an inheriting child.
            Two child epochs were chosen on seeds 0-2 of digits and breast cancer
            (epochs until the best reached the from-scratch search's best, relative
            to it, median: 1.9 with one epoch, 0.42 with two, 0.76 with three).
            Fresh trials are short on purpose: a good one goes on training in its
            children (the ``continue`` mutation), so no epoch is wasted on a bad one.
        keep: checkpoints kept (the best trials, which can still be parents).
        workers: worker processes sharing the study (needs a storage path or URL).
        seed: random seed.
        device: where networks train: ``"auto"`` (a CUDA GPU when torch sees one,
            or ``$HYLO_DEVICE``), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

    Attributes set by :meth:`fit`: ``best_`` (:class:`TrialRecord`), ``network_`` (its
    torch module), ``history_`` (one entry per finished trial), ``study_``.

    Example:
        >>> from hylo.automl._data import load_dataset
        >>> AutoML(n_trials=3, epochs=3).fit(load_dataset("wine")).best_.params["lr"] > 0
        True
    """

    budget_s: float = 60.0
    n_trials: int | None = None
    sampler: str = "tpe"
    pruner: str = "median"
    storage: str | None = None
    study_name: str | None = None
    inherit: bool = True
    warm_start: Sequence[WarmStart] = ()
    population: int = 4
    explore: float = 0.25
    epochs: int = 6
    child_epochs: int = 2
    keep: int = 4
    workers: int = 1
    seed: int = 0
    device: str = "auto"
    checkpoint_dir: str | None = None
    on_trial: Callable[[TrialRecord, TrialRecord], None] | None = field(default=None, repr=False)

    def fit(self, data: Dataset) -> AutoML:
        """Run (or resume) the search on ``data``; returns ``self`` with the results set."""
        self._validate()
        name = self.study_name or f"automl-{data.name}-{self.seed}"
        study = optuna.create_study(
            study_name=name,
            storage=make_storage(self.storage),
            sampler=_sampler(self.sampler, self.seed),
            pruner=_pruner(self.pruner),
            direction="maximize",
            load_if_exists=True,
        )
        scratch = self.checkpoint_dir is None and (self.storage is None or "://" in self.storage)
        ckpt = Path(self.checkpoint_dir or _default_checkpoints(self.storage, name))
        ckpt.mkdir(parents=True, exist_ok=True)
        _recover_stale(study)
        start = time.time()
        try:
            if not study.trials:
                self._enqueue_warm_starts(study, ckpt)
            if self.workers > 1:
                self._run_workers(data, name, ckpt)
            else:
                _Worker(self, data, study, ckpt, start).run()
            self._collect(study, data, ckpt, start)
        finally:
            if scratch:  # checkpoints of an in-memory study die with it
                shutil.rmtree(ckpt, ignore_errors=True)
        return self

    def _enqueue_warm_starts(self, study: optuna.Study, ckpt: Path) -> None:
        for i, w in enumerate(self.warm_start):
            attrs: dict[str, Any] = {"architecture": w.architecture}
            if w.weights is not None and w.source is not None:
                (ckpt / f"warm_{i}.safetensors").write_bytes(w.weights)
                attrs |= {"warm_weights": f"warm_{i}.safetensors", "source": w.source}
            study.enqueue_trial(_in_range(w.params), user_attrs=attrs)

    def _validate(self) -> None:
        _sampler(self.sampler, 0)
        _pruner(self.pruner)
        torch_device(self.device)
        if self.budget_s <= 0 or (self.n_trials is not None and self.n_trials < 1):
            raise ValueError(
                f"budget_s must be > 0 and n_trials >= 1, got {self.budget_s}, {self.n_trials}"
            )
        if self.workers > 1 and self.storage is None:
            raise ValueError(
                "several workers need a shared storage: give storage='study.journal' "
                "(one machine) or an RDB URL"
            )
        if min(self.epochs, self.child_epochs, self.keep, self.population) < 1:
            raise ValueError("epochs, child_epochs, keep and population must be >= 1")
        if not 0.0 <= self.explore < 1.0:
            raise ValueError(f"explore must be in [0, 1), got {self.explore}")

    def _run_workers(self, data: Dataset, name: str, ckpt: Path) -> None:
        ctx = multiprocessing.get_context("spawn")
        config = dataclasses.replace(self, on_trial=None, workers=1, warm_start=())
        procs = [
            ctx.Process(target=_worker_main, args=(config, data, name, str(ckpt), i))
            for i in range(self.workers)
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join()

    def _collect(self, study: optuna.Study, data: Dataset, ckpt: Path, start: float) -> None:
        self.study_ = study
        trials = study.get_trials(deepcopy=False)
        if not any(_record(t, start) for t in trials):
            raise HyloError(
                f"no trial of study {study.study_name!r} finished within {self.budget_s} s; "
                "give a larger budget"
            )
        self.history_ = _history(trials, start)
        best = max(
            (r for r in map(lambda t: _record(t, start), trials) if r is not None),
            key=lambda r: (r.val_accuracy, -r.seconds),
        )
        self.best_ = best
        self.network_ = build_network(parse_architecture(best.architecture), data.input_type)
        path = ckpt / f"trial_{best.number}.safetensors"
        if path.exists():
            self.network_.load_state_dict(load_file(str(path)))


def _in_range(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with the optimiser settings clipped to the ranges trials sample from
    (a past child's decayed learning rate may lie below them)."""
    out = dict(params)
    for key, (low, high) in (("lr", LR_RANGE), ("weight_decay", WD_RANGE)):
        if key in out:
            out[key] = min(high, max(low, float(out[key])))
    return out


def _widths_below_cap(net: Network) -> dict[str, int]:
    """Width of each layer :func:`widen` can widen, those already at the cap left out."""
    names = {i.key: i.name for i in net.info}
    widths = {k: int(names[k].rsplit("_", 1)[1]) for k in widen_targets(net)}
    return {k: w for k, w in widths.items() if w < _MAX_WIDTH}


def _history(trials: list[optuna.trial.FrozenTrial], start: float) -> list[dict[str, float]]:
    """Best-so-far after each finished trial; ``epochs`` counts every trial's training."""
    ended = [t for t in trials if t.datetime_complete is not None]
    ended.sort(key=lambda t: t.datetime_complete)  # type: ignore[arg-type,return-value]
    out: list[dict[str, float]] = []
    best: TrialRecord | None = None
    compute = 0.0
    for t in ended:
        compute += float(t.user_attrs.get("epochs", 0.0))
        r = _record(t, start)
        if r is None:
            continue
        if best is None or r.val_accuracy > best.val_accuracy:
            best = r
        out.append(
            {
                "seconds": r.seconds,
                "best_val_accuracy": best.val_accuracy,
                "test_accuracy": best.test_accuracy,
                "epochs": compute,
            }
        )
    return out


def _default_checkpoints(storage: str | None, name: str) -> str:
    if storage is None or "://" in storage:
        return tempfile.mkdtemp(prefix=f"hylo-{name}-")
    return str(Path(storage).with_suffix(".checkpoints") / name)


def _worker_main(config: AutoML, data: Dataset, name: str, ckpt: str, index: int) -> None:
    torch.set_num_threads(1)
    study = optuna.load_study(
        study_name=name,
        storage=make_storage(config.storage),
        sampler=_sampler(config.sampler, config.seed + 1000 * (index + 1)),
        pruner=_pruner(config.pruner),
    )
    _Worker(config, data, study, Path(ckpt), time.time(), index + 1).run()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _recover_stale(study: optuna.Study) -> None:
    """Fail the trials a killed process left running, and queue them again."""
    host = socket.gethostname()
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        pid = t.user_attrs.get("pid")
        if t.user_attrs.get("host") != host or not isinstance(pid, int) or _alive(pid):
            continue
        study.tell(t.number, state=TrialState.FAIL)
        arch = t.user_attrs.get("architecture")
        attrs = {"resumed": t.number} | ({"architecture": arch} if arch else {})
        # The settings it trained with (a child's are inherited, not in its params).
        study.enqueue_trial(dict(t.params) | dict(t.user_attrs.get("train", {})), user_attrs=attrs)


def _record(t: optuna.trial.FrozenTrial, start: float) -> TrialRecord | None:
    if t.state != TrialState.COMPLETE or t.value is None or "architecture" not in t.user_attrs:
        return None
    a = t.user_attrs
    finished = t.datetime_complete.timestamp() if t.datetime_complete else time.time()
    return TrialRecord(
        t.number,
        str(a["architecture"]),
        dict(t.params) | dict(a.get("train", {})),  # a child's settings are inherited
        float(t.value),
        float(a.get("test_accuracy", 0.0)),
        max(0.0, finished - start),
        float(a.get("epochs", 0.0)),
        str(a.get("origin", "")),
    )


class _Worker:
    """One process's share of a study: ask, build, train, tell, tidy checkpoints."""

    def __init__(
        self,
        config: AutoML,
        data: Dataset,
        study: optuna.Study,
        ckpt: Path,
        start: float,
        index: int = 0,
    ) -> None:
        self.c, self.data, self.study, self.ckpt, self.start = config, data, study, ckpt, start
        # Seeded by worker index, not process id: one worker's run is reproducible.
        self.rng = np.random.default_rng([config.seed, index])
        self.deadline = start + config.budget_s
        self.best: TrialRecord | None = None
        self.device = torch_device(config.device)

    def run(self) -> None:
        while time.time() < self.deadline and not self._enough():
            self._one_trial()

    def _enough(self) -> bool:
        if self.c.n_trials is None:
            return False
        states = (TrialState.COMPLETE, TrialState.PRUNED)
        return len(self.study.get_trials(deepcopy=False, states=states)) >= self.c.n_trials

    def _one_trial(self) -> None:
        trial = self.study.ask()
        trial.set_user_attr("pid", os.getpid())
        trial.set_user_attr("host", socket.gethostname())
        try:
            net, origin, epochs, parent = self._network(trial)
        except ArchitectureError as e:  # never built: the trial fails cleanly
            trial.set_user_attr("error", str(e))
            self.study.tell(trial, state=TrialState.FAIL)
            return
        lr, wd, batch = self._optimiser(trial, parent)
        trial.set_user_attr("architecture", show(net.program))
        trial.set_user_attr("origin", origin)
        trial.set_user_attr("train", {"lr": lr, "weight_decay": wd, "batch_size": batch})
        config = TrainConfig(lr, wd, batch, epochs, seed=self.c.seed + trial.number)
        done = [0]

        def report(epoch: int, val: float) -> None:
            done[0] = epoch + 1
            trial.report(val, epoch)
            if time.time() > self.deadline:
                raise OutOfTime
            if trial.should_prune():
                raise Pruned

        try:
            fit = train(net.to(self.device), self.data, config, report)
        except Pruned:
            trial.set_user_attr("epochs", done[0])
            self.study.tell(trial, state=TrialState.PRUNED)
            return
        trial.set_user_attr("epochs", fit.epochs)
        trial.set_user_attr("test_accuracy", fit.test_accuracy)
        save_file(fit.state, str(self.ckpt / f"trial_{trial.number}.safetensors"))
        frozen = self.study.tell(trial, fit.val_accuracy)
        self._tidy()
        self._notify(frozen)

    def _optimiser(
        self, trial: optuna.Trial, parent: optuna.trial.FrozenTrial | None
    ) -> tuple[float, float, int]:
        """Learning rate, weight decay and batch size of this trial.

        A fresh network samples all three. A child that inherits its parent's weights
        goes on with its parent's settings, its learning rate perturbed by a sampled
        factor (as in population-based training): a child is a continuation of
        training, and a rate drawn for training from scratch would throw away what its
        parent learned. The factor may also raise the rate: with factors of at most 1,
        rates only decayed along a lineage and training stalled (digits, tuning seeds
        20-25: mean best validation accuracy 0.9875 with factors 0.25/0.5/1, 0.9925
        with 0.5/1/2).
        """
        if self.c.inherit and parent is not None:
            given = parent.user_attrs.get("train", {})
            if given:
                factor = trial.suggest_categorical("lr_factor", list(LR_FACTORS))
                return (
                    min(LR_RANGE[1], float(given["lr"]) * factor),
                    float(given["weight_decay"]),
                    int(given["batch_size"]),
                )
        lr = trial.suggest_float("lr", *LR_RANGE, log=True)
        wd = trial.suggest_float("weight_decay", *WD_RANGE, log=True)
        batch = trial.suggest_categorical("batch_size", [32, 64, 128])
        return lr, wd, int(batch)

    def _notify(self, frozen: optuna.trial.FrozenTrial) -> None:
        rec = _record(frozen, self.start)
        if rec is None:
            return
        if self.best is None or rec.val_accuracy > self.best.val_accuracy:
            self.best = rec
        if self.c.on_trial is not None:
            self.c.on_trial(rec, self.best)

    # --- architectures ------------------------------------------------------------------

    def _network(
        self, trial: optuna.Trial
    ) -> tuple[Network, str, int, optuna.trial.FrozenTrial | None]:
        """The trial's network, where it came from, its epochs, and its parent if any."""
        given = trial.user_attrs.get("architecture")
        if isinstance(given, str):
            origin = "resumed" if "resumed" in trial.user_attrs else "warm-start"
            net = self._build(given)
            if self._transfer(trial, net):
                return net, "transfer", self.c.child_epochs, None
            return net, origin, self.c.epochs, None
        pool = self._pool()
        if (
            len(pool) < self.c.population
            or len(self._finished()) < self.c.population
            or self.rng.random() < self.c.explore
        ):
            return self._build(self._template(trial)), "template", self.c.epochs, None
        parent_trial = self._tournament(pool)
        kind = trial.suggest_categorical("mutation", list(MUTATIONS))
        child = self._child(parent_trial, kind)
        if child is None:
            return self._build(self._template(trial)), "template", self.c.epochs, None
        trial.set_user_attr("parent", parent_trial.number)
        epochs = self.c.child_epochs if self.c.inherit else self.c.epochs
        return child, kind, epochs, parent_trial

    def _transfer(self, trial: optuna.Trial, net: Network) -> bool:
        """Start ``net`` from a past task's network (all layers that fit); True if any."""
        filename, source = trial.user_attrs.get("warm_weights"), trial.user_attrs.get("source")
        if not isinstance(filename, str) or not isinstance(source, str):
            return False
        try:
            past = build_network(parse_architecture(source), self.data.input_type)
            past.load_state_dict(load_file(str(self.ckpt / filename)))
        except (OSError, RuntimeError, HyloError):
            return False  # a damaged or mismatched file: train from scratch instead
        return bool(inherit(past, net))

    def _build(self, text: str) -> Network:
        out = vec_type(self.data.num_classes)
        return build_network(parse_architecture(text), self.data.input_type, out)

    def _template(self, trial: optuna.Trial) -> str:
        k = self.data.num_classes
        depth = trial.suggest_int("depth", 1, 3)
        width = trial.suggest_categorical("width", [32, 64, 128, 256])
        act = trial.suggest_categorical("activation", ["relu", "gelu", "tanh"])
        drop = trial.suggest_categorical("dropout", [0, 10, 20, 30])
        layers: list[str] = []
        if self.data.input_type.name == "img":
            if trial.suggest_categorical("family", ["mlp", "cnn"]) == "cnn":
                channels = trial.suggest_categorical("channels", [8, 16, 32])
                for i in range(trial.suggest_int("conv_depth", 1, 2)):
                    layers += [f"conv_3_{channels * 2**i}", "relu", "maxpool"]
            layers.append("flatten")
        for _ in range(depth):
            layers += [f"dense_{width}", act] + ([f"dropout_{drop}"] if drop else [])
        layers.append(f"dense_{k}")
        return show(to_program(tuple(layers)))

    def _child(self, parent: optuna.trial.FrozenTrial, kind: str) -> Network | None:
        net = self._build(str(parent.user_attrs["architecture"]))
        try:
            net.load_state_dict(load_file(str(self.ckpt / f"trial_{parent.number}.safetensors")))
        except (OSError, RuntimeError):  # deleted by another worker meanwhile
            return None
        child = self._mutated(net, kind)
        if not self.c.inherit:
            child = build_network(child.program, self.data.input_type)  # fresh weights
        return child

    def _mutated(self, net: Network, kind: str) -> Network:
        rng = self.rng
        if kind == "widen" and (widths := _widths_below_cap(net)):
            key = str(rng.choice(list(widths)))
            return widen(net, key, min(_MAX_WIDTH, widths[key] * 2), rng)
        if kind == "deepen" and (targets := deepen_targets(net)):
            return deepen(net, str(rng.choice(targets)))
        if kind == "continue":
            return net
        try:
            return mutate(net, rng)[0]
        except ArchitectureError:
            return net

    # --- the checkpoint pool ------------------------------------------------------------

    def _finished(self) -> list[optuna.trial.FrozenTrial]:
        return self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))

    def _pool(self) -> list[optuna.trial.FrozenTrial]:
        ranked = sorted(self._finished(), key=lambda t: -(t.value or 0.0))[: self.c.keep]
        return [t for t in ranked if (self.ckpt / f"trial_{t.number}.safetensors").exists()]

    def _tournament(self, pool: list[optuna.trial.FrozenTrial]) -> optuna.trial.FrozenTrial:
        a, b = (pool[int(i)] for i in self.rng.integers(len(pool), size=2))
        return a if (a.value or 0.0) >= (b.value or 0.0) else b

    def _tidy(self) -> None:
        """Delete checkpoints no parent can come from any more (outside the best ``keep``)."""
        trials = self.study.get_trials(deepcopy=False)
        best = {
            t.number
            for t in sorted(self._finished(), key=lambda t: -(t.value or 0.0))[: self.c.keep]
        }
        finished = {t.number for t in trials if t.state != TrialState.RUNNING}
        for path in self.ckpt.glob("trial_*.safetensors"):
            number = int(path.stem.split("_")[1])
            if number in finished and number not in best:
                path.unlink(missing_ok=True)
