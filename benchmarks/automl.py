"""hylo AutoML vs plain Optuna TPE vs random search, at equal wall-clock budgets.

Run (about 40 minutes for five seeds on a quiet 2-core machine):

    nice -n 10 .venv/bin/python benchmarks/automl.py --json results/automl.json

Three measurements:

1. **Search** — on digits, breast_cancer, wine and MNIST (4× the budget), for each
   seed: hylo AutoML (warm started from a library holding runs on the *other* datasets
   only, and without it),
   Optuna TPE over a fixed MLP/CNN space (15 epochs per trial, and 6 as hylo's fresh
   trials), and random search over that space, each for the same wall-clock budget.
   Reported: best test accuracy at the end, and the time hylo needs to reach the
   validation accuracy Optuna TPE (15 epochs) ends with (the goal: at most half of the
   time Optuna TPE needs for it) — per seed, and on the seed-averaged anytime curves
   (best-so-far validation and test accuracy vs time; one seed's best is a maximum
   over noisy trials on a small validation set, the average over seeds is not). The
   averaged test-accuracy curves are plotted next to the JSON file (``OUT.png``).
2. **Weight inheritance** — the same evolutionary search with children inheriting
   their parent's weights (trained 2 epochs) vs every child retrained from scratch
   (6 epochs, as a fresh trial): training epochs spent, across the whole search, until the best
   validation accuracy reaches the target (the best the from-scratch search reaches;
   and, symmetric, the best both searches reach). Goal: <= 30 %.
3. **Controlled inheritance** — children of a trained parent (random Net2Net and
   ordinary mutations): epochs each needs to reach 98 % of its parent's validation
   accuracy when it inherits the parent's weights vs when it starts from scratch.
4. **Warm start** — time to reach the target with and without the library: the two
   hylo rows of part 1 (past tasks: the other datasets), and digits after runs on
   digits 0–4 and 5–9 (related tasks: configurations and weights carry over).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hylo.automl import (
    AutoML,
    Dataset,
    Network,
    TrainConfig,
    accuracy,
    build_network,
    deepen,
    deepen_targets,
    load_dataset,
    mutate,
    optuna_mlp_search,
    parse_architecture,
    record_run,
    split,
    train,
    warm_start_configs,
    widen,
    widen_targets,
)
from hylo.library import open_library

DATASETS = ("digits", "breast_cancer", "wine", "mnist")
BUDGET_SCALE = {"mnist": 4.0}
"""MNIST (3,000 training images of 28×28) trains far slower per epoch: a longer budget."""


def budget_for(name: str, budget_s: float) -> float:
    return budget_s * BUDGET_SCALE.get(name, 1.0)


OPTIONS: dict[str, Any] = {}
"""Settings every hylo search here gets (from the command line, e.g. ``--explore``)."""
METHODS = ("optuna-tpe", "optuna-tpe-6ep", "random", "hylo", "hylo-cold")


def time_to(history: list[dict[str, float]], target: float, key: str = "seconds") -> float | None:
    """When the best validation accuracy first reached ``target`` (None: never)."""
    for h in history:
        if h["best_val_accuracy"] >= target - 1e-9:
            return h[key]
    return None


def incumbent_at(history: list[dict[str, float]], x: float, key: str, axis: str) -> float:
    """The best-so-far trial's ``key`` once ``axis`` (seconds, epochs) reached ``x``
    (0 before any trial has finished)."""
    value = 0.0
    for h in history:
        if h[axis] > x:
            break
        value = h[key]
    return value


def seed_mean(
    histories: list[list[dict[str, float]]], grid: list[float], key: str, axis: str = "seconds"
) -> list[float]:
    """The anytime curve of ``key`` averaged over runs (seeds), on ``grid``."""
    return [statistics.mean(incumbent_at(h, x, key, axis) for h in histories) for x in grid]


def first_reach(grid: list[float], curve: list[float], target: float) -> float | None:
    return next((x for x, v in zip(grid, curve, strict=True) if v >= target - 1e-9), None)


def reach_ratio(
    grid: list[float], curve: list[float], baseline: list[float], target: float
) -> float | None:
    """When ``curve`` first reaches ``target``, over when ``baseline`` does (None: the
    curve never does, or the baseline starts there)."""
    a, b = first_reach(grid, curve, target), first_reach(grid, baseline, target)
    return None if a is None or not b else a / b


def mean_curves(
    search: list[dict[str, Any]], name: str, key: str, points: int = 401
) -> tuple[list[float], dict[str, list[float]]]:
    """Seed-averaged anytime curves of one dataset: ``key`` of each method's incumbent."""
    rows = [r for r in search if r["dataset"] == name]
    grid = [float(t) for t in np.linspace(0.0, rows[0]["budget_s"], points)]
    return grid, {m: seed_mean([r[m]["history"] for r in rows], grid, key) for m in METHODS}


