"""``hylo library``: look into, export, import and compare library files.

    hylo library show LIBRARY [--top N]
    hylo library export LIBRARY OUT.json
    hylo library import IN.json LIBRARY [--force]
    hylo library diff A B [--json]

Errors print one line on standard error and exit with code 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from hylo.cli._common import fail, stderr, stdout
from hylo.library import LibraryDiff, LibraryError, LibrarySnapshot, SQLiteStore

library_app = typer.Typer(
    name="library",
    help="Look into, export, import and compare library files.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)


LibraryPath = Annotated[
    Path, typer.Argument(metavar="LIBRARY", help="A library file.", show_default=False)
]


@contextmanager
def _opened(path: Path) -> Iterator[SQLiteStore]:
    """An existing library; any LibraryError (opening or reading) ends the command."""
    try:
        with SQLiteStore(path, create=False) as store:
            yield store
    except LibraryError as exc:
        fail(str(exc))


# --------------------------------------------------------------------------- show


@library_app.command("show")
def show_library(
    path: LibraryPath,
    top: Annotated[
        int, typer.Option("--top", "-n", min=1, help="How many grammar weights to show.")
    ] = 15,
) -> None:
    """Print a library: its facts, inventions, latest grammar's top weights, and runs."""
    with _opened(path) as store:
        snapshot = store.snapshot()
    stdout.print(_meta_table(path, snapshot))
    stdout.print(_inventions_table(snapshot))
    stdout.print(_grammar_table(snapshot, top))
    stdout.print(_runs_table(snapshot))
    if snapshot.artifacts:
        stdout.print(_artifacts_table(snapshot))


def _meta_table(path: Path, s: LibrarySnapshot) -> Table:
    table = Table(title=f"library {escape(str(path))}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    rows = {
        "domain": s.meta.domain,
        "schema version": str(s.meta.schema_version),
        "created": f"{s.meta.created} by hylo {s.meta.hylo_version}",
        "primitives": str(len(s.primitives)),
        "inventions": str(len(s.inventions)),
        "grammar versions": str(len(s.grammars)),
        "solutions": str(len(s.solutions)),
        "runs": str(len(s.runs)),
        "artifacts": str(len(s.artifacts)),
    }
    for key, value in rows.items():
        table.add_row(key, escape(value))
    return table


def _artifacts_table(s: LibrarySnapshot) -> Table:
    """Trained modules, guides, AutoML runs: what they are and their headline metrics."""
    table = Table(title=f"artifacts ({len(s.artifacts)})", title_justify="left")
    for name in ("id", "kind", "name", "created", "files", "metadata"):
        table.add_column(name, justify="right" if name == "id" else "left")
    for a in s.artifacts:
        summary = ", ".join(f"{k}={_short(v)}" for k, v in list(a.metadata.items())[:6])
        table.add_row(
            str(a.id),
            escape(a.kind),
            escape(a.name),
            escape(a.created[:19]),
            escape(", ".join(sorted(a.files))),
            escape(summary),
        )
    return table


def _short(value: object, limit: int = 24) -> str:
    text = f"{value:.4g}" if isinstance(value, float) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _inventions_table(s: LibrarySnapshot) -> Table:
    table = Table(title=f"inventions ({len(s.inventions)})", title_justify="left")
    for name in ("name", "type", "body"):
        table.add_column(name)
    for name in ("uses", "iteration", "tasks"):
        table.add_column(name, justify="right")
    for inv in s.inventions:
        table.add_row(
            escape(inv.name),
            escape(inv.type),
            escape(inv.body),
            str(inv.use_count),
            str(inv.iteration),
            str(len(inv.sources)),
        )
    return table


