"""The persistent library: inventions, grammar versions, solutions and runs in one file.

:class:`LibraryStore` is the contract — a few readers and writers of plain
records — and :class:`SQLiteStore` implements it on one SQLite file (WAL mode,
every write one transaction, safe for several processes at once). A server
database can implement the same contract later; the shared logic (rebuilding
:class:`~hylo.lang.program.Invented` objects, export, import, diff) lives in the
base class.

A library file holds text and numbers only: base primitives are referred to by
name (their code stays in hylo's domains), inventions are program text parsed
against those names, runs and metrics are JSON. Nothing is pickled and nothing
is evaluated, so opening a library from someone else runs none of its content.

>>> import tempfile
>>> from pathlib import Path
>>> from hylo.lang import parse, show_type
>>> with tempfile.TemporaryDirectory() as tmp, open_library(Path(tmp) / "lib.db") as library:
...     inc = library.add_invention("f0", parse("(lam (+ $0 1))", library.namespace()))
...     f1 = library.add_invention("f1", parse("(lam (map f0 $0))", library.namespace()))
...     version = library.add_grammar({"map": -1.0, "f0": -0.5}, log_variable=-2.0)
...     [(inv.name, show_type(inv.tp)) for inv in library.inventions()]
[('f0', 'int -> int'), ('f1', 'list(int) -> list(int)')]
"""

from __future__ import annotations

import abc
import contextlib
import dataclasses
import functools
import json
import os
import re
import shutil
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from hylo.domains import BUILTIN_DOMAINS, Domain, get_domain
from hylo.lang.errors import HyloError, ParseError, TypeInferenceError
from hylo.lang.infer import invent
from hylo.lang.program import (
    Hole,
    Invented,
    Primitive,
    Program,
    is_closed,
    parse,
    primitives_of,
    show,
    subprograms,
)
from hylo.lang.types import parse_type, show_type
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
    Solution,
    blob_hash,
    check_count,
    check_finite,
    check_status,
    diff_snapshots,
    json_text,
    read_export,
    snapshot_to_json,
)
from hylo.library._schema import APPLICATION_ID, SCHEMA_VERSION, migrate

DEFAULT_DOMAIN = "lists"

Namespace = dict[str, Primitive | Invented]


