"""The persistent library: inventions, grammar versions, solutions and runs.

>>> import tempfile
>>> from hylo.library import open_library
>>> with tempfile.TemporaryDirectory() as tmp, open_library(f"{tmp}/lib.db") as library:
...     library.meta.domain
'lists'
"""

from hylo.library._records import (
    ArtifactRecord,
    GrammarRecord,
    InventionRecord,
    LibraryDiff,
    LibraryError,
    LibraryMeta,
    LibrarySnapshot,
    PrimitiveRecord,
    Run,
    RunStatus,
    Solution,
)
from hylo.library._schema import SCHEMA_VERSION
from hylo.library.store import LibraryStore, SQLiteStore, open_library

__all__ = [
    "SCHEMA_VERSION",
    "ArtifactRecord",
    "GrammarRecord",
    "InventionRecord",
    "LibraryDiff",
    "LibraryError",
    "LibraryMeta",
    "LibrarySnapshot",
    "LibraryStore",
    "PrimitiveRecord",
    "Run",
    "RunStatus",
    "SQLiteStore",
    "Solution",
    "open_library",
]