def _grammar_table(s: LibrarySnapshot, top: int) -> Table:
    if not s.grammars:
        return Table(title="grammar: none stored (the search uses uniform weights)")
    g = s.grammars[-1]
    title = (
        f"grammar version {g.version} (iteration {g.iteration}, "
        f"log_variable {g.log_variable:.3f}): top {min(top, len(g.weights))} of {len(g.weights)}"
    )
    table = Table(title=title, title_justify="left", min_width=min(len(title), 80))
    table.add_column("production")
    table.add_column("log weight", justify="right")
    for name, weight in sorted(g.weights.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
        table.add_row(escape(name), f"{weight:.3f}")
    return table


def _runs_table(s: LibrarySnapshot) -> Table:
    table = Table(title=f"runs ({len(s.runs)})", title_justify="left")
    for name in ("id", "created", "status", "iterations"):
        table.add_column(name, no_wrap=True)
    table.add_column("last metrics")
    for run in s.runs:
        last = _compact(run.metrics[-1]) if run.metrics else ""
        table.add_row(str(run.id), run.created, run.status, str(len(run.metrics)), escape(last))
    return table


def _compact(row: Mapping[str, Any], width: int = 80) -> str:
    text = ", ".join(f"{k}={v}" for k, v in row.items())
    return text if len(text) <= width else text[: width - 1] + "…"


# --------------------------------------------------------------------------- export / import


@library_app.command("export")
def export_library(
    path: LibraryPath,
    out: Annotated[
        Path,
        typer.Argument(metavar="OUT.json", help="The export file to write.", show_default=False),
    ],
) -> None:
    """Write a library to one portable JSON file (inventions, grammars, solutions, runs)."""
    with _opened(path) as store:
        try:
            store.export(out)
            snapshot = store.snapshot()
        except LibraryError as exc:
            fail(str(exc))
    stderr.print(f"exported {_summary(snapshot)} to {escape(str(out))}")


@library_app.command("import")
def import_library(
    export: Annotated[
        Path, typer.Argument(metavar="IN.json", help="An export file.", show_default=False)
    ],
    path: LibraryPath,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Replace LIBRARY if it exists.")
    ] = False,
) -> None:
    """Make a library file from an export (refuses to replace one unless --force)."""
    try:
        with SQLiteStore.from_export(export, path, overwrite=force) as store:
            snapshot = store.snapshot()
    except LibraryError as exc:
        fail(str(exc))
    stderr.print(f"imported {_summary(snapshot)} into {escape(str(path))}")


def _summary(s: LibrarySnapshot) -> str:
    return (
        f"{len(s.inventions)} inventions, {len(s.grammars)} grammar versions, "
        f"{len(s.solutions)} solutions, {len(s.runs)} runs"
    )


# --------------------------------------------------------------------------- diff


@library_app.command("diff")
def diff_libraries(
    a: Annotated[Path, typer.Argument(metavar="A", help="A library file.", show_default=False)],
    b: Annotated[Path, typer.Argument(metavar="B", help="A second one.", show_default=False)],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of tables.")
    ] = False,
) -> None:
    """Show what changes from library A to library B: inventions and grammar weights."""
    with _opened(a) as store_a, _opened(b) as store_b:
        diff = store_a.diff(store_b)
    if as_json:
        typer.echo(json.dumps(diff.to_json(), indent=2))
    else:
        _print_diff(diff)


def _print_diff(d: LibraryDiff) -> None:
    if d.domains[0] != d.domains[1]:
        stdout.print(f"domain: {escape(d.domains[0])} → {escape(d.domains[1])}")
    if d.is_empty:
        stdout.print("no differences in inventions or grammar weights")
    table = Table(title="inventions", title_justify="left")
    for name in ("", "name", "type", "body"):
        table.add_column(name)
    for inv in d.inventions_added:
        table.add_row("[green]+[/]", escape(inv.name), escape(inv.type), escape(inv.body))
    for inv in d.inventions_removed:
        table.add_row("[red]-[/]", escape(inv.name), escape(inv.type), escape(inv.body))
    for old, new in d.inventions_changed:
        table.add_row("[red]-[/]", escape(old.name), escape(old.type), escape(old.body))
        table.add_row("[green]+[/]", escape(new.name), escape(new.type), escape(new.body))
    if table.row_count:
        stdout.print(table)
    _print_weight_diff(d)
    stdout.print(
        f"grammar versions {d.grammar_versions[0]} → {d.grammar_versions[1]}; "
        f"solutions {d.num_solutions[0]} → {d.num_solutions[1]}; "
        f"runs {d.num_runs[0]} → {d.num_runs[1]}"
    )


def _print_weight_diff(d: LibraryDiff) -> None:
    table = Table(title="latest grammar's log weights", title_justify="left")
    for name in ("", "production", "A", "B"):
        table.add_column(name, justify="right" if name in ("A", "B") else "left")
    for name, w in d.weights_added.items():
        table.add_row("[green]+[/]", escape(name), "", f"{w:.3f}")
    for name, w in d.weights_removed.items():
        table.add_row("[red]-[/]", escape(name), f"{w:.3f}", "")
    for name, (old, new) in d.weights_changed.items():
        table.add_row("~", escape(name), f"{old:.3f}", f"{new:.3f}")
    lv_a, lv_b = d.log_variable
    if lv_a != lv_b:
        table.add_row("~", "(variables)", _number(lv_a), _number(lv_b))
    if table.row_count:
        stdout.print(table)


def _number(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}"
