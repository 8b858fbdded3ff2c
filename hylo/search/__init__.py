"""Synthesizers: top-down enumeration, bottom-up value search, typed genetic programming.

All of them take a task, a grammar and a budget and return a
:class:`~hylo.search.base.SearchResult`.
"""

from hylo.search.base import Candidate, ProgressCallback, SearchResult, SearchStats
from hylo.search.bottom_up import BottomUpSynthesizer
from hylo.search.enumerate import Enumerator
from hylo.search.evolve import EvolutionarySynthesizer
from hylo.search.grammar import Grammar
from hylo.search.synthesizer import (
    BaseSynthesizer,
    EnumerativeSynthesizer,
    NotFittedError,
    default_grammar,
    solve,
)

__all__ = [
    "BaseSynthesizer",
    "BottomUpSynthesizer",
    "Candidate",
    "EnumerativeSynthesizer",
    "Enumerator",
    "EvolutionarySynthesizer",
    "Grammar",
    "NotFittedError",
    "ProgressCallback",
    "SearchResult",
    "SearchStats",
    "default_grammar",
    "solve",
]
