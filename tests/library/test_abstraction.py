"""Abstraction with Stitch: what it finds, and that rewriting never changes a program."""

from __future__ import annotations

import doctest
import random
from collections.abc import Sequence
from typing import Any

import pytest
import stitch_core
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hylo.library.abstraction as abstraction_module
from hylo.domains.lists import LISTS, RECURSION
from hylo.lang import (
    INT,
    EvaluationError,
    Evaluator,
    Limits,
    TypeInferenceError,
    arrow,
    check,
    infer,
    list_of,
    parse,
    parse_type,
    show,
)
from hylo.lang.infer import invent
from hylo.lang.program import Invented, Namespace, Program, subprograms
from hylo.lang.types import Type
from hylo.library.abstraction import (
    AbstractionError,
    Compression,
    compress,
    describe,
    eta_long,
    is_eta_long,
    rewrite,
)
from hylo.testing.strategies import PRIMITIVES, programs

NS = LISTS.namespace
INPUTS: list[Any] = [[], [3], [1, 2, 3], [5, 0, 4, 4, 2], [7, 1, 6, 2, 9, 3]]


def P(text: str, namespace: Namespace = NS) -> Program:
    return parse(text, namespace)


def outputs(p: Program, inputs: Sequence[Any] = INPUTS) -> list[Any]:
    f = Evaluator(Limits(max_steps=20_000)).function(p)
    out: list[Any] = []
    for x in inputs:
        try:
            out.append(f(x))
        except EvaluationError as e:
            out.append(type(e).__name__)
    return out


def inventions_in(p: Program) -> set[Invented]:
    return {q for q in subprograms(p) if isinstance(q, Invented)}


def assert_faithful(
    corpus: Sequence[Sequence[Program]],
    result: Compression,
    requests: Sequence[Type] | None = None,
    inputs: Sequence[Any] = INPUTS,
) -> None:
    """Inventions type-check; each rewritten program keeps its type and its outputs."""
    for inv in result.inventions:
        assert infer(inv.body) == inv.tp, describe(inv)
        assert is_eta_long(inv.body, inv.tp), describe(inv)
    assert len(result.rewritten) == len(corpus)
    for i, (task, new) in enumerate(zip(corpus, result.rewritten, strict=True)):
        assert len(new) == len(task)
        for p, q in zip(task, new, strict=True):
            tp = infer(p) if requests is None else requests[i]
            assert check(q, tp), (show(p), show(q))
            assert infer(q) == infer(p), (show(p), show(q))
            assert is_eta_long(q, tp), show(q)
            assert outputs(q, inputs) == outputs(p, inputs), (show(p), show(q))
    assert result.size_after <= result.size_before


# --- generated corpora --------------------------------------------------------------


def _generated_program(rng: random.Random) -> str:
    """An eta-long list program: a pipeline of maps and filters, maybe reduced."""

    def k() -> str:
        return rng.choice("012345")

    def element() -> str:
        return rng.choice(
            [
                f"(+ $0 {k()})",
                f"(* $0 {k()})",
                f"(- $0 {k()})",
                f"(if (gt? $0 {k()}) {k()} $0)",
                "(+ $0 (length $1))",
            ]
        )

    def keep() -> str:
        return rng.choice(
            [f"(gt? $0 {k()})", f"(eq? (mod $0 2) {rng.choice('01')})", "(is-prime $0)"]
        )

    xs = rng.choice(["$0", "(cdr $0)", "(reverse $0)", "(sort $0)"])
    for _ in range(rng.randint(1, 3)):
        xs = rng.choice(
            [f"(map (lam {element()}) {xs})", f"(filter (lam {keep()}) {xs})", f"(take {k()} {xs})"]
        )
    reduce = rng.choice(["{}", "(length {})", "(fold {} " + k() + " (lam (lam (+ $0 $1))))"])
    return "(lam " + reduce.format(xs) + ")"


