"""What a library holds, as plain frozen records, and its portable JSON form.

Every reader of a :class:`~hylo.library.LibraryStore` returns these records, so a
store built on another database returns exactly the same values. A
:class:`LibrarySnapshot` is a whole library; :func:`snapshot_to_json` and
:func:`snapshot_from_json` convert it to and from the one-file export format,
and :func:`diff_snapshots` compares two libraries.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NoReturn, get_args

from hylo.lang.errors import HyloError

EXPORT_FORMAT = "hylo-library"
"""The ``"format"`` field of an export file."""

RunStatus = Literal["running", "finished", "failed", "interrupted"]
RUN_STATUSES: tuple[str, ...] = get_args(RunStatus)


class LibraryError(HyloError):
    """A library file or export that cannot be used, or a write it refuses.

    The message names the file, what is wrong with it, and what to do.
    """


@dataclass(frozen=True, slots=True)
class LibraryMeta:
    """Facts about a library file: its schema, the hylo that made it, its domain."""

    schema_version: int
    hylo_version: str
    domain: str
    created: str


@dataclass(frozen=True, slots=True)
class PrimitiveRecord:
    """A base primitive, referred to by name (its code stays in Python)."""

    name: str
    type: str


@dataclass(frozen=True, slots=True)
class InventionRecord:
    """An invention as stored: its body in Stitch syntax and its type, as text.

    ``sources`` names the tasks whose solutions it was abstracted from and
    ``use_count`` how often the (rewritten) solutions use it.
    """

    name: str
    body: str
    type: str
    iteration: int = 0
    sources: tuple[str, ...] = ()
    use_count: int = 0


@dataclass(frozen=True, slots=True)
class GrammarRecord:
    """One version of the grammar: a log-weight per production name."""

    version: int
    iteration: int
    log_variable: float
    weights: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Solution:
    """A program found for a task, with its scores and what finding it cost.

    Example:
        >>> Solution("add one", "(lam (map (lam (+ $0 1)) $0))", log_prior=-9.2).seconds
        0.0
    """

    task: str
    program: str
    log_prior: float
    log_likelihood: float = 0.0
    seconds: float = 0.0
    num_programs: int = 0
    iteration: int = 0
    grammar_version: int | None = None


@dataclass(frozen=True, slots=True)
class Run:
    """A learning run: its configuration, status and one metrics row per iteration."""

    id: int
    config: Mapping[str, Any]
    created: str
    status: str
    metrics: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class ArtifactRecord:
    """Something learned that is not a program: a trained module, a guide, an AutoML run.

    ``metadata`` is JSON (architecture, metrics, provenance, …); ``files`` maps each
    named blob (``"weights.safetensors"``) to the SHA-256 of its bytes, which the
    store keeps next to the library and checks on every read.
    """

    id: int
    kind: str
    name: str
    metadata: Mapping[str, Any]
    files: Mapping[str, str]
    created: str


@dataclass(frozen=True, slots=True)
class LibrarySnapshot:
    """Everything a library holds, as plain data (what an export file contains).

    ``blobs`` maps the SHA-256 of each artifact file to its bytes.
    """

    meta: LibraryMeta
    primitives: tuple[PrimitiveRecord, ...] = ()
    inventions: tuple[InventionRecord, ...] = ()
    grammars: tuple[GrammarRecord, ...] = ()
    solutions: tuple[Solution, ...] = ()
    runs: tuple[Run, ...] = ()
    artifacts: tuple[ArtifactRecord, ...] = ()
    blobs: Mapping[str, bytes] = field(default_factory=dict)


# --- checks shared by every store ------------------------------------------------------


def json_text(value: Any, what: str) -> str:
    """``value`` as canonical JSON text, or :class:`LibraryError` when it is not JSON data.

    >>> json_text({"b": 1, "a": [1.5, None]}, "run config")
    '{"a":[1.5,null],"b":1}'
    """
    try:
        return json.dumps(value, sort_keys=True, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise LibraryError(
            f"{what} must be JSON data (dicts, lists, str, int, finite float, bool, None): {exc}"
        ) from None


def check_finite(value: float, what: str) -> float:
    """``value`` as a float when it is a finite number, else :class:`LibraryError`."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise LibraryError(f"{what} must be a finite number, got {value!r}")
    return float(value)


