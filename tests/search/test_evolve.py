"""Typed GP: samples and children are well typed, runs are reproducible, selection works."""

import doctest
import json
import math
import os
import random
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hylo.domains.lists import LISTS
from hylo.domains.task import make_task
from hylo.lang.errors import EvaluationError, HyloError, TypeInferenceError
from hylo.lang.evaluate import Evaluator, Limits
from hylo.lang.infer import check
from hylo.lang.program import parse, show
from hylo.lang.types import arguments, parse_type
from hylo.search import EvolutionarySynthesizer, Grammar
from hylo.search import evolve as evolve_module
from hylo.search.evolve import Variation, fits, replace_at, sample, typed_points
from hylo.testing.synthesizers import impossible_task

REQUESTS = [
    "list(int) -> list(int)",
    "list(int) -> int",
    "int -> int -> bool",
    "list(int) -> list(bool)",
    "list(int) -> bool",
]
INPUTS = {"list(int)": [[], [3], [1, 5, 2], [0, 0, 7, 4]], "int": [0, 1, 4, 9]}
GRAMMAR = Grammar.uniform(LISTS.primitives)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

requests = st.sampled_from(REQUESTS).map(parse_type)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def sound(program, request):
    """Well typed, in the grammar, and running it never hits a Python type error."""
    assert check(program, request), show(program)
    assert math.isfinite(GRAMMAR.log_prior(program, request)), show(program)
    arg_types = [str(t) for t in arguments(request)]
    f = Evaluator(Limits(max_steps=2_000, timeout_s=0.2, max_length=100)).function(program)
    for i in range(4):
        try:
            f(*(INPUTS[t][i] for t in arg_types))
        except EvaluationError as e:
            assert not isinstance(e.__cause__, TypeError), f"{show(program)}: {e}"


def parents(request, seed, count=2):
    var = Variation(GRAMMAR, request, random.Random(seed), max_depth=5)
    programs = [var.sample() for _ in range(count)]
    assert all(p is not None for p in programs)
    return var, programs


# --- sampling and typed positions ---------------------------------------------------


@SETTINGS
@given(requests, seeds, st.integers(min_value=3, max_value=6))
def test_samples_type_check_and_respect_the_depth(request, seed, max_depth):
    program = sample(GRAMMAR, request, random.Random(seed), max_depth=max_depth)
    sound(program, request)
    assert evolve_module.depth_of(program) <= max_depth


@SETTINGS
@given(requests, seeds)
def test_sampler_log_prior_is_the_grammars(request, seed):
    var, (program,) = parents(request, seed, count=1)
    assert var.log_prior(program) == pytest.approx(GRAMMAR.log_prior(program, request), abs=1e-9)


def test_sample_gives_up_with_a_clear_error():
    only_lists = Grammar.uniform([LISTS["cons"], LISTS["empty"]])
    with pytest.raises(HyloError, match="no program of type int"):
        sample(only_lists, parse_type("int"), random.Random(0), max_depth=3, max_tries=5)


def test_typed_points_give_types_and_scopes():
    p = parse("(lam (map (lam (+ $0 $1)) $0))", LISTS.namespace)
    # Not well typed at list(int) -> list(int): $1 is the list.
    with pytest.raises(TypeInferenceError, match="ill-typed"):
        typed_points(p, parse_type("list(int) -> list(int)"))
    p = parse("(lam (map (lam (+ $0 (length $1))) $0))", LISTS.namespace)
    points = typed_points(p, parse_type("list(int) -> list(int)"))
    found = {show(q.program): (str(q.tp), tuple(str(t) for t in q.env)) for q in points}
    assert found["(length $1)"] == ("int", ("int", "list(int)"))
    assert found["(lam (+ $0 (length $1)))"] == ("int -> int", ("list(int)",))
    for q in points:
        assert check(q.program, q.tp, q.env)
        assert replace_at(p, q.path, q.program) == p


LIST_TO_INT = parse_type("list(int) -> int")


