"""Count drawings: a number the search counted, drawn in a layout learned from pairs."""

from __future__ import annotations

import pytest
from arc_helpers import G

from hylo.domains import get_domain
from hylo.domains.arc import arc_task_from_json
from hylo.domains.arc.drawings import count_drawing_completion, draw_count, resolve_drawing
from hylo.lang.evaluate import Evaluator
from hylo.lang.program import Index, parse, show
from hylo.search.batch import outcome_of
from hylo.search.synthesizer import solve


@pytest.mark.parametrize(
    ("layout", "n", "expected"),
    [
        ("row", 3, "444"),
        ("column", 2, "4/4"),
        ("square", 2, "44/44"),
        ("diagonal", 3, "400/040/004"),
        ("bar2x3", 4, "444/400"),
        ("bar2x3", 0, "000/000"),
    ],
)
def test_layouts_draw_a_count(layout: str, n: int, expected: str) -> None:
    assert draw_count(layout, 4, 0, n) == G(expected)


@pytest.mark.parametrize(
    ("layout", "n", "message"),
    [("row", 0, "1 to 30"), ("diagonal", 31, "1 to 30"), ("bar1x5", 6, "cannot show 6")],
)
def test_counts_a_layout_cannot_draw_fail_cleanly(layout: str, n: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        draw_count(layout, 1, 0, n)


def test_the_completion_draws_counts_it_never_saw() -> None:
    targets = [G("11000"), G("11110"), G("11100")]
    found = count_drawing_completion([2, 4, 3], targets, [1])
    assert found is not None
    wrap, run = found
    assert show(wrap(Index(0))) == "(draw-count:bar1x5.1.0 $0)"
    assert run(1) == G("10000") and run(5) == G("11111")


@pytest.mark.parametrize(
    ("keys", "targets", "tests"),
    [
        ([2, 2], ["11", "11"], [1]),  # one count throughout: a constant, not a drawing
        ([2, 3], ["11", "121"], [1]),  # no layout draws the second target
        ([2, 3], ["11000", "11100"], [6]),  # a test count the bar cannot hold
        ([1, 2], ["1", "11"], [0]),  # a row of no cells
    ],
)
def test_no_drawing_where_the_pairs_or_tests_do_not_allow_one(
    keys: list[int], targets: list[str], tests: list[int]
) -> None:
    assert count_drawing_completion(keys, list(map(G, targets)), tests) is None


@pytest.mark.parametrize(
    "name", ["draw-count:bar0x5.1.0", "draw-count:spiral.1.0", "draw-count:row.10.0", "draw"]
)
def test_malformed_names_do_not_resolve(name: str) -> None:
    assert resolve_drawing(name) is None


def test_programs_with_drawings_parse_and_run_in_the_domain() -> None:
    program = parse("(lam (draw-count:column.3.0 (fg-count $0)))", get_domain("arc").namespace)
    assert Evaluator().function(program)(G("0100/0010")) == G("3/3")


def test_search_draws_the_number_of_shapes_as_a_diagonal() -> None:
    # The test input has five shapes, a count no training pair shows: a lookup from the
    # count could only refuse; the drawing draws it.
    def pair(shapes: int) -> dict[str, list[list[int]]]:
        rows = [[0] * 12 for _ in range(6)]
        for k in range(shapes):
            rows[1 + 3 * (k % 2)][2 * k] = 5
        diagonal = [[8 if r == c else 0 for c in range(shapes)] for r in range(shapes)]
        return {"input": rows, "output": diagonal}

    raw = {"train": [pair(2), pair(3), pair(4)], "test": [pair(5)]}
    outcome = outcome_of(solve(arc_task_from_json(raw, "count-diagonal"), timeout_s=5.0, top_k=3))
    assert outcome.test_correct, outcome.program
    assert "draw-count:diagonal.8.0" in outcome.program
