"""The enumerator: order by prior, no duplicates, well-typed, sound to run."""

import math

import pytest

from hylo.domains.lists import LISTS
from hylo.lang.errors import EvaluationError
from hylo.lang.evaluate import Budget, Evaluator, Limits
from hylo.lang.infer import check
from hylo.lang.program import show
from hylo.lang.types import parse_type
from hylo.search.enumerate import Enumerator
from hylo.search.grammar import Grammar

REQUESTS = ["list(int) -> list(int)", "list(int) -> int", "int -> int -> bool", "list(int) -> bool"]
SAMPLE_INPUTS = {
    "list(int)": [[], [3], [1, 5, 2], [0, 0, 7, 4]],
    "int": [0, 1, 4, 9],
}


def enumerate_up_to(grammar, request, max_cost, inputs=None, band=1.5):
    enum = Enumerator(grammar, request, Budget(), inputs)
    out = []
    lo = 0.0
    while lo < max_cost:
        for item in enum.band(lo, lo + band):
            out.append((item[0], enum.program(item), item))
        lo += band
    return enum, out


@pytest.fixture(scope="module")
def grammar():
    return Grammar.uniform(LISTS.primitives)


@pytest.mark.parametrize("request_text", REQUESTS)
def test_costs_match_log_prior_and_no_duplicates(grammar, request_text):
    request = parse_type(request_text)
    _, found = enumerate_up_to(grammar, request, 12.0)
    assert len(found) > 20
    texts = [show(p) for _, p, _ in found]
    assert len(set(texts)) == len(texts), "a program was enumerated twice"
    for cost, program, _ in found:
        assert check(program, request), show(program)
        assert grammar.log_prior(program, request) == pytest.approx(-cost, abs=1e-9)


def test_bands_come_in_order_of_prior(grammar):
    request = parse_type("list(int) -> list(int)")
    enum = Enumerator(grammar, request, Budget())
    previous_hi = 0.0
    for lo in (0.0, 3.0, 6.0, 9.0, 12.0):
        costs = [item[0] for item in enum.band(lo, lo + 3.0)]
        assert all(lo <= c < lo + 3.0 for c in costs)
        assert all(c >= previous_hi - 1e-12 for c in costs)
        previous_hi = lo + 3.0


def test_weights_change_the_order(grammar):
    plus = LISTS["+"]
    others = [p for p in LISTS.primitives if p.name != "+"]
    favoured = Grammar([(5.0, plus), *((0.0, p) for p in others)])
    request = parse_type("int -> int")

    def rank(g):
        _, found = enumerate_up_to(g, request, 16.0)
        order = [show(p) for _, p, _ in sorted(found, key=lambda f: f[0])]
        return order.index("(lam (+ $0 1))")

    assert rank(favoured) < rank(grammar)


@pytest.mark.parametrize("request_text", REQUESTS)
def test_enumerated_programs_never_raise_python_type_errors(grammar, request_text):
    request = parse_type(request_text)
    _, found = enumerate_up_to(grammar, request, 12.0)
    arg_types = request_text.split(" -> ")[:-1]
    evaluator = Evaluator(Limits(max_steps=5_000, timeout_s=0.5, max_length=200))
    for _, program, _ in found:
        f = evaluator.function(program)
        for i in range(4):
            args = [SAMPLE_INPUTS[t][i] for t in arg_types]
            try:
                f(*args)
            except EvaluationError as e:
                assert not isinstance(e.__cause__, TypeError), f"{show(program)}: {e}"


def test_closures_agree_with_compiled_programs(grammar):
    request = parse_type("list(int) -> list(int)")
    enum, found = enumerate_up_to(grammar, request, 12.0)
    evaluator = Evaluator()
    for _, program, item in found[:300]:
        for xs in SAMPLE_INPUTS["list(int)"]:
            try:
                expected = evaluator.function(program)(xs)
            except EvaluationError:
                continue
            enum.budget.reset()
            assert item[1]((xs,)) == expected, show(program)