def generated_corpus(num_tasks: int, seed: int = 0) -> list[list[Program]]:
    rng = random.Random(seed)
    return [
        [P(_generated_program(rng)) for _ in range(rng.randint(1, 3))] for _ in range(num_tasks)
    ]


# --- what compression finds -----------------------------------------------------------


def test_finds_the_shared_function() -> None:
    corpus = [[P(f"(lam (map (lam (+ $0 {k})) $0))")] for k in "12345"]
    result = compress(corpus, NS)
    assert len(result.inventions) == 1
    (f0,) = result.inventions
    assert describe(f0) == (
        "f0 : list(int) -> int -> list(int) = (lam (lam (map (lam (+ $0 $1)) $1)))"
    )
    add = Evaluator().function(f0.body)
    assert add([1, 2], 3) == [4, 5]
    assert [show(task[0]) for task in result.rewritten] == [f"(lam (f0 $0 {k}))" for k in "12345"]
    assert result.num_uses == (5,)
    assert result.task_uses == ((0, 1, 2, 3, 4),)
    assert result.size_after < result.size_before
    assert result.ratio > 1
    assert_faithful(corpus, result)


def test_names_are_readable_and_numbered_from_start_index() -> None:
    corpus = [[P(f"(lam (map (lam (+ $0 {k})) $0))")] for k in "12345"]
    result = compress(corpus, NS, name_prefix="add", start_index=7)
    assert [inv.name for inv in result.inventions] == ["add7"]
    assert str(result.inventions[0]) == "add7"
    assert show(result.rewritten[0][0]) == "(lam (add7 $0 1))"


def test_an_abstraction_rooted_at_an_inner_lam_becomes_its_eta_long_core() -> None:
    # The shared part is the predicate itself, a lam in different contexts.
    contexts = ["filter", "count", "any", "all", "find", "filter", "count", "any"]
    constants = [(2, 0), (3, 1), (4, 2), (5, 1), (3, 0), (4, 1), (5, 0), (2, 1)]
    corpus = [
        [P(f"(lam ({h} (lam (eq? (mod $0 {k}) {j})) (cdr $0)))")]
        for h, (k, j) in zip(contexts, constants, strict=True)
    ]
    result = compress(corpus, NS)
    (f0,) = result.inventions
    assert describe(f0) == "f0 : int -> int -> int -> bool = (lam (lam (lam (eq? (mod $0 $1) $2))))"
    assert show(result.rewritten[0][0]) == "(lam (filter (lam (f0 0 2 $0)) (cdr $0)))"
    assert_faithful(corpus, result)


def test_inventions_build_on_earlier_inventions() -> None:
    pairs = [("1", "2"), ("2", "3"), ("3", "1"), ("4", "4"), ("5", "2")]
    corpus = [[P(f"(lam (map (lam (+ $0 {k})) (filter (lam (gt? $0 {j})) $0)))")] for k, j in pairs]
    corpus += [[P(f"(lam (map (lam (+ $0 {k})) (reverse $0)))")] for k in "1234"]
    corpus += [[P(f"(lam (length (map (lam (+ $0 {k})) (cdr $0))))")] for k in "123"]
    result = compress(corpus, NS, iterations=5)
    earlier: set[Invented] = set()
    deeper = []
    for inv in result.inventions:
        if inventions_in(inv.body) & earlier:
            deeper.append(inv)
        earlier.add(inv)
    assert deeper, [describe(inv) for inv in result.inventions]
    assert_faithful(corpus, result)


def test_a_second_round_builds_on_the_first() -> None:
    first = [[P(f"(lam (map (lam (+ $0 {k})) $0))")] for k in "12345"]
    one = compress(first, NS)
    namespace = {**NS, **{inv.name: inv for inv in one.inventions}}
    (f0,) = one.inventions
    second = [list(task) for task in one.rewritten]
    second += [[P(f"(lam (length (f0 (cdr $0) {k})))", namespace)] for k in "1234"]
    two = compress(second, namespace, start_index=len(one.inventions))
    assert [inv.name for inv in two.inventions] == ["f1"]
    assert inventions_in(two.inventions[0].body) == {f0}
    assert_faithful(second, two)


