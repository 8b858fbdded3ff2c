"""The library store: round trips, export/import, diff, migration, safety, concurrency, CLI."""

from __future__ import annotations

import doctest
import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import hylo.library
import hylo.library._records
import hylo.library.store
from hylo.cli import app
from hylo.domains.lists import LISTS
from hylo.lang import Evaluator, invent, parse, show, show_type
from hylo.library import (
    SCHEMA_VERSION,
    LibraryError,
    Solution,
    SQLiteStore,
    open_library,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "lib.db"


@pytest.fixture
def store(path: Path):
    with SQLiteStore(path) as s:
        yield s


def add_examples(store: SQLiteStore) -> None:
    """Three inventions (the later ones use the earlier), two grammars, solutions, a run."""
    ns = store.namespace()
    store.add_invention("f0", parse("(lam (+ $0 1))", ns), iteration=1, sources=["add one"])
    ns = store.namespace()
    store.add_invention("f1", parse("(lam (map f0 $0))", ns), iteration=1, sources=["a", "b"])
    ns = store.namespace()
    store.add_invention("f2", parse("(lam (f1 (f1 $0)))", ns), iteration=2)
    store.record_use_counts({"f0": 3, "f1": 2})
    v1 = store.add_grammar({"map": -1.5, "+": -2.0, "f0": -0.5}, log_variable=-1.0, iteration=1)
    v2 = store.add_grammar({"map": -1.0, "f1": -0.25, "f2": -3.0}, log_variable=-0.5, iteration=2)
    store.add_solutions(
        [
            Solution("add one", "(lam (f1 $0))", -2.5, 0.0, 0.01, 12, 1, v1),
            Solution("add two", "(lam (f2 $0))", -3.25, 0.0, 0.5, 340, 2, v2),
            Solution("length", "(lam (length $0))", -1.75, -0.5, 0.002, 3, 2, None),
        ]
    )
    run = store.start_run({"suite": "lists", "iterations": 2, "timeout_s": 1.5})
    store.add_iteration_metrics(run, {"iteration": 0, "train_solved": 10, "median": None})
    store.add_iteration_metrics(run, {"iteration": 1, "train_solved": 14, "median": 0.25})
    store.set_run_status(run, "finished")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- round trips ----------------------------------------------------------------------


def test_new_library_records_its_domain_and_primitives(store: SQLiteStore) -> None:
    assert store.meta.domain == "lists"
    assert store.meta.schema_version == SCHEMA_VERSION
    assert [(p.name, p.type) for p in store.primitive_records()] == [
        (p.name, show_type(p.tp)) for p in LISTS
    ]
    assert store.inventions() == []
    assert store.latest_grammar() is None
    assert store.solutions() == [] and store.runs() == []
    mode = sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_inventions_round_trip_in_creation_order(path: Path) -> None:
    with SQLiteStore(path) as store:
        add_examples(store)
        made = store.inventions()
    with SQLiteStore(path, create=False) as store:
        again = store.inventions()
        records = store.invention_records()
        namespace = store.namespace()
    assert again == made
    assert [inv.name for inv in again] == ["f0", "f1", "f2"]
    assert [show_type(inv.tp) for inv in again] == [
        "int -> int",
        "list(int) -> list(int)",
        "list(int) -> list(int)",
    ]
    assert show(again[2].body) == "(lam (f1 (f1 $0)))"
    assert again[2].body == parse("(lam (f1 (f1 $0)))", namespace)
    assert [(r.iteration, r.sources, r.use_count) for r in records] == [
        (1, ("add one",), 3),
        (1, ("a", "b"), 2),
        (2, (), 0),
    ]
    add_two = Evaluator().function(parse("(lam (f2 $0))", namespace))
    assert add_two([1, 5]) == [3, 7]


def test_add_invention_returns_the_typed_invention(store: SQLiteStore) -> None:
    body = parse("(lam (lam (fold $0 $1 (lam (lam (cons $1 $0))))))", store.namespace())
    inv = store.add_invention("f0", body)
    assert inv == invent("f0", body)
    assert store.namespace()["f0"] == inv


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("map", "(lam $0)", "already has a primitive named 'map'"),
        ("f0", "(lam $0)", "already has an invention named 'f0'"),
        ("f 1", "(lam $0)", "cannot be parsed back"),
        ("$1", "(lam $0)", "cannot be parsed back"),
        ("lam", "(lam $0)", "cannot be parsed back"),
        ("f1", "(lam (+ $0 ??))", "closed program without holes"),
        ("f1", "(+ $0 1)", "closed program without holes"),
        ("f1", "(lam (+ $0 empty))", "does not type-check"),
    ],
)
def test_add_invention_refuses(store: SQLiteStore, name: str, body: str, message: str) -> None:
    store.add_invention("f0", parse("(lam $0)", store.namespace()))
    with pytest.raises(LibraryError, match=re.escape(message)):
        store.add_invention(name, parse(body, store.namespace()))
    assert [r.name for r in store.invention_records()] == ["f0"]