class LibraryStore(abc.ABC):
    """Where a library lives: the contract every store implements.

    A store holds one domain's library: the base primitives (by name and type),
    inventions in the order they were made (each may use earlier ones), grammar
    versions, solutions and runs. Readers return frozen records
    (:class:`InventionRecord`, :class:`GrammarRecord`, :class:`Solution`,
    :class:`Run`); writers validate their input and raise :class:`LibraryError`
    with the reason. Each write is atomic, records once written never change
    (except an invention's use count and a run's status and metrics), and
    several processes may write to one store at once.

    Subclasses implement the abstract methods; :meth:`inventions`,
    :meth:`namespace`, :meth:`snapshot`, :meth:`export`, :meth:`import_` and
    :meth:`diff` come with the base class.
    """

    # --- what a store implements ----------------------------------------------------

    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where the library is (a path or URL), for messages."""

    @property
    @abc.abstractmethod
    def meta(self) -> LibraryMeta:
        """Schema version, the hylo version that created it, domain, creation time."""

    @abc.abstractmethod
    def primitive_records(self) -> list[PrimitiveRecord]:
        """The base primitives recorded when the library was created."""

    @abc.abstractmethod
    def invention_records(self) -> list[InventionRecord]:
        """Inventions as stored (text), in creation order."""

    @abc.abstractmethod
    def add_invention(
        self, name: str, body: Program, iteration: int = 0, sources: Sequence[str] = ()
    ) -> Invented:
        """Add a new invention; its type is inferred from ``body``.

        Args:
            name: a new name (``f0``, ``f1``, …), not a primitive's or an invention's.
            body: a closed program over the library's :meth:`namespace`.
            iteration: the learning iteration that made it.
            sources: names of the tasks whose solutions it came from.

        Returns:
            The :class:`~hylo.lang.program.Invented` to use in programs.

        Raises:
            LibraryError: the name is taken or malformed, the body uses a name the
                library lacks, has holes or free variables, or does not type-check.
        """

    @abc.abstractmethod
    def record_use_counts(self, counts: Mapping[str, int]) -> None:
        """Set how often each named invention is used (others keep their count)."""

    @abc.abstractmethod
    def add_grammar(
        self, weights: Mapping[str, float], log_variable: float = 0.0, iteration: int = 0
    ) -> int:
        """Store a new grammar version (log-weight per production name); returns its version."""

    @abc.abstractmethod
    def grammars(self) -> list[GrammarRecord]:
        """Every grammar version, oldest first."""

    @abc.abstractmethod
    def add_solutions(self, solutions: Iterable[Solution]) -> int:
        """Store solutions (their programs must parse in the library); returns how many."""

    @abc.abstractmethod
    def solutions(self, iteration: int | None = None, task: str | None = None) -> list[Solution]:
        """Stored solutions in the order added, optionally of one iteration or task."""

    @abc.abstractmethod
    def start_run(self, config: Mapping[str, Any]) -> int:
        """Record a new run (status ``running``) with its JSON configuration; returns its id."""

    @abc.abstractmethod
    def add_iteration_metrics(self, run_id: int, row: Mapping[str, Any]) -> None:
        """Append one JSON metrics row (one iteration) to a run."""

    @abc.abstractmethod
    def set_run_status(self, run_id: int, status: str) -> None:
        """Set a run's status: ``running``, ``finished``, ``failed`` or ``interrupted``."""

    @abc.abstractmethod
    def append_run_event(self, run_id: int, event: Mapping[str, Any]) -> None:
        """Append one JSON event to a run's log, durably."""

    @abc.abstractmethod
    def run_events(self, run_id: int) -> list[dict[str, Any]]:
        """A run's log, oldest event first."""

    @abc.abstractmethod
    def run(self, run_id: int) -> Run:
        """One run with its metrics rows; :class:`LibraryError` when there is none."""

    @abc.abstractmethod
    def runs(self) -> list[Run]:
        """Every run, oldest first."""

    @abc.abstractmethod
    def artifacts(self, kind: str | None = None) -> list[ArtifactRecord]:
        """Every artifact (of ``kind``, when given), oldest first."""

    @abc.abstractmethod
    def _insert_artifact(
        self, kind: str, name: str, metadata: str, files: Mapping[str, str]
    ) -> ArtifactRecord:
        """Add one artifact row (its blobs are already written)."""

    @abc.abstractmethod
    def _write_blob(self, sha: str, data: bytes) -> None:
        """Keep ``data`` under its hash (idempotent; atomic)."""

    @abc.abstractmethod
    def _read_blob(self, sha: str) -> bytes | None:
        """The bytes kept under ``sha``; None when missing."""

    @abc.abstractmethod
    def load_snapshot(self, snapshot: LibrarySnapshot) -> None:
        """Write a whole library into this empty store, keeping versions and ids.

        Implementations call :meth:`check_snapshot` first and write in one transaction.
        """

    def latest_grammar(self) -> GrammarRecord | None:
        """The newest grammar version, or None when none was stored."""
        found = self.grammars()
        return found[-1] if found else None

    @abc.abstractmethod
    def close(self) -> None:
        """Release the store's resources (connections, files)."""

    def consistent_read(self) -> contextlib.AbstractContextManager[object]:
        """A context in which several reads see one state of the store."""
        return contextlib.nullcontext()

    # --- what every store gets ---------------------------------------------------------

    @property
    def domain(self) -> Domain:
        """The domain whose primitives the library's programs are built from."""
        name = self.meta.domain
        try:
            return get_domain(name)
        except HyloError:
            raise LibraryError(
                f"library {self.location} uses domain {name!r}, which this hylo does not have "
                f"(it has: {', '.join(BUILTIN_DOMAINS)}); open it with a hylo that does"
            ) from None

    def inventions(self) -> list[Invented]:
        """The inventions as program objects, in creation order (see :meth:`namespace`)."""
        return [p for p in self.namespace().values() if isinstance(p, Invented)]

    def namespace(self) -> Namespace:
        """Name → primitive or invention: everything programs of this library may use.

        Inventions are rebuilt from their text in creation order, each parsed with
        the domain's primitives and the inventions before it, and typed by
        inference; the result must match the stored type.

        Raises:
            LibraryError: an invention names something this hylo's domain lacks, or
                its type differs from the stored one (the primitives changed).
        """
        return self._namespace_of(self.invention_records())

    def parse(self, text: str) -> Program:
        """Parse program text that may use the library's inventions."""
        return parse(text, self.namespace())

    # --- artifacts: trained modules, guides, AutoML runs ---------------------------------

    def put_artifact(
        self,
        kind: str,
        name: str,
        metadata: Mapping[str, Any],
        files: Mapping[str, bytes] | None = None,
    ) -> ArtifactRecord:
        """Keep something learned that is not a program, and return its record.

        ``metadata`` is JSON (architecture, metrics, provenance); ``files`` are named
        blobs — weights as safetensors bytes, never pickles. Blobs are written first
        and content-addressed, so a crash leaves at worst an unreferenced blob, never
        a record without its files.

        Example:
            >>> import tempfile
            >>> with tempfile.TemporaryDirectory() as tmp, open_library(f"{tmp}/lib.db") as lib:
            ...     rec = lib.put_artifact("module", "digit", {"classes": 10}, {"w.bin": b"42"})
            ...     lib.read_artifact_file(lib.artifact("digit"), "w.bin")
            b'42'
        """
        for value, what in ((kind, "artifact kind"), (name, "artifact name")):
            if not isinstance(value, str) or not value.strip():
                raise LibraryError(f"{what} must be a non-empty string, got {value!r}")
        text = json_text(_as_object(metadata, "artifact metadata"), "artifact metadata")
        hashes: dict[str, str] = {}
        for filename, data in (files or {}).items():
            if not isinstance(filename, str) or not _FILENAME.fullmatch(filename):
                raise LibraryError(
                    f"artifact file name {filename!r} must be a plain file name "
                    "(letters, digits, '.', '_', '-')"
                )
            if not isinstance(data, bytes | bytearray | memoryview):
                raise LibraryError(
                    f"artifact file {filename!r} must be bytes, got {type(data).__name__}"
                )
            hashes[filename] = blob_hash(bytes(data))
            self._write_blob(hashes[filename], bytes(data))
        return self._insert_artifact(kind, name, text, hashes)

    def artifact(self, ref: int | str) -> ArtifactRecord:
        """The artifact with id ``ref``, or the newest one named ``ref``.

        Raises:
            LibraryError: there is none.
        """
        matches = [
            a for a in self.artifacts() if (a.id == ref if isinstance(ref, int) else a.name == ref)
        ]
        if not matches:
            known = sorted({a.name for a in self.artifacts()})
            raise LibraryError(
                f"library {self.location} has no artifact {ref!r}; it has: "
                + (", ".join(known) if known else "none")
            )
        return matches[-1]

    def read_artifact_file(self, ref: int | str | ArtifactRecord, filename: str) -> bytes:
        """The bytes of one of an artifact's files, checked against their hash.

        Raises:
            LibraryError: no such artifact or file, or the file is missing or damaged.
        """
        record = ref if isinstance(ref, ArtifactRecord) else self.artifact(ref)
        if filename not in record.files:
            raise LibraryError(
                f"artifact {record.name!r} (id {record.id}) has no file {filename!r}; "
                f"it has: {', '.join(sorted(record.files)) or 'none'}"
            )
        sha = record.files[filename]
        data = self._read_blob(sha)
        if data is None or blob_hash(data) != sha:
            problem = "is missing" if data is None else "is damaged (its hash does not match)"
            raise LibraryError(
                f"file {filename!r} of artifact {record.name!r} (id {record.id}) in library "
                f"{self.location} {problem}; restore the library's blob folder or re-import it"
            )
        return data

    def snapshot(self) -> LibrarySnapshot:
        """The whole library as plain data (one consistent state; artifact records
        without their files' bytes, which :meth:`export` adds)."""
        with self.consistent_read():
            return LibrarySnapshot(
                meta=self.meta,
                primitives=tuple(self.primitive_records()),
                inventions=tuple(self.invention_records()),
                grammars=tuple(self.grammars()),
                solutions=tuple(self.solutions()),
                runs=tuple(self.runs()),
                artifacts=tuple(self.artifacts()),
            )

    def export(self, path: str | os.PathLike[str]) -> None:
        """Write the whole library to one portable JSON file (replaced atomically).

        Raises:
            LibraryError: the file cannot be written.
        """
        snapshot = self.snapshot()
        blobs = {
            sha: self.read_artifact_file(a, f)
            for a in snapshot.artifacts
            for f, sha in a.files.items()
        }
        snapshot = dataclasses.replace(snapshot, blobs=blobs)
        text = json.dumps(snapshot_to_json(snapshot), indent=1, allow_nan=False)
        _write_atomically(Path(path), text + "\n")

    def import_(self, path: str | os.PathLike[str]) -> None:
        """Load an export file (see :meth:`export`) into this empty store.

        Raises:
            LibraryError: the file is not a valid export, is for another domain,
                names primitives this hylo lacks, or this store is not empty.
        """
        self.load_snapshot(read_export(Path(path), SCHEMA_VERSION))

    def diff(self, other: LibraryStore) -> LibraryDiff:
        """What changes from this library to ``other`` (inventions, latest grammar's weights)."""
        return diff_snapshots(self.snapshot(), other.snapshot())

    def check_snapshot(self, snapshot: LibrarySnapshot) -> None:
        """Check that ``snapshot`` can be loaded here (for :meth:`load_snapshot`).

        Raises:
            LibraryError: another domain, an invention that does not rebuild, a weight
                or solution naming something unknown, a solution of a missing grammar.
        """
        if snapshot.meta.domain != self.meta.domain:
            raise LibraryError(
                f"cannot load a library of domain {snapshot.meta.domain!r} into library "
                f"{self.location} of domain {self.meta.domain!r}"
            )
        namespace = self._namespace_of(snapshot.inventions)
        for grammar in snapshot.grammars:
            _check_productions(grammar.weights, namespace, self.location)
        for a in snapshot.artifacts:
            missing = [f for f, sha in a.files.items() if sha not in snapshot.blobs]
            if missing:
                raise LibraryError(
                    f"artifact {a.name!r} (id {a.id}) lacks the bytes of its file(s) "
                    f"{', '.join(missing)}"
                )
        versions = {g.version for g in snapshot.grammars}
        for solution in snapshot.solutions:
            _check_solution(solution, namespace, self.location)
            if solution.grammar_version is not None and solution.grammar_version not in versions:
                raise LibraryError(
                    f"solution of task {solution.task!r} refers to grammar version "
                    f"{solution.grammar_version}, which the library does not have"
                )

    def _namespace_of(self, records: Iterable[InventionRecord]) -> Namespace:
        key = tuple((r.name, r.body, r.type) for r in records)
        return _build_namespace(self.domain, key, self.location).copy()  # keeps its resolver

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# --- inventions: checking new ones, rebuilding stored ones ------------------------------

