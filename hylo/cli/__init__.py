"""The ``hylo`` command line (Typer + Rich): solve, bench, learn, report, library."""

from hylo.cli.app import app, main

__all__ = ["app", "main"]
