"""Searching through task views: lifted candidates are checked and re-predicted."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hylo.domains.lists import LISTS
from hylo.domains.task import Example, Task, make_task
from hylo.lang.program import Abstraction, Index, Program, apply_to, show, substitute
from hylo.search import EnumerativeSynthesizer
from hylo.search.views import TaskView, ViewSynthesizer
from hylo.testing.synthesizers import LIST_TO_INT, impossible_task, known_tasks

REVERSE = LISTS.namespace["reverse"]


def reversed_task(task: Task) -> Task:
    def rev(e: Example) -> Example:
        return Example((list(reversed(e.inputs[0])),), e.output)

    return replace(task, train=tuple(map(rev, task.train)), test=tuple(map(rev, task.test)))


def lift_reversed(p: Program) -> Program:
    assert isinstance(p, Abstraction)
    return Abstraction(substitute(p.body, 0, apply_to(REVERSE, Index(0))))


REVERSED = TaskView("reversed", lambda t: True, reversed_task, lift_reversed)
BROKEN = TaskView("broken", lambda t: True, reversed_task, lambda p: p)  # forgets to lift


def last_element() -> Task:
    xs = [[1, 2, 3], [4, 0], [7], [5, 5, 2, 9]]
    return make_task("last", LIST_TO_INT, [((x,), x[-1]) for x in xs], [(([3, 8, 6],), 6)])


def views(*vs: TaskView, timeout_s: float = 20.0) -> ViewSynthesizer:
    return ViewSynthesizer(lambda t: EnumerativeSynthesizer(timeout_s=t, top_k=3), vs, timeout_s)


def test_a_view_finds_a_program_that_lifts_to_the_task() -> None:
    result = views(REVERSED).search(last_element())
    assert result.solved and result.test_correct
    best = result.best
    assert best is not None and "reverse" in show(best.program)
    assert best.predictions == (6,)  # predicted on the task's own test input


def test_a_wrong_lift_is_caught_on_the_training_pairs() -> None:
    result = views(BROKEN).search(last_element())
    # Through the broken view `head` fits, but lifted unreversed it is wrong: dropped;
    # the task's own search still answers.
    assert "(lam (head $0))" not in [show(c.program) for c in result.candidates]
    assert result.test_correct


def test_candidates_predict_differently_and_the_task_itself_is_searched_too() -> None:
    task = known_tasks()[0]  # identity
    result = views(REVERSED).search(task)
    preds = [c.predictions for c in result.candidates]
    assert len(preds) == len(set(map(repr, preds)))
    assert result.test_correct


def test_no_applicable_view_is_a_plain_search() -> None:
    never = replace(REVERSED, applies=lambda t: False)
    result = views(never).search(last_element())
    assert result.solved and "reverse" not in show(result.best.program)  # type: ignore[union-attr]


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_the_views_share_must_leave_time_for_both(share: float) -> None:
    with pytest.raises(ValueError, match="share"):
        ViewSynthesizer(lambda t: EnumerativeSynthesizer(timeout_s=t), (), share=share)


def test_progress_counts_on_across_the_views_and_the_task() -> None:
    calls: list[tuple[int, float]] = []
    views(REVERSED, timeout_s=2.0).search(
        impossible_task(), progress=lambda n, s: calls.append((n, s))
    )
    assert len(calls) > 2
    assert calls == sorted(calls), "programs and seconds never go back"
