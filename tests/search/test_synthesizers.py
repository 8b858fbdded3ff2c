"""Every search engine passes the same conformance checks."""

import pytest

from hylo.testing.synthesizers import ENGINES, synthesizer_checks

CHECKS = [
    pytest.param(check, id=f"{engine}-{name}")
    for engine, make in ENGINES.items()
    for name, check in synthesizer_checks(make)
]


@pytest.mark.parametrize("check", CHECKS)
def test_conformance(check):
    check()
