"""Continuations: a grid's repeating pattern carried on to a size learned from pairs."""

from __future__ import annotations

import pytest
from arc_helpers import G

from hylo.domains import get_domain
from hylo.domains.arc import arc_task_from_json
from hylo.domains.arc.continuation import (
    continuation_completion,
    continue_pattern,
    grown,
    resolve_continuation,
)
from hylo.lang.evaluate import Evaluator
from hylo.lang.program import Index, parse, show
from hylo.search.batch import outcome_of
from hylo.search.synthesizer import solve

STAIRS = "1100/0110/0011"  # repeats one down and one right


@pytest.mark.parametrize(
    ("rows", "cols", "grid", "expected"),
    [
        ("+3", "same", "010/110/010/011/010/110", "010/110/010/011/010/110/010/011/010"),
        ("same", "x2", "23323", "2332332332"),  # period 3 along the row
        ("=5", "same", STAIRS, STAIRS + "/0001/0000"),  # slanted: background comes in
        ("same", "+2", "12", "1212"),  # nothing shorter repeats: tiled
        ("x2", "same", "1/0", "1/0/1/0"),
    ],
)
def test_patterns_carry_on(rows: str, cols: str, grid: str, expected: str) -> None:
    assert continue_pattern(rows, cols, G(grid)) == G(expected)


def test_a_straight_step_beats_a_shorter_slanted_one() -> None:
    # Rows alternate 010/101: one down and one sideways also repeats, but brings in
    # background at the side; two straight down does not.
    assert continue_pattern("+2", "same", G("010/101/010/101")) == G("010/101/010/101/010/101")


@pytest.mark.parametrize(
    ("rows", "cols", "grid", "message"),
    [
        ("same", "=2", "123", "does not grow"),
        ("=31", "same", "1/2", "exceeds 30x30"),
    ],
)
def test_impossible_sizes_fail_cleanly(rows: str, cols: str, grid: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        continue_pattern(rows, cols, G(grid))


def test_size_rules() -> None:
    assert [grown(r, 4) for r in ("same", "=10", "x3", "+2")] == [4, 10, 12, 6]


@pytest.mark.parametrize(
    "name",
    ["continue:same.same", "continue:x1.same", "continue:=0.same", "continue:+a.same", "cont"],
)
def test_malformed_names_do_not_resolve(name: str) -> None:
    assert resolve_continuation(name) is None


def test_programs_with_continuations_parse_and_run_in_the_domain() -> None:
    program = parse("(lam (continue:=4.same (flip-lr $0)))", get_domain("arc").namespace)
    assert Evaluator().function(program)(G("10/20")) == G("01/02/01/02")


def test_the_completion_learns_sizes_and_checks_every_pair() -> None:
    found = continuation_completion([G("23323"), G("1201")], [G("2332332332"), G("12011201")])
    assert found is not None
    wrap, run = found
    assert show(wrap(Index(0))) == "(continue:same.x2 $0)"
    assert run(G("45")) == G("4545")


@pytest.mark.parametrize(
    ("candidates", "targets"),
    [
        (["12", "34"], ["12", "34"]),  # nothing grows
        (["12", "34"], ["1212", "3434", "56"]),  # pairs of other lengths: refused by zip
        (["12", "345"], ["121", "34534"]),  # widths 2 -> 3 and 3 -> 5 follow no rule
        (["12", "34"], ["1213", "3434"]),  # the first target does not continue its grid
        (["12", "34"], ["2112", "3434"]),  # a target that does not start with its grid
    ],
)
def test_no_continuation_where_the_pairs_disagree(
    candidates: list[str], targets: list[str]
) -> None:
    if len(candidates) != len(targets):
        with pytest.raises(ValueError):
            continuation_completion(list(map(G, candidates)), list(map(G, targets)))
        return
    assert continuation_completion(list(map(G, candidates)), list(map(G, targets))) is None


def test_search_carries_a_staircase_on_to_ten_rows() -> None:
    def pair(width: int, colour: int) -> dict[str, list[list[int]]]:
        rows = [[colour if c - r in (0, 1) else 0 for c in range(width)] for r in range(10)]
        return {"input": rows[:4], "output": rows}

    raw = {"train": [pair(10, 1), pair(10, 2), pair(10, 4)], "test": [pair(10, 3)]}
    outcome = outcome_of(solve(arc_task_from_json(raw, "stairs"), timeout_s=5.0, top_k=3))
    assert outcome.test_correct, outcome.program
    assert "continue:=10.same" in outcome.program
