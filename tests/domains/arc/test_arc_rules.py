"""Neighbourhood rules: learned from pairs, printed as primitives, used as a last search step."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hylo.domains import get_domain
from hylo.domains.arc import ARC, Grid, arc_task_from_json
from hylo.domains.arc.rules import (
    FEATURES,
    PAIRS,
    apply_rule,
    learn_rule,
    resolve_rule,
    rule_completion,
    rule_completions,
    rule_name,
)
from hylo.lang.evaluate import Evaluator
from hylo.lang.program import Index, parse, show
from hylo.lang.types import parse_type
from hylo.learn import LibrarySpec
from hylo.learn.sleep import sleep
from hylo.search.batch import outcome_of
from hylo.search.synthesizer import solve


def outline(g: np.ndarray) -> np.ndarray:
    """Background cells next to (sides only) a foreground cell become 4."""
    fg = np.pad(g != 0, 1)
    near = fg[:-2, 1:-1] | fg[2:, 1:-1] | fg[1:-1, :-2] | fg[1:-1, 2:]
    return np.where((g == 0) & near, 4, g)


def shapes(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    g = np.zeros((7, 7), dtype=np.int8)
    for _ in range(3):
        r, c = rng.integers(0, 6, size=2)
        g[r : r + 2, c : c + 2] = 1
    return g


def test_a_learned_rule_reproduces_its_pairs_and_generalises() -> None:
    grids = [Grid(shapes(s), background=0) for s in range(7)]
    pairs = [(g, Grid(outline(g.array))) for g in grids[:6]]
    table = learn_rule("sides", pairs)
    assert table is not None
    for before, after in pairs:
        assert apply_rule("sides", table, before) == after
    assert apply_rule("sides", table, grids[6]) == Grid(outline(grids[6].array))


def test_a_key_that_asks_for_two_colours_is_no_rule() -> None:
    g = Grid.from_lists([[0, 0], [0, 0]]).with_background(0)
    assert learn_rule("sides", [(g, Grid.from_lists([[1, 0], [0, 0]]))]) is None
    assert learn_rule("sides", [(g, Grid.from_lists([[1]]))]) is None  # other shape


def test_an_unseen_neighbourhood_is_an_error_not_a_guess() -> None:
    g = Grid.from_lists([[0, 1], [0, 0]]).with_background(0)
    table = learn_rule("count", [(g, g)])
    assert table is not None
    with pytest.raises(ValueError, match="has not seen"):
        apply_rule("count", table, Grid.from_lists([[1, 1], [1, 0]]).with_background(0))


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(sorted(FEATURES) + list(PAIRS)),
    st.dictionaries(
        st.tuples(st.integers(0, 9), st.integers(0, 2**20)), st.integers(0, 9), min_size=1
    ),
)
def test_rule_names_round_trip(kind: str, table: dict[tuple[int, int], int]) -> None:
    name = rule_name(kind, table)
    primitive = resolve_rule(name)
    assert primitive is not None and primitive.name == name
    assert rule_name(kind, dict(primitive.fn.args[1])) == name  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "name", ["rule-sides:", "rule-nope:0.1", "rule-sides:0.1>12", "rule-sides:x.1", "colour-7"]
)
def test_malformed_rule_names_do_not_resolve(name: str) -> None:
    assert resolve_rule(name) is None
    assert name not in ARC.namespace


def test_a_program_with_a_rule_parses_runs_and_is_never_searched() -> None:
    before = Grid(shapes(0), background=0)
    wrap, run = rule_completion([before], [Grid(outline(before.array))], [before])  # type: ignore[misc]
    text = f"(lam {show(wrap(Index(0)))})"
    program = parse(text, get_domain("arc").namespace)
    assert show(program) == text
    assert Evaluator().function(program)(before) == run(before)
    assert not any(p.name.startswith("rule-") for p in ARC.primitives)


def two_blocks(top: int, left: int, right: int) -> tuple[Grid, Grid]:
    """A 3×3 and a 3×4 block of colour 1; only the larger one's inner cells become 2."""
    g = np.zeros((7, 12), dtype=np.int8)
    g[top : top + 3, left : left + 3] = 1
    g[3 - top : 6 - top, right : right + 4] = 1
    out = g.copy()
    out[4 - top, right + 1 : right + 3] = 2
    return Grid(g, background=0), Grid(out)