def check_count(value: int, what: str) -> int:
    """``value`` when it is an integer ``>= 0``, else :class:`LibraryError`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise LibraryError(f"{what} must be an integer >= 0, got {value!r}")
    return value


def check_status(status: str) -> str:
    if status not in RUN_STATUSES:
        raise LibraryError(f"run status must be one of {', '.join(RUN_STATUSES)}, got {status!r}")
    return status


# --- the export format --------------------------------------------------------------


def snapshot_to_json(snapshot: LibrarySnapshot) -> dict[str, Any]:
    """The export file's content: one JSON object, readable by any later hylo."""
    meta = snapshot.meta
    return {
        "format": EXPORT_FORMAT,
        "schema_version": meta.schema_version,
        "hylo_version": meta.hylo_version,
        "domain": meta.domain,
        "created": meta.created,
        "primitives": [{"name": p.name, "type": p.type} for p in snapshot.primitives],
        "inventions": [_invention_json(inv) for inv in snapshot.inventions],
        "grammars": [_grammar_json(g) for g in snapshot.grammars],
        "solutions": [_solution_json(s) for s in snapshot.solutions],
        "runs": [_run_json(r) for r in snapshot.runs],
        "artifacts": [artifact_json(a) for a in snapshot.artifacts],
        "blobs": {
            sha: base64.b64encode(data).decode("ascii") for sha, data in snapshot.blobs.items()
        },
    }


def artifact_json(a: ArtifactRecord) -> dict[str, Any]:
    """An artifact record as JSON data (its files by hash, not their bytes)."""
    return {
        "id": a.id,
        "kind": a.kind,
        "name": a.name,
        "metadata": dict(a.metadata),
        "files": dict(a.files),
        "created": a.created,
    }


def blob_hash(data: bytes) -> str:
    """The name under which a store keeps an artifact file: its SHA-256, in hex."""
    return hashlib.sha256(data).hexdigest()


def _invention_json(inv: InventionRecord) -> dict[str, Any]:
    return {
        "name": inv.name,
        "body": inv.body,
        "type": inv.type,
        "iteration": inv.iteration,
        "sources": list(inv.sources),
        "use_count": inv.use_count,
    }


def _grammar_json(g: GrammarRecord) -> dict[str, Any]:
    return {
        "version": g.version,
        "iteration": g.iteration,
        "log_variable": g.log_variable,
        "weights": dict(g.weights),
    }


def _solution_json(s: Solution) -> dict[str, Any]:
    return {
        "task": s.task,
        "program": s.program,
        "log_prior": s.log_prior,
        "log_likelihood": s.log_likelihood,
        "seconds": s.seconds,
        "num_programs": s.num_programs,
        "iteration": s.iteration,
        "grammar_version": s.grammar_version,
    }


def _run_json(r: Run) -> dict[str, Any]:
    return {
        "id": r.id,
        "config": dict(r.config),
        "created": r.created,
        "status": r.status,
        "metrics": [dict(m) for m in r.metrics],
    }


class _FormatError(Exception):
    """A malformed part of an export; turned into a LibraryError naming the file."""


