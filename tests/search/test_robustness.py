"""Programs that loop, recurse forever, blow up or raise cost one failed candidate each."""

from hylo.domains.lists import LISTS, RECURSION
from hylo.domains.task import make_task
from hylo.lang.evaluate import Limits
from hylo.lang.types import parse_type
from hylo.search import EnumerativeSynthesizer, Grammar
from hylo.testing.synthesizers import impossible_task

LIST_TO_LIST = parse_type("list(int) -> list(int)")


def test_search_with_unbounded_recursion_finishes_cleanly():
    # fix, unfold, range and repeat make non-terminating and huge candidates common.
    names = ["fix", "unfold", "range", "repeat", "cons", "cdr", "car", "+", "1", "empty?", "if"]
    prims = [p for p in (*LISTS.primitives, *RECURSION) if p.name in names]
    grammar = Grammar.uniform(prims)
    synth = EnumerativeSynthesizer(timeout_s=2.0, limits=Limits(max_steps=2_000, max_length=50))
    result = synth.search(impossible_task(), grammar)
    assert not result.solved
    assert result.stats.programs > 100


def test_division_by_zero_and_bad_index_are_failed_candidates():
    prims = [
        p for p in LISTS.primitives if p.name in {"/", "mod", "index", "0", "1", "car", "length"}
    ]
    task = make_task(
        "length-plus",
        parse_type("list(int) -> int"),
        [(([1, 2],), 2), (([],), 0), (([5, 0, 4],), 3)],
    )
    result = EnumerativeSynthesizer(timeout_s=5.0).search(task, Grammar.uniform(prims))
    assert result.solved
    assert str(result.best) == "(lam (length $0))"