_NAME = re.compile(r"[^\s()$][^\s()]*")
_FILENAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
_RESERVED = {"lam", "lambda", "??"}


def _new_invention(name: str, body: Program, namespace: Namespace, location: str) -> Invented:
    """Check that ``body`` can be stored as a new invention ``name``; returns it typed."""
    if not _NAME.fullmatch(name) or name in _RESERVED:
        raise LibraryError(
            f"invention name {name!r} cannot be parsed back: use a non-empty name without "
            "spaces or parentheses that does not start with '$' (like f0, f1, …)"
        )
    if name in namespace:
        kind = "a primitive" if isinstance(namespace[name], Primitive) else "an invention"
        raise LibraryError(f"library {location} already has {kind} named {name!r}")
    if any(isinstance(q, Hole) for q in subprograms(body)) or not is_closed(body):
        raise LibraryError(
            f"invention {name!r} = {show(body)} must be a closed program without holes (??)"
        )
    for used in primitives_of(body):
        if namespace.get(used.name) != used:
            raise LibraryError(
                f"invention {name!r} = {show(body)} uses {used.name!r}, which library "
                f"{location} does not have (add the inventions it uses first)"
            )
    try:
        return invent(name, body)
    except TypeInferenceError as exc:
        raise LibraryError(
            f"invention {name!r} = {show(body)} does not type-check: {exc}"
        ) from None


@functools.lru_cache(maxsize=16)
def _build_namespace(
    domain: Domain, inventions: tuple[tuple[str, str, str], ...], location: str
) -> Namespace:
    namespace: Namespace = domain.namespace  # a fresh copy (it may resolve generated names)
    for name, body, tp in inventions:
        namespace[name] = _rebuild_invention(name, body, tp, namespace, domain.name, location)
    return namespace


