"""Test helpers and conformance suites that ship with hylo (Optuna-style).

``tests/`` runs these over every implementation, so a new synthesizer, store or
domain is tested the day it lands. Modules here may import development
dependencies (``pytest``, ``hypothesis``); nothing in the rest of the package
imports :mod:`hylo.testing`, and importing this package itself needs neither.

* :mod:`hylo.testing.strategies` — hypothesis strategies for types, values and
  well-typed programs, with a small self-contained primitive set.
"""

__all__: list[str] = []
