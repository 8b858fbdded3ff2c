"""Cell logic of two halves: learned from pairs, printed as primitives, used as a last step."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hylo.domains import get_domain
from hylo.domains.arc import Grid, arc_task_from_json
from hylo.domains.arc.halves import (
    SPLITS,
    apply_halves,
    halves_completion,
    halves_name,
    resolve_halves,
)
from hylo.lang.evaluate import Evaluator
from hylo.lang.program import Index, parse, show
from hylo.search.batch import outcome_of
from hylo.search.synthesizer import solve


def two_halves(seed: int, h: int, w: int) -> tuple[Grid, Grid]:
    """Random 0/1 and 0/4 halves with a column of 5 between them; out: 3 where exactly one
    half has foreground (xor)."""
    rng = np.random.default_rng(seed)
    left, right = rng.integers(0, 2, size=(h, w)), 4 * rng.integers(0, 2, size=(h, w))
    grid = np.hstack([left, np.full((h, 1), 5), right])
    return Grid(grid).with_background(0), Grid(np.where((left > 0) ^ (right > 0), 3, 0))


def test_the_xor_of_two_halves_is_learned_and_carries_over() -> None:
    pairs = [two_halves(s, 3, 4) for s in range(3)]
    test, expected = two_halves(9, 5, 3)
    completion = halves_completion(*zip(*pairs, strict=True), [test])
    assert completion is not None
    wrap, run = completion
    assert show(wrap(Index(0))) == "(halves-lr:0330 $0)"
    assert run(test) == expected


def test_halves_stacked_top_and_bottom() -> None:
    top, bottom = Grid.from_lists([[1, 0], [0, 0]]), Grid.from_lists([[1, 1], [0, 1]])
    grid = Grid(np.vstack([top.array, bottom.array])).with_background(0)
    completion = halves_completion([grid], [Grid.from_lists([[6, 0], [7, 0]])])
    assert completion is not None
    assert show(completion[0](Index(0))) == "(halves-tb:70_6 $0)"


def test_no_table_when_a_case_asks_for_two_colours_or_shapes_differ() -> None:
    grid = Grid.from_lists([[1, 0, 1, 1], [0, 0, 0, 1]]).with_background(0)
    # the case "only the second half" gets 2 in one cell and 0 in another
    assert halves_completion([grid], [Grid.from_lists([[9, 2], [0, 0]])]) is None
    assert halves_completion([grid], [Grid.from_lists([[1]])]) is None
    assert halves_completion([3], [grid]) is None


def test_no_table_that_would_guess_a_case_a_test_grid_shows() -> None:
    # The pairs show only two cases: too few to trust, and the test shows a third.
    grid = Grid.from_lists([[1, 1], [0, 0]]).with_background(0)
    assert halves_completion([grid], [Grid.from_lists([[5], [0]])]) is None
    pairs = [two_halves(s, 3, 3) for s in range(2)]
    unseen = Grid.from_lists([[0, 5, 0]]).with_background(0)  # neither half: seen
    assert halves_completion(*zip(*pairs, strict=True), [unseen]) is not None
    table = (0, 3, 3, -1)  # foreground in both halves: never seen
    with pytest.raises(ValueError, match="never saw"):
        apply_halves("lr", table, Grid.from_lists([[1, 5, 1]]).with_background(0))


@given(st.sampled_from(SPLITS), st.lists(st.sampled_from("0123456789_"), min_size=4, max_size=4))
def test_halves_names_round_trip(split: str, digits: list[str]) -> None:
    table = tuple(-1 if d == "_" else int(d) for d in digits)
    name = halves_name(split, table)
    primitive = resolve_halves(name)
    assert primitive is not None and primitive.name == name


@pytest.mark.parametrize("name", ["halves-xy:0000", "halves-lr:000", "halves-lr:00a0", "halves"])
def test_malformed_halves_names_do_not_resolve(name: str) -> None:
    assert resolve_halves(name) is None


def test_a_grid_of_one_line_has_no_halves() -> None:
    with pytest.raises(ValueError, match="one line"):
        apply_halves("tb", (0, 1, 2, 3), Grid.from_lists([[1, 0, 1]]))


def test_programs_with_halves_parse_and_run_in_the_domain() -> None:
    program = parse("(lam (halves-lr:0111 (flip-ud $0)))", get_domain("arc").namespace)
    grid = Grid.from_lists([[1, 0, 5, 0, 0], [0, 0, 5, 0, 1]]).with_background(0)
    assert Evaluator().function(program)(grid) == Grid.from_lists([[0, 1], [1, 0]])


def test_search_solves_a_halves_task() -> None:
    def pair(seed: int) -> dict[str, list[list[int]]]:
        grid, out = two_halves(seed, 4, 4)
        return {"input": grid.to_lists(), "output": out.to_lists()}

    raw = {"train": [pair(1), pair(2), pair(3)], "test": [pair(4)]}
    outcome = outcome_of(solve(arc_task_from_json(raw, "xor-halves"), timeout_s=5.0, top_k=3))
    assert outcome.test_correct, outcome.program
