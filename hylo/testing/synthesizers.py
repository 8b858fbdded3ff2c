"""Conformance checks that every synthesizer must pass (scikit-learn's ``check_estimator`` idea).

``tests/search/test_synthesizers.py`` runs :func:`synthesizer_checks` over every
engine in :data:`hylo.testing.synthesizers.ENGINES`; a new engine is added there
and is tested the day it lands.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator
from typing import Any

from hylo.domains.lists import LISTS
from hylo.domains.task import Task, make_task
from hylo.lang.errors import HyloError
from hylo.lang.infer import check
from hylo.lang.types import parse_type
from hylo.search import (
    BaseSynthesizer,
    BottomUpSynthesizer,
    EnumerativeSynthesizer,
    EvolutionarySynthesizer,
    Grammar,
    NotFittedError,
)

SynthesizerFactory = Callable[..., BaseSynthesizer]

ENGINES: dict[str, SynthesizerFactory] = {
    "enumerate": EnumerativeSynthesizer,
    "evolve": EvolutionarySynthesizer,
    "bottom-up": BottomUpSynthesizer,
}
"""Every search engine, by name; each factory takes ``timeout_s`` as a keyword."""

LIST_TO_LIST = parse_type("list(int) -> list(int)")
LIST_TO_INT = parse_type("list(int) -> int")


def known_tasks() -> list[Task]:
    """Small tasks with known short solutions in the list domain."""

    def lists(name: str, f: Callable[[list[int]], Any], request: Any = LIST_TO_LIST) -> Task:
        train = [[1, 2, 3], [4, 0], [], [7], [5, 5, 2, 9]]
        test = [[3, 8, 1], [6]]
        return make_task(
            name,
            request,
            [((x,), f(x)) for x in train],
            [((x,), f(x)) for x in test],
            domain="lists",
        )

    return [
        lists("identity", lambda xs: xs),
        lists("add-one", lambda xs: [x + 1 for x in xs]),
        lists("reverse", lambda xs: xs[::-1]),
        lists("length", len, LIST_TO_INT),
        lists("sum", sum, LIST_TO_INT),
        lists("sort", sorted),
        make_task(
            "plus",
            parse_type("int -> int -> int"),
            [((1, 2), 3), ((5, 0), 5), ((4, 4), 8)],
            [((10, 3), 13)],
            domain="lists",
        ),
    ]


def impossible_task() -> Task:
    """A task whose outputs have no short program (pseudo-random): never solved fast."""
    outs = [[9, 4, 17], [3], [12, 12, 1, 0], [], [6, 2]]
    ins = [[1, 2, 3], [4], [5, 6, 7, 8], [], [9, 10]]
    return make_task("noise", LIST_TO_LIST, [((i,), o) for i, o in zip(ins, outs, strict=True)])


def synthesizer_checks(make: SynthesizerFactory) -> Iterator[tuple[str, Callable[[], None]]]:
    """Yield ``(name, check)`` for one engine; each check raises AssertionError on failure."""
    for check_fn in CHECKS:
        yield check_fn.__name__, functools.partial(check_fn, make)


def check_get_params(make: SynthesizerFactory) -> None:
    synth = make(timeout_s=3.0)
    params = synth.get_params()
    assert params["timeout_s"] == 3.0
    clone = type(synth)(**params)
    assert clone.get_params() == params
    synth.set_params(timeout_s=4.0)
    assert synth.get_params()["timeout_s"] == 4.0
    try:
        synth.set_params(no_such_parameter=1)
    except ValueError as e:
        assert "no_such_parameter" in str(e)
    else:
        raise AssertionError("set_params accepted an unknown parameter")


def check_fit_returns_self(make: SynthesizerFactory) -> None:
    synth = make(timeout_s=20.0)
    task = known_tasks()[1]
    assert synth.fit(task) is synth
    assert synth.program_ is not None
    assert synth.stats_.programs > 0
    assert synth.result_.solved
    assert synth.predict([([10, 20],)]) == [[11, 21]]
    assert synth.score(task) == 1.0


def check_solves_known_tasks(make: SynthesizerFactory) -> None:
    grammar = Grammar.uniform(LISTS.primitives)
    for task in known_tasks():
        result = make(timeout_s=30.0).search(task, grammar)
        assert result.solved, f"{task.name} was not solved"
        assert result.test_correct, f"{task.name}: {result.best} is wrong on the test examples"


def check_candidates_are_sound(make: SynthesizerFactory) -> None:
    task = known_tasks()[2]
    result = make(timeout_s=20.0).search(task)
    assert result.candidates
    posteriors = [c.log_posterior for c in result.candidates]
    assert posteriors == sorted(posteriors, reverse=True), "candidates not ranked best first"
    for c in result.candidates:
        assert check(c.program, task.request), f"{c} does not have type {task.request}"
        assert math.isfinite(c.log_prior) and c.log_prior < 0
        assert c.seconds >= 0 and c.programs >= 1
        for ex in task.train:
            assert c(*ex.inputs) == ex.output
        assert len(c.predictions) == len(task.test)


def check_unsolvable_is_clean(make: SynthesizerFactory) -> None:
    result = make(timeout_s=0.5).search(impossible_task())
    assert not result.solved
    assert result.best is None
    assert result.stats.timed_out
    assert result.stats.programs > 0
    try:
        result([1])
    except LookupError:
        pass
    else:
        raise AssertionError("calling an unsolved result should raise LookupError")


def check_not_fitted(make: SynthesizerFactory) -> None:
    synth = make(timeout_s=1.0)
    try:
        synth.predict([([1],)])
    except NotFittedError as e:
        assert "fit" in str(e)
        assert isinstance(e, HyloError)
    else:
        raise AssertionError("predict before fit should raise NotFittedError")


def check_deterministic(make: SynthesizerFactory) -> None:
    task = known_tasks()[4]
    first = make(timeout_s=20.0).search(task)
    second = make(timeout_s=20.0).search(task)
    assert str(first.best) == str(second.best)
    assert [str(c) for c in first.candidates] == [str(c) for c in second.candidates]


CHECKS: tuple[Callable[[SynthesizerFactory], None], ...] = (
    check_get_params,
    check_fit_returns_self,
    check_solves_known_tasks,
    check_candidates_are_sound,
    check_unsolvable_is_clean,
    check_not_fitted,
    check_deterministic,
)
"""Every check, in the order they run."""
