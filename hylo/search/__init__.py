"""Synthesizers: enumerative search now; bottom-up, evolution and guided search later.

All of them take a task, a grammar and a budget and return a
:class:`~hylo.search.base.SearchResult`.
"""

from hylo.search.base import Candidate, ProgressCallback, SearchResult, SearchStats
from hylo.search.enumerate import Enumerator
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
    "Candidate",
    "EnumerativeSynthesizer",
    "Enumerator",
    "Grammar",
    "NotFittedError",
    "ProgressCallback",
    "SearchResult",
    "SearchStats",
    "default_grammar",
    "solve",
]
