"""Colour roles: the palette permutation, its inverse, the view of a task, and the lift."""

from __future__ import annotations

import numpy as np
from arc_helpers import G, run
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hylo.domains.arc import ARC, Grid, arc_task_from_json
from hylo.domains.arc.palette import (
    lift_normalized,
    normalize_colors,
    normalized_task,
    own_colors,
    palette,
    restore_colors,
    roles_may_help,
    shows_new_colors,
)
from hylo.lang.program import parse, show
from hylo.search.synthesizer import solve

grids = arrays(np.int8, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=st.integers(0, 9))


@given(grids)
def test_the_palette_is_a_permutation_and_restoring_undoes_it(array: np.ndarray) -> None:
    g = Grid(array)
    assert sorted(palette(g).tolist()) == list(range(10))
    normal = normalize_colors(g)
    assert normal.background == 0
    assert restore_colors(g, normal) == g


def test_roles_are_background_then_cells_covered_then_first_met() -> None:
    g = G("5552/5533/5599")  # background 5; 3 and 9 both cover two cells, 3 is met first
    assert normalize_colors(g) == G("0003/0011/0022")


def test_absent_colours_keep_their_number_when_it_is_free() -> None:
    perm = palette(G("004/044"))  # roles 0 (background) and 1 (the 4s)
    assert perm[8] == 8 and perm[4] == 1
    assert perm[1] == 4  # 1's number went to the 4s: it takes the number they left


def marker_task(colours: list[tuple[int, int]]) -> dict[str, object]:
    """Each grid: a 2x3 block of one colour and a marker cell of another; the output paints
    the block in the marker's colour and drops the marker."""
    pairs = []
    for block, marker in colours:
        x = np.zeros((5, 5), dtype=int)
        x[1:3, 1:4] = block
        x[4, 0] = marker
        y = np.zeros_like(x)
        y[1:3, 1:4] = marker
        pairs.append({"input": x.tolist(), "output": y.tolist()})
    return {"train": pairs[:-1], "test": pairs[-1:]}


def test_the_view_applies_where_colours_are_roles() -> None:
    task = arc_task_from_json(marker_task([(2, 4), (3, 6), (1, 5), (7, 8)]), "markers")
    assert shows_new_colors(task)
    seen = normalized_task(task)
    # Renamed by role, every pair is the same recolouring: block 1 -> 2, marker 2 -> 0.
    for e in seen.train:
        assert set(np.unique(e.inputs[0].array)) == {0, 1, 2}
        assert set(np.unique(e.output.array)) == {0, 2}
    same = arc_task_from_json(marker_task([(2, 4), (3, 6), (2, 6)]), "old-colours")
    assert not shows_new_colors(same)
    # No new colour in its test, but no colour common to its training pairs either.
    assert own_colors(same) and roles_may_help(same)
    shared = arc_task_from_json(marker_task([(2, 4), (2, 6), (2, 6)]), "shared")
    assert not own_colors(shared) and not roles_may_help(shared)
    # New colours, but every grid is already in role order: the view would be the task.
    ordered = arc_task_from_json(marker_task([(1, 1), (1, 1), (1, 2)]), "ordered")
    assert shows_new_colors(ordered) and not roles_may_help(ordered)


def test_a_lifted_program_prints_parses_and_runs_on_the_real_grids() -> None:
    inner = parse("(lam (recolor (recolor $0 c2 c0) c1 c2))", ARC.namespace)
    lifted = lift_normalized(inner)
    text = show(lifted)
    assert text == (
        "(lam (restore-colors $0 (recolor (recolor (normalize-colors $0) c2 c0) c1 c2)))"
    )
    g = G("00000/07770/00000/80000")
    assert run(text, g) == G("00000/08880/00000/00000")


def test_search_solves_a_task_about_roles_through_the_view() -> None:
    task = arc_task_from_json(marker_task([(2, 4), (3, 6), (1, 5), (7, 8)]), "markers")
    result = solve(task, timeout_s=30)
    assert result.test_correct, result.best
    assert "restore-colors" in show(result.best.program)  # type: ignore[union-attr]
