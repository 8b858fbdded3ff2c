"""``hylo bench digits``: the HOUDINI-style digit task sequence, three methods, curves.

For each task of :data:`~hylo.domains.digits.CURRICULUM`, in order, and each
training-set size, three methods learn from the *same* examples and are scored
on the same held-out test examples (built from test images only; list tasks
test on longer lists than they train on):

* ``hylo`` — :class:`~hylo.search.neural.NeuralSynthesizer` with the module
  library built by the earlier tasks (frozen, fine-tuned or fresh modules);
* ``standalone`` — the same search without a library;
* ``monolithic`` — a DeepSets network (per-image MLP, sum pooling, MLP head)
  trained end to end; on single images it is a plain MLP.

After a task, the modules of hylo's program at the largest size go into the
library (artifacts of kind ``module``). The JSON report has, per task and
method, the accuracy (and RMSE for integers) at every size, and a summary:

``sample_efficiency_ratio`` — for each later list task (``count-3s``,
``count-7s``, ``sum-digits``, ``max-digit``) and each size ``n`` at which hylo
reaches the stated test accuracy (:data:`STATED_ACCURACY`, 0.75), take hylo's
accuracy ``a`` there and the smallest size ``m``
at which the monolithic baseline reaches at least ``a``; the task's ratio is the
largest ``m / n`` (the accuracy hylo reaches with the fewest examples relative
to the baseline). When the baseline never reaches ``a``, ``m`` is its largest
size and the ratio is flagged as a lower bound. The summary ratio is the
smallest task ratio: every later task reaches it (0 when hylo never reaches the
stated accuracy on some later task).
"""

from __future__ import annotations

import dataclasses
import json
import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from hylo.domains.digits import (
    CURRICULUM,
    DigitImages,
    DigitTaskSpec,
    load_digit_images,
    make_digit_task,
)
from hylo.domains.task import Task
from hylo.lang.program import show
from hylo.library import open_library
from hylo.search.neural import NeuralSynthesizer
from hylo.train.neural import ModuleLibrary, ModuleRef, encode_examples, module_names
from hylo.train.neural.modules import image_encoder

__all__ = ["LATER_TASKS", "DigitsBenchConfig", "run_digits_bench", "save_plot", "search_digit_task"]

STATED_ACCURACY = 0.75
"""Accuracies below this do not count for the sample-efficiency ratio."""
LATER_TASKS = ("count-3s", "count-7s", "sum-digits", "max-digit")
METHODS = ("hylo", "standalone", "monolithic")


@dataclass(frozen=True)
class DigitsBenchConfig:
    """Sizes, budgets and seeds of the digits benchmark."""

    source: str = "sklearn"
    image_sizes: tuple[int, ...] = (10, 30, 100, 300)
    list_sizes: tuple[int, ...] = (10, 30, 100, 300, 1000)
    monolithic_extra_sizes: tuple[int, ...] = (3000, 10000)
    num_test: int = 500
    max_candidates: int = 12
    epochs: int = 60
    patience: int = 8
    timeout_s: float = 120.0
    seed: int = 0
    num_tasks: int | None = None


Log = Callable[[str], None]


def run_digits_bench(
    config: DigitsBenchConfig, library_path: Path | None = None, log: Log = print
) -> dict[str, Any]:
    """Run the sequence; returns the JSON-able report (see the module docstring)."""
    torch.set_num_threads(1)
    start = time.perf_counter()
    data = load_digit_images(config.source)
    with tempfile.TemporaryDirectory() as tmp:
        path = library_path or Path(tmp) / "digits-library.db"
        with open_library(path, domain="digits") as store:
            library = ModuleLibrary(store)
            tasks = [
                _run_task(spec, k, data, library, config, log)
                for k, spec in enumerate(CURRICULUM[: config.num_tasks])
            ]
            modules = [
                {
                    "id": m.id,
                    "name": m.name,
                    "template": m.template,
                    "program": m.metadata.get("program"),
                    "metrics": m.metadata.get("metrics"),
                }
                for m in library.modules()
            ]
    report = {
        "suite": "digits",
        "source": config.source,
        "config": {k: v for k, v in vars(config).items()},
        "tasks": tasks,
        "library_modules": modules,
    }
    report["summary"] = _summary(tasks, time.perf_counter() - start)
    return report