def test_add_invention_refuses_an_invention_the_library_lacks(store: SQLiteStore) -> None:
    stranger = invent("g", parse("(lam (+ $0 1))", LISTS.namespace))
    with pytest.raises(LibraryError, match=r"uses 'g', which library .* does not have"):
        store.add_invention("f0", parse("(lam (g $0))", {**LISTS.namespace, "g": stranger}))
    with pytest.raises(LibraryError, match="list of task names"):
        store.add_invention("f0", parse("(lam $0)", LISTS.namespace), sources="add one")


def test_grammars_round_trip(path: Path) -> None:
    with SQLiteStore(path) as store:
        add_examples(store)
    with SQLiteStore(path) as store:
        grammars = store.grammars()
        latest = store.latest_grammar()
    assert [g.version for g in grammars] == [1, 2]
    assert latest == grammars[-1]
    assert latest is not None
    assert dict(latest.weights) == {"map": -1.0, "f1": -0.25, "f2": -3.0}
    assert (latest.log_variable, latest.iteration) == (-0.5, 2)


def test_add_grammar_refuses_unknown_productions_and_non_finite_weights(store: SQLiteStore) -> None:
    with pytest.raises(LibraryError, match=r"'f9', which library .* does not have"):
        store.add_grammar({"map": 0.0, "f9": -1.0})
    with pytest.raises(LibraryError, match="log-weight of 'map' must be a finite number"):
        store.add_grammar({"map": float("-inf")})
    with pytest.raises(LibraryError, match="log_variable must be a finite number"):
        store.add_grammar({"map": 0.0}, log_variable=float("nan"))
    assert store.grammars() == []


def test_solutions_round_trip_and_filters(path: Path) -> None:
    with SQLiteStore(path) as store:
        add_examples(store)
    with SQLiteStore(path) as store:
        everything = store.solutions()
        assert [s.task for s in everything] == ["add one", "add two", "length"]
        assert everything[1] == Solution("add two", "(lam (f2 $0))", -3.25, 0.0, 0.5, 340, 2, 2)
        assert [s.task for s in store.solutions(iteration=2)] == ["add two", "length"]
        assert store.solutions(task="length") == [everything[2]]
        assert store.solutions(iteration=1, task="length") == []


def test_add_solutions_is_all_or_nothing(store: SQLiteStore) -> None:
    good = Solution("a", "(lam (+ $0 1))", -1.0)
    with pytest.raises(LibraryError, match="task 'b' uses 'f7', which library"):
        store.add_solutions([good, Solution("b", "(lam (f7 $0))", -1.0)])
    with pytest.raises(LibraryError, match="no grammar version 4"):
        store.add_solutions([good, Solution("c", "(lam $0)", -1.0, grammar_version=4)])
    with pytest.raises(LibraryError, match="log_prior of the solution of 'd'"):
        store.add_solutions([good, Solution("d", "(lam $0)", float("nan"))])
    assert store.solutions() == []
    assert store.add_solutions([good]) == 1


