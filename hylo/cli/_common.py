"""What every command shares: the two consoles, the one-line error, common options."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

stdout = Console(highlight=False)
stderr = Console(stderr=True, highlight=False)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-line error on standard error and exit with ``code``."""
    stderr.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


SearchLibraryOption = Annotated[
    Path | None,
    typer.Option(
        "--library",
        "-l",
        help="Search with this library's inventions, grammar and guide (from 'hylo learn').",
        show_default=False,
    ),
]

NoGuideOption = Annotated[
    bool,
    typer.Option(
        "--no-guide",
        help="With --library: search with the library's grammar, not its neural guide's.",
    ),
]
