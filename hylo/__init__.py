"""hylo: learn programs, not only weights."""

__version__ = "0.1.0"
