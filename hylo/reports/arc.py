"""Pictures of ARC tasks: the examples, what was expected and what hylo predicted.

>>> import tempfile
>>> from hylo.domains.arc import arc_task_from_json
>>> task = arc_task_from_json({"train": [{"input": [[1, 0]], "output": [[0, 1]]}],
...                            "test": [{"input": [[2, 0]], "output": [[0, 2]]}]}, "flip")
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = render_task(task, [[[[0, 2]]]], f"{tmp}/flip.png", program="(lam (flip-lr $0))")
...     path.stat().st_size > 0
True
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap

from hylo.domains.task import Task

# ARC's own palette: black, blue, red, green, yellow, grey, magenta, orange, sky, maroon.
PALETTE = ListedColormap(
    [
        "#000000",
        "#0074D9",
        "#FF4136",
        "#2ECC40",
        "#FFDC00",
        "#AAAAAA",
        "#F012BE",
        "#FF851B",
        "#7FDBFF",
        "#870C25",
    ]
)


def render_task(
    task: Task,
    predictions: Sequence[Sequence[Any]],
    path: str | Path,
    *,
    program: str | None = None,
) -> Path:
    """Draw ``task`` as a PNG: one row per example; input, expected, then predictions.

    ``predictions[i]`` holds up to three predicted grids (lists of rows) for test
    example ``i``; a prediction that matches the expected output is framed green,
    one that does not, red.
    """
    rows = [(f"train {i + 1}", ex.inputs[0], ex.output, ()) for i, ex in enumerate(task.train)]
    rows += [
        (
            f"test {i + 1}",
            ex.inputs[0],
            ex.output,
            tuple(predictions[i]) if i < len(predictions) else (),
        )
        for i, ex in enumerate(task.test)
    ]
    num_cols = 2 + max((len(r[3]) for r in rows), default=0)
    fig, axes = plt.subplots(
        len(rows), num_cols, figsize=(2.2 * num_cols, 2.2 * len(rows)), squeeze=False
    )
    for r, (label, grid_in, expected, preds) in enumerate(rows):
        _draw(axes[r][0], grid_in, f"{label}: input")
        _draw(axes[r][1], expected, "expected")
        for k in range(num_cols - 2):
            if k < len(preds):
                right = expected is not None and _rows(preds[k]) == _rows(expected)
                _draw(
                    axes[r][2 + k],
                    preds[k],
                    f"prediction {k + 1}",
                    "#2ECC40" if right else "#FF4136",
                )
            else:
                axes[r][2 + k].axis("off")
    title = f"{task.name}: " + (program if program else "no program found")
    fig.suptitle(title if len(title) < 110 else title[:107] + "…", fontsize=9)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80)
    plt.close(fig)
    return out


def _draw(ax: Axes, grid: Any, title: str, frame: str | None = None) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=8)
    if grid is None:
        ax.text(0.5, 0.5, "?", ha="center", va="center", fontsize=20)
        return
    rows = _rows(grid)
    ax.imshow(rows, cmap=PALETTE, vmin=0, vmax=9, interpolation="nearest")
    h, w = len(rows), len(rows[0]) if rows else 0
    ax.set_xticks([x - 0.5 for x in range(1, w)], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, h)], minor=True)
    ax.grid(which="minor", color="#555555", linewidth=0.5)
    ax.tick_params(which="minor", length=0)
    if frame is not None:
        for spine in ax.spines.values():
            spine.set_edgecolor(frame)
            spine.set_linewidth(3)


def _rows(grid: Any) -> list[list[int]]:
    to_lists = getattr(grid, "to_lists", None)
    return to_lists() if callable(to_lists) else [list(r) for r in grid]