def read_export(path: Path, newest_schema: int) -> LibrarySnapshot:
    """Read and check an export file written by :func:`snapshot_to_json`.

    Raises:
        LibraryError: the file is missing, not JSON, not a hylo export, written by
            a newer hylo, or has a missing or mistyped field (the message says which).
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LibraryError(
            f"cannot read library export {str(path)!r}: {exc.strerror or exc}"
        ) from None
    if raw.startswith(b"SQLite format 3\x00"):
        raise LibraryError(
            f"{str(path)!r} is a library database, not an export: open it directly "
            "(hylo library show), or export it first (hylo library export)"
        )
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LibraryError(
            f"{str(path)!r} is not a library export (not JSON: {exc}); "
            "make one with: hylo library export LIBRARY OUT.json"
        ) from None
    return snapshot_from_json(data, str(path), newest_schema)


def snapshot_from_json(data: Any, source: str, newest_schema: int) -> LibrarySnapshot:
    """Check the JSON of an export and turn it into a :class:`LibrarySnapshot`."""
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise LibraryError(
            f"{source!r} is JSON but not a hylo library export (it lacks "
            f'"format": "{EXPORT_FORMAT}"); make one with: hylo library export LIBRARY OUT.json'
        )
    try:
        version = _int(data, "schema_version", "export")
        if version > newest_schema:
            raise _FormatError(
                f"it was written by a newer hylo (schema version {version}; this hylo reads "
                f"up to {newest_schema}): upgrade hylo to import it"
            )
        return _snapshot(data, version)
    except _FormatError as exc:
        raise LibraryError(f"cannot import {source!r}: {exc}") from None


def _snapshot(data: dict[str, Any], version: int) -> LibrarySnapshot:
    meta = LibraryMeta(
        schema_version=version,
        hylo_version=_str(data, "hylo_version", "export"),
        domain=_str(data, "domain", "export"),
        created=_str(data, "created", "export"),
    )
    return LibrarySnapshot(
        meta=meta,
        primitives=tuple(
            PrimitiveRecord(_str(p, "name", w), _str(p, "type", w))
            for w, p in _items(data, "primitives")
        ),
        inventions=tuple(_invention(inv, w) for w, inv in _items(data, "inventions")),
        grammars=tuple(_grammar(g, w) for w, g in _items(data, "grammars")),
        solutions=tuple(_solution(s, w) for w, s in _items(data, "solutions")),
        runs=tuple(_run(r, w) for w, r in _items(data, "runs")),
        artifacts=tuple(_artifact(a, w) for w, a in _items(data, "artifacts")),
        blobs=_blobs(_get(data, "blobs", dict, "export", default={})),
    )


def _artifact(d: dict[str, Any], where: str) -> ArtifactRecord:
    files = _get(d, "files", dict, where)
    if not all(isinstance(v, str) for v in files.values()):
        raise _FormatError(f"{where}.files must map file names to SHA-256 hashes")
    return ArtifactRecord(
        id=_int(d, "id", where),
        kind=_str(d, "kind", where),
        name=_str(d, "name", where),
        metadata=_get(d, "metadata", dict, where),
        files=files,
        created=_str(d, "created", where),
    )


def _blobs(raw: dict[str, Any]) -> dict[str, bytes]:
    blobs = {}
    for sha, text in raw.items():
        try:
            data = base64.b64decode(str(text), validate=True)
        except ValueError:
            _fail(f"blobs[{sha!r}] is not base64")
        if blob_hash(data) != sha:
            _fail(f"blobs[{sha!r}] does not match its SHA-256 (the export is damaged)")
        blobs[sha] = data
    return blobs


def _invention(d: dict[str, Any], where: str) -> InventionRecord:
    sources = _get(d, "sources", list, where)
    if not all(isinstance(s, str) for s in sources):
        raise _FormatError(f"{where}.sources must be a list of task names")
    return InventionRecord(
        name=_str(d, "name", where),
        body=_str(d, "body", where),
        type=_str(d, "type", where),
        iteration=_int(d, "iteration", where),
        sources=tuple(sources),
        use_count=_int(d, "use_count", where, default=0),
    )


def _grammar(d: dict[str, Any], where: str) -> GrammarRecord:
    weights = _get(d, "weights", dict, where)
    for name, w in weights.items():
        _float({name: w}, name, f"{where}.weights")
    return GrammarRecord(
        version=_int(d, "version", where),
        iteration=_int(d, "iteration", where),
        log_variable=_float(d, "log_variable", where),
        weights={name: float(w) for name, w in weights.items()},
    )


def _solution(d: dict[str, Any], where: str) -> Solution:
    grammar_version = d.get("grammar_version")
    if grammar_version is not None:
        grammar_version = _int(d, "grammar_version", where)
    return Solution(
        task=_str(d, "task", where),
        program=_str(d, "program", where),
        log_prior=_float(d, "log_prior", where),
        log_likelihood=_float(d, "log_likelihood", where),
        seconds=_float(d, "seconds", where),
        num_programs=_int(d, "num_programs", where),
        iteration=_int(d, "iteration", where),
        grammar_version=grammar_version,
    )


def _run(d: dict[str, Any], where: str) -> Run:
    metrics = _get(d, "metrics", list, where)
    if not all(isinstance(m, dict) for m in metrics):
        raise _FormatError(f"{where}.metrics must be a list of JSON objects")
    status = _str(d, "status", where)
    if status not in RUN_STATUSES:
        raise _FormatError(
            f"{where}.status must be one of {', '.join(RUN_STATUSES)}, got {status!r}"
        )
    return Run(
        id=_int(d, "id", where),
        config=_get(d, "config", dict, where),
        created=_str(d, "created", where),
        status=status,
        metrics=tuple(metrics),
    )


# Field readers: each names the place of a bad value, e.g. ``inventions[2].body``.


def _items(data: dict[str, Any], key: str) -> list[tuple[str, dict[str, Any]]]:
    items = _get(data, key, list, "export", default=[])
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise _FormatError(f"{key}[{i}] must be a JSON object, got {type(item).__name__}")
    return [(f"{key}[{i}]", item) for i, item in enumerate(items)]


_MISSING: Any = object()


def _get(d: dict[str, Any], key: str, kind: type, where: str, default: Any = _MISSING) -> Any:
    if key not in d:
        if default is not _MISSING:
            return default
        _fail(f'{where} lacks the field "{key}"')
    value = d[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        _fail(f"{where}.{key} must be {kind.__name__}, got {type(value).__name__} {value!r:.60}")
    return value


def _str(d: dict[str, Any], key: str, where: str) -> str:
    value: str = _get(d, key, str, where)
    return value


def _int(d: dict[str, Any], key: str, where: str, default: int | None = None) -> int:
    value: int = _get(d, key, int, where, _MISSING if default is None else default)
    return value


def _float(d: dict[str, Any], key: str, where: str) -> float:
    value = d.get(key, _MISSING)
    if value is _MISSING:
        _fail(f'{where} lacks the field "{key}"')
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        _fail(f"{where}.{key} must be a finite number, got {value!r:.60}")
    return float(value)


def _fail(message: str) -> NoReturn:
    raise _FormatError(message)


# --- comparing two libraries ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LibraryDiff:
    """What changes from library ``a`` to library ``b`` (``a.diff(b)``).

    Inventions are matched by name; one is *changed* when its body or type differ
    (provenance and use counts are not compared). Weights compare the latest
    grammar of each library.
    """

    domains: tuple[str, str]
    inventions_added: tuple[InventionRecord, ...] = ()
    inventions_removed: tuple[InventionRecord, ...] = ()
    inventions_changed: tuple[tuple[InventionRecord, InventionRecord], ...] = ()
    weights_added: Mapping[str, float] = field(default_factory=dict)
    weights_removed: Mapping[str, float] = field(default_factory=dict)
    weights_changed: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    log_variable: tuple[float | None, float | None] = (None, None)
    grammar_versions: tuple[int | None, int | None] = (None, None)
    num_solutions: tuple[int, int] = (0, 0)
    num_runs: tuple[int, int] = (0, 0)

    @property
    def is_empty(self) -> bool:
        """True when the domain, the inventions and the latest grammar are the same."""
        return (
            self.domains[0] == self.domains[1]
            and not self.inventions_added
            and not self.inventions_removed
            and not self.inventions_changed
            and not self.weights_added
            and not self.weights_removed
            and not self.weights_changed
            and self.log_variable[0] == self.log_variable[1]
        )

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (for ``hylo library diff --json``)."""
        return {
            "domains": list(self.domains),
            "inventions_added": [_invention_json(i) for i in self.inventions_added],
            "inventions_removed": [_invention_json(i) for i in self.inventions_removed],
            "inventions_changed": [
                {"before": _invention_json(a), "after": _invention_json(b)}
                for a, b in self.inventions_changed
            ],
            "weights_added": dict(self.weights_added),
            "weights_removed": dict(self.weights_removed),
            "weights_changed": {k: list(v) for k, v in self.weights_changed.items()},
            "log_variable": list(self.log_variable),
            "grammar_versions": list(self.grammar_versions),
            "num_solutions": list(self.num_solutions),
            "num_runs": list(self.num_runs),
            "is_empty": self.is_empty,
        }


