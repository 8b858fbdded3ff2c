"""An HTML report of a learning run: the curve, search times, the library as it grew.

:func:`write_report` reads a run's events (see :mod:`hylo.learn.loop`) and writes
``index.html`` plus PNG figures into a folder. The page shows, at a glance, what
was learned: the held-out solve rate per iteration, how search time changed, each
invention with its type, body and the tasks that use it, and solutions before and
after they were rewritten with the library.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt

from hylo.lang.infer import invent
from hylo.lang.program import Invented, parse, show
from hylo.lang.types import show_type

Event = dict[str, Any]


@dataclass(frozen=True)
class InventionRow:
    name: str
    tp: str
    body: str
    iteration: int
    used_by: tuple[str, ...]


def write_report(events: Sequence[Event], out_dir: str | Path, title: str = "hylo run") -> Path:
    """Write ``index.html`` and its figures into ``out_dir``; returns the HTML path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    metrics = sorted(
        (e["metrics"] for e in events if e["kind"] == "metrics"), key=lambda m: m["iteration"]
    )
    sleeps = [e for e in events if e["kind"] == "sleep"]
    outcomes = [e for e in events if e["kind"] == "outcome"]
    _plot_curve(metrics, out / "curve.png")
    _plot_times(outcomes, out / "times.png")
    inventions = _inventions(sleeps)
    page = _page(title, metrics, inventions, _examples(outcomes, sleeps))
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def _plot_curve(metrics: list[dict[str, Any]], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.5))
    its = [m["iteration"] for m in metrics]
    for key, total, label in (
        ("test_solved", "test_tasks", "held-out tasks solved"),
        ("test_correct", "test_tasks", "held-out tasks right on test examples"),
        ("train_solved", "train_tasks", "training tasks solved"),
    ):
        ys = [100.0 * m[key] / max(1, m[total]) for m in metrics]
        ax.plot(its, ys, marker="o", label=label)
    ax.set_xlabel("iteration (0 = base library)")
    ax.set_ylabel("% of tasks")
    ax.set_xticks(its)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_times(outcomes: list[Event], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.5))
    by_iteration: dict[int, list[float]] = {}
    for e in outcomes:
        o = e["outcome"]
        if o["solved"]:
            by_iteration.setdefault(e["iteration"], []).append(max(o["seconds"], 1e-4))
    if by_iteration:
        its = sorted(by_iteration)
        ax.boxplot([by_iteration[i] for i in its], tick_labels=[str(i) for i in its])
        ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("seconds to solve (solved tasks)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _inventions(sleeps: list[Event]) -> list[InventionRow]:
    if not sleeps:
        return []
    from hylo.domains import get_domain

    last = sleeps[-1]["spec"]
    namespace: dict[str, Any] = get_domain(last["domain"]).namespace
    created = {name: e["iteration"] for e in sleeps for name in e.get("new_inventions", [])}
    rows = []
    for name, body in last["inventions"]:
        inv: Invented = invent(name, parse(body, namespace))
        namespace[name] = inv
        users = sorted(
            task
            for task, programs in sleeps[-1].get("rewritten", {}).items()
            if any(re.search(rf"(?<![\w\-?]){re.escape(name)}(?![\w\-?])", p) for p in programs)
        )
        rows.append(
            InventionRow(
                name, show_type(inv.tp), show(inv.body), created.get(name, 0), tuple(users)
            )
        )
    return rows


def _examples(
    outcomes: list[Event], sleeps: list[Event], limit: int = 12
) -> list[tuple[str, str, str]]:
    """(task, solution found by the base library, same solution rewritten) pairs."""
    if not sleeps:
        return []
    base = {
        e["outcome"]["name"]: e["outcome"]["program"]
        for e in outcomes
        if e["iteration"] == 0 and e["split"] == "train" and e["outcome"]["solved"]
    }
    rewritten = sleeps[-1].get("rewritten", {})
    pairs = [
        (t, base[t], ps[0]) for t, ps in rewritten.items() if t in base and ps and ps[0] != base[t]
    ]
    pairs.sort(key=lambda p: len(p[2]) - len(p[1]))
    return pairs[:limit]


def _page(
    title: str,
    metrics: list[dict[str, Any]],
    inventions: list[InventionRow],
    examples: list[tuple[str, str, str]],
) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{m['iteration']}</td><td>{m['train_solved']}/{m['train_tasks']}</td>"
        f"<td>{m['test_solved']}/{m['test_tasks']}</td><td>{m['test_correct']}/{m['test_tasks']}</td>"
        f"<td>{m['library_size']}</td><td>{m['median_seconds']:.3f}</td>"
        f"<td>{m['test_median_seconds']:.3f}</td><td>{m['description_length']:.0f}</td></tr>"
        for m in metrics
    )
    invs = "".join(
        f"<tr><td><b>{e(r.name)}</b></td><td><code>{e(r.tp)}</code></td>"
        f"<td><code>{e(r.body)}</code></td><td>{r.iteration}</td>"
        f"<td>{len(r.used_by)}</td><td class=small>{e(', '.join(r.used_by[:8]))}"
        f"{' …' if len(r.used_by) > 8 else ''}</td></tr>"
        for r in inventions
    )
    exs = "".join(
        f"<tr><td>{e(t)}</td><td><code>{e(before)}</code></td><td><code>{e(after)}</code></td></tr>"
        for t, before, after in examples
    )
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{e(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; }}
th {{ background: #f3f3f3; }} code {{ font-size: 0.9em; }} .small {{ font-size: 0.8em; }}
img {{ margin-right: 1em; }}
</style></head><body>
<h1>{e(title)}</h1>
<h2>Learning curve</h2>
<img src="curve.png" alt="learning curve"><img src="times.png" alt="search times">
<table><tr><th>iteration</th><th>train solved</th><th>test solved</th><th>test correct</th>
<th>library size</th><th>median s (train)</th><th>median s (test)</th><th>solution size</th></tr>
{rows}</table>
<h2>Library ({len(inventions)} inventions)</h2>
<table><tr><th>name</th><th>type</th><th>body</th><th>learned in iteration</th><th>uses</th>
<th>used by</th></tr>{invs}</table>
<h2>Solutions before and after rewriting with the library</h2>
<table><tr><th>task</th><th>found with the base library</th><th>rewritten</th></tr>{exs}</table>
</body></html>
"""