def test_observational_equivalence_keeps_one_program_per_behaviour(grammar):
    request = parse_type("list(int) -> int")
    inputs = [([1, 2, 3],), ([],), ([4, 4],)]
    _, plain = enumerate_up_to(grammar, request, 12.0)
    _, pruned = enumerate_up_to(grammar, request, 12.0, inputs=inputs)
    assert 0 < len(pruned) < len(plain)

    # Pruning only drops subprograms that behave like a cheaper one, so every
    # behaviour found without pruning is found with it, at no greater cost.
    def behaviours(found):
        out = set()
        for _, program, _ in found:
            values = []
            for (xs,) in inputs:
                try:
                    values.append(Evaluator().function(program)(xs))
                except EvaluationError:
                    values.append("error")
            out.add(tuple(values))
        return out

    assert behaviours(plain) <= behaviours(pruned)


def test_log_prior_of_programs_outside_the_grammar(grammar):
    from hylo.lang.program import parse

    request = parse_type("list(int) -> list(int)")
    not_eta_long = parse("(map (lam (+ $0 1)))", LISTS.namespace)
    assert grammar.log_prior(not_eta_long, request) == -math.inf
    wrong_type = parse("(lam (length $0))", LISTS.namespace)
    assert grammar.log_prior(wrong_type, request) == -math.inf


def test_grammar_rejects_duplicates():
    with pytest.raises(ValueError, match="duplicate"):
        Grammar.uniform([LISTS["+"], LISTS["+"]])


def test_fit_favours_what_the_solutions_use(grammar):
    from hylo.lang.program import parse

    request = parse_type("list(int) -> list(int)")
    texts = ["(lam (map (lam (+ $0 1)) $0))", "(lam (map (lam (+ $0 2)) $0))", "(lam (reverse $0))"]
    frontiers = [(request, [parse(t, LISTS.namespace)]) for t in texts]
    fitted = grammar.fit(frontiers)
    w = fitted.weights()
    assert w["map"] > w["filter"] and w["+"] > w["-"]
    for _, programs in frontiers:
        assert fitted.log_prior(programs[0], request) > grammar.log_prior(programs[0], request)
    # The fitted grammar still enumerates exactly what it scores.
    _, found = enumerate_up_to(fitted, request, 10.0)
    for cost, program, _ in found:
        assert fitted.log_prior(program, request) == pytest.approx(-cost, abs=1e-9)


def test_fit_skips_programs_outside_the_grammar(grammar):
    from hylo.lang.program import parse

    request = parse_type("list(int) -> list(int)")
    bad = parse("(map (lam (+ $0 1)))", LISTS.namespace)
    fitted = grammar.fit([(request, [bad])])
    assert set(fitted.weights()) == set(grammar.weights())


def test_closures_of_inventions_agree_with_inlined_programs():
    from hylo.lang.infer import invent
    from hylo.lang.program import beta_normal, parse

    f0 = invent("f0", parse("(lam (lam (map (lam (+ $0 $1)) $1)))", LISTS.namespace))
    f1 = invent("f1", parse("(lam (car (cdr $0)))", LISTS.namespace))
    grammar = Grammar.uniform([*LISTS.primitives, f0, f1])
    request = parse_type("list(int) -> list(int)")
    enum, found = enumerate_up_to(grammar, request, 13.0)
    used = [f for f in found if "f0" in show(f[1]) or "f1" in show(f[1])]
    assert len(used) > 50
    evaluator = Evaluator()
    for _, program, item in used[:400]:
        inlined = beta_normal(program, inline_inventions=True)
        for xs in SAMPLE_INPUTS["list(int)"]:
            # Arguments of an invention are evaluated first (call by value), so the
            # program may fail where its inlined form does not; never the reverse.
            try:
                expected = evaluator.function(program)(xs)
            except EvaluationError:
                continue
            enum.budget.reset()
            assert item[1]((xs,)) == expected, show(program)
            assert evaluator.function(inlined)(xs) == expected, show(program)