def test_use_counts_refuse_unknown_inventions_atomically(store: SQLiteStore) -> None:
    store.add_invention("f0", parse("(lam $0)", store.namespace()))
    with pytest.raises(LibraryError, match="no invention named 'f9'"):
        store.record_use_counts({"f0": 5, "f9": 1})
    assert store.invention_records()[0].use_count == 0
    with pytest.raises(LibraryError, match="integer >= 0"):
        store.record_use_counts({"f0": -1})


def test_runs_round_trip(path: Path) -> None:
    with SQLiteStore(path) as store:
        add_examples(store)
        second = store.start_run({"suite": "other"})
    with SQLiteStore(path) as store:
        runs = store.runs()
        assert [r.id for r in runs] == [1, second]
        first = store.run(1)
    assert first == runs[0]
    assert first.config == {"suite": "lists", "iterations": 2, "timeout_s": 1.5}
    assert first.status == "finished"
    assert first.metrics == (
        {"iteration": 0, "train_solved": 10, "median": None},
        {"iteration": 1, "train_solved": 14, "median": 0.25},
    )
    assert runs[1].status == "running" and runs[1].metrics == ()


def test_runs_refuse_bad_input(store: SQLiteStore) -> None:
    with pytest.raises(LibraryError, match="no run with id 7"):
        store.run(7)
    with pytest.raises(LibraryError, match="no run with id 7"):
        store.add_iteration_metrics(7, {"iteration": 0})
    run = store.start_run({})
    with pytest.raises(LibraryError, match="metrics row must be JSON data"):
        store.add_iteration_metrics(run, {"median": float("nan")})
    with pytest.raises(LibraryError, match="run config must be JSON data"):
        store.start_run({"f": object()})
    with pytest.raises(LibraryError, match="run status must be one of"):
        store.set_run_status(run, "done")


# --- export, import, diff ---------------------------------------------------------------


def test_export_then_import_gives_an_equal_library(tmp_path: Path, path: Path) -> None:
    with SQLiteStore(path) as store:
        add_examples(store)
        store.export(tmp_path / "lib.json")
        original = store.snapshot()
    data = json.loads((tmp_path / "lib.json").read_text())
    assert data["format"] == "hylo-library"
    assert data["schema_version"] == SCHEMA_VERSION
    assert [i["name"] for i in data["inventions"]] == ["f0", "f1", "f2"]
    with SQLiteStore.from_export(tmp_path / "lib.json", tmp_path / "copy.db") as copy:
        assert copy.snapshot() == original
        assert copy.inventions() == SQLiteStore(path).inventions()
        assert copy.diff(SQLiteStore(path)).is_empty
        # Ids continue after the imported ones.
        assert copy.start_run({}) == 2
        with pytest.raises(LibraryError, match="it already holds inventions"):
            copy.import_(tmp_path / "lib.json")


def test_import_refuses_to_replace_a_library_unless_asked(tmp_path: Path, path: Path) -> None:
    with SQLiteStore(path) as store:
        add_examples(store)
        store.export(tmp_path / "lib.json")
    target = tmp_path / "other.db"
    with SQLiteStore(target) as other:
        other.start_run({"keep": True})
    with pytest.raises(LibraryError, match="already exists"):
        SQLiteStore.from_export(tmp_path / "lib.json", target)
    assert SQLiteStore(target).runs()[0].config == {"keep": True}
    with SQLiteStore.from_export(tmp_path / "lib.json", target, overwrite=True) as replaced:
        assert len(replaced.inventions()) == 3
    assert sorted(p.name for p in tmp_path.iterdir() if "importing" in p.name) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not a library export \\(not JSON"),
        ('{"name": "a task"}', "JSON but not a hylo library export"),
        ('{"format": "hylo-library", "schema_version": 99}', "newer hylo"),
        (
            '{"format": "hylo-library", "schema_version": 2}',
            'export lacks the field "hylo_version"',
        ),
    ],
)
def test_import_refuses_bad_exports(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "in.json").write_text(content)
    with pytest.raises(LibraryError, match=message):
        SQLiteStore.from_export(tmp_path / "in.json", tmp_path / "new.db")
    assert not (tmp_path / "new.db").exists()