def test_a_law_that_needs_two_features_is_learned_as_a_pair() -> None:
    # Inner cells look alike (same sides, count, ring, reach) in both blocks, and
    # cells of the larger block differ by where they lie: no single feature decides.
    pairs = [two_blocks(0, 0, 6), two_blocks(1, 1, 7), two_blocks(3, 2, 7)]
    test_in, test_out = two_blocks(2, 6, 1)
    ins, outs = [a for a, _ in pairs], [b for _, b in pairs]
    assert all(learn_rule(kind, pairs) is None for kind in FEATURES)
    wrap, run = rule_completion(ins, outs, [test_in])  # type: ignore[misc]
    assert "+" in show(wrap(Index(0))).split(":")[0]
    assert run(test_in) == test_out


def walls(cols: tuple[int, ...]) -> tuple[Grid, Grid]:
    """Walls of 2 at ``cols`` cut a 4-row grid into regions; the widest becomes 1 and
    the narrowest 8."""
    g = np.zeros((4, 12), dtype=np.int8)
    g[:, list(cols)] = 2
    out = g.copy()
    bounds = [-1, *cols, 12]
    spans = [(a + 1, b) for a, b in itertools.pairwise(bounds) if b > a + 1]
    widths = [b - a for a, b in spans]
    for (a, b), w in zip(spans, widths, strict=True):
        if w == max(widths):
            out[:, a:b] = 1
        elif w == min(widths):
            out[:, a:b] = 8
    return Grid(g, background=0), Grid(out)


def test_background_regions_are_recoloured_by_their_size() -> None:
    pairs = [walls((1, 4, 8)), walls((3, 5, 9)), walls((2, 9))]
    test_in, test_out = walls((4, 6))
    wrap, run = rule_completion([a for a, _ in pairs], [b for _, b in pairs], [test_in])  # type: ignore[misc]
    assert show(wrap(Index(0))).startswith("(rule-region:")
    assert run(test_in) == test_out


def test_completion_picks_a_rule_that_knows_the_test_grids() -> None:
    grids = [Grid(shapes(s), background=0) for s in range(3)]
    targets = [Grid(outline(g.array)) for g in grids]
    assert rule_completion(grids, grids, []) is None  # already exact: nothing to finish
    unknown = Grid(np.full((3, 3), 9, dtype=np.int8), background=0)
    assert rule_completion(grids, targets, [unknown]) is None  # colour 9 never seen


def test_rules_the_pairs_cannot_tell_apart_are_offered_as_alternatives() -> None:
    # A cell between two markers on a row becomes 2. The pairs show a vertical gap only
    # once, so "marked left and right" (sides) fits, and so does "two marked neighbours"
    # (ring), which paints the test's vertical gap: both are offered, coarsest first.
    texts = [("10100/00000/00000", "12100/00000/00000")]
    texts += [("01010/00000/00010", "01210/00000/00010"), ("00000/00100/00000",) * 2]
    ins = [Grid.from_text(a).with_background(0) for a, _ in texts]
    outs = [Grid.from_text(b) for _, b in texts]
    test_in = Grid.from_text("100/000/100").with_background(0)
    found = rule_completions(ins, outs, [test_in])
    names = [show(wrap(Index(0))).split(":")[0] for wrap, _ in found]
    assert names == ["(rule-sides", "(rule-ring"]
    assert [run(test_in).to_text() for _, run in found] == ["100/000/100", "100/200/100"]
    [(first, _)] = rule_completions(ins, outs, [test_in], most=1)
    assert show(first(Index(0))) == show(found[0][0](Index(0)))


def largest_to_red(g: np.ndarray) -> np.ndarray:
    """The largest 4-connected object becomes 2; the rest stays."""
    from scipy import ndimage

    labels, _ = ndimage.label(g != 0)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return np.where(labels == sizes.argmax(), 2, g)


