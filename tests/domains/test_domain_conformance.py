"""Every built-in domain passes the domain conformance checks."""

import pytest

from hylo.domains import BUILTIN_DOMAINS, get_domain
from hylo.domains.arc import Grid
from hylo.lang.types import parse_type
from hylo.testing.domains import CHECKS, check_small_programs_are_type_safe

# Requests and sample inputs to run small programs on, per domain.
SAMPLES = {
    "lists": [
        ("list(int) -> list(int)", [([],), ([3, 1, 2],), ([0, 7, 7, 4],)]),
        ("list(int) -> int", [([],), ([5],), ([2, 9, 1],)]),
        ("int -> list(int) -> bool", [(0, []), (2, [1, 2, 3])]),
    ],
}
SAMPLES["lists-dreamcoder"] = SAMPLES["lists"]
_OBSERVATIONS = [((0.1, -0.2, 0.3, 0.0, 1.5, -1.0),), ((0.0,) * 6,)]
SAMPLES["control"] = [("obs -> action", _OBSERVATIONS), ("obs -> float", _OBSERVATIONS)]
_GRIDS = [
    (Grid.from_lists([[0, 1, 0], [1, 1, 0], [0, 0, 2]]),),
    (Grid.from_lists([[5]]),),
    (Grid.from_lists([[3, 3, 0, 4], [0, 3, 0, 4]]),),
]
SAMPLES["arc"] = [("grid -> grid", _GRIDS), ("grid -> int", _GRIDS)]
SAMPLES["digits"] = [("list(int) -> int", [([3, 1, 2],), ([],)]), ("int -> bool", [(3,), (0,)])]


@pytest.mark.parametrize("name", BUILTIN_DOMAINS)
@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_domain_checks(name, check):
    check(get_domain(name))


@pytest.mark.parametrize(
    ("name", "request_text", "inputs"),
    [(name, r, i) for name in BUILTIN_DOMAINS for r, i in SAMPLES[name]],
)
def test_small_programs_are_type_safe(name, request_text, inputs):
    check_small_programs_are_type_safe(get_domain(name), parse_type(request_text), inputs)


def test_every_domain_has_samples():
    assert set(SAMPLES) == set(BUILTIN_DOMAINS)