def test_import_refuses_exports_naming_unknown_primitives(tmp_path: Path, path: Path) -> None:
    with SQLiteStore(path) as store:
        add_examples(store)
        store.export(tmp_path / "lib.json")
    data = json.loads((tmp_path / "lib.json").read_text())
    data["inventions"][1]["body"] = "(lam (frobnicate f0 $0))"
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(
        LibraryError, match=r"invention 'f1' .* uses 'frobnicate', which is neither"
    ):
        SQLiteStore.from_export(tmp_path / "bad.json", tmp_path / "new.db")
    data["inventions"][1]["sources"] = "a"
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(LibraryError, match=r"inventions\[1\].sources must be list"):
        SQLiteStore.from_export(tmp_path / "bad.json", tmp_path / "new.db")
    assert not (tmp_path / "new.db").exists()


def test_diff_reports_added_removed_and_changed(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "a.db") as a, SQLiteStore(tmp_path / "b.db") as b:
        ns = a.namespace()
        a.add_invention("f0", parse("(lam (+ $0 1))", ns))
        a.add_invention("f1", parse("(lam (* $0 $0))", ns))
        a.add_grammar({"map": -1.0, "+": -2.0, "f0": -1.0}, log_variable=-1.0)
        b.add_invention("f0", parse("(lam (+ $0 2))", ns))
        b.add_invention("f2", parse("(lam (map f0 $0))", b.namespace()))
        b.add_grammar({"map": -1.0, "+": -1.5, "f2": -0.5}, log_variable=-1.0)
        assert a.diff(a).is_empty
        d = a.diff(b)
    assert not d.is_empty
    assert [i.name for i in d.inventions_added] == ["f2"]
    assert [i.name for i in d.inventions_removed] == ["f1"]
    assert [(x.body, y.body) for x, y in d.inventions_changed] == [
        ("(lam (+ $0 1))", "(lam (+ $0 2))")
    ]
    assert d.weights_added == {"f2": -0.5}
    assert d.weights_removed == {"f0": -1.0}
    assert d.weights_changed == {"+": (-2.0, -1.5)}
    assert d.log_variable == (-1.0, -1.0)
    assert json.loads(json.dumps(d.to_json()))["weights_changed"] == {"+": [-2.0, -1.5]}


# --- migrations ------------------------------------------------------------------------

# Schema version 1 exactly as it shipped: a file of that version, made by hand.
V1_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE primitives (domain TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,
    PRIMARY KEY (domain, name));
CREATE TABLE inventions (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL, type TEXT NOT NULL, iteration INTEGER NOT NULL, sources TEXT NOT NULL);
CREATE TABLE grammars (version INTEGER PRIMARY KEY AUTOINCREMENT, iteration INTEGER NOT NULL,
    log_variable REAL NOT NULL);
CREATE TABLE grammar_weights (
    version INTEGER NOT NULL REFERENCES grammars (version) ON DELETE CASCADE,
    production TEXT NOT NULL, log_weight REAL NOT NULL, PRIMARY KEY (version, production));
CREATE TABLE solutions (id INTEGER PRIMARY KEY AUTOINCREMENT, task TEXT NOT NULL,
    program TEXT NOT NULL, log_prior REAL NOT NULL, log_likelihood REAL NOT NULL,
    seconds REAL NOT NULL, num_programs INTEGER NOT NULL, iteration INTEGER NOT NULL,
    grammar_version INTEGER REFERENCES grammars (version));
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, config TEXT NOT NULL,
    created TEXT NOT NULL, status TEXT NOT NULL);