def _rebuild_invention(
    name: str, body: str, tp: str, namespace: Namespace, domain: str, location: str
) -> Invented:
    where = f"library {location}: invention {name!r} = {body}"
    if name in namespace:
        raise LibraryError(f"{where} reuses the name of an earlier primitive or invention")
    unknown = _unknown_names(body, namespace)
    if unknown:
        raise LibraryError(
            f"{where} uses {', '.join(map(repr, unknown))}, which is neither a primitive of "
            f"domain {domain!r} in this hylo nor an earlier invention; open the library "
            "with the hylo (and domain) that made it"
        )
    try:
        invented = invent(name, parse(body, namespace))
        stored = show_type(parse_type(tp))
    except (ParseError, TypeInferenceError, RecursionError) as exc:
        raise LibraryError(f"{where} cannot be read: {exc or type(exc).__name__}") from None
    if show_type(invented.tp) != stored:
        raise LibraryError(
            f"{where} is stored with type {stored}, but with this hylo's primitives its type "
            f"is {show_type(invented.tp)}: the domain changed since the library was made"
        )
    return invented


def _unknown_names(text: str, namespace: Namespace) -> list[str]:
    names = re.findall(r"[^\s()]+", text)
    return sorted(
        {n for n in names if n not in namespace and n not in _RESERVED and not n.startswith("$")}
    )


def _check_productions(weights: Mapping[str, float], known: Iterable[str], location: str) -> None:
    unknown = sorted(set(weights) - set(known))
    if unknown:
        raise LibraryError(
            f"grammar weights name {', '.join(map(repr, unknown[:10]))}, which library "
            f"{location} does not have (add inventions before the grammar that weighs them)"
        )


def _check_solution(solution: Solution, namespace: Namespace, location: str) -> None:
    for what in ("log_prior", "log_likelihood", "seconds"):
        check_finite(getattr(solution, what), f"{what} of the solution of {solution.task!r}")
    check_count(solution.num_programs, f"num_programs of the solution of {solution.task!r}")
    check_count(solution.iteration, f"iteration of the solution of {solution.task!r}")
    unknown = _unknown_names(solution.program, namespace)
    if unknown:
        raise LibraryError(
            f"solution of task {solution.task!r} uses {', '.join(map(repr, unknown))}, which "
            f"library {location} does not have (add the inventions first)"
        )
    try:
        parse(solution.program, namespace)
    except ParseError as exc:
        raise LibraryError(f"solution of task {solution.task!r} does not parse: {exc}") from None


def _check_sources(sources: Sequence[str]) -> tuple[str, ...]:
    if isinstance(sources, str) or not all(isinstance(s, str) for s in sources):
        raise LibraryError(f"sources must be a list of task names, got {sources!r:.80}")
    return tuple(sources)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _hylo_version() -> str:
    try:
        return metadata.version("hylo")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise LibraryError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None


# --- SQLite --------------------------------------------------------------------------

_SQLITE_HEADER = b"SQLite format 3\x00"
_UNCHANGED = "the file was not modified"