def curve_time_ratio(search: list[dict[str, Any]], name: str, key: str) -> float | None:
    """On seed-averaged curves: when hylo's reaches the value Optuna TPE's ends at, over
    when TPE's own curve first reaches it (None: hylo's never does).

    Averaging over seeds first is what keeps this from measuring luck: one seed's best
    validation accuracy is a maximum over noisy trials on a small validation set.
    """
    grid, curves = mean_curves(search, name, key)
    target = curves["optuna-tpe"][-1]
    return reach_ratio(grid, curves["hylo"], curves["optuna-tpe"], target)


def curve_epochs_ratio(inherit: list[dict[str, Any]], name: str) -> float | None:
    """Inheritance on seed-averaged best-validation-vs-epochs curves: epochs until the
    inheriting search's curve reaches the value the from-scratch one ends at, over the
    epochs the from-scratch curve needs for it."""
    rows = [r for r in inherit if r["dataset"] == name]
    end = max(h[-1]["epochs"] for r in rows for h in (r["inherit_history"], r["scratch_history"]))
    grid = [float(x) for x in np.linspace(0.0, end, 801)]
    inh = seed_mean([r["inherit_history"] for r in rows], grid, "best_val_accuracy", "epochs")
    scr = seed_mean([r["scratch_history"] for r in rows], grid, "best_val_accuracy", "epochs")
    target = min(scr[-1], inh[-1])  # the best both reach, on average
    return reach_ratio(grid, inh, scr, target)


def related_curve_ratio(related: list[dict[str, Any]]) -> float | None:
    """Warm start on seed-averaged best-validation curves: when the search with the
    library reaches the value the one without it ends at, over when that one does."""
    grid = [float(t) for t in np.linspace(0.0, related[0]["budget_s"], 401)]
    hot = seed_mean([r["with_library_history"] for r in related], grid, "best_val_accuracy")
    cold = seed_mean([r["without_library_history"] for r in related], grid, "best_val_accuracy")
    return reach_ratio(grid, hot, cold, cold[-1])


