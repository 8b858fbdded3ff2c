"""Learning across tasks: the wake–sleep loop, its run log, and library specs."""

from hylo.learn.loop import IterationMetrics, LearnConfig, RunLog, learn
from hylo.learn.runlog import JsonlRunLog
from hylo.learn.spec import LibrarySolver, LibrarySpec

__all__ = [
    "IterationMetrics",
    "JsonlRunLog",
    "LearnConfig",
    "LibrarySolver",
    "LibrarySpec",
    "RunLog",
    "learn",
]