class SQLiteStore(LibraryStore):
    """A library in one SQLite file.

    The file is in WAL mode (readers never block the writer), waits up to
    ``timeout_s`` for another process's write to finish, enforces foreign keys,
    and runs every write in one ``BEGIN IMMEDIATE`` transaction, so several
    processes may add to one library at once. An older file is migrated to the
    current schema when opened. One object serves one thread.

    Args:
        path: the library file.
        domain: the domain of a new library (default ``lists``); for an existing
            one, when given, it must be the library's domain.
        create: create the file when it does not exist.
        timeout_s: how long to wait for another process's write.

    Raises:
        LibraryError: the file is missing (and ``create`` is false), is not a hylo
            library (another program's database, JSON, random bytes), is damaged,
            was written by a newer hylo, or is of another domain. The file is not
            modified in these cases.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     with SQLiteStore(f"{tmp}/lib.db", domain="lists") as library:
        ...         print(library.meta.domain, library.meta.schema_version == SCHEMA_VERSION)
        lists True
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        domain: str | None = None,
        *,
        create: bool = True,
        timeout_s: float = 30.0,
    ) -> None:
        self.path = Path(path)
        _check_file(self.path, create)
        self._timeout_s = timeout_s
        self._conn = self._connect(timeout_s)
        try:
            self._meta = self._open(domain, create)
        except BaseException:
            self._conn.close()
            raise

    @classmethod
    def from_export(
        cls,
        export_path: str | os.PathLike[str],
        path: str | os.PathLike[str],
        *,
        overwrite: bool = False,
    ) -> SQLiteStore:
        """A new library file at ``path`` holding an export's content.

        The library is built in a temporary file next to ``path`` and moved into
        place when complete, so a failed import leaves nothing behind.

        Raises:
            LibraryError: ``path`` exists (and not ``overwrite``), or the export is invalid.
        """
        target = Path(path)
        if target.exists() and not overwrite:
            raise LibraryError(
                f"library {str(target)!r} already exists; choose a new path or replace it "
                "(--force on the command line, overwrite=True in Python)"
            )
        snapshot = read_export(Path(export_path), SCHEMA_VERSION)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.importing")
        try:
            with cls(tmp, snapshot.meta.domain) as store:
                store.load_snapshot(snapshot)
            for suffix in ("-wal", "-shm", "-journal"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            _move_blobs(Path(f"{tmp}.blobs"), Path(f"{target}.blobs"))
            os.replace(tmp, target)
        except OSError as exc:
            raise LibraryError(
                f"cannot write library {str(target)!r}: {exc.strerror or exc}"
            ) from None
        finally:
            for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
                leftover.unlink(missing_ok=True)
            shutil.rmtree(f"{tmp}.blobs", ignore_errors=True)
        return cls(target)

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    @property
    def location(self) -> str:
        return repr(str(self.path))

    @property
    def meta(self) -> LibraryMeta:
        return self._meta

    def close(self) -> None:
        self._conn.close()

    def consistent_read(self) -> contextlib.AbstractContextManager[object]:
        return self._transaction(write=False)

    # --- opening ----------------------------------------------------------------------

    def _connect(self, timeout_s: float) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=timeout_s, isolation_level=None)
        except sqlite3.Error as exc:
            raise LibraryError(f"cannot open library {self.location}: {exc}") from None
        try:
            with self._errors():
                conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA synchronous = NORMAL")
        except LibraryError:
            conn.close()
            raise
        return conn

    def _open(self, domain: str | None, create: bool) -> LibraryMeta:
        with self._errors():
            version = self._schema_version()
        if version is None:
            return self._initialise(domain or DEFAULT_DOMAIN, create)
        if version > SCHEMA_VERSION:
            raise LibraryError(
                f"cannot open library {self.location}: it was written by a newer hylo "
                f"(schema version {version}; this hylo reads up to {SCHEMA_VERSION}); "
                f"upgrade hylo to open it ({_UNCHANGED})"
            )
        self._check_domain(self._read_meta(), domain)
        self._enable_wal()
        if version < SCHEMA_VERSION:
            with self._transaction(write=True) as conn:
                current = self._schema_version()
                if current is not None and current < SCHEMA_VERSION:
                    migrate(conn, current)
        return self._read_meta()

    def _initialise(self, domain: str, create: bool) -> LibraryMeta:
        if not create:
            raise LibraryError(
                f"cannot open library {self.location}: the file is empty, not a library "
                f"(open it with create=True to make a new library there; {_UNCHANGED})"
            )
        primitives = _domain_named(domain).primitives
        self._enable_wal()
        with self._transaction(write=True) as conn:
            if self._schema_version() is None:  # not created meanwhile by another process
                migrate(conn, 0)
                conn.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [("hylo_version", _hylo_version()), ("domain", domain), ("created", _now())],
                )
                conn.executemany(
                    "INSERT INTO primitives (domain, name, type) VALUES (?, ?, ?)",
                    [(domain, p.name, show_type(p.tp)) for p in primitives],
                )
        meta = self._read_meta()
        self._check_domain(meta, domain)
        return meta

    def _check_domain(self, meta: LibraryMeta, domain: str | None) -> None:
        if domain is not None and domain != meta.domain:
            raise LibraryError(
                f"library {self.location} is of domain {meta.domain!r}, not {domain!r}; "
                f"open it without a domain or with domain={meta.domain!r}"
            )

    def _enable_wal(self) -> None:
        # Switching the journal mode needs the file to itself, and SQLite answers "locked"
        # at once, without its busy handler, while another process creates or writes the
        # library: wait for it here, up to the same timeout as any other write.
        deadline = time.monotonic() + self._timeout_s
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode = WAL").fetchone()
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() >= deadline:
                    with self._errors():
                        raise
                time.sleep(0.02)

    def _schema_version(self) -> int | None:
        """The file's schema version; None for an empty database; raises for a foreign one."""
        app_id = self._conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {
            row[0]
            for row in self._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if app_id == 0 and not tables:
            return None
        if app_id != APPLICATION_ID or "meta" not in tables:
            raise self._not_a_library("it is an SQLite database of another program")
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None or not str(row[0]).isdigit():
            raise self._not_a_library("its meta table has no schema version (damaged?)")
        return int(row[0])

    def _read_meta(self) -> LibraryMeta:
        with self._errors():
            values = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
        try:
            return LibraryMeta(
                schema_version=int(values["schema_version"]),
                hylo_version=str(values["hylo_version"]),
                domain=str(values["domain"]),
                created=str(values["created"]),
            )
        except (KeyError, ValueError) as exc:
            raise self._not_a_library(f"its meta table lacks {exc} (damaged?)") from None

    def _not_a_library(self, reason: str) -> LibraryError:
        return LibraryError(
            f"cannot open library {self.location}: {reason}, not a hylo library; "
            f"check the path ({_UNCHANGED})"
        )

    # --- transactions -------------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn SQLite's errors into LibraryErrors naming the file."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise LibraryError(
                    f"library {self.location} is busy: another process held it for longer "
                    f"than the timeout ({exc}); try again, or pass a longer timeout_s"
                ) from None
            raise LibraryError(f"library {self.location}: {exc}") from None
        except sqlite3.IntegrityError as exc:
            raise LibraryError(f"library {self.location} refused the write: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise LibraryError(
                f"cannot use library {self.location}: the file is damaged or not a hylo "
                f"library (SQLite says: {exc})"
            ) from None

    @contextlib.contextmanager
    def _transaction(self, write: bool) -> Iterator[sqlite3.Connection]:
        """One transaction (``BEGIN IMMEDIATE`` to write); nested uses join the outer one."""
        with self._errors():
            if self._conn.in_transaction:
                yield self._conn
                return
            self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield self._conn
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # --- primitives and inventions ----------------------------------------------------------

    def primitive_records(self) -> list[PrimitiveRecord]:
        with self._transaction(write=False) as conn:
            rows = conn.execute("SELECT name, type FROM primitives ORDER BY rowid").fetchall()
        return [PrimitiveRecord(name, tp) for name, tp in rows]

    def invention_records(self) -> list[InventionRecord]:
        with self._transaction(write=False) as conn:
            return self._invention_records(conn)

    def _invention_records(self, conn: sqlite3.Connection) -> list[InventionRecord]:
        rows = conn.execute(
            "SELECT name, body, type, iteration, sources, use_count FROM inventions ORDER BY id"
        ).fetchall()
        return [
            InventionRecord(name, body, tp, iteration, self._sources(name, sources), uses)
            for name, body, tp, iteration, sources, uses in rows
        ]

    def _sources(self, name: str, text: str) -> tuple[str, ...]:
        value = self._json(text, f"the sources of invention {name!r}")
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            raise LibraryError(
                f"library {self.location} is damaged: the sources of invention {name!r} "
                f"are not a list of task names: {text[:80]!r}"
            )
        return tuple(value)

    def _json(self, text: str, what: str) -> Any:
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            raise LibraryError(
                f"library {self.location} is damaged: {what} is not JSON: {text[:80]!r}"
            ) from None

    def add_invention(
        self, name: str, body: Program, iteration: int = 0, sources: Sequence[str] = ()
    ) -> Invented:
        check_count(iteration, "iteration")
        source_names = _check_sources(sources)
        with self._transaction(write=True) as conn:
            namespace = self._namespace_of(self._invention_records(conn))
            invented = _new_invention(name, body, namespace, self.location)
            conn.execute(
                "INSERT INTO inventions (name, body, type, iteration, sources) "
                "VALUES (?, ?, ?, ?, ?)",
                (name, show(body), show_type(invented.tp), iteration, json_text(source_names, "")),
            )
        return invented

    def record_use_counts(self, counts: Mapping[str, int]) -> None:
        for name, count in counts.items():
            check_count(count, f"use count of {name!r}")
        with self._transaction(write=True) as conn:
            for name, count in counts.items():
                cursor = conn.execute(
                    "UPDATE inventions SET use_count = ? WHERE name = ?", (count, name)
                )
                if cursor.rowcount == 0:
                    raise LibraryError(f"library {self.location} has no invention named {name!r}")

    # --- grammars -------------------------------------------------------------------------

    def add_grammar(
        self, weights: Mapping[str, float], log_variable: float = 0.0, iteration: int = 0
    ) -> int:
        clean = {name: check_finite(w, f"log-weight of {name!r}") for name, w in weights.items()}
        log_variable = check_finite(log_variable, "log_variable")
        check_count(iteration, "iteration")
        with self._transaction(write=True) as conn:
            known = {
                *self.domain.namespace,
                *(n for (n,) in conn.execute("SELECT name FROM inventions")),
            }
            _check_productions(clean, known, self.location)
            cursor = conn.execute(
                "INSERT INTO grammars (iteration, log_variable) VALUES (?, ?)",
                (iteration, log_variable),
            )
            version = cursor.lastrowid
            assert version is not None  # an INSERT always sets it
            conn.executemany(
                "INSERT INTO grammar_weights (version, production, log_weight) VALUES (?, ?, ?)",
                [(version, name, w) for name, w in clean.items()],
            )
        return version

    def grammars(self) -> list[GrammarRecord]:
        with self._transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT version, iteration, log_variable FROM grammars ORDER BY version"
            ).fetchall()
            return [self._grammar(conn, *row) for row in rows]

    def latest_grammar(self) -> GrammarRecord | None:
        with self._transaction(write=False) as conn:
            row = conn.execute(
                "SELECT version, iteration, log_variable FROM grammars "
                "ORDER BY version DESC LIMIT 1"
            ).fetchone()
            return None if row is None else self._grammar(conn, *row)

    def _grammar(
        self, conn: sqlite3.Connection, version: int, iteration: int, log_variable: float
    ) -> GrammarRecord:
        weights = conn.execute(
            "SELECT production, log_weight FROM grammar_weights WHERE version = ? "
            "ORDER BY production",
            (version,),
        ).fetchall()
        return GrammarRecord(version, iteration, log_variable, dict(weights))

    # --- solutions ------------------------------------------------------------------------

    def add_solutions(self, solutions: Iterable[Solution]) -> int:
        rows = list(solutions)
        with self._transaction(write=True) as conn:
            namespace = self._namespace_of(self._invention_records(conn))
            for solution in rows:
                _check_solution(solution, namespace, self.location)
            self._check_grammar_versions(conn, {s.grammar_version for s in rows})
            conn.executemany(_INSERT_SOLUTION, [_solution_row(s) for s in rows])
        return len(rows)

    def _check_grammar_versions(self, conn: sqlite3.Connection, versions: set[int | None]) -> None:
        for version in sorted(v for v in versions if v is not None):
            if conn.execute("SELECT 1 FROM grammars WHERE version = ?", (version,)).fetchone():
                continue
            raise LibraryError(
                f"library {self.location} has no grammar version {version!r} "
                "(solutions may only refer to stored grammars)"
            )

    def solutions(self, iteration: int | None = None, task: str | None = None) -> list[Solution]:
        query = (
            "SELECT task, program, log_prior, log_likelihood, seconds, num_programs, "
            "iteration, grammar_version FROM solutions "
            "WHERE (:iteration IS NULL OR iteration = :iteration) "
            "AND (:task IS NULL OR task = :task) ORDER BY id"
        )
        with self._transaction(write=False) as conn:
            rows = conn.execute(query, {"iteration": iteration, "task": task}).fetchall()
        return [Solution(*row) for row in rows]

    # --- runs ---------------------------------------------------------------------------

    def start_run(self, config: Mapping[str, Any]) -> int:
        text = json_text(_as_object(config, "run config"), "run config")
        with self._transaction(write=True) as conn:
            cursor = conn.execute(
                "INSERT INTO runs (config, created, status) VALUES (?, ?, 'running')",
                (text, _now()),
            )
        assert cursor.lastrowid is not None  # an INSERT always sets it
        return cursor.lastrowid

    def add_iteration_metrics(self, run_id: int, row: Mapping[str, Any]) -> None:
        text = json_text(_as_object(row, "metrics row"), "metrics row")
        with self._transaction(write=True) as conn:
            self._require_run(conn, run_id)
            conn.execute(
                "INSERT INTO run_metrics (run_id, position, row) VALUES (?, "
                "(SELECT COUNT(*) FROM run_metrics WHERE run_id = ?), ?)",
                (run_id, run_id, text),
            )

    def append_run_event(self, run_id: int, event: Mapping[str, Any]) -> None:
        text = json_text(_as_object(event, "run event"), "run event")
        with self._transaction(write=True) as conn:
            self._require_run(conn, run_id)
            conn.execute(
                "INSERT INTO run_events (run_id, seq, event) VALUES (?, "
                "(SELECT COUNT(*) FROM run_events WHERE run_id = ?), ?)",
                (run_id, run_id, text),
            )

    def run_events(self, run_id: int) -> list[dict[str, Any]]:
        with self._transaction(write=False) as conn:
            self._require_run(conn, run_id)
            rows = conn.execute(
                "SELECT event FROM run_events WHERE run_id = ? ORDER BY seq", (run_id,)
            ).fetchall()
        return [self._json(e, f"an event of run {run_id}") for (e,) in rows]

    def set_run_status(self, run_id: int, status: str) -> None:
        check_status(status)
        with self._transaction(write=True) as conn:
            self._require_run(conn, run_id)
            conn.execute("UPDATE runs SET status = ? WHERE id = ?", (status, run_id))

    def _require_run(self, conn: sqlite3.Connection, run_id: int) -> None:
        if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
            raise LibraryError(f"library {self.location} has no run with id {run_id!r}")

    def run(self, run_id: int) -> Run:
        with self._transaction(write=False) as conn:
            self._require_run(conn, run_id)
            row = conn.execute(
                "SELECT id, config, created, status FROM runs WHERE id = ?", (run_id,)
            ).fetchone()
            return self._run(conn, *row)

    def runs(self) -> list[Run]:
        with self._transaction(write=False) as conn:
            rows = conn.execute("SELECT id, config, created, status FROM runs ORDER BY id")
            return [self._run(conn, *row) for row in rows.fetchall()]

    def _run(
        self, conn: sqlite3.Connection, run_id: int, config: str, created: str, status: str
    ) -> Run:
        metrics = conn.execute(
            "SELECT row FROM run_metrics WHERE run_id = ? ORDER BY position", (run_id,)
        ).fetchall()
        return Run(
            id=run_id,
            config=self._json(config, f"the config of run {run_id}"),
            created=created,
            status=status,
            metrics=tuple(self._json(m, f"a metrics row of run {run_id}") for (m,) in metrics),
        )

    # --- artifacts ------------------------------------------------------------------------

    @property
    def blob_dir(self) -> Path:
        """Where artifact files live: a folder next to the library file."""
        return Path(f"{self.path}.blobs")

    def artifacts(self, kind: str | None = None) -> list[ArtifactRecord]:
        query = "SELECT id, kind, name, metadata, files, created FROM artifacts"
        args: tuple[str, ...] = ()
        if kind is not None:
            query, args = query + " WHERE kind = ?", (kind,)
        with self._transaction(write=False) as conn:
            rows = conn.execute(query + " ORDER BY id", args).fetchall()
        return [self._artifact(*row) for row in rows]

    def _artifact(
        self, id_: int, kind: str, name: str, metadata: str, files: str, created: str
    ) -> ArtifactRecord:
        what = f"artifact {id_}"
        return ArtifactRecord(
            id_,
            kind,
            name,
            self._json(metadata, f"the metadata of {what}"),
            self._json(files, f"the files of {what}"),
            created,
        )

    def _insert_artifact(
        self, kind: str, name: str, metadata: str, files: Mapping[str, str]
    ) -> ArtifactRecord:
        with self._transaction(write=True) as conn:
            row = (kind, name, metadata, json_text(dict(files), "artifact files"), _now())
            cursor = conn.execute(
                "INSERT INTO artifacts (kind, name, metadata, files, created) "
                "VALUES (?, ?, ?, ?, ?)",
                row,
            )
            assert cursor.lastrowid is not None
            return self._artifact(cursor.lastrowid, *row)

    def _write_blob(self, sha: str, data: bytes) -> None:
        target = self.blob_dir / sha
        if target.is_file() and target.stat().st_size == len(data):
            return
        try:
            self.blob_dir.mkdir(exist_ok=True)
            tmp = target.with_name(f".{sha}.{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, target)
        except OSError as exc:
            raise LibraryError(
                f"cannot write artifact file to {str(self.blob_dir)!r}: {exc.strerror or exc}"
            ) from None

    def _read_blob(self, sha: str) -> bytes | None:
        try:
            return (self.blob_dir / sha).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise LibraryError(
                f"cannot read artifact file {sha} in {str(self.blob_dir)!r}: {exc.strerror or exc}"
            ) from None

    # --- import ---------------------------------------------------------------------------

    def load_snapshot(self, snapshot: LibrarySnapshot) -> None:
        self.check_snapshot(snapshot)
        with self._transaction(write=True) as conn:
            self._require_empty(conn)
            meta = snapshot.meta
            conn.executemany(
                "UPDATE meta SET value = ? WHERE key = ?",
                [(meta.hylo_version, "hylo_version"), (meta.created, "created")],
            )
            conn.execute("DELETE FROM primitives")
            conn.executemany(
                "INSERT INTO primitives (domain, name, type) VALUES (?, ?, ?)",
                [(meta.domain, p.name, p.type) for p in snapshot.primitives],
            )
            _insert_inventions(conn, snapshot.inventions)
            _insert_grammars(conn, snapshot.grammars)
            conn.executemany(_INSERT_SOLUTION, [_solution_row(s) for s in snapshot.solutions])
            _insert_runs(conn, snapshot.runs)
            for a in snapshot.artifacts:
                for sha in a.files.values():
                    self._write_blob(sha, snapshot.blobs[sha])
            conn.executemany(
                "INSERT INTO artifacts (id, kind, name, metadata, files, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        a.id,
                        a.kind,
                        a.name,
                        json_text(dict(a.metadata), "artifact metadata"),
                        json_text(dict(a.files), "artifact files"),
                        a.created,
                    )
                    for a in snapshot.artifacts
                ],
            )
        self._meta = self._read_meta()

    def _require_empty(self, conn: sqlite3.Connection) -> None:
        for table in ("inventions", "grammars", "solutions", "runs", "artifacts"):
            if conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None:
                raise LibraryError(
                    f"cannot import into library {self.location}: it already holds {table}; "
                    "import into a new library file"
                )