def test_an_abstraction_that_only_pays_off_before_eta_expansion_is_dropped() -> None:
    # Stitch finds (lam (eq? $0 #0)); eta-long, (lam (f K $0)) is no smaller.
    hofs = ["filter", "count", "any", "all", "find"]
    corpus = [[P(f"(lam ({h} (lam (eq? $0 {k})) $0))")] for k, h in enumerate(hofs)]
    result = compress(corpus, NS)
    assert result.inventions == ()
    assert any("not more than its own size" in line for line in result.rejected)
    assert result.rewritten == tuple(tuple(task) for task in corpus)


def test_structure_shared_within_one_task_only_is_not_abstracted() -> None:
    # DreamCoder's objective: a task counts by its best program, so an abstraction
    # must pay off across tasks.
    one_task = [P(f"(lam (map (lam (+ $0 1)) {xs}))") for xs in ["$0", "(cdr $0)", "(sort $0)"]]
    result = compress([one_task, [P("(lam (length $0))")]], NS)
    assert result.inventions == ()


def test_no_shared_structure_gives_no_inventions() -> None:
    corpus = [[P(t)] for t in ["(lam (length $0))", "(lam (sum $0))", "(lam (car $0))"]]
    corpus.append([P("(lam (reverse (sort $0)))")])
    result = compress(corpus, NS)
    assert result.inventions == ()
    assert result.rewritten == tuple(tuple(task) for task in corpus)
    assert result.size_after == result.size_before


def test_empty_corpus_gives_nothing() -> None:
    assert compress([], NS).inventions == ()
    result = compress([[], []], NS)
    assert result.inventions == ()
    assert result.rewritten == ((), ())
    assert result.size_before == result.size_after == 0
    corpus = [[P("(lam (map (lam (+ $0 1)) $0))")] for _ in range(3)]
    assert compress(corpus, NS, iterations=0).rewritten == tuple(tuple(t) for t in corpus)


def test_requests_give_each_task_its_type() -> None:
    corpus = [[P(f"(lam (map (lam (+ $0 {k})) $0))")] for k in "123"]
    request = parse_type("list(int) -> list(int)")
    result = compress(corpus, NS, requests=[request] * 3)
    assert len(result.inventions) == 1
    assert_faithful(corpus, result, [request] * 3)


# --- rewriting is faithful ------------------------------------------------------------


def test_rewriting_a_generated_corpus_preserves_types_and_outputs() -> None:
    corpus = generated_corpus(60, seed=1)
    result = compress(corpus, NS, iterations=6)
    assert result.inventions
    assert result.size_after < result.size_before
    assert not [r for r in result.rejected if r.startswith("rewrite")]
    assert_faithful(corpus, result)


def test_arguments_an_if_may_skip_are_not_run_early() -> None:
    # The evaluator runs an invention's arguments before its body: abstracting the
    # branches of an ``if`` would run (car $0) on the empty list, or a recursive
    # call forever. Such uses are not made.
    namespace = LISTS.with_primitives(RECURSION).namespace
    texts = [
        "(lam (fix (lam (lam (if (empty? $0) 0 (+ 1 ($1 (cdr $0)))))) $0))",
        "(lam (fix (lam (lam (if (empty? $0) 0 (+ (car $0) ($1 (cdr $0)))))) $0))",
        "(lam (fix (lam (lam (if (empty? $0) 1 (* (car $0) ($1 (cdr $0)))))) $0))",
        "(lam (if (empty? $0) 0 (car $0)))",
        "(lam (if (empty? $0) 1 (car $0)))",
        "(lam (if (empty? $0) 2 (car (cdr $0))))",
    ]
    corpus = [[P(t, namespace)] for t in texts]
    result = compress(corpus, namespace)
    assert_faithful(corpus, result)
    branches = invent("branches", P("(lam (lam (lam (if (empty? $0) $1 $2))))"))
    guarded = P("(lam (if (empty? $0) 0 (car $0)))")
    assert rewrite([guarded], [branches], NS) == [guarded]
    # A lam may never run either: (length $1) is not computed once for the map.
    add = invent("add", P("(lam (lam (map (lam (+ $0 $1)) $1)))"))
    lazy = P("(lam (map (lam (+ $0 (length $1))) (cdr $0)))")
    assert rewrite([lazy], [add], NS) == [lazy]
    assert show(rewrite([P("(lam (map (lam (+ $0 3)) $0))")], [add], NS)[0]) == "(lam (add $0 3))"


