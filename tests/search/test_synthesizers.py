"""Every search engine passes the same conformance checks."""

import pytest

from hylo.testing.synthesizers import ENGINES, synthesizer_checks

CHECKS = [
    (name, check)
    for name, make in ENGINES.items()
    for check in synthesizer_checks(make)
]


@pytest.mark.parametrize(
    ("engine", "check"),
    CHECKS,
    ids=[f"{name}-{check.__defaults__[0].__name__}" for name, check in CHECKS],
)
def test_conformance(engine, check):
    check()
