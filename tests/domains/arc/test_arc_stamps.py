"""Stamps: learned per colour from pairs, printed as primitives, used as a last search step."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hylo.domains import get_domain
from hylo.domains.arc import ARC, Grid, arc_task_from_json
from hylo.domains.arc.stamps import (
    apply_stamp,
    learn_stamp,
    resolve_stamp,
    stamp_completion,
    stamp_name,
)
from hylo.lang.evaluate import Evaluator
from hylo.lang.program import Index, parse, show
from hylo.search.batch import outcome_of
from hylo.search.synthesizer import solve


def decorate(g: np.ndarray) -> np.ndarray:
    """Each 2 gets 4 on its diagonals, each 1 gets 7 on its sides; 8 gets nothing.
    Only background is painted."""
    out = g.copy()
    h, w = g.shape
    for (r, c), colour in np.ndenumerate(g):
        offsets = {2: [(-1, -1), (-1, 1), (1, -1), (1, 1)], 1: [(-1, 0), (1, 0), (0, -1), (0, 1)]}
        for dr, dc in offsets.get(int(colour), []):
            if 0 <= r + dr < h and 0 <= c + dc < w and g[r + dr, c + dc] == 0:
                out[r + dr, c + dc] = {2: 4, 1: 7}[int(colour)]
    return out


def markers(seed: int, spread: int = 3) -> np.ndarray:
    """A 1, a 2 and an 8 in a 9×9 grid, at least ``spread`` cells apart."""
    rng = np.random.default_rng(seed)
    g = np.zeros((9, 9), dtype=np.int64)
    placed: list[tuple[int, int]] = []
    for colour in (1, 2, 8):
        while True:
            r, c = (int(v) for v in rng.integers(1, 8, size=2))
            if all(max(abs(r - a), abs(c - b)) >= spread for a, b in placed):
                break
        placed.append((r, c))
        g[r, c] = colour
    return g


def test_a_learned_stamp_reproduces_its_pairs_and_any_arrangement() -> None:
    pairs = [(Grid(markers(s), background=0), Grid(decorate(markers(s)))) for s in range(3)]
    stamp = learn_stamp(pairs)
    assert stamp == {
        (2, 0): 4,
        (2, 2): 4,
        (2, 6): 4,
        (2, 8): 4,
        (1, 1): 7,
        (1, 3): 7,
        (1, 5): 7,
        (1, 7): 7,
    }
    for before, after in pairs:
        assert apply_stamp(stamp, before) == after
    # Markers next to each other: neighbourhoods the pairs never showed.
    crowded = np.zeros((6, 6), dtype=np.int64)
    crowded[2, 2], crowded[2, 3], crowded[3, 2], crowded[0, 5] = 1, 2, 2, 8
    assert (
        apply_stamp(stamp, Grid(crowded, background=0)).array.tolist() == decorate(crowded).tolist()
    )


def test_a_stamp_that_does_not_explain_every_change_is_no_completion() -> None:
    grids = [Grid(markers(s), background=0) for s in range(3)]
    targets = [Grid(decorate(g.array)) for g in grids]
    targets[0] = Grid(np.where(grids[0].array == 8, 3, targets[0].array))  # a recolouring
    assert stamp_completion(grids, targets) is None
    assert stamp_completion(grids, grids) is None  # already exact: nothing to finish


def test_a_new_colour_stamps_nothing_where_some_seen_colour_stamps_nothing() -> None:
    grids = [Grid(markers(s), background=0) for s in range(3)]
    targets = [Grid(decorate(g.array)) for g in grids]
    assert stamp_completion(grids, targets, [grids[0]]) is not None
    # The 8s stamp nothing: stamping belongs to colours, and a 6 never seen is quiet.
    unseen = Grid(np.where(markers(5) == 8, 6, markers(5)), background=0)
    completion = stamp_completion(grids, targets, [unseen])
    assert completion is not None
    _, run = completion
    assert run(unseen) == Grid(decorate(unseen.array))


def test_a_new_colour_is_unknown_where_every_seen_colour_stamps() -> None:
    grids = [Grid(np.where(markers(s) == 8, 0, markers(s)), background=0) for s in range(3)]
    targets = [Grid(decorate(g.array)) for g in grids]
    assert stamp_completion(grids, targets, [grids[0]]) is not None
    unseen = Grid(np.where(markers(5) == 8, 6, markers(5)), background=0)
    assert stamp_completion(grids, targets, [unseen]) is None


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.integers(0, 9), st.sampled_from([0, 1, 2, 3, 5, 6, 7, 8])),
        st.integers(0, 9),
        min_size=1,
    )
)
def test_stamp_names_round_trip(stamp: dict[tuple[int, int], int]) -> None:
    name = stamp_name(stamp)
    primitive = resolve_stamp(name)
    assert primitive is not None and primitive.name == name
    assert stamp_name(dict(primitive.fn.args[0])) == name  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "name", ["stamp:", "stamp:1.4>2", "stamp:1.9>2", "stamp:1.0>10", "stamp:x.0>1", "stamp:1.0"]
)
def test_malformed_stamp_names_do_not_resolve(name: str) -> None:
    assert resolve_stamp(name) is None
    assert name not in ARC.namespace


def test_a_program_with_a_stamp_parses_and_runs() -> None:
    grids = [Grid(markers(s), background=0) for s in range(3)]
    wrap, run = stamp_completion(grids, [Grid(decorate(g.array)) for g in grids])  # type: ignore[misc]
    text = f"(lam (flip-lr {show(wrap(Index(0)))}))"
    program = parse(text, get_domain("arc").namespace)
    assert show(program) == text
    assert (
        Evaluator().function(program)(grids[0]).array.tolist()
        == run(grids[0]).array[:, ::-1].tolist()
    )
    assert not any(p.name.startswith("stamp:") for p in ARC.primitives)


def test_search_finishes_a_decoration_task_with_a_stamp() -> None:
    inputs = [markers(s) for s in range(4)]
    inputs.append(markers(9, spread=1))  # the test: markers may touch
    pairs = [{"input": g.tolist(), "output": decorate(g).tolist()} for g in inputs]
    task = arc_task_from_json({"train": pairs[:4], "test": pairs[4:]}, "decorate")
    outcome = outcome_of(solve(task, timeout_s=3, top_k=3))
    assert outcome.solved and outcome.test_correct
    assert any("stamp:" in text for text, _ in outcome.candidates)