_INSERT_SOLUTION = (
    "INSERT INTO solutions (task, program, log_prior, log_likelihood, seconds, num_programs, "
    "iteration, grammar_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def _solution_row(s: Solution) -> tuple[Any, ...]:
    return (
        s.task,
        s.program,
        s.log_prior,
        s.log_likelihood,
        s.seconds,
        s.num_programs,
        s.iteration,
        s.grammar_version,
    )


def _insert_inventions(conn: sqlite3.Connection, inventions: Iterable[InventionRecord]) -> None:
    conn.executemany(
        "INSERT INTO inventions (name, body, type, iteration, sources, use_count) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (i.name, i.body, i.type, i.iteration, json_text(list(i.sources), ""), i.use_count)
            for i in inventions
        ],
    )


def _insert_grammars(conn: sqlite3.Connection, grammars: Iterable[GrammarRecord]) -> None:
    for g in grammars:
        conn.execute(
            "INSERT INTO grammars (version, iteration, log_variable) VALUES (?, ?, ?)",
            (g.version, g.iteration, g.log_variable),
        )
        conn.executemany(
            "INSERT INTO grammar_weights (version, production, log_weight) VALUES (?, ?, ?)",
            [(g.version, name, w) for name, w in g.weights.items()],
        )


def _insert_runs(conn: sqlite3.Connection, runs: Iterable[Run]) -> None:
    for r in runs:
        conn.execute(
            "INSERT INTO runs (id, config, created, status) VALUES (?, ?, ?, ?)",
            (r.id, json_text(dict(r.config), f"config of run {r.id}"), r.created, r.status),
        )
        conn.executemany(
            "INSERT INTO run_metrics (run_id, position, row) VALUES (?, ?, ?)",
            [
                (r.id, i, json_text(dict(m), f"metrics of run {r.id}"))
                for i, m in enumerate(r.metrics)
            ],
        )


