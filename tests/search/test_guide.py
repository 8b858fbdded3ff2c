"""The neural guide: valid grammars, learning from a corpus, and exact save/load."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hylo.domains import get_domain
from hylo.domains.featurize import GridFeaturizer, example_tokens, featurizer_for
from hylo.domains.task import Task, make_task
from hylo.lang.errors import HyloError
from hylo.lang.evaluate import Budget
from hylo.lang.program import parse, show
from hylo.lang.types import Type, arguments, is_arrow, parse_type, return_type
from hylo.learn.dreams import LibraryGuideStore, library_guide
from hylo.library import open_library
from hylo.search import EnumerativeSynthesizer
from hylo.search.enumerate import Enumerator
from hylo.search.grammar import ContextualGrammar, Grammar
from hylo.search.guide import Guide, TrainingExample, guide_config
from hylo.testing.strategies import types

LISTS = parse_type("list(int) -> list(int)")
PROGRAM = "(lam (map (lam (* $0 3)) $0))"


def _task(name: str = "triple") -> Task:
    inputs = [[1, 2, 3], [4, 0], [7], [5, 5, 2, 9]]
    return make_task(name, LISTS, [((x,), [3 * v for v in x]) for x in inputs])


@functools.cache
def _grammar() -> Grammar:
    return Grammar.uniform(get_domain("lists").primitives)


@functools.cache
def _trained(contextual: bool = True) -> Guide:
    """A guide fitted to one program (shared: training is the slow part)."""
    torch.set_num_threads(1)
    guide = Guide(_grammar(), "lists", hidden=32, contextual=contextual, seed=3)
    program = parse(PROGRAM, _grammar().namespace)
    guide.fit([TrainingExample(_task(), (program,))], epochs=25, batch_size=1, lr=1e-2)
    return guide


def _random_contextual(seed: int) -> ContextualGrammar:
    """A bigram grammar with random (moderate) weights in every context."""
    import random

    rng = random.Random(seed)
    base = _grammar()
    guide = Guide(base, "lists")

    def table() -> Grammar:
        return Grammar(((rng.uniform(-2, 2), p) for p in base.primitives), rng.uniform(-1, 1))

    return ContextualGrammar(table(), {c: table() for c in guide.contexts})


@pytest.mark.parametrize("seed", [0, 1])
def test_enumerator_follows_a_contextual_grammar(seed: int) -> None:
    grammar = _random_contextual(seed)
    enum = Enumerator(grammar, LISTS, Budget())
    seen: set[str] = set()
    lo = 0.0
    while len(seen) < 400:
        for item in enum.band(lo, lo + 1.5):
            program = enum.program(item)
            # Each program once, at the cost its contextual log-prior says.
            assert show(program) not in seen
            seen.add(show(program))
            assert grammar.log_prior(program, LISTS) == pytest.approx(-item[0], abs=1e-9)
        lo += 1.5


def test_contextual_grammar_with_equal_tables_enumerates_like_the_plain_one() -> None:
    plain = _grammar()
    same = ContextualGrammar(plain, {c: plain for c in Guide(plain, "lists").contexts})
    bands = []
    for g in (plain, same):
        enum = Enumerator(g, LISTS, Budget())
        bands.append(sorted(show(enum.program(it)) for it in enum.band(0.0, 12.0)))
    assert bands[0] == bands[1] and len(bands[0]) > 100


def test_untrained_guide_predicts_the_library_grammar() -> None:
    grammar = Grammar(
        ((0.1 * i, p) for i, p in enumerate(_grammar().primitives)), log_variable=-0.5
    )
    predicted = Guide(grammar, "lists").grammar_for(_task())
    assert predicted.weights() == pytest.approx(grammar.weights(), abs=1e-6)
    assert predicted.log_variable == pytest.approx(-0.5, abs=1e-6)


@pytest.mark.parametrize("contextual", [True, False])
def test_training_on_one_program_raises_its_prior(contextual: bool) -> None:
    program = parse(PROGRAM, _grammar().namespace)
    before = _grammar().log_prior(program, LISTS)
    guide = _trained(contextual)
    predicted = guide.grammar_for(_task())
    assert isinstance(predicted, ContextualGrammar) == contextual
    if isinstance(predicted, ContextualGrammar):
        assert len(predicted.tables) == len(guide.contexts)
        assert all(predicted.context_key(c) == c for c in predicted.tables)
        assert predicted.context_key(("no-such-head", 0)) is None
        guide.max_contexts = 3  # only the most telling contexts are kept
        fewer = guide.grammar_for(_task())
        guide.max_contexts = None
        assert isinstance(fewer, ContextualGrammar) and len(fewer.tables) == 3
        assert fewer.log_prior(program, LISTS) > before
        # Its plain weights alone lift the program too: the bottom-up search reads only them.
        assert predicted.plain.log_prior(program, LISTS) > before + 1.0
    after = predicted.log_prior(program, LISTS)
    assert after > before + 3.0
    # A task it never saw, of the same kind, gets the lift too (it reads the examples).
    other = make_task("other", LISTS, [(([2, 1],), [6, 3]), (([0, 5, 1],), [0, 15, 3])])
    assert guide.grammar_for(other).log_prior(program, LISTS) > before
    # And the search finds the program sooner with the guide than without.
    found = [
        EnumerativeSynthesizer(timeout_s=30).search(_task(), g).best
        for g in (_grammar(), predicted)
    ]
    assert found[0] is not None and found[1] is not None
    assert found[1].programs < found[0].programs


def test_library_share_bounds_how_far_the_guide_pushes_a_production_down() -> None:
    guide = _trained()
    task = _task()
    alone = guide.grammar_for(task)
    library = _grammar()
    share = 0.2
    guide.library_share = share
    try:
        mixed = guide.grammar_for(task)
        data = guide.to_bytes()
    finally:
        guide.library_share = 0.0
    assert Guide.from_bytes(data, library).library_share == share
    assert isinstance(alone, ContextualGrammar) and isinstance(mixed, ContextualGrammar)

    def log_probs(g: Grammar) -> list[float]:
        ws = [*g.weights().values(), g.log_variable]
        top = max(ws)
        norm = top + math.log(math.fsum(math.exp(w - top) for w in ws))
        return [w - norm for w in ws]

    floor = [math.log(share) + lp for lp in log_probs(library)]
    for context in [None, ("map", 0), ("fold", 1)]:
        got = log_probs(mixed.tables.get(context, mixed.plain))
        raw = log_probs(alone.tables.get(context, alone.plain))
        assert all(g >= f - 1e-9 for g, f in zip(got, floor, strict=True))
        # Somewhere the guide alone went below that floor: the mixture changed something.
        assert any(r < f - 1e-3 for r, f in zip(raw, floor, strict=True))
    # It still follows the guide: the program stays far more likely than under the library.
    program = parse(PROGRAM, library.namespace)
    assert mixed.log_prior(program, LISTS) > library.log_prior(program, LISTS) + 2.0
    with pytest.raises(ValueError, match="library_share"):
        Guide(library, "lists", library_share=1.0)


def _scopes(t: Type) -> tuple[Type, tuple[Type, ...]]:
    """A non-arrow request and an environment, from any type (arrows give the scope)."""
    if is_arrow(t):
        return return_type(t), tuple(reversed(arguments(t)))
    return t, ()


@settings(max_examples=60, deadline=None)
@given(types(num_vars=2, max_leaves=6))
def test_predicted_grammar_is_a_distribution_at_every_type(tp: Type) -> None:
    request, env = _scopes(tp)
    grammar = _trained().grammar_for(_task())
    assert isinstance(grammar, ContextualGrammar)
    for context in [None, ("map", 0), ("fold", 2), ("$", 0), ("no-such-head", 0)]:
        choices = grammar.choices_in(context, request, env, 10)
        if choices:
            total = math.fsum(math.exp(-c.cost) for c in choices)
            assert total == pytest.approx(1.0, abs=1e-9)
            assert all(math.isfinite(c.cost) and c.cost >= 0 for c in choices)


def test_save_load_round_trips_bit_for_bit() -> None:
    guide = _trained()
    data = guide.to_bytes()
    again = Guide.from_bytes(data, _grammar())
    assert again.to_bytes() == data
    assert guide_config(data)["productions"] == [p.name for p in _grammar().primitives]
    with torch.no_grad():
        assert torch.equal(guide([_task()]), again([_task()]))


def test_round_trip_through_the_library_store(tmp_path: Path) -> None:
    data = _trained().to_bytes()
    with open_library(tmp_path / "lib.hylo", "lists") as store:
        assert library_guide(store)[0] is None  # no guide yet: says so
        version = store.add_grammar(_grammar().weights(), _grammar().log_variable, 1)
        ref = LibraryGuideStore(store).put(data, {"iteration": 1})
        assert LibraryGuideStore(store).get(ref) == data
        found, _ = library_guide(store)
        assert found == data
        assert store.artifact(int(ref)).metadata["grammar_version"] == version
        store.add_grammar(_grammar().weights(), 0.0, 2)  # a newer grammar: the guide is stale
        found, why = library_guide(store)
        assert found is None and "version" in why


def test_loading_for_another_library_or_from_garbage_is_a_clean_error() -> None:
    data = _trained().to_bytes()
    smaller = Grammar.uniform(_grammar().primitives[:-1])
    with pytest.raises(HyloError, match="different library"):
        Guide.from_bytes(data, smaller)
    with pytest.raises(HyloError, match="not the safetensors bytes"):
        Guide.from_bytes(b"not a guide at all", _grammar())


@settings(max_examples=20, deadline=None)
@given(st.lists(st.lists(st.integers(-200, 200), max_size=6), min_size=1, max_size=4))
def test_a_task_embeds_the_same_alone_or_in_a_batch(xs: list[list[int]]) -> None:
    f = featurizer_for("lists", hidden=16)
    task = make_task("t", LISTS, [((x,), x[::-1]) for x in xs])
    other = make_task("u", LISTS, [(([1] * 30,), [2] * 30)])
    with torch.no_grad():
        alone, batched = f([task]), f([other, task])[1:]
    assert torch.allclose(alone, batched, atol=1e-5)


def test_tokens_mark_structure_and_clip_large_numbers() -> None:
    assert example_tokens(([1, [2]], True), 10**6) != example_tokens(([1, 2], True), 10**6)
    assert len(example_tokens(([10**9],), -(10**9))) == 6


def test_grid_featurizer_reads_colour_grids() -> None:
    f = GridFeaturizer(channels=8)
    grid = [[0, 1, 2], [3, 4, 5]]
    task = make_task("g", parse_type("grid -> grid"), [((grid,), grid[::-1])], domain="arc")
    same = make_task(
        "h", parse_type("grid -> grid"), [((np.array(grid),), np.array(grid[::-1]))], domain="arc"
    )
    with torch.no_grad():
        out = f([task, same])
    assert tuple(out.shape) == (2, f.dim)
    assert torch.allclose(out[0], out[1])  # lists or arrays: the same image


def test_unknown_domain_has_no_featurizer() -> None:
    with pytest.raises(HyloError, match="no featurizer"):
        featurizer_for("no-such-domain")
