"""The HTML report of a learning run."""

from pathlib import Path

from hylo.reports.learning import write_report


def events():
    def outcome(name, solved, program, seconds):
        return {
            "name": name,
            "solved": solved,
            "test_correct": solved,
            "program": program,
            "seconds": seconds,
            "programs": 10,
            "candidates": [],
        }

    def metrics(i, test_solved, size):
        return {
            "iteration": i,
            "train_solved": 2,
            "train_tasks": 2,
            "test_solved": test_solved,
            "test_correct": test_solved,
            "test_tasks": 2,
            "library_size": size,
            "median_seconds": 0.1,
            "test_median_seconds": 0.2,
            "description_length": 12.0,
            "new_inventions": [],
            "compression_seconds": 0.0,
        }

    base = "(lam (map (lam (+ $0 1)) $0))"
    return [
        {
            "kind": "outcome",
            "iteration": 0,
            "split": "train",
            "outcome": outcome("inc", True, base, 0.5),
        },
        {
            "kind": "outcome",
            "iteration": 0,
            "split": "test",
            "outcome": outcome("t", False, None, 1.0),
        },
        {"kind": "metrics", "iteration": 0, "metrics": metrics(0, 0, 0)},
        {
            "kind": "sleep",
            "iteration": 0,
            "new_inventions": ["f0"],
            "spec": {
                "domain": "lists",
                "inventions": [["f0", "(lam (lam (map (lam (+ $0 $2)) $0)))"]],
                "weights": None,
                "log_variable": 0.0,
            },
            "rewritten": {"inc": ["(lam (f0 1 $0))"]},
        },
        {
            "kind": "outcome",
            "iteration": 1,
            "split": "test",
            "outcome": outcome("t", True, "(lam (f0 2 $0))", 0.01),
        },
        {"kind": "metrics", "iteration": 1, "metrics": metrics(1, 1, 1)},
    ]


def test_report_shows_curve_library_and_rewrites(tmp_path: Path):
    page = write_report(events(), tmp_path / "report", title="demo run")
    text = page.read_text()
    assert (tmp_path / "report" / "curve.png").stat().st_size > 1000
    assert (tmp_path / "report" / "times.png").stat().st_size > 1000
    assert "demo run" in text
    assert "f0" in text and "int -&gt; list(int) -&gt; list(int)" in text
    assert "(lam (f0 1 $0))" in text and "inc" in text
    assert text.count("<tr>") >= 5


def test_report_of_an_empty_run(tmp_path: Path):
    page = write_report([], tmp_path / "empty")
    assert "Library (0 inventions)" in page.read_text()