def test_a_subterm_never_leaves_the_scope_of_its_variables():
    request = parse_type("list(int) -> list(int)")
    p = parse("(lam (map (lam (+ $0 (length $1))) $0))", LISTS.namespace)
    points = {show(q.program): q for q in typed_points(p, request)}
    inner, outer = points["(+ $0 (length $1))"], points["(length $1)"]
    # (+ $0 …) uses the lambda's $0; (length $1) fits only where $1 is a list.
    top = typed_points(parse("(lam (length $0))", LISTS.namespace), LIST_TO_INT)[1]
    assert fits(outer, inner)
    assert not fits(inner, top)  # its $0 is an int, not the list
    assert not fits(outer, top)  # there is no $1 at the top
    one = typed_points(parse("(lam (+ 1 (length $0)))", LISTS.namespace), LIST_TO_INT)[2]
    assert show(one.program) == "1" and fits(one, inner) and fits(one, top)


# --- variation keeps types ------------------------------------------------------------


OPERATORS = ["crossover", "mutate_subtree", "mutate_hoist", "mutate_point"]


@SETTINGS
@given(requests, seeds, st.sampled_from(OPERATORS))
def test_children_type_check(request, seed, operator):
    var, (a, b) = parents(request, seed)
    for _ in range(5):
        child = var.crossover(a, b) if operator == "crossover" else getattr(var, operator)(a)
        if child is not None:
            sound(child, request)
            assert child != a
            assert evolve_module.depth_of(child) <= var.max_depth


def test_operators_do_make_children():
    request = parse_type("list(int) -> list(int)")
    made = dict.fromkeys(OPERATORS, 0)
    for seed in range(30):
        var, (a, b) = parents(request, seed)
        for op in OPERATORS:
            child = var.crossover(a, b) if op == "crossover" else getattr(var, op)(a)
            made[op] += child is not None
    assert all(n >= 5 for n in made.values()), made


def test_hoisting_out_of_a_lambda_shifts_the_variables():
    request = parse_type("list(int) -> int")
    p = parse("(lam (fold $0 0 (lam (lam (length $2)))))", LISTS.namespace)
    children = set()
    for seed in range(40):
        var = Variation(GRAMMAR, request, random.Random(seed))
        child = var.mutate_hoist(p)
        if child is not None:
            children.add(show(child))
    assert "(lam (length $0))" in children
    for text in children:
        assert check(parse(text, LISTS.namespace), request)


def test_point_mutation_swaps_like_for_like():
    request = parse_type("list(int) -> int")
    p = parse("(lam (+ (sum $0) 1))", LISTS.namespace)
    children = set()
    for seed in range(200):
        child = Variation(GRAMMAR, request, random.Random(seed)).mutate_point(p)
        if child is not None:
            children.add(show(child))
    assert {"(lam (- (sum $0) 1))", "(lam (+ (max $0) 1))", "(lam (+ (sum $0) 2))"} <= children


# --- the synthesizer ----------------------------------------------------------------


def sum_plus_one():
    xs = [[1, 2, 3], [4, 0], [], [7], [5, 5, 2, 9], [3, 3]]
    return make_task("sum-plus-one", LIST_TO_INT, [((x,), sum(x) + 1) for x in xs])


def pure_gp(**kwargs):
    """Evolution alone: no enumerated seeds, so the operators must do the work."""
    return EvolutionarySynthesizer(**{"num_enumerated": 0, "population_size": 100, **kwargs})


@pytest.mark.parametrize("selection", ["tournament", "lexicase"])
def test_both_selections_solve_a_simple_task(selection):
    # Evolution is a random search: one seed's run may stall where another numpy draws
    # differently (seed 3 solved here in 21 generations and not in 124 on Python 3.12 and
    # numpy 2.5). Two seeds of three must solve it, and solve it by evolving.
    solved = 0
    for seed in (1, 2, 3):
        synth = pure_gp(timeout_s=20, selection=selection, seed=seed)
        result = synth.search(sum_plus_one())
        if result.solved:
            assert synth.logbook_[-1]["gen"] >= 1, "solved by the initial samples, not evolution"
            assert result([10, 20]) == 31
            solved += 1
    assert solved >= 2, f"{selection}: {solved} of 3 seeded runs solved sum+1 within 20 s"


def test_seeded_runs_are_reproducible():
    task = sum_plus_one()
    first = pure_gp(timeout_s=60, generations=4, seed=7)
    second = pure_gp(timeout_s=60, generations=4, seed=7)
    r1, r2 = first.search(task), second.search(task)
    assert [str(c) for c in r1.candidates] == [str(c) for c in r2.candidates]
    assert r1.stats.programs == r2.stats.programs
    assert [dict(r) for r in first.logbook_] == [dict(r) for r in second.logbook_]
    other = pure_gp(timeout_s=60, generations=4, seed=8)
    other.search(task)
    assert [dict(r) for r in other.logbook_] != [dict(r) for r in first.logbook_]