CREATE TABLE run_metrics (run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL, row TEXT NOT NULL, PRIMARY KEY (run_id, position));
PRAGMA application_id = 1752788079;
INSERT INTO meta VALUES ('schema_version', '1'), ('hylo_version', '0.0.1'),
    ('domain', 'lists'), ('created', '2025-01-01T00:00:00+00:00');
INSERT INTO primitives VALUES ('lists', 'map', '(t0 -> t1) -> list(t0) -> list(t1)'),
    ('lists', '+', 'int -> int -> int'), ('lists', '1', 'int');
INSERT INTO inventions (name, body, type, iteration, sources) VALUES
    ('f0', '(lam (+ $0 1))', 'int -> int', 1, '["add one"]'),
    ('f1', '(lam (map f0 $0))', 'list(int) -> list(int)', 1, '[]');
INSERT INTO grammars (iteration, log_variable) VALUES (1, -1.0);
INSERT INTO grammar_weights VALUES (1, 'f0', -0.5), (1, 'map', -1.0);
INSERT INTO solutions (task, program, log_prior, log_likelihood, seconds, num_programs,
    iteration, grammar_version) VALUES ('add one', '(lam (f1 $0))', -2.0, 0.0, 0.1, 7, 1, 1);
INSERT INTO runs (config, created, status) VALUES ('{"suite":"lists"}', '2025-01-01', 'finished');
INSERT INTO run_metrics VALUES (1, 0, '{"iteration":0}');
"""


def test_artifacts_round_trip_with_their_files(path: Path) -> None:
    weights = bytes(range(256)) * 10
    with SQLiteStore(path) as store:
        first = store.put_artifact("module", "digit", {"arch": {"hidden": 32}}, {"w.st": weights})
        second = store.put_artifact("guide", "guide", {"grammar_version": 1})
        newer = store.put_artifact("module", "digit", {"arch": {"hidden": 64}}, {"w.st": b"2"})
    with SQLiteStore(path, create=False) as store:
        assert [a.id for a in store.artifacts()] == [first.id, second.id, newer.id]
        assert [a.id for a in store.artifacts(kind="module")] == [first.id, newer.id]
        assert store.artifact("digit") == newer
        assert store.artifact(first.id).metadata == {"arch": {"hidden": 32}}
        assert store.read_artifact_file(first, "w.st") == weights
        assert second.files == {}


def test_artifacts_refuse_bad_input_and_detect_damaged_files(path: Path) -> None:
    with SQLiteStore(path) as store:
        with pytest.raises(LibraryError, match="non-empty string"):
            store.put_artifact("", "x", {})
        with pytest.raises(LibraryError, match="JSON"):
            store.put_artifact("module", "x", {"f": object()})
        with pytest.raises(LibraryError, match="plain file name"):
            store.put_artifact("module", "x", {}, {"../escape": b""})
        with pytest.raises(LibraryError, match="must be bytes"):
            store.put_artifact("module", "x", {}, {"w": "text"})  # type: ignore[dict-item]
        rec = store.put_artifact("module", "x", {}, {"w": b"weights"})
        with pytest.raises(LibraryError, match="no artifact 'y'; it has: x"):
            store.artifact("y")
        with pytest.raises(LibraryError, match="has no file 'v'"):
            store.read_artifact_file(rec, "v")
        (store.blob_dir / rec.files["w"]).write_bytes(b"tampered")
        with pytest.raises(LibraryError, match="damaged"):
            store.read_artifact_file(rec, "w")
        (store.blob_dir / rec.files["w"]).unlink()
        with pytest.raises(LibraryError, match="missing"):
            store.read_artifact_file(rec, "w")


def test_artifacts_travel_through_export_and_import(tmp_path: Path, path: Path) -> None:
    with SQLiteStore(path) as store:
        store.put_artifact("module", "digit", {"k": [1, 2]}, {"w": b"\x00\xffweights"})
        store.export(tmp_path / "lib.json")
    with SQLiteStore.from_export(tmp_path / "lib.json", tmp_path / "copy.db") as copy:
        rec = copy.artifact("digit")
        assert rec.metadata == {"k": [1, 2]}
        assert copy.read_artifact_file(rec, "w") == b"\x00\xffweights"


def test_a_version_1_file_is_migrated_when_opened(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.close()
    with SQLiteStore(path, create=False) as store:
        assert store.meta.schema_version == SCHEMA_VERSION == 4
        assert store.meta.hylo_version == "0.0.1"
        assert [(r.name, r.use_count) for r in store.invention_records()] == [("f0", 0), ("f1", 0)]
        assert show_type(store.inventions()[1].tp) == "list(int) -> list(int)"
        assert store.solutions()[0] == Solution("add one", "(lam (f1 $0))", -2.0, 0.0, 0.1, 7, 1, 1)
        assert store.run(1).metrics == ({"iteration": 0},)
        store.record_use_counts({"f1": 4})
        # Version 3 added run logs: the old run gets one, empty at first.
        assert store.run_events(1) == []
        store.append_run_event(1, {"kind": "metrics", "iteration": 0})
        assert store.run_events(1) == [{"kind": "metrics", "iteration": 0}]
        # Version 4 added artifacts.
        assert store.artifacts() == []
        store.put_artifact("module", "m", {"a": 1}, {"w": b"x"})
        assert store.read_artifact_file("m", "w") == b"x"
    conn = sqlite3.connect(path)
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"solutions_by_task", "solutions_by_iteration"} <= indexes
    assert conn.execute("SELECT use_count FROM inventions WHERE name='f1'").fetchone() == (4,)


def test_the_first_migration_matches_the_hand_made_version_1(tmp_path: Path) -> None:
    """Migration 1 must never change: old files were made by it."""
    from hylo.library._schema import MIGRATIONS

    def schema(conn: sqlite3.Connection) -> list[tuple[str, str]]:
        rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type='table'").fetchall()
        return sorted((n, " ".join(s.split()).replace("( ", "(")) for n, s in rows)

    by_hand = sqlite3.connect(tmp_path / "a.db")
    by_hand.executescript(V1_SCHEMA)
    migrated = sqlite3.connect(tmp_path / "b.db")
    for statement in MIGRATIONS[0]:
        migrated.execute(statement)
    assert schema(by_hand) == schema(migrated)


# --- foreign, corrupt and damaged files --------------------------------------------------


def other_programs_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO users VALUES (1, 'ada')")
    conn.commit()
    conn.close()


def newer_library(path: Path) -> None:
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(os.urandom(4096)), "not an SQLite database"),
        # Binary bytes that start like JSON (one random file in ~120 did): still not JSON.
        (lambda p: p.write_bytes(b"{\x00\xff" + os.urandom(4093)), "not an SQLite database"),
        (lambda p: p.write_text('{"format": "hylo-library"}'), "it is a JSON file"),
        (lambda p: p.write_bytes(b"SQLite format 3\x00" + os.urandom(8192)), "damaged or not a"),
        (other_programs_database, "SQLite database of another program"),
        (
            newer_library,
            rf"newer hylo \(schema version 99; this hylo reads up to {SCHEMA_VERSION}\)",
        ),
    ],
    ids=[
        "random bytes",
        "binary bytes from a brace",
        "json",
        "sqlite header then garbage",
        "another app",
        "newer schema",
    ],
)
def test_foreign_or_corrupt_files_are_refused_and_left_alone(path: Path, make, message) -> None:
    make(path)
    before = sha(path)
    for create in (True, False):
        with pytest.raises(LibraryError, match=message) as info:
            SQLiteStore(path, create=create)
        assert str(path) in str(info.value)
    assert sha(path) == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_missing_files_and_directories_are_refused(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="no library at"):
        SQLiteStore(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()
    with pytest.raises(LibraryError, match="is a directory"):
        SQLiteStore(tmp_path)
    with pytest.raises(LibraryError, match="does not exist"):
        SQLiteStore(tmp_path / "no" / "lib.db")
    (tmp_path / "empty.db").touch()
    with pytest.raises(LibraryError, match="the file is empty"):
        SQLiteStore(tmp_path / "empty.db", create=False)
    assert (tmp_path / "empty.db").stat().st_size == 0


def test_an_invention_naming_an_unknown_primitive_is_a_clear_error(path: Path) -> None:
    with SQLiteStore(path) as store:
        add_examples(store)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE inventions SET body = '(lam (frobnicate $0))' WHERE name = 'f1'")
    conn.commit()
    conn.close()
    with SQLiteStore(path) as store:
        assert len(store.invention_records()) == 3  # the text is still readable
        with pytest.raises(LibraryError, match=r"'f1' .* uses 'frobnicate', which is neither a"):
            store.inventions()


def test_an_invention_whose_type_changed_is_a_clear_error(path: Path) -> None:
    with SQLiteStore(path) as store:
        add_examples(store)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE inventions SET type = 'int -> bool' WHERE name = 'f0'")
    conn.commit()
    conn.close()
    with (
        SQLiteStore(path) as store,
        pytest.raises(LibraryError, match=r"stored with type int -> bool, but .* int -> int"),
    ):
        store.namespace()


def test_domains_must_match_and_exist(tmp_path: Path, path: Path) -> None:
    SQLiteStore(path).close()
    with pytest.raises(LibraryError, match="is of domain 'lists', not 'lists-dreamcoder'"):
        SQLiteStore(path, domain="lists-dreamcoder")
    with pytest.raises(LibraryError, match="unknown domain 'no-such-domain'"):
        SQLiteStore(tmp_path / "other.db", domain="no-such-domain")
    with SQLiteStore(tmp_path / "dc.db", domain="lists-dreamcoder") as dc:
        assert "sort" not in dc.namespace()
        assert open_library(dc, "lists-dreamcoder") is dc


# --- two processes writing at once --------------------------------------------------------

WRITER = """
import pathlib, sys, time
from hylo.lang import parse
from hylo.library import SQLiteStore, Solution

path, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
pathlib.Path(f"{path}.{tag}.ready").touch()
while not pathlib.Path(f"{path}.go").exists():
    time.sleep(0.002)
with SQLiteStore(path) as store:
    run = store.start_run({"writer": tag})
    for i in range(n):
        store.add_solutions([Solution(f"{tag}-{i}", "(lam (+ $0 1))", -1.0, iteration=i)])
        store.add_iteration_metrics(run, {"i": i})
        if i % 10 == 0:
            store.add_invention(f"{tag}{i}", parse("(lam (+ $0 1))", store.namespace()))
            store.add_grammar({f"{tag}{i}": -1.0, "map": -2.0}, iteration=i)
    store.set_run_status(run, "finished")
"""


class _Contended:
    """A connection whose journal-mode switches are refused ``times`` times first, as
    SQLite refuses one (at once, without its busy handler) while another process
    switches the same new file."""

    def __init__(self, conn: sqlite3.Connection, times: int) -> None:
        self.conn, self.times = conn, times

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
        if "journal_mode" in sql and self.times > 0:
            self.times -= 1
            raise sqlite3.OperationalError("database is locked")
        return self.conn.execute(sql, *args)


def test_a_contended_switch_to_wal_waits_for_the_other_process(store: SQLiteStore) -> None:
    real = store._conn
    store._conn = _Contended(real, times=3)  # type: ignore[assignment]
    store._enable_wal()  # retried until the other process is done
    store._conn = _Contended(real, times=10**6)  # type: ignore[assignment]
    store._timeout_s = 0.1
    with pytest.raises(hylo.library.LibraryError, match="is busy"):
        store._enable_wal()
    store._conn = real


def test_two_processes_writing_one_library(path: Path) -> None:
    n = 60
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag, str(n)], cwd=REPO)
        for tag in ("a", "b")
    ]
    deadline = time.monotonic() + 60
    while not all(Path(f"{path}.{t}.ready").exists() for t in "ab"):
        assert time.monotonic() < deadline and all(w.poll() is None for w in writers)
        time.sleep(0.01)
    Path(f"{path}.go").touch()  # both create the library and write at the same moment
    assert [w.wait(timeout=120) for w in writers] == [0, 0]

    with SQLiteStore(path, create=False) as store:
        tasks = sorted(s.task for s in store.solutions())
        assert tasks == sorted(f"{t}-{i}" for t in "ab" for i in range(n))
        runs = store.runs()
        assert sorted(r.config["writer"] for r in runs) == ["a", "b"]
        assert all(r.status == "finished" for r in runs)
        assert all([m["i"] for m in r.metrics] == list(range(n)) for r in runs)
        assert len(store.inventions()) == 2 * n // 10
        assert len(store.grammars()) == 2 * n // 10
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


# --- the command line ----------------------------------------------------------------------

runner = CliRunner()


def test_cli_show(path: Path) -> None:
    with SQLiteStore(path) as store:
        add_examples(store)
    result = runner.invoke(app, ["library", "show", str(path), "--top", "2"])
    assert result.exit_code == 0, result.output
    for expected in ("domain", "lists", "f2", "(lam (f1 (f1 $0)))", "grammar version 2", "f1"):
        assert expected in result.output
    assert "top 2 of 3" in result.output
    assert "finished" in result.output


def test_cli_export_import_and_diff(tmp_path: Path, path: Path) -> None:
    with SQLiteStore(path) as store:
        add_examples(store)
    out, copy = tmp_path / "out.json", tmp_path / "copy.db"
    result = runner.invoke(app, ["library", "export", str(path), str(out)])
    assert result.exit_code == 0, result.output
    assert "3 inventions" in result.output
    result = runner.invoke(app, ["library", "import", str(out), str(copy)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["library", "import", str(out), str(copy)])
    assert result.exit_code == 2
    assert "already exists" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["library", "import", str(out), str(copy), "--force"])
    assert result.exit_code == 0, result.output

    result = runner.invoke(app, ["library", "diff", str(path), str(copy)])
    assert result.exit_code == 0 and "no differences" in result.output
    with SQLiteStore(copy) as store:
        store.add_invention("f3", parse("(lam (f0 (f0 $0)))", store.namespace()))
    result = runner.invoke(app, ["library", "diff", str(path), str(copy)])
    assert result.exit_code == 0 and "f3" in result.output
    result = runner.invoke(app, ["library", "diff", str(path), str(copy), "--json"])
    assert [i["name"] for i in json.loads(result.output)["inventions_added"]] == ["f3"]


@pytest.mark.parametrize("command", ["show", "export", "diff"])
def test_cli_errors_are_one_line_with_exit_code_2(tmp_path: Path, command: str) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00\x01 not a library")
    args = {
        "show": [str(junk)],
        "export": [str(junk), str(tmp_path / "out.json")],
        "diff": [str(junk), str(junk)],
    }[command]
    result = runner.invoke(app, ["library", command, *args])
    assert result.exit_code == 2
    assert "not an SQLite database" in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    result = runner.invoke(app, ["library", "show", str(tmp_path / "missing.db")])
    assert result.exit_code == 2 and "no library at" in result.output
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.parametrize("module", [hylo.library, hylo.library.store, hylo.library._records])
def test_doctests(module) -> None:
    assert doctest.testmod(module).failed == 0