def _as_object(value: Mapping[str, Any], what: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise LibraryError(f"{what} must be a mapping (a JSON object), got {type(value).__name__}")
    return dict(value)


def _domain_named(name: str) -> Domain:
    try:
        return get_domain(name)
    except HyloError as exc:
        raise LibraryError(f"cannot create a library: {exc}") from None


def _move_blobs(source: Path, target: Path) -> None:
    """Move content-addressed blobs into ``target`` (same name = same bytes)."""
    if not source.is_dir():
        return
    target.mkdir(exist_ok=True)
    for blob in source.iterdir():
        os.replace(blob, target / blob.name)
    source.rmdir()


def _check_file(path: Path, create: bool) -> None:
    """Refuse, before SQLite touches it, a path that cannot be a library."""
    if path.is_dir():
        raise LibraryError(f"cannot open library {str(path)!r}: it is a directory, not a file")
    if not path.exists():
        if not create:
            raise LibraryError(
                f"no library at {str(path)!r}: check the path (a new library is made only "
                "when creating is allowed)"
            )
        if not path.parent.is_dir():
            raise LibraryError(
                f"cannot create library {str(path)!r}: "
                f"directory {str(path.parent)!r} does not exist"
            )
        return
    try:
        with path.open("rb") as f:
            header = f.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise LibraryError(f"cannot read library {str(path)!r}: {exc.strerror or exc}") from None
    if header and header != _SQLITE_HEADER:
        raise LibraryError(f"cannot open library {str(path)!r}: {_what_it_is(header)}")


def _what_it_is(header: bytes) -> str:
    # JSON is text: binary bytes that happen to start with "{" are not an export.
    text = all(32 <= b < 127 or b in b"\t\n\r" for b in header)
    if text and header.lstrip()[:1] in (b"{", b"["):
        return (
            "it is a JSON file, not a library database; if it is a library export, "
            f"make a library from it with: hylo library import FILE NEW.db ({_UNCHANGED})"
        )
    return f"it is not a hylo library (not an SQLite database); check the path ({_UNCHANGED})"


def open_library(
    library: str | os.PathLike[str] | LibraryStore,
    domain: str | None = None,
    *,
    create: bool = True,
) -> LibraryStore:
    """The library at a path (an SQLite file, created when missing), or a store as given.

    Args:
        library: a file path, or a :class:`LibraryStore` (returned unchanged).
        domain: the domain of a new library (default ``lists``); when given for an
            existing one, it must match.
        create: create the file when it does not exist.

    Raises:
        LibraryError: see :class:`SQLiteStore`.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp, open_library(f"{tmp}/x.db") as library:
        ...     len(library.inventions()), library.latest_grammar()
        (0, None)
    """
    if isinstance(library, LibraryStore):
        if domain is not None and library.meta.domain != domain:
            raise LibraryError(
                f"library {library.location} is of domain {library.meta.domain!r}, not {domain!r}"
            )
        return library
    return SQLiteStore(library, domain, create=create)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    """Whether SQLite refused because another connection holds the file."""
    return "locked" in str(exc) or "busy" in str(exc)
