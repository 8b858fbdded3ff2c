"""Windows: a fixed place counted from a corner, learned from pairs, used as a last step."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hylo.domains import get_domain
from hylo.domains.arc import Grid, arc_task_from_json
from hylo.domains.arc.windows import (
    CORNERS,
    cut_window,
    resolve_window,
    window_completion,
    window_name,
)
from hylo.lang.evaluate import Evaluator
from hylo.lang.program import Index, parse, show
from hylo.search.batch import outcome_of
from hylo.search.synthesizer import solve


def noise(seed: int, h: int, w: int) -> Grid:
    return Grid(np.random.default_rng(seed).integers(0, 10, size=(h, w)))


def test_a_window_is_learned_from_the_corner_all_pairs_share() -> None:
    # The 2x3 block one row below the top-right corner, in grids of different sizes.
    inputs = [noise(1, 5, 6), noise(2, 7, 4), noise(3, 6, 9)]
    targets = [Grid(g.array[1:3, g.width - 3 :]) for g in inputs]
    completion = window_completion(inputs, targets, [noise(4, 3, 3)])
    assert completion is not None
    wrap, run = completion
    assert show(wrap(Index(0))) == "(window:tr.1.0.2.3 $0)"
    test = noise(5, 4, 8)
    assert run(test) == Grid(test.array[1:3, 5:])


def test_no_window_when_the_place_moves_or_does_not_fit_a_test_grid() -> None:
    a, b = noise(1, 5, 5), noise(2, 5, 5)
    moved = [Grid(a.array[0:2, 0:2]), Grid(b.array[2:4, 1:3])]
    assert window_completion([a, b], moved) is None
    fixed = [Grid(a.array[0:2, 0:2]), Grid(b.array[0:2, 0:2])]
    assert window_completion([a, b], fixed) is not None
    assert window_completion([a, b], fixed, [noise(3, 1, 5)]) is None  # too small to cut


def test_no_window_for_tiny_targets_whole_grids_or_other_values() -> None:
    a = noise(1, 4, 4)
    assert window_completion([a], [Grid(a.array[:1, :3])]) is None  # 3 cells: chance
    assert window_completion([a], [a]) is None
    assert window_completion([3], [a]) is None


@given(
    st.sampled_from(CORNERS),
    st.integers(0, 3),
    st.integers(0, 3),
    st.integers(1, 4),
    st.integers(1, 4),
)
def test_window_names_round_trip(corner: str, dr: int, dc: int, h: int, w: int) -> None:
    name = window_name((corner, dr, dc, h, w))
    primitive = resolve_window(name)
    assert primitive is not None and primitive.name == name
    g = noise(0, 8, 8)
    assert primitive.fn(g) == cut_window((corner, dr, dc, h, w), g)


@pytest.mark.parametrize("name", ["window:xx.0.0.1.1", "window:tl.0.0.0.2", "window:tl.1.2", "w"])
def test_malformed_window_names_do_not_resolve(name: str) -> None:
    assert resolve_window(name) is None


def test_a_window_leaving_the_grid_fails_cleanly() -> None:
    with pytest.raises(ValueError, match="leaves the grid"):
        cut_window(("br", 1, 0, 3, 3), noise(0, 3, 5))


def test_programs_with_windows_parse_and_run_in_the_domain() -> None:
    program = parse("(lam (window:bl.0.1.2.2 (flip-lr $0)))", get_domain("arc").namespace)
    g = Grid.from_lists([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    assert Evaluator().function(program)(g) == Grid.from_lists([[5, 4], [8, 7]])


def test_search_solves_a_fixed_window_task() -> None:
    def pair(seed: int, h: int, w: int) -> dict[str, list[list[int]]]:
        g = noise(seed, h, w)
        return {"input": g.to_lists(), "output": g.array[-3:, :3].tolist()}

    raw = {"train": [pair(1, 6, 7), pair(2, 5, 5), pair(3, 8, 6)], "test": [pair(4, 7, 9)]}
    task = arc_task_from_json(raw, "bottom-left-window")
    outcome = outcome_of(solve(task, timeout_s=5.0, top_k=3))
    assert outcome.test_correct, outcome.program