def _run_task(
    spec: DigitTaskSpec,
    k: int,
    data: DigitImages,
    library: ModuleLibrary,
    config: DigitsBenchConfig,
    log: Log,
) -> dict[str, Any]:
    sizes = config.list_sizes if spec.is_list else config.image_sizes
    results: dict[str, list[dict[str, Any]]] = {m: [] for m in METHODS}
    best: NeuralSynthesizer | None = None
    task: Task | None = None
    for n in sizes:
        task = make_digit_task(spec, data, n, config.num_test, seed=config.seed * 1000 + k * 37 + n)
        hylo = search_digit_task(task, library, config)
        alone = search_digit_task(task, None, config)
        results["hylo"].append(_search_row(hylo, task, n, data))
        results["standalone"].append(_search_row(alone, task, n, data))
        results["monolithic"].append(_monolithic(task, n, config))
        log(
            f"{spec.name:>10} n={n:<5} "
            + "  ".join(f"{m} {results[m][-1]['accuracy']:.3f}" for m in METHODS)
            + f"  [{results['hylo'][-1]['program']}]"
        )
        best = hylo
    assert best is not None and task is not None
    for n in config.monolithic_extra_sizes if spec.is_list else ():
        extra = make_digit_task(
            spec, data, n, config.num_test, seed=config.seed * 1000 + k * 37 + n
        )
        results["monolithic"].append(_monolithic(extra, n, config))
        log(f"{spec.name:>10} n={n:<5} monolithic {results['monolithic'][-1]['accuracy']:.3f}")
    acc, _ = best.evaluate(task)
    stored = best.save_modules(library, task, {"test_accuracy": acc, "examples": len(task.train)})
    return {
        "name": spec.name,
        "type": spec.request,
        "doc": spec.doc,
        "sizes": list(sizes),
        "library_program": show(stored),
        "results": results,
    }


def search_digit_task(
    task: Task, library: ModuleLibrary | None, config: DigitsBenchConfig
) -> NeuralSynthesizer:
    """The benchmark's search on one task: with ``library`` (hylo) or without (standalone)."""
    synth = NeuralSynthesizer(
        library=library,
        max_candidates=config.max_candidates,
        epochs=config.epochs,
        patience=config.patience,
        timeout_s=config.timeout_s,
        batch_size=32 if len(task.train) < 500 else 64,
        seed=config.seed,
    )
    return synth.fit(task)


def _search_row(synth: NeuralSynthesizer, task: Task, n: int, data: DigitImages) -> dict[str, Any]:
    acc, rmse = synth.evaluate(task)
    stats = synth.stats_
    row: dict[str, Any] = {
        "n": n,
        "accuracy": acc,
        "rmse": rmse,
        "program": show(synth.program_) if synth.program_ is not None else None,
        "seconds": stats.seconds,
        "candidates": len(stats.candidates),
        "trained": stats.num_trained,
        "seconds_per_trained_candidate": stats.seconds_per_trained,
    }
    digit = _digit_accuracy(synth, data)
    if digit is not None:
        row["digit_accuracy"] = digit
    return row


def _digit_accuracy(synth: NeuralSynthesizer, data: DigitImages) -> float | None:
    """Accuracy on single test images of the program's 10-way image classifier, if any."""
    assert synth.program_ is not None
    for name in module_names(synth.program_):
        if ModuleRef.parse(name).template == "digit":
            module = synth.modules_[name].eval()
            with torch.no_grad():
                out = module(torch.as_tensor(data.test_x))
            return float(np.mean(out.argmax(-1).numpy() == data.test_y))
    return None


# --- the monolithic baseline ------------------------------------------------------------


class DeepSets(nn.Module):
    """Per-image reader and MLP, sum over the list, MLP head: one output (a number or a
    logit)."""

    def __init__(self, image_shape: tuple[int, ...], width: int = 64) -> None:
        super().__init__()
        self.width = width
        # The same image reader as hylo's modules (a CNN for MNIST), so that the
        # comparison is between program structure and none, not between readers.
        reader, dim = image_encoder(image_shape)
        self.phi = nn.Sequential(
            reader, nn.Linear(dim, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU()
        )
        self.rho = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 1))

    def forward(self, items: torch.Tensor, seg: torch.Tensor, rows: int) -> torch.Tensor:
        pooled = torch.zeros(rows, self.width).index_add(0, seg, self.phi(items))
        return self.rho(pooled)[:, 0]  # type: ignore[no-any-return]