PROCESS_SCRIPT = """
import json
from hylo.domains.task import make_task
from hylo.lang.types import parse_type
from hylo.search import EvolutionarySynthesizer
xs = [[1, 2, 3], [4, 0], [], [7], [5, 5, 2, 9], [3, 3]]
task = make_task("max-times-two", parse_type("list(int) -> int"),
                 [((x,), 2 * max(x, default=0)) for x in xs])
synth = EvolutionarySynthesizer(timeout_s=60, population_size=60, generations=3,
                                num_enumerated=500, num_islands=2, seed=5)
result = synth.search(task)
print(json.dumps([[str(c) for c in result.candidates], result.stats.programs,
                  [sorted(r.items()) for r in synth.logbook_]], default=str))
"""


def run_with_hash_seed(seed):
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run(
        [sys.executable, "-c", PROCESS_SCRIPT], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_same_run_in_every_process():
    first = run_with_hash_seed("1")
    assert first[1] > 500  # evolution ran after the enumerated seeds
    assert run_with_hash_seed("2") == first


def test_islands_evolve_apart_and_solve():
    synth = pure_gp(timeout_s=30, num_islands=3, seed=1)
    result = synth.search(sum_plus_one())
    assert result.solved
    assert {r["island"] for r in synth.logbook_} == {0, 1, 2}


def test_islands_send_their_best_to_the_next_one(monkeypatch):
    migrations = []
    ring = evolve_module.tools.migRing

    def spy(populations, k, *args, **kwargs):
        best = [max(pop, key=evolve_module._by_fitness).program for pop in populations]
        ring(populations, k, *args, **kwargs)
        migrations.append((best, [{ind.program for ind in pop} for pop in populations]))

    monkeypatch.setattr(evolve_module.tools, "migRing", spy)
    task = impossible_task()
    synth = pure_gp(timeout_s=60, num_islands=2, population_size=40, generations=10, seed=0)
    assert not synth.search(task).solved
    assert len(migrations) == 2  # after generations 5 and 10
    for best, after in migrations:
        assert best[0] in after[1] and best[1] in after[0]
        assert all(len(programs) > 1 for programs in after)


def test_every_candidate_fits_and_is_ranked_by_prior():
    result = EvolutionarySynthesizer(timeout_s=20, top_k=10, num_enumerated=2_000).search(
        sum_plus_one()
    )
    priors = [c.log_prior for c in result.candidates]
    assert priors == sorted(priors, reverse=True)
    assert str(result.best) in {"(lam (+ 1 (sum $0)))", "(lam (+ (sum $0) 1))"}
    for c in result.candidates:
        assert c.log_likelihood == 0.0
        assert c.log_prior == GRAMMAR.log_prior(c.program, LIST_TO_INT)
        assert all(c(*ex.inputs) == ex.output for ex in sum_plus_one().train)


def test_every_program_the_search_runs_type_checks(monkeypatch):
    evaluated = []
    evaluate = evolve_module._EvolutionRun._evaluate

    def spy(self, program):
        evaluated.append(program)
        return evaluate(self, program)

    monkeypatch.setattr(evolve_module._EvolutionRun, "_evaluate", spy)
    synth = pure_gp(timeout_s=60, population_size=50, generations=5, selection="lexicase")
    synth.search(impossible_task())
    assert len(evaluated) > 200
    for program in evaluated:
        assert check(program, impossible_task().request), show(program)
        assert math.isfinite(GRAMMAR.log_prior(program, impossible_task().request))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"selection": "roulette"}, "selection must be 'tournament' or 'lexicase'"),
        ({"crossover_rate": 0.8, "mutation_rate": 0.5}, "sum <= 1"),
        ({"population_size": 0}, "population_size must be >= 1"),
        ({"generations": -1}, "generations must be >= 0"),
        ({"timeout_s": 0}, "timeout_s must be > 0"),
    ],
)
def test_bad_parameters_are_refused_with_the_values(params, message):
    with pytest.raises(ValueError, match=message):
        EvolutionarySynthesizer(**params).search(sum_plus_one())


def test_doctests():
    assert doctest.testmod(evolve_module).failed == 0
