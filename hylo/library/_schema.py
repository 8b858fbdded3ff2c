"""The SQLite schema of a library file, as a list of migrations.

Migration ``n`` takes a file from schema version ``n - 1`` to ``n`` (migration 1
creates the tables). A file records its version in the ``meta`` table and is
marked as a hylo library by SQLite's ``application_id`` header field, so a
database of another program is recognised without reading its tables.

Never edit a migration that has shipped: old files depend on it. Change the
schema by appending a migration, and test opening a file of the old version.
"""

from __future__ import annotations

import sqlite3

APPLICATION_ID = 0x68796C6F
"""``b"hylo"`` as a 32-bit integer, written to the SQLite header of every library."""

_V1 = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE primitives (
        domain TEXT NOT NULL,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        PRIMARY KEY (domain, name))""",
    """CREATE TABLE inventions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        body TEXT NOT NULL,
        type TEXT NOT NULL,
        iteration INTEGER NOT NULL,
        sources TEXT NOT NULL)""",
    """CREATE TABLE grammars (
        version INTEGER PRIMARY KEY AUTOINCREMENT,
        iteration INTEGER NOT NULL,
        log_variable REAL NOT NULL)""",
    """CREATE TABLE grammar_weights (
        version INTEGER NOT NULL REFERENCES grammars (version) ON DELETE CASCADE,
        production TEXT NOT NULL,
        log_weight REAL NOT NULL,
        PRIMARY KEY (version, production))""",
    """CREATE TABLE solutions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task TEXT NOT NULL,
        program TEXT NOT NULL,
        log_prior REAL NOT NULL,
        log_likelihood REAL NOT NULL,
        seconds REAL NOT NULL,
        num_programs INTEGER NOT NULL,
        iteration INTEGER NOT NULL,
        grammar_version INTEGER REFERENCES grammars (version))""",
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        config TEXT NOT NULL,
        created TEXT NOT NULL,
        status TEXT NOT NULL)""",
    """CREATE TABLE run_metrics (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        row TEXT NOT NULL,
        PRIMARY KEY (run_id, position))""",
    f"PRAGMA application_id = {APPLICATION_ID}",
)

_V2 = (
    # How often each invention is used by the (rewritten) solutions.
    "ALTER TABLE inventions ADD COLUMN use_count INTEGER NOT NULL DEFAULT 0",
    # solutions(task=...) and solutions(iteration=...) without a full scan.
    "CREATE INDEX solutions_by_task ON solutions (task)",
    "CREATE INDEX solutions_by_iteration ON solutions (iteration)",
)

_V3 = (
    # A learning run's log: every task outcome, sleep and metrics row as it happened,
    # so a killed run resumes from it (hylo.learn.loop).
    """CREATE TABLE run_events (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        event TEXT NOT NULL,
        PRIMARY KEY (run_id, seq))""",
)

_V4 = (
    # Learned things that are not programs (trained modules, guides, AutoML runs):
    # JSON metadata here, their files content-addressed next to the library.
    """CREATE TABLE artifacts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        metadata TEXT NOT NULL,
        files TEXT NOT NULL,
        created TEXT NOT NULL)""",
    "CREATE INDEX artifacts_by_name ON artifacts (name)",
    "CREATE INDEX artifacts_by_kind ON artifacts (kind)",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3, _V4)
"""``MIGRATIONS[n - 1]`` holds the statements that take a file to version ``n``."""

SCHEMA_VERSION = len(MIGRATIONS)
"""The version this hylo writes, and the newest it can read."""


def migrate(conn: sqlite3.Connection, from_version: int) -> None:
    """Apply migrations ``from_version + 1 … SCHEMA_VERSION`` and record the new version.

    Runs inside the caller's transaction (statements are executed one by one:
    ``executescript`` would commit it).
    """
    for statements in MIGRATIONS[from_version:]:
        for statement in statements:
            conn.execute(statement)
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
        (str(SCHEMA_VERSION),),
    )
