"""The ``hylo`` command line (Typer + Rich): ``hylo solve`` and ``hylo bench``."""

from hylo.cli.app import app, main

__all__ = ["app", "main"]
