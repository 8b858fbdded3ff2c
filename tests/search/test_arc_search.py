"""Grid search end to end: synthetic ARC tasks, the colour-map finish, top-3 predictions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hylo.domains.arc import ARC, Grid, arc_task_from_json
from hylo.domains.arc.finish import _steps, color_map_completion
from hylo.domains.task import Task
from hylo.lang.evaluate import Evaluator
from hylo.lang.program import Index, parse, show
from hylo.search import BottomUpSynthesizer
from hylo.search.batch import outcome_of, run_benchmark, solve_to_outcome
from hylo.search.synthesizer import default_synthesizer, solve
from hylo.search.views import ViewSynthesizer


def random_grids(seed: int, n: int, shape: tuple[int, int] = (5, 6)) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    grids = []
    for _ in range(n):
        g = np.zeros(shape, dtype=np.int8)
        mask = rng.random(shape) < 0.35
        g[mask] = rng.integers(1, 5, size=int(mask.sum()))
        grids.append(g)
    return grids


def task_of(name: str, f, inputs: list[np.ndarray], num_test: int = 1) -> Task:
    pairs = [{"input": g.tolist(), "output": np.asarray(f(g)).tolist()} for g in inputs]
    return arc_task_from_json({"train": pairs[:-num_test], "test": pairs[-num_test:]}, name)


def with_objects(seed: int) -> np.ndarray:
    """A grid with three separate rectangles of different sizes and colours."""
    rng = np.random.default_rng(seed)
    g = np.zeros((10, 10), dtype=np.int8)
    sizes = rng.permutation([1, 2, 3])
    colors = rng.permutation([1, 2, 3, 4])[:3]
    for (top, left), size, color in zip([(0, 0), (0, 6), (6, 3)], sizes, colors, strict=True):
        g[top : top + size, left : left + size + 1] = color
    return g


SYNTHETIC = [
    ("rotate", lambda g: np.rot90(g), random_grids(1, 4)),
    ("flip", lambda g: g[:, ::-1], random_grids(2, 4)),
    ("recolour", lambda g: np.where(g == 1, 7, g), random_grids(3, 4)),
    ("upscale", lambda g: np.kron(g, np.ones((2, 2), dtype=np.int8)), random_grids(4, 4, (3, 3))),
    (
        "crop-largest",
        lambda g: g[
            np.ix_(
                *[
                    np.unique(ix)
                    for ix in np.nonzero(
                        g == g[g > 0][np.argmax([np.sum(g == c) for c in g[g > 0]])]
                    )
                ]
            )
        ],
        [with_objects(s) for s in range(4)],
    ),
]


@pytest.mark.parametrize(("name", "f", "inputs"), SYNTHETIC, ids=[s[0] for s in SYNTHETIC])
def test_synthetic_grid_tasks_are_solved_and_right_on_the_test(name, f, inputs) -> None:
    task = task_of(name, f, inputs)
    result = solve(task, timeout_s=60)
    assert result.solved, f"{name}: nothing found in {result.stats}"
    outcome = outcome_of(result)
    assert outcome.test_results == (True,), f"{name}: {result.best} is wrong on the test"
    # The program is ordinary hylo text: it parses back and runs to the same prediction.
    program = parse(show(result.best.program), ARC.namespace)
    f_hat = Evaluator().function(program)
    assert f_hat(task.test[0].inputs[0]) == task.test[0].output


def test_arc_tasks_use_the_bottom_up_engine_with_three_predictions() -> None:
    task = task_of("t", lambda g: g, random_grids(5, 3))
    synth = default_synthesizer(task, timeout_s=1, top_k=3)
    assert isinstance(synth, ViewSynthesizer) and synth.top_k == 3
    inner = synth.make(0.5)  # what searches the task and each view of it
    assert isinstance(inner, BottomUpSynthesizer) and inner.top_k == 3


def test_top_three_predictions_are_distinct_and_scored_per_test_input() -> None:
    # One training pair that many programs fit (a symmetric grid: flips, rotations, …);
    # the test inputs tell them apart, and any of the three may be the right one.
    sym = np.array([[1, 2, 1], [2, 3, 2], [1, 2, 1]], dtype=np.int8)
    test_in = np.array([[1, 2, 0], [0, 3, 0], [0, 0, 0]], dtype=np.int8)
    task = arc_task_from_json(
        {
            "train": [{"input": sym.tolist(), "output": sym.tolist()}],
            "test": [
                {"input": test_in.tolist(), "output": np.rot90(test_in).tolist()},
                {"input": test_in.tolist(), "output": [[5]]},
            ],
        },
        "ambiguous",
    )
    outcome = outcome_of(solve(task, timeout_s=20, top_k=3))
    assert outcome.solved
    assert len(outcome.candidates) == 3
    for preds in outcome.predictions:
        assert len(preds) == 3
        assert len({str(p) for p in preds}) == 3, "the three predictions must differ"
    assert outcome.test_results[1] is False
    assert not outcome.test_correct  # every test input must be right for the task


def test_colour_map_completion_writes_recolour_steps() -> None:
    a = Grid.from_lists([[1, 2, 3, 0]])
    b = Grid.from_lists([[2, 1, 4, 0]])
    wrap, run = color_map_completion([a], [b])
    assert run(a) == b
    program = wrap(Index(0))
    assert Evaluator().function(parse(f"(lam {show(program)})", ARC.namespace))(a) == b
    assert color_map_completion([a], [a]) is None  # already exact
    assert color_map_completion([a], [Grid.from_lists([[1]])]) is None  # other shape
    assert color_map_completion([a], [Grid.from_lists([[2, 2, 3, 1]])]) is not None  # many to one
    c = Grid.from_lists([[1, 1, 2]])
    assert color_map_completion([c], [Grid.from_lists([[2, 3, 2]])]) is None  # not a function


@pytest.mark.parametrize(
    "mapping", [{1: 2}, {1: 2, 2: 1}, {1: 2, 2: 3, 3: 1}, {1: 2, 2: 3}, {1: 3, 2: 3, 3: 4}]
)
def test_recolour_steps_realise_any_colour_map(mapping: dict[int, int]) -> None:
    from hylo.domains.arc._color import recolor, swap_colors

    g = Grid.from_lists([[0, 1, 2, 3, 4]])
    for name, a, b in _steps(dict(mapping)):
        g = (recolor if name == "recolor" else swap_colors)(g, a, b)
    expected = [mapping.get(c, c) for c in range(5)]
    assert g.to_lists() == [expected]


def test_a_benchmark_of_arc_tasks_writes_test_results_and_predictions() -> None:
    tasks = [
        task_of("rot", np.rot90, random_grids(6, 3)),
        task_of("noise", lambda g: g.T * 0 + 7, random_grids(7, 3)),
    ]
    report = run_benchmark(tasks, timeout_s=3, workers=0, solver=solve_to_outcome)
    data = json.loads(json.dumps(report.to_json()))  # as the --json file has it
    first = data["tasks"][0]
    assert first["solved"] and first["test_results"] == [True]
    assert first["predictions"][0][0] == np.rot90(random_grids(6, 3)[-1]).tolist()
    assert data["summary"]["test_examples"] == 2
    assert 0.0 <= data["summary"]["equivalent_fraction"] < 1.0
