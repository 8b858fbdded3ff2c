"""Lookups: an output grid picked by a key (a count, a colour, a test), learned from pairs."""

from __future__ import annotations

import numpy as np
import pytest
from arc_helpers import G
from hypothesis import given
from hypothesis import strategies as st

from hylo.domains import get_domain
from hylo.domains.arc import Grid, arc_task_from_json
from hylo.domains.arc.lookups import (
    KINDS,
    apply_lookup,
    lookup_completion,
    lookup_name,
    resolve_lookup,
)
from hylo.lang.evaluate import Evaluator
from hylo.lang.program import Index, parse, show
from hylo.search.batch import outcome_of
from hylo.search.synthesizer import solve

A, B, C = G("12/00"), G("3"), G("505/050")


def test_a_lookup_is_learned_from_keys_that_split_the_pairs_like_the_outputs() -> None:
    completion = lookup_completion("int", [2, 5, 2, 9], [A, B, A, C], [9, 5])
    assert completion is not None
    wrap, run = completion
    assert show(wrap(Index(0))) == "(lookup-int:2=12/00,5=3,9=505/050 $0)"
    assert (run(9), run(5)) == (C, B)


@pytest.mark.parametrize(
    ("keys", "targets", "tests"),
    [
        ([1, 1], [A, B], []),  # one key asks for two grids
        ([1, 2], [A, B], []),  # nothing seen twice
        ([1, 2, 3], [A, A, B], []),  # keys finer than the outputs: chance
        ([1, 1, 2], [A, A, B], [3]),  # a test key never seen
        ([-1, -1, 2], [A, A, B], []),  # names hold digits only
        ([1, 1], [3, 3], []),  # targets that are not grids
    ],
)
def test_no_lookup_where_it_would_guess(
    keys: list[int], targets: list[object], tests: list[int]
) -> None:
    assert lookup_completion("int", keys, targets, tests) is None


def test_booleans_are_keys_zero_and_one() -> None:
    completion = lookup_completion("bool", [True, False, True], [A, B, A])
    assert completion is not None
    assert show(completion[0](Index(0))) == "(lookup-bool:0=3,1=12/00 $0)"


_grids = st.builds(
    lambda h, w, seed: Grid(np.random.default_rng(seed).integers(0, 10, size=(h, w))),
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(0, 1000),
)


@given(st.sampled_from(KINDS), st.dictionaries(st.integers(0, 40), _grids, min_size=1, max_size=4))
def test_lookup_names_round_trip(kind: str, entries: dict[int, Grid]) -> None:
    table = tuple(sorted(entries.items(), key=lambda kv: kv[0]))
    primitive = resolve_lookup(lookup_name(kind, table))
    assert primitive is not None
    for key, grid in table:
        assert primitive.fn(key) == grid


@pytest.mark.parametrize(
    "name", ["lookup-int:", "lookup-float:1=2", "lookup-int:x=1", "lookup-int:1=12/3", "lookup"]
)
def test_malformed_lookup_names_do_not_resolve(name: str) -> None:
    assert resolve_lookup(name) is None


def test_an_unseen_key_fails_cleanly() -> None:
    with pytest.raises(ValueError, match="never saw the key 4"):
        apply_lookup(((1, A),), 4)


def test_programs_with_lookups_parse_and_run_in_the_domain() -> None:
    program = parse("(lam (lookup-int:1=1,2=22 (num-colors $0)))", get_domain("arc").namespace)
    f = Evaluator().function(program)
    assert f(G("10/01")) == G("1")
    assert f(G("12/00")) == G("22")


def test_search_solves_a_task_that_classifies_by_the_number_of_colours() -> None:
    rng = np.random.default_rng(0)
    answers = {1: [[5, 5, 5]], 2: [[5, 0, 5]], 3: [[0, 5, 0]]}

    def pair(colours: int) -> dict[str, list[list[int]]]:
        grid = np.zeros((5, 5), dtype=int)
        for c in range(1, colours + 1):
            grid[rng.integers(0, 5), rng.integers(0, 5)] = c
            grid[rng.integers(0, 5), c] = c  # each colour surely present
        return {"input": grid.tolist(), "output": answers[colours]}

    raw = {"train": [pair(1), pair(2), pair(3), pair(2), pair(1)], "test": [pair(3), pair(2)]}
    task = arc_task_from_json(raw, "classify-by-colours")
    outcome = outcome_of(solve(task, timeout_s=5.0, top_k=3))
    assert outcome.test_correct, outcome.program