def blobs(seed: int) -> np.ndarray:
    """Three separate 1-coloured bars of distinct lengths on a 9×9 background."""
    rng = np.random.default_rng(seed)
    g = np.zeros((9, 9), dtype=np.int64)
    for row, length in zip((1, 4, 7), rng.permutation([2, 4, 6]) + rng.integers(0, 2), strict=True):
        start = int(rng.integers(0, 9 - length + 1))
        g[row, start : start + length] = 1
    return g


def test_an_object_rule_recolours_the_largest_object_whatever_its_size() -> None:
    grids = [Grid(blobs(s), background=0) for s in range(4)]
    targets = [Grid(largest_to_red(g.array)) for g in grids]
    found = rule_completion(grids, targets, [grids[-1]])
    assert found is not None
    wrap, run = found
    assert "rule-extreme" in show(wrap(Index(0)))
    fresh = np.zeros((9, 9), dtype=np.int64)
    fresh[2, 1:8], fresh[6, 3:5] = 1, 1  # sizes the pairs never had: 7 and 2
    assert run(Grid(fresh, background=0)).array.tolist() == largest_to_red(fresh).tolist()


def bridge(g: np.ndarray) -> np.ndarray:
    """Background cells between two 3s of a row become 8."""
    out = g.copy()
    for r, row in enumerate(g):
        ends = np.flatnonzero(row == 3)
        if len(ends) == 2:
            out[r, ends[0] + 1 : ends[1]] = 8
    return out


def pairs_on_rows(seed: int) -> np.ndarray:
    """Pairs of 3s on every other row of a 7×8 grid, apart by at least two cells."""
    rng = np.random.default_rng(seed)
    g = np.zeros((7, 8), dtype=np.int64)
    for r in range(0, 7, 2):
        a = int(rng.integers(0, 4))
        g[r, a], g[r, int(rng.integers(a + 2, 8))] = 3, 3
    return g


def test_a_reach_rule_fills_between_markers_whatever_the_distance() -> None:
    grids = [Grid(pairs_on_rows(s), background=0) for s in range(4)]
    found = rule_completion(grids, [Grid(bridge(g.array)) for g in grids])
    assert found is not None
    _, run = found
    fresh = np.zeros((7, 8), dtype=np.int64)
    fresh[0, [0, 7]] = fresh[4, [2, 5]] = 3
    assert run(Grid(fresh, background=0)).array.tolist() == bridge(fresh).tolist()


def test_search_finishes_an_outline_task_with_a_rule() -> None:
    inputs = [shapes(s) for s in range(7)]
    pairs = [{"input": g.tolist(), "output": outline(g).tolist()} for g in inputs]
    task = arc_task_from_json({"train": pairs[:6], "test": pairs[6:]}, "outline")
    result = solve(task, timeout_s=3, top_k=3)
    outcome = outcome_of(result)
    assert outcome.solved and outcome.test_correct
    assert any("rule-" in text for text, _ in outcome.candidates)
    # Found at once on the input, yet the search went on for programs the grammar can
    # write: a rule ranks after them and does not end the search early.
    rules = [c for c in result.candidates if "rule-" in show(c.program)]
    assert rules and all(c.log_prior < -50 for c in rules)
    # (More programs than when the rule was found: not a throughput figure, which
    # would depend on how loaded the machine is.)
    assert result.stats.programs > min(c.programs for c in rules)


def test_a_program_the_grammar_writes_ranks_before_a_rule() -> None:
    # Recolouring 1 to 7 is also a (trivial) neighbourhood rule.
    inputs = [shapes(s) for s in range(7)]
    pairs = [{"input": g.tolist(), "output": np.where(g == 1, 7, g).tolist()} for g in inputs]
    task = arc_task_from_json({"train": pairs[:6], "test": pairs[6:]}, "recolour")
    result = solve(task, timeout_s=10, top_k=3)
    assert result.best is not None and "rule-" not in show(result.best.program)


