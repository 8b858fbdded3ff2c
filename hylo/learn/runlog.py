"""Where a learning run is recorded: the library store, or a JSON-lines file."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from hylo.lang.errors import HyloError
from hylo.lang.program import parse
from hylo.library import LibraryStore, Solution


class JsonlRunLog:
    """Append-only events in a file; a line cut short by a kill is ignored on reading."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def events(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            # A line cut short by a kill was never acknowledged: drop it, so the
            # next append starts on a fresh line.
            data = data[: data.rfind(b"\n") + 1]
            with self.path.open("r+b") as f:
                f.truncate(len(data))
        out: list[dict[str, Any]] = []
        for number, line in enumerate(data.decode("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError as e:
                raise HyloError(f"{self.path}: line {number} is not JSON ({e.msg})") from e
            if not isinstance(event, dict) or "kind" not in event:
                raise HyloError(f"{self.path}: line {number} is not a run event")
            out.append(event)
        return out

    def append(self, event: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(event, separators=(",", ":")) + "\n"
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())


class LibraryRunLog:
    """A run's log kept in the library store, which also receives what the run learns.

    Every event goes into the run's log first (that is what a resumed run replays);
    then its content is written into the library's own tables: inventions and the
    refitted grammar after each sleep, training solutions as they are found, and
    one metrics row per iteration, so ``hylo library show`` sees them.
    """

    def __init__(self, store: LibraryStore, run_id: int) -> None:
        self.store = store
        self.run_id = run_id

    def events(self) -> list[dict[str, Any]]:
        return self.store.run_events(self.run_id)

    def append(self, event: dict[str, Any]) -> None:
        self.store.append_run_event(self.run_id, event)
        kind = event["kind"]
        if kind == "outcome":
            self._add_solution(event)
        elif kind == "sleep":
            self._add_library(event)
        elif kind == "metrics":
            self.store.add_iteration_metrics(self.run_id, event["metrics"])

    def _add_solution(self, event: dict[str, Any]) -> None:
        o = event["outcome"]
        if event["split"] != "train" or not o["solved"] or not o["program"]:
            return
        self.store.add_solutions(
            [
                Solution(
                    task=o["name"],
                    program=o["program"],
                    log_prior=float(o["log_prior"]),
                    seconds=float(o["seconds"]),
                    num_programs=int(o["programs"]),
                    iteration=int(event["iteration"]),
                )
            ]
        )

    def _add_library(self, event: dict[str, Any]) -> None:
        known = {r.name: r.body for r in self.store.invention_records()}
        namespace = self.store.namespace()
        new = set(event.get("new_inventions", []))
        rewritten: dict[str, list[str]] = event.get("rewritten", {})
        counts: dict[str, int] = {}
        for name, body in event["spec"]["inventions"]:
            users = [task for task, ps in rewritten.items() if any(_mentions(p, name) for p in ps)]
            counts[name] = len(users)
            if name in known:
                if known[name] != body:
                    raise HyloError(
                        f"library {self.store.location} already has a different {name}: "
                        f"{known[name]} (this run learned {body}); use another library file"
                    )
                continue
            if name in new:
                program = parse(body, namespace)
                namespace[name] = self.store.add_invention(
                    name, program, int(event["iteration"]) + 1, users
                )
        self.store.record_use_counts(counts)
        weights = event["spec"].get("weights")
        if weights:
            self.store.add_grammar(
                weights, float(event["spec"]["log_variable"]), int(event["iteration"]) + 1
            )


def _mentions(program: str, name: str) -> bool:
    return re.search(rf"(?<![^\s()]){re.escape(name)}(?![^\s()])", program) is not None
