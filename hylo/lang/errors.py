"""The exception root of hylo and the errors of the language layer.

Every error hylo raises on purpose derives from :class:`HyloError`, so a user can
catch one class. Messages say what happened, the values received, and the fix.
"""

from __future__ import annotations


class HyloError(Exception):
    """Root of every error that hylo raises on purpose."""


class ParseError(HyloError, ValueError):
    """Program or type text that does not parse."""


class TypeInferenceError(HyloError, TypeError):
    """A program that does not type-check (or does not have the type requested)."""


class UnificationError(TypeInferenceError):
    """Two types that cannot be made equal."""


class EvaluationError(HyloError):
    """A program failed while running: a primitive raised, or a budget ran out.

    Search treats it as one failed candidate, never as a crash.
    """


class BudgetExceeded(EvaluationError):
    """A program used more steps, time or memory than its evaluation budget allows."""
