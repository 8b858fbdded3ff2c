"""hylo solve / hylo bench with a library's guide, and --no-guide to compare."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hylo.cli import app
from hylo.domains.task import save_task
from hylo.learn import LibrarySpec
from hylo.learn.dreams import LibraryGuideStore
from hylo.library import open_library
from hylo.search.guide import Guide
from hylo.testing.learning import learning_suite

runner = CliRunner()


def _library_with_guide(path: Path) -> Path:
    with open_library(path, "lists") as store:
        grammar = LibrarySpec("lists").grammar()
        store.add_grammar(grammar.weights(), grammar.log_variable, 1)
        spec = LibrarySpec.from_store(store)
        guide = Guide(spec.grammar(), "lists", hidden=16)
        LibraryGuideStore(store).put(guide.to_bytes(), {"iteration": 1})
    return path


def test_solve_and_bench_use_the_library_guide(tmp_path: Path) -> None:
    lib = _library_with_guide(tmp_path / "lib.hylo")
    train, _ = learning_suite()
    folder = tmp_path / "tasks"
    folder.mkdir()
    for i, task in enumerate(train[:2]):
        save_task(task, folder / f"{i}.json")
    solved = runner.invoke(app, ["solve", str(folder / "0.json"), "-l", str(lib), "--json"])
    assert solved.exit_code == 0, solved.output
    assert "using guide" in solved.output
    plain = runner.invoke(
        app, ["solve", str(folder / "0.json"), "-l", str(lib), "--no-guide", "--json"]
    )
    assert plain.exit_code == 0 and "using guide" not in plain.output
    out = tmp_path / "bench.json"
    bench = runner.invoke(
        app, ["bench", str(folder), "-l", str(lib), "-w", "0", "-t", "5", "--json", str(out)]
    )
    assert bench.exit_code == 0, bench.output
    summary = json.loads(out.read_text())["summary"]
    assert summary["solved"] == 2
    assert summary["programs_to_solution_median"] > 0


def test_a_stale_guide_is_not_used(tmp_path: Path) -> None:
    lib = _library_with_guide(tmp_path / "lib.hylo")
    with open_library(lib, create=False) as store:
        store.add_grammar(LibrarySpec("lists").grammar().weights(), 0.0, 2)
    train, _ = learning_suite()
    save_task(train[0], tmp_path / "t.json")
    result = runner.invoke(app, ["solve", str(tmp_path / "t.json"), "-l", str(lib), "--json"])
    assert result.exit_code == 0, result.output
    assert "no guide" in result.output and "version" in result.output