def plot_curves(search: list[dict[str, Any]], path: Path) -> None:
    """Best-so-far test accuracy vs time, averaged over seeds, one panel per dataset."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(DATASETS), figsize=(4.2 * len(DATASETS), 3.4))
    for ax, name in zip(axes, DATASETS, strict=True):
        grid, curves = mean_curves(search, name, "test_accuracy")
        for m, curve in curves.items():
            ax.plot(grid, curve, label=m)
        low = min(min(c[len(c) // 4 :]) for c in curves.values())
        ax.set(title=name, xlabel="seconds", ylim=(max(0.0, low - 0.01), None))
    axes[0].set_ylabel("test accuracy of the best-so-far trial")
    axes[-1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def fill_library(path: Path, budget_s: float) -> None:
    """Past experience: one hylo run per dataset (on another split seed than the tests)."""
    with open_library(path) as store:
        for name in DATASETS:
            data = load_dataset(name, seed=100)
            automl = AutoML(budget_s=budget_for(name, budget_s), seed=100, **OPTIONS).fit(data)
            record_run(store, automl, data)
            print(f"library: {name} best val {automl.best_.val_accuracy:.3f}", flush=True)


def search_runs(library: Path, base_budget_s: float, seeds: list[int]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name in DATASETS:
        budget_s = budget_for(name, base_budget_s)
        for seed in seeds:
            data = load_dataset(name, seed=seed)
            with open_library(library) as store:
                warm = warm_start_configs(store, data.features(), exclude=name)
            runs: dict[str, Any] = {}
            for method in METHODS:
                if method in ("optuna-tpe", "optuna-tpe-6ep", "random"):
                    sampler = "random" if method == "random" else "tpe"
                    epochs = 6 if method == "optuna-tpe-6ep" else 15
                    res = optuna_mlp_search(
                        data, budget_s, sampler=sampler, seed=seed, epochs=epochs
                    )
                    best, history = res.best, res.history
                else:
                    automl = AutoML(
                        budget_s=budget_s,
                        seed=seed,
                        warm_start=warm if method == "hylo" else (),
                        **OPTIONS,
                    ).fit(data)
                    best, history = automl.best_, automl.history_
                runs[method] = {
                    "test_accuracy": best.test_accuracy,
                    "val_accuracy": best.val_accuracy,
                    "architecture": best.architecture,
                    "history": history,
                }
            target = runs["optuna-tpe"]["val_accuracy"]
            row = {"dataset": name, "seed": seed, "budget_s": budget_s, "target_val": target}
            for method, run in runs.items():
                row[method] = {
                    "test_accuracy": run["test_accuracy"],
                    "val_accuracy": run["val_accuracy"],
                    "seconds_to_target": time_to(run["history"], target),
                    "architecture": run["architecture"],
                    "history": run["history"],
                }
            rows.append(row)
            print(_search_line(row), flush=True)
    return rows


def _search_line(row: dict[str, Any]) -> str:
    parts = [f"{row['dataset']:>13} s{row['seed']} target {row['target_val']:.3f}"]
    for m in METHODS:
        r = row[m]
        t = r["seconds_to_target"]
        parts.append(f"{m} test {r['test_accuracy']:.3f} t {'never' if t is None else f'{t:.1f}s'}")
    return " | ".join(parts)


def inheritance_runs(base_budget_s: float, seeds: list[int]) -> list[dict[str, Any]]:
    rows = []
    for name in ("digits", "breast_cancer", "mnist"):
        budget_s = budget_for(name, base_budget_s)
        for seed in seeds:
            data = load_dataset(name, seed=seed)
            with_inh = AutoML(budget_s=budget_s, seed=seed, inherit=True, **OPTIONS).fit(data)
            scratch = AutoML(budget_s=budget_s, seed=seed, inherit=False, **OPTIONS).fit(data)
            target = scratch.best_.val_accuracy
            row = {
                "dataset": name,
                "seed": seed,
                "target_val": target,
                "inherit_epochs": time_to(with_inh.history_, target, "epochs"),
                "scratch_epochs": time_to(scratch.history_, target, "epochs"),
                "inherit_seconds": time_to(with_inh.history_, target),
                "scratch_seconds": time_to(scratch.history_, target),
                # Symmetric: the best accuracy both searches reach (the from-scratch
                # best alone is a maximum over its own noisy trials).
                "common_target_val": (common := min(target, with_inh.best_.val_accuracy)),
                "inherit_epochs_common": time_to(with_inh.history_, common, "epochs"),
                "scratch_epochs_common": time_to(scratch.history_, common, "epochs"),
                "inherit_best_val": with_inh.best_.val_accuracy,
                "inherit_test": with_inh.best_.test_accuracy,
                "scratch_test": scratch.best_.test_accuracy,
                "inherit_history": with_inh.history_,
                "scratch_history": scratch.history_,
            }
            rows.append(row)
            print(
                f"inheritance {name} s{seed}: target {target:.3f}; epochs to target "
                f"{row['inherit_epochs']} (inherit) vs {row['scratch_epochs']} (scratch)",
                flush=True,
            )
    return rows


def related_warm_start(budget_s: float, seeds: list[int]) -> list[dict[str, Any]]:
    """Warm start after related tasks: digits 0–4 and 5–9 seen before, then all digits.

    Time until the best validation accuracy reaches what the search without the
    library ends with, with and without the library (configurations and weights).
    """
    from sklearn.datasets import load_digits  # type: ignore[import-untyped]

    raw = load_digits()
    x, y = raw.images[:, None, :, :] / 16.0, raw.target
    rows = []
    for seed in seeds:
        with tempfile.TemporaryDirectory() as tmp, open_library(Path(tmp) / "lib.hylo") as store:
            for name, mask in (("digits-0to4", y < 5), ("digits-5to9", y >= 5)):
                past = split(name, x[mask], y[mask], seed=100 + seed)
                record_run(
                    store, AutoML(budget_s=budget_s, seed=100 + seed, **OPTIONS).fit(past), past
                )
            data = split("digits-all", x, y, seed=seed)
            warm = warm_start_configs(store, data.features())
        cold = AutoML(budget_s=budget_s, seed=seed, **OPTIONS).fit(data)
        hot = AutoML(budget_s=budget_s, seed=seed, warm_start=warm, **OPTIONS).fit(data)
        target = cold.best_.val_accuracy
        row = {
            "seed": seed,
            "target_val": target,
            "with_library_seconds": time_to(hot.history_, target),
            "without_library_seconds": time_to(cold.history_, target),
            "with_library_test": hot.best_.test_accuracy,
            "without_library_test": cold.best_.test_accuracy,
            "transferred": sum(w.weights is not None for w in warm),
            "budget_s": budget_s,
            "with_library_history": hot.history_,
            "without_library_history": cold.history_,
        }
        rows.append(row)
        print(
            f"warm start after related tasks, digits s{seed}: target {target:.3f}; "
            f"{row['with_library_seconds']} s with library vs "
            f"{row['without_library_seconds']} s without",
            flush=True,
        )
    return rows


def epochs_to(net: Network, data: Dataset, target: float, max_epochs: int, seed: int) -> int | None:
    """Training epochs until validation accuracy reaches ``target`` (0: it starts there)."""
    if accuracy(net, data.x_val, data.y_val) >= target:
        return 0
    curve = train(net, data, TrainConfig(lr=3e-3, epochs=max_epochs, seed=seed)).curve
    return next((i + 1 for i, v in enumerate(curve) if v >= target), None)


def controlled_inheritance(seeds: list[int], children: int = 6) -> list[dict[str, Any]]:
    """Each child of a trained parent: epochs to the parent's accuracy, inherited vs fresh.

    Children come from random mutations (Net2Net widen/deepen and ordinary ones); a
    child "reaches the target" at 98 % of its parent's validation accuracy; the
    fresh copy has the same architecture with new random weights. A child that
    reaches it neither way within 30 epochs (a worse architecture) is left out; one
    that reaches it only one way counts 30 epochs for the other.
    """
    rows = []
    parents = {
        "digits": "(lam (dense_10 (relu (dense_64 (flatten (maxpool (relu (conv_3_16 $0))))))))",
        "breast_cancer": "(lam (dense_2 (relu (dense_32 (relu (dense_32 $0))))))",
    }
    for name, text in parents.items():
        for seed in seeds:
            data = load_dataset(name, seed=seed)
            rng = np.random.default_rng(seed)
            torch.manual_seed(seed)
            parent = build_network(parse_architecture(text), data.input_type)
            fit = train(parent, data, TrainConfig(lr=3e-3, epochs=20, seed=seed))
            target = 0.98 * fit.val_accuracy
            inh_total = scratch_total = skipped = 0
            kinds = []
            for _ in range(children):
                kind = str(rng.choice(["widen", "deepen", "ordinary"]))
                child = _mutant(parent, kind, rng)
                fresh = build_network(child.program, data.input_type)
                a = epochs_to(child, data, target, 30, seed)
                b = epochs_to(fresh, data, target, 30, seed)
                if a is None and b is None:  # the target is out of this architecture's reach
                    skipped += 1
                    continue
                inh_total += 30 if a is None else a
                scratch_total += 30 if b is None else b
                kinds.append(kind)
            rows.append(
                {
                    "dataset": name,
                    "seed": seed,
                    "target_val": target,
                    "mutations": kinds,
                    "inherit_epochs": inh_total,
                    "scratch_epochs": scratch_total,
                    "unreachable_children": skipped,
                }
            )
            print(
                f"controlled inheritance {name} s{seed}: {children} children, epochs to 98% of "
                f"parent: {inh_total} (inherit) vs {scratch_total} (scratch)",
                flush=True,
            )
    return rows


def _mutant(parent: Network, kind: str, rng: np.random.Generator) -> Network:
    if kind == "widen":
        key = str(rng.choice(widen_targets(parent)))
        width = int(next(i.name for i in parent.info if i.key == key).rsplit("_", 1)[1])
        return widen(parent, key, 2 * width, rng)
    if kind == "deepen":
        return deepen(parent, str(rng.choice(deepen_targets(parent))))
    return mutate(parent, rng)[0]


def summary(
    search: list[dict[str, Any]],
    inherit: list[dict[str, Any]],
    controlled: list[dict[str, Any]],
    related: list[dict[str, Any]],
) -> dict[str, Any]:
    def ratio(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None or b <= 0 else a / b

    out: dict[str, Any] = {}
    for m in METHODS:
        out[f"mean_test_{m}"] = statistics.mean(r[m]["test_accuracy"] for r in search)
    hylo_vs_tpe = [
        ratio(r["hylo"]["seconds_to_target"], r["optuna-tpe"]["seconds_to_target"]) for r in search
    ]
    warm_vs_cold = [
        ratio(r["hylo"]["seconds_to_target"], r["hylo-cold"]["seconds_to_target"]) for r in search
    ]
    inh = [ratio(r["inherit_epochs"], r["scratch_epochs"]) for r in inherit]
    out["hylo_time_over_tpe_time"] = hylo_vs_tpe
    out["median_hylo_time_over_tpe_time_by_dataset"] = {
        name: _median([x for r, x in zip(search, hylo_vs_tpe, strict=True) if r["dataset"] == name])
        for name in DATASETS
    }
    out["hylo_reached_tpe_best"] = sum(x is not None for x in hylo_vs_tpe)
    # The incumbent's validation accuracy (what the searches maximise) and test accuracy.
    for label, key in (("val_accuracy", "best_val_accuracy"), ("test_accuracy", "test_accuracy")):
        by_data = {name: curve_time_ratio(search, name, key) for name in DATASETS}
        out[f"seed_mean_curve_hylo_time_over_tpe_time_{label}"] = by_data
        out[f"median_seed_mean_curve_hylo_time_over_tpe_time_{label}"] = _median(
            list(by_data.values())
        )
    out["median_hylo_time_over_tpe_time"] = _median(hylo_vs_tpe)
    out["median_warm_over_cold_time"] = _median(warm_vs_cold)
    out["inherit_epochs_over_scratch"] = inh
    out["median_inherit_epochs_over_scratch"] = _median(inh)
    common = [ratio(r["inherit_epochs_common"], r["scratch_epochs_common"]) for r in inherit]
    out["inherit_epochs_over_scratch_common_target"] = common
    out["median_inherit_epochs_over_scratch_common_target"] = _median(common)
    by_data = {n: curve_epochs_ratio(inherit, n) for n in sorted({r["dataset"] for r in inherit})}
    out["seed_mean_curve_inherit_epochs_over_scratch"] = by_data
    out["median_seed_mean_curve_inherit_epochs_over_scratch"] = _median(list(by_data.values()))
    out["related_warm_over_cold_time"] = [
        ratio(r["with_library_seconds"], r["without_library_seconds"]) for r in related
    ]
    out["seed_mean_curve_related_warm_over_cold_time"] = related_curve_ratio(related)
    out["hylo_time_over_tpe6_time"] = [
        ratio(r["hylo"]["seconds_to_target"], r["optuna-tpe-6ep"]["seconds_to_target"])
        for r in search
    ]
    out["controlled_inherit_over_scratch"] = sum(r["inherit_epochs"] for r in controlled) / max(
        1, sum(r["scratch_epochs"] for r in controlled)
    )
    return out


def _median(xs: list[float | None]) -> float | None:
    # A run that never reached the target counts as infinitely slow.
    vals = [float("inf") if x is None else x for x in xs]
    return statistics.median(vals) if vals else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=8.0, help="seconds per search")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--explore", type=float, default=None, help="AutoML(explore=...) for every hylo search"
    )
    args = parser.parse_args()
    if args.explore is not None:
        OPTIONS["explore"] = args.explore
    torch.set_num_threads(1)
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        library = Path(tmp) / "past.hylo"
        fill_library(library, args.budget)
        search = search_runs(library, args.budget, args.seeds)
    inherit = inheritance_runs(args.budget * 1.5, args.seeds)
    controlled = controlled_inheritance(args.seeds)
    related = related_warm_start(args.budget, args.seeds)
    result = {
        "budget_s": args.budget,
        "options": OPTIONS,
        "seeds": args.seeds,
        "search": search,
        "inheritance": inherit,
        "controlled_inheritance": controlled,
        "related_warm_start": related,
        "summary": summary(search, inherit, controlled, related),
        "total_seconds": time.time() - start,
    }
    print(json.dumps(result["summary"], indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
        plot_curves(search, args.json.with_suffix(".png"))


if __name__ == "__main__":
    main()