def test_sleep_leaves_solutions_with_rules_out_of_compression() -> None:
    spec = LibrarySpec("arc")
    namespace = spec.namespace()
    request = parse_type("grid -> grid")
    texts = {
        "rule": "(lam (rule-sides:0.15>4,0.0,4.15 $0))",
        "rule-inside": "(lam (rot90 (rule-count:0.1>3,0.0 $0)))",
        "a": "(lam (rot90 (flip-lr $0)))",
        "b": "(lam (rot90 (flip-lr (transpose $0))))",
    }
    frontiers = {n: (request, [parse(t, namespace)]) for n, t in texts.items()}
    result = sleep(spec, frontiers)
    assert set(result.rewritten) == {"a", "b"}
    assert all(not p.name.startswith("rule-") for p in result.grammar.primitives)


def corner_of_l(g: np.ndarray) -> np.ndarray:
    """The background cell that an L of three 8s leaves open (its 2×2 box) becomes 1."""
    out = g.copy()
    for r in range(g.shape[0] - 1):
        for c in range(g.shape[1] - 1):
            box = g[r : r + 2, c : c + 2]
            if (box == 8).sum() == 3 and (box == 0).sum() == 1:
                rr, cc = np.argwhere(box == 0)[0]
                out[r + rr, c + cc] = 1
    return out


def ls(corners: list[tuple[int, int, int]]) -> np.ndarray:
    """Ls of 8s in a 2×2 box at (row, col), the open corner numbered 0-3."""
    g = np.zeros((9, 9), dtype=np.int64)
    for r, c, open_corner in corners:
        g[r : r + 2, c : c + 2] = 8
        g[r + open_corner // 2, c + open_corner % 2] = 0
    return g


def test_a_window_rule_fills_the_corner_each_l_leaves_open() -> None:
    # Two Ls side by side leave a cell between them with the sides (and more) of an
    # open corner, which stays background: only the whole window tells them apart.
    grids = [
        ls([(0, 2, 3), (2, 0, 3), (5, 5, 0)]),
        ls([(1, 5, 1), (5, 1, 2), (3, 7, 3), (5, 5, 3)]),
        ls([(0, 6, 2), (6, 6, 1), (3, 2, 3), (0, 0, 0)]),
        ls([(6, 0, 3), (2, 3, 0), (6, 5, 2), (0, 7, 3)]),
    ]
    pairs = [(Grid(g, background=0), Grid(corner_of_l(g))) for g in grids]
    test = ls([(1, 1, 1), (5, 5, 0), (1, 6, 3), (6, 1, 2)])
    found = rule_completion(
        [a for a, _ in pairs], [b for _, b in pairs], [Grid(test, background=0)]
    )
    assert found is not None
    wrap, run = found
    assert show(wrap(Index(0))).startswith("(rule-window:")
    assert run(Grid(test, background=0)).array.tolist() == corner_of_l(test).tolist()


def shapes_twice(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two copies of one shape and one other shape, all of colour 8; in the target the
    lone shape is 2 and the copies are 1."""
    rng = np.random.default_rng(seed)
    twin = np.array([[1, 1], [1, 0], [1, 1]]) if seed % 2 else np.array([[1, 1, 1]])
    lone = np.array([[1, 0], [1, 1]]) if seed % 3 else np.array([[1], [1], [1], [1]])
    g = np.zeros((10, 10), dtype=np.int64)
    out = g.copy()
    for (r, c), shape, colour in zip(
        [(0, int(rng.integers(0, 3))), (5, int(rng.integers(0, 3))), (1, 6)],
        [twin, twin, lone],
        [1, 1, 2],
        strict=True,
    ):
        h, w = shape.shape
        g[r : r + h, c : c + w][shape == 1] = 8
        out[r : r + h, c : c + w][shape == 1] = colour
    return g, out


def test_a_twins_rule_tells_the_lone_shape_from_the_repeated_one() -> None:
    pairs = [shapes_twice(s) for s in range(4)]
    ins = [Grid(g, background=0) for g, _ in pairs]
    test_in, test_out = shapes_twice(5)
    found = rule_completion(ins, [Grid(o) for _, o in pairs], [Grid(test_in, background=0)])
    assert found is not None
    wrap, run = found
    assert show(wrap(Index(0))).startswith("(rule-twins:")
    assert run(Grid(test_in, background=0)).array.tolist() == test_out.tolist()