def test_rewrite_new_programs_with_learned_inventions() -> None:
    corpus = [[P(f"(lam (map (lam (+ $0 {k})) $0))")] for k in "12345"]
    (f0,) = compress(corpus, NS).inventions
    new = [P("(lam (map (lam (+ $0 2)) (sort $0)))"), P("(lam (length $0))")]
    out = rewrite(new, [f0], NS)
    assert [show(p) for p in out] == ["(lam (f0 (sort $0) 2))", "(lam (length $0))"]
    for p, q in zip(new, out, strict=True):
        assert outputs(p) == outputs(q)


def test_rewrite_puts_arguments_in_the_inventions_own_order() -> None:
    # Stitch passes (xs, k); this invention takes (k, xs).
    add = invent("add", P("(lam (lam (map (lam (+ $0 $2)) $0)))"))
    programs_ = [P("(lam (map (lam (+ $0 4)) $0))"), P("(lam (map (lam (+ $0 2)) (cdr $0)))")]
    out = rewrite(programs_, [add], NS)
    assert [show(p) for p in out] == ["(lam (add 4 $0))", "(lam (add 2 (cdr $0)))"]
    for p, q in zip(programs_, out, strict=True):
        assert outputs(p) == outputs(q)


def test_rewrite_without_inventions_returns_the_programs() -> None:
    p = P("(lam (map (lam (+ $0 1)) $0))")
    assert rewrite([p], [], NS) == [p]
    assert rewrite([], [], NS) == []


def test_compressing_hundreds_of_programs_takes_seconds() -> None:
    corpus = generated_corpus(300, seed=2)
    result = compress(corpus, NS, iterations=10)
    num_programs = sum(map(len, corpus))
    print(
        f"\ncompressed {num_programs} programs of {len(corpus)} tasks in {result.seconds:.2f} s: "
        f"size {result.size_before} -> {result.size_after} ({result.ratio:.2f}x), "
        f"{len(result.inventions)} inventions"
    )
    for inv, uses in zip(result.inventions, result.num_uses, strict=True):
        print(f"  {uses:4d} uses  {describe(inv)}")
    assert num_programs >= 300
    assert len(result.inventions) >= 3
    assert_faithful(corpus, result)


# --- property: random well-typed corpora ------------------------------------------------

_REQUESTS = [arrow(list_of(INT), INT), arrow(list_of(INT), list_of(INT))]
_PROPERTY_NS = {p.name: p for p in PRIMITIVES}


@st.composite
def _corpora(draw: st.DrawFn) -> list[tuple[Type, Program]]:
    out: list[tuple[Type, Program]] = []
    for _ in range(draw(st.integers(1, 4))):
        request = draw(st.sampled_from(_REQUESTS))
        program = draw(programs(request, max_depth=3))
        out += [(request, program)] * draw(st.integers(1, 3))  # the same in several tasks
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(_corpora())
def test_rewritten_random_programs_mean_the_same(corpus: list[tuple[Type, Program]]) -> None:
    requests = [r for r, _ in corpus]
    result = compress([[p] for _, p in corpus], _PROPERTY_NS, iterations=3, requests=requests)
    # The originals may be partial applications or redexes: compare with their
    # beta-normal, eta-long form (eta expansion delays a failing partial application).
    normal = [[eta_long(p, r)] for r, p in corpus]
    assert_faithful(normal, result, requests)


