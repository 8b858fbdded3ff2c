"""Dreams: typed, informative and distinct programs; the guide trained in sleep is used."""

from __future__ import annotations

import functools
import math
import pickle
import random
from pathlib import Path

from hylo.domains.dreamcoder_format import bundled_list_tasks
from hylo.domains.task import Task
from hylo.lang.evaluate import Evaluator
from hylo.lang.infer import check
from hylo.learn import JsonlRunLog, LearnConfig, LibrarySolver, LibrarySpec, learn
from hylo.learn.dreams import (
    DREAM_LIMITS,
    Dream,
    DreamSettings,
    MemoryGuideStore,
    dream,
    sample_program,
    train_guide,
)
from hylo.testing.learning import learning_suite


@functools.cache
def _tasks() -> list[Task]:
    return bundled_list_tasks("train")


@functools.cache
def _dreams() -> list[Dream]:
    return dream(LibrarySpec("lists").grammar(), _tasks(), 60, seed=5)


def test_dreams_are_typed_informative_and_their_examples_are_right() -> None:
    dreams = _dreams()
    assert len(dreams) == 60
    grammar = LibrarySpec("lists").grammar()
    for d in dreams:
        assert check(d.program, d.task.request)
        assert d.log_prior == grammar.log_prior(d.program, d.task.request) > -math.inf
        f = Evaluator(DREAM_LIMITS).function(d.program)
        outputs = [f(*ex.inputs) for ex in d.task.train]  # never fails on its inputs
        assert outputs == [ex.output for ex in d.task.train]
        assert len({repr(o) for o in outputs}) > 1  # not constant


def test_dreams_are_distinct_by_behaviour() -> None:
    behaviours = set()
    probe_inputs = {}
    for t in _tasks():
        probe_inputs.setdefault(str(t.request), []).extend(ex.inputs for ex in t.train)
    for d in _dreams():
        f = Evaluator(DREAM_LIMITS).function(d.program)
        seen = []
        for inputs in probe_inputs[str(d.task.request)][:40]:
            try:
                seen.append(repr(f(*inputs)))
            except Exception:
                seen.append("error")
        behaviours.add((str(d.task.request), tuple(seen)))
    assert len(behaviours) == len(_dreams())
    assert len({d.task.name for d in _dreams()}) == len(_dreams())


def test_same_seed_same_dreams_and_samples_are_typed() -> None:
    again = dream(LibrarySpec("lists").grammar(), _tasks(), 60, seed=5)
    assert [str(d.program) for d in again] == [str(d.program) for d in _dreams()]
    grammar = LibrarySpec("lists").grammar()
    rng = random.Random(0)
    for t in _tasks()[:40]:
        p = sample_program(grammar, t.request, rng)
        assert p is None or check(p, t.request)


def test_no_dreams_without_tasks_with_several_examples() -> None:
    assert dream(LibrarySpec("lists").grammar(), [], 10) == []
    assert dream(LibrarySpec("lists").grammar(), _tasks(), 0) == []


def test_training_on_dreams_and_replays_fits_the_replays() -> None:
    train, _ = learning_suite()
    spec = LibrarySpec("lists")
    namespace = spec.namespace()
    from hylo.lang.program import parse

    replays = {t.name: [parse("(lam (map (lam (+ $0 1)) $0))", namespace)] for t in train[:1]}
    guide, report = train_guide(
        spec.grammar(), "lists", train, replays, DreamSettings(dreams=10, epochs=10)
    )
    assert report.dreams > 0 and report.replays == 1
    assert report.replay_loss_after < report.replay_loss_before
    solver = pickle.loads(pickle.dumps(LibrarySolver(spec, 1, guide.to_bytes())))
    assert solver(train[0], 5.0).solved


def test_learning_loop_trains_a_guide_and_uses_it(tmp_path: Path) -> None:
    train, test = learning_suite()
    log = JsonlRunLog(tmp_path / "run.jsonl")
    config = LearnConfig(
        iterations=1, timeout_s=3.0, workers=0, compression_iterations=2, dreams=12, guide_epochs=3
    )
    guides = MemoryGuideStore()
    rows = learn(train, test, config, log, guides=guides)
    assert not rows[0].guided and rows[1].guided
    assert rows[1].dreams > 0
    events = [e for e in log.events() if e["kind"] == "dream"]
    assert len(events) == 1 and guides.get(events[0]["artifact"]) is not None
    # Resuming the finished run with the same store does not dream again.
    learn(train, test, config, log, guides=guides)
    assert len([e for e in log.events() if e["kind"] == "dream"]) == 1
