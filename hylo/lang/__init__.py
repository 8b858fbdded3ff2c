"""The language: types, programs, parsing/printing, type inference, evaluation.

This layer imports nothing else of hylo.
"""

from hylo.lang.errors import (
    BudgetExceeded,
    EvaluationError,
    HyloError,
    ParseError,
    TypeInferenceError,
    UnificationError,
)
from hylo.lang.evaluate import Budget, Evaluator, Limits, guard_length
from hylo.lang.infer import check, infer, invent
from hylo.lang.program import (
    Abstraction,
    Application,
    Hole,
    Index,
    Invented,
    Primitive,
    Program,
    apply_to,
    beta_normal,
    parse,
    show,
    size,
)
from hylo.lang.types import (
    BOOL,
    INT,
    TCon,
    TVar,
    Type,
    arrow,
    list_of,
    parse_type,
    show_type,
    unify,
)

__all__ = [
    "BOOL",
    "INT",
    "Abstraction",
    "Application",
    "Budget",
    "BudgetExceeded",
    "EvaluationError",
    "Evaluator",
    "Hole",
    "HyloError",
    "Index",
    "Invented",
    "Limits",
    "ParseError",
    "Primitive",
    "Program",
    "TCon",
    "TVar",
    "Type",
    "TypeInferenceError",
    "UnificationError",
    "apply_to",
    "arrow",
    "beta_normal",
    "check",
    "guard_length",
    "infer",
    "invent",
    "list_of",
    "parse",
    "parse_type",
    "show",
    "show_type",
    "size",
    "unify",
]