def diff_snapshots(a: LibrarySnapshot, b: LibrarySnapshot) -> LibraryDiff:
    """What changes from ``a`` to ``b``: see :class:`LibraryDiff`."""
    inv_a = {i.name: i for i in a.inventions}
    inv_b = {i.name: i for i in b.inventions}
    ga = a.grammars[-1] if a.grammars else None
    gb = b.grammars[-1] if b.grammars else None
    wa = dict(ga.weights) if ga else {}
    wb = dict(gb.weights) if gb else {}
    return LibraryDiff(
        domains=(a.meta.domain, b.meta.domain),
        inventions_added=tuple(i for n, i in inv_b.items() if n not in inv_a),
        inventions_removed=tuple(i for n, i in inv_a.items() if n not in inv_b),
        inventions_changed=tuple(
            (inv_a[n], i)
            for n, i in inv_b.items()
            if n in inv_a and (inv_a[n].body, inv_a[n].type) != (i.body, i.type)
        ),
        weights_added={k: w for k, w in sorted(wb.items()) if k not in wa},
        weights_removed={k: w for k, w in sorted(wa.items()) if k not in wb},
        weights_changed={k: (wa[k], w) for k, w in sorted(wb.items()) if k in wa and wa[k] != w},
        log_variable=(ga.log_variable if ga else None, gb.log_variable if gb else None),
        grammar_versions=(ga.version if ga else None, gb.version if gb else None),
        num_solutions=(len(a.solutions), len(b.solutions)),
        num_runs=(len(a.runs), len(b.runs)),
    )