# --- eta-long form ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "request_", "expected"),
    [
        ("(map (+ 1))", "list(int) -> list(int)", "(lam (map (lam (+ 1 $0)) $0))"),
        ("(lam (map (+ 1) $0))", "list(int) -> list(int)", "(lam (map (lam (+ 1 $0)) $0))"),
        ("(lam (fold $0 0 +))", "list(int) -> int", "(lam (fold $0 0 (lam (lam (+ $1 $0)))))"),
        (
            "(lam (if (empty? $0) (+ 1) (+ 2)))",
            "list(int) -> int -> int",
            "(lam (lam (if (empty? $1) (lam (+ 1 $0)) (lam (+ 2 $0)) $0)))",
        ),
        ("((lam (+ $0 1)) 2)", "int", "(+ 2 1)"),
        ("(lam (map (lam (+ $0 1)) $0))", "list(int) -> list(int)", None),
    ],
)
def test_eta_long(text: str, request_: str, expected: str | None) -> None:
    p, tp = P(text), parse_type(request_)
    long = eta_long(p, tp)
    assert show(long) == (text if expected is None else expected)
    assert check(long, tp)
    assert is_eta_long(long, tp)
    assert is_eta_long(p, tp) == (expected is None)
    assert eta_long(long, tp) == long


def test_eta_long_of_an_ill_typed_program_raises() -> None:
    with pytest.raises(TypeInferenceError):
        eta_long(P("(lam (+ $0 1))"), parse_type("list(int) -> int"))
    assert not is_eta_long(P("(lam (+ $0 1))"), parse_type("list(int) -> int"))


def test_describe() -> None:
    f = invent("f3", P("(lam (fold $0 0 (lam (lam (+ $0 $1)))))"))
    assert describe(f) == "f3 : list(int) -> int = (lam (fold $0 0 (lam (lam (+ $0 $1)))))"


# --- errors -----------------------------------------------------------------------------


def test_stitch_failure_is_an_abstraction_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise stitch_core.StitchException("Rust backend panicked with exception: boom")

    monkeypatch.setattr(stitch_core, "compress", fail)
    corpus = [[P(f"(lam (map (lam (+ $0 {k})) $0))")] for k in "12"]
    with pytest.raises(AbstractionError, match=r"Stitch compressor failed in compress.*boom"):
        compress(corpus, NS)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("(lam (+ $0 empty))", "does not type-check"),
        ("(lam (+ $0 ??))", "has a hole"),
        ("(+ $0 1)", "has a free variable"),
    ],
)
def test_bad_programs_are_abstraction_errors(text: str, message: str) -> None:
    with pytest.raises(AbstractionError, match=message):
        compress([[P(text)]], NS)


def test_bad_arguments_are_abstraction_errors() -> None:
    corpus = [[P("(lam (length $0))")]]
    with pytest.raises(AbstractionError, match="one type per task: got 2 for 1"):
        compress(corpus, NS, requests=[parse_type("list(int) -> int")] * 2)
    with pytest.raises(AbstractionError, match="does not type-check at type int"):
        compress(corpus, NS, requests=[parse_type("int")])
    f0 = invent("f0", P("(lam (+ $0 1))"))
    with pytest.raises(AbstractionError, match=r"\['f0'\] are already in the namespace"):
        compress(corpus, {**NS, "f0": f0})
    with pytest.raises(AbstractionError, match="not in the namespace"):
        compress([[P("(lam (f0 $0))", {**NS, "f0": f0})]], NS)
    with pytest.raises(AbstractionError, match="iterations and max_arity must be >= 0"):
        compress(corpus, NS, iterations=-1)


def test_doctests() -> None:
    assert doctest.testmod(abstraction_module).failed == 0