def _monolithic(task: Task, n: int, config: DigitsBenchConfig) -> dict[str, Any]:
    started = time.perf_counter()
    data = encode_examples([(e.inputs, e.output) for e in task.train], task.request)
    test = encode_examples([(e.inputs, e.output) for e in task.test], task.request)
    train, val = data.split(0.2, config.seed)
    torch.manual_seed(config.seed)
    model = DeepSets(tuple(int(d) for d in data.args[0].data.shape[1:]))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    best, best_state, since = math.inf, _copy(model), 0
    gen = torch.Generator().manual_seed(config.seed)
    for _ in range(150):
        model.train()  # the reader's random shifts, as in hylo's modules
        perm = torch.randperm(len(train), generator=gen)
        for i in range(0, len(train), 32):
            x, y = _batch(train, perm[i : i + 32])
            loss = _mono_loss(model, x, y, train.output)
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
        model.eval()
        with torch.no_grad():
            v = float(_mono_loss(model, *_batch(val, torch.arange(len(val))), val.output))
        if v < best:
            best, best_state, since = v, _copy(model), 0
        else:
            since += 1
            if since >= 10:
                break
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        x, y = _batch(test, torch.arange(len(test)))
        out = model(*x)
        pred = (out > 0).float() if test.output == "bool" else out.round().clamp_min(0)
    acc = float((pred == y.float()).float().mean())
    rmse = float(torch.sqrt(((pred - y.float()) ** 2).mean())) if test.output == "int" else 0.0
    return {"n": n, "accuracy": acc, "rmse": rmse, "seconds": time.perf_counter() - started}


def _batch(
    data: Any, idx: torch.Tensor
) -> tuple[tuple[torch.Tensor, torch.Tensor, int], torch.Tensor]:
    (arg,), y = data.select(idx)
    if isinstance(arg, torch.Tensor):  # one image per example: a list of length one
        return (arg, torch.arange(arg.shape[0]), arg.shape[0]), y
    return (arg.items, arg.seg, arg.rows), y


def _mono_loss(
    model: DeepSets, x: tuple[torch.Tensor, torch.Tensor, int], y: torch.Tensor, kind: str
) -> torch.Tensor:
    out = model(*x)
    if kind == "bool":
        return nn.functional.binary_cross_entropy_with_logits(out, y)
    return nn.functional.mse_loss(out, y.float())


