"""The bottom-up search: observational equivalence, top-k distinct predictions, budgets."""

from __future__ import annotations

import doctest
import itertools
import math
from collections.abc import Sequence
from typing import Any

import pytest

import hylo.search.bottom_up
from hylo.domains.lists import LISTS
from hylo.domains.task import make_task
from hylo.lang.program import Abstraction, Application, Primitive, Program, apply_to, parse, show
from hylo.lang.types import is_ground, parse_type, return_type, show_type
from hylo.search import BottomUpSynthesizer
from hylo.search.bottom_up import OnKeys, _level_costs, _splits, _uses_all_arguments
from hylo.search.grammar import Grammar
from hylo.search.synthesizer import default_grammar

LIST_TO_INT = parse_type("list(int) -> int")


def test_an_under_determined_task_gives_distinct_test_predictions() -> None:
    # One example, [3, 1] -> 3: max, car, length+1, … all fit; the test input tells them apart.
    task = make_task("ambiguous", LIST_TO_INT, [(([3, 1],), 3)], [(([5, 9, 2],), 9)])
    result = BottomUpSynthesizer(timeout_s=20, top_k=3).search(task)
    assert len(result.candidates) == 3
    predictions = [c.predictions for c in result.candidates]
    assert len(set(predictions)) == 3, "kept programs must differ on the test inputs"
    for c in result.candidates:
        assert c([3, 1]) == 3


@pytest.mark.parametrize("nats_per_level", [0.25, 0.5, 1.0])
def test_equivalent_programs_are_counted_and_dropped(nats_per_level: float) -> None:
    task = make_task("sum", LIST_TO_INT, [(([1, 2],), 3), (([4],), 4)])
    result = BottomUpSynthesizer(timeout_s=20, nats_per_level=nats_per_level).search(task)
    assert result.solved
    assert show(result.candidates[0].program) == "(lam (sum $0))"
    assert result.stats.equivalent > 0


@pytest.mark.parametrize("nats_per_level", [0.25, 0.5, 1.0])
def test_level_costs_follow_the_grammar_to_half_a_level(nats_per_level: float) -> None:
    # Within a return type, two productions' levels differ by their log-weights' difference,
    # up to each one's rounding (half a level): finer levels follow the prior closer.
    base = default_grammar(make_task("t", LIST_TO_INT, [(([1],), 1)]))
    # Weights spread over eight nats, as a learned library's are.
    grammar = Grammar((-(i * 0.37) % 8.0, p.program) for i, p in enumerate(base.productions))
    costs = _level_costs(grammar, [parse_type("list(int)")], nats_per_level)
    by_return: dict[str, list[tuple[int, float]]] = {}
    for prod in grammar.productions:
        ret = return_type(prod.program.tp)
        level = costs[prod.program.name]
        if is_ground(ret) and level > 1:  # 1 is a floor, not a rounding
            by_return.setdefault(show_type(ret), []).append((level, prod.log_weight))
    assert len(by_return) > 1
    for group in by_return.values():
        for (l1, w1), (l2, w2) in itertools.combinations(group, 2):
            assert abs((l1 - l2) * nats_per_level - (w2 - w1)) <= nats_per_level + 1e-9


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"timeout_s": 0}, "timeout_s"),
        ({"top_k": 0}, "top_k"),
        ({"nats_per_level": 0}, "nats_per_level"),
    ],
)
def test_bad_arguments_are_refused(args: dict[str, float], message: str) -> None:
    task = make_task("t", LIST_TO_INT, [(([1],), 1)])
    with pytest.raises(ValueError, match=message):
        BottomUpSynthesizer(**args).search(task)  # type: ignore[arg-type]


def _bool_lookup(keys: Sequence[Any], targets: Sequence[Any], tests: Sequence[Any]) -> Any:
    """A key finisher: the target a boolean key picks, when the keys decide the targets."""
    table = dict(zip(keys, targets, strict=True))
    if len(table) != 2 or any(table[k] != t for k, t in zip(keys, targets, strict=True)):
        return None
    head = Primitive(f"pick-{table[False]}-{table[True]}", parse_type("bool -> int"), None)

    def wrap(program: Program) -> Program:
        return apply_to(head, program)

    return wrap, table.__getitem__


def test_a_key_finisher_is_offered_values_of_its_key_type() -> None:
    # 500 for long lists, 7 for short ones: no arithmetic writes it; a lookup from a test does.
    examples = [(([4, 6, 8, 9],), 500), (([4],), 7), (([9, 8, 6, 4, 1],), 500), (([6, 8],), 7)]
    task = make_task("long", LIST_TO_INT, examples, [(([1, 1, 1, 1, 1, 1],), 500)])
    finisher = OnKeys(_bool_lookup, parse_type("bool"))
    result = BottomUpSynthesizer(timeout_s=5, top_k=1, finishers=(finisher,)).search(task)
    assert result.solved
    best = result.candidates[0]
    assert show(best.program).startswith("(lam (pick-"), show(best.program)
    assert best.predictions == (500,), show(best.program)
    # Ranked by the key's own prior less its table's length (a digit's worth per character).
    assert isinstance(best.program, Abstraction) and isinstance(best.program.body, Application)
    key = Abstraction(best.program.body.x)
    key_prior = default_grammar(task).log_prior(key, parse_type("list(int) -> bool"))
    table = best.program.body.f
    assert isinstance(table, Primitive)
    assert best.log_prior == pytest.approx(key_prior - len(table.name) * math.log(10))


def test_a_case_split_joins_two_partial_programs_under_a_test() -> None:
    # car for short lists, sum for long ones: the search puts (if test car sum) together
    # from parts at cost 15, where enumerating the whole conditional does not reach it.
    examples = [
        (([4, 6, 8, 9],), 27),
        (([5, 1],), 5),
        (([9, 8, 6, 4, 1],), 28),
        (([6, 8],), 6),
        (([3],), 3),
        (([4, 2],), 4),
    ]
    task = make_task("case", LIST_TO_INT, examples, [(([1, 2, 3, 4, 5, 6],), 21), (([7, 0],), 7)])
    result = BottomUpSynthesizer(timeout_s=120, top_k=1, max_cost=15).search(task)
    assert result.solved
    best = result.candidates[0]
    assert show(best.program).startswith("(lam (if "), show(best.program)
    assert best.predictions == (21, 7)
    assert best([2, 2, 2]) == 6 and best([8]) == 8


def test_splits_of_a_cost_among_arguments() -> None:
    assert list(_splits(4, [None, None])) == [(1, 3), (2, 2), (3, 1)]
    assert list(_splits(2, [None, None, None])) == []
    # Only levels that hold values of each argument's type: (1, 3) and (3, 1) are never made.
    assert list(_splits(4, [[2, 3], [1, 2]])) == [(2, 2), (3, 1)]
    assert list(_splits(5, [[1, 4], None, [2]])) == [(1, 2, 2)]
    assert list(_splits(3, [[]])) == []


def test_lambdas_must_use_their_arguments() -> None:
    ns = LISTS.namespace
    assert _uses_all_arguments(parse("(lam (+ $0 1))", ns))
    assert not _uses_all_arguments(parse("(lam 1)", ns))
    assert not _uses_all_arguments(parse("(lam (lam (+ $0 1)))", ns))


def test_doctests() -> None:
    assert doctest.testmod(hylo.search.bottom_up).failed == 0