def _copy(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


# --- summary and plot -------------------------------------------------------------------


def _summary(tasks: Sequence[dict[str, Any]], seconds: float) -> dict[str, Any]:
    per_task: dict[str, Any] = {}
    for t in tasks:
        if t["name"] not in LATER_TASKS:
            continue
        per_task[t["name"]] = _ratio(t)
    ratios = [v["ratio"] for v in per_task.values()]
    worst = min(per_task.values(), key=lambda v: v["ratio"]) if per_task else None
    spent = [
        (r["seconds_per_trained_candidate"], r["trained"])
        for t in tasks
        for m in ("hylo", "standalone")
        for r in t["results"][m]
        if r["trained"]
    ]
    trained = sum(k for _, k in spent)
    sum_task = next((t for t in tasks if t["name"] == "sum-digits"), None)
    digit_acc = None
    if sum_task is not None:
        last = sum_task["results"]["standalone"][-1]
        digit_acc = {
            "n": last["n"],
            "accuracy": last.get("digit_accuracy"),
            "program": last["program"],
        }
    beats = {
        t["name"]: t["results"]["hylo"][0]["accuracy"] > t["results"]["standalone"][0]["accuracy"]
        for t in tasks
        if t["name"] in LATER_TASKS
    }
    return {
        "sample_efficiency_ratio": min(ratios) if ratios else None,
        "ratio_is_lower_bound": bool(worst and worst["lower_bound"]),
        "per_task": per_task,
        "hylo_beats_standalone_at_smallest_size": beats,
        "sum_trained_digit_classifier": digit_acc,
        "seconds_per_trained_candidate": (
            sum(s * k for s, k in spent) / trained if trained else 0.0
        ),
        "trained_candidates": trained,
        "seconds_total": seconds,
    }


def _ratio(task: dict[str, Any]) -> dict[str, Any]:
    """The best ``m / n`` over hylo's sizes ``n`` (see the module docstring)."""
    mono = task["results"]["monolithic"]
    biggest = max(r["n"] for r in mono)
    best: dict[str, Any] = {}
    for row in task["results"]["hylo"]:
        n, target = row["n"], row["accuracy"]
        if target < STATED_ACCURACY:
            continue
        reached = [r["n"] for r in mono if r["accuracy"] >= target]
        m = reached[0] if reached else biggest
        candidate = {
            "hylo_n": n,
            "hylo_accuracy": target,
            "monolithic_n": m if reached else None,
            "ratio": m / n,
            "lower_bound": not reached,
        }
        if not best or candidate["ratio"] > best["ratio"]:
            best = candidate
    if not best:  # hylo never reached the stated accuracy: no ratio for this task
        best = {"hylo_n": None, "hylo_accuracy": None, "ratio": 0.0, "lower_bound": False}
    best["monolithic_best_accuracy"] = max(r["accuracy"] for r in mono)
    return best


def save_plot(report: dict[str, Any], path: Path) -> Path:
    """Accuracy vs number of training examples for the later tasks, one panel per task."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = [t for t in report["tasks"] if t["name"] in LATER_TASKS]
    fig, axes = plt.subplots(1, max(1, len(tasks)), figsize=(4 * max(1, len(tasks)), 3.4))
    for ax, t in zip(np.atleast_1d(axes), tasks, strict=False):
        for m, style in zip(METHODS, ("o-", "s--", "^:"), strict=True):
            rows = t["results"][m]
            ax.plot([r["n"] for r in rows], [r["accuracy"] for r in rows], style, label=m)
        ax.set_xscale("log")
        ax.set_ylim(0, 1.02)
        ax.set_title(t["name"])
        ax.set_xlabel("training examples")
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("test accuracy")
    np.atleast_1d(axes)[0].legend(loc="lower right")
    fig.suptitle(f"hylo bench digits ({report['source']}): library vs standalone vs monolithic")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def render(report: dict[str, Any]) -> str:
    """A plain-text table: task, size, accuracy of each method."""
    lines = [f"{'task':>10} {'n':>5} " + " ".join(f"{m:>11}" for m in METHODS)]
    for t in report["tasks"]:
        for i, n in enumerate(t["sizes"]):
            accs = " ".join(f"{t['results'][m][i]['accuracy']:>11.3f}" for m in METHODS)
            lines.append(f"{t['name']:>10} {n:>5} {accs}")
    s = report["summary"]
    bound = " (lower bound)" if s["ratio_is_lower_bound"] else ""
    lines.append(f"sample_efficiency_ratio: {s['sample_efficiency_ratio']}{bound}")
    lines.append(
        f"seconds per trained candidate: {s['seconds_per_trained_candidate']:.2f}; "
        f"total {s['seconds_total']:.0f} s"
    )
    return "\n".join(lines)


def write_report(report: dict[str, Any], path: Path) -> tuple[Path, Path]:
    """Write the JSON report and, next to it, the plot (same name, ``.png``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    return path, save_plot(report, path.with_suffix(".png"))


def bench_digits(
    source: str,
    json_out: Path | None,
    library: Path | None,
    limit: int | None,
    timeout: float | None,
    seed: int = 0,
) -> None:
    """The ``hylo bench digits`` command: run, print the table, write JSON and plot.

    ``timeout`` bounds each search (None: :class:`DigitsBenchConfig`'s budget)."""
    from hylo.cli._common import fail, stderr, stdout
    from hylo.domains.digits import SOURCES
    from hylo.lang.errors import HyloError

    if source not in SOURCES:
        fail(f"unknown digit source {source!r}; choose one of: {', '.join(SOURCES)}")
    config = DigitsBenchConfig(source=source, num_tasks=limit, seed=seed)
    if timeout is not None:
        config = dataclasses.replace(config, timeout_s=timeout)
    stderr.print(
        f"benchmark: digits ({source}), {len(CURRICULUM[:limit])} tasks, 3 methods, "
        f"{config.timeout_s:g} s per search" + (f", modules kept in {library}" if library else "")
    )
    try:
        report = run_digits_bench(config, library, log=lambda m: stderr.print(m, highlight=False))
    except HyloError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted", code=130)
    stdout.print(render(report), highlight=False, markup=False)
    if json_out is not None:
        try:
            written, plot = write_report(report, json_out)
        except OSError as exc:
            fail(f"cannot write the report to {str(json_out)!r}: {exc.strerror or exc}")
        stderr.print(f"report written to {written}, plot to {plot}")
