"""AutoML runs in the library, and warm starts from the most similar past tasks.

A finished search is kept as an artifact of kind ``"automl-run"``: the dataset's
features (size, input shape, number of classes), the study's name and storage (so
it can be resumed or opened in optuna-dashboard), the best configurations in rank
order, and the best network's weights (safetensors). The best model is also kept
as a ``"module"`` artifact (architecture program + weights).

A new task starts from the configurations that ranked best on the past tasks most
like it: each past configuration scores ``1 / (1 + distance) / (1 + rank)``.

>>> import tempfile
>>> from hylo.library import open_library
>>> with tempfile.TemporaryDirectory() as tmp, open_library(f"{tmp}/lib.db") as lib:
...     warm_start_configs(lib, {"num_examples": 100, "input_kind": "vec", "input_shape": [4],
...                              "num_features": 4, "num_classes": 2})
[]
"""

from __future__ import annotations

import math
from typing import Any

from safetensors.torch import save

from hylo.automl._data import Dataset
from hylo.automl._layers import (
    ArchitectureError,
    parse_architecture,
    to_pipeline,
    to_program,
    vec_type,
)
from hylo.automl._network import build_network
from hylo.automl._search import AutoML, WarmStart
from hylo.lang.program import show
from hylo.lang.types import parse_type
from hylo.library import ArtifactRecord, LibraryStore

RUN_KIND = "automl-run"


def task_distance(a: dict[str, Any], b: dict[str, Any]) -> float:
    """How unlike two tasks are, by their dataset features (0 for the same features)."""

    def log_gap(key: str) -> float:
        return abs(math.log(max(1, int(a[key]))) - math.log(max(1, int(b[key]))))

    kind = 0.0 if a["input_kind"] == b["input_kind"] else 3.0
    return kind + log_gap("num_examples") + log_gap("num_features") + log_gap("num_classes")


def record_run(
    store: LibraryStore, automl: AutoML, data: Dataset, *, top: int = 5
) -> ArtifactRecord:
    """Keep a finished search in the library (see the module doc); returns its record."""
    ranked = sorted(
        (t for t in automl.study_.trials if t.value is not None and "architecture" in t.user_attrs),
        key=lambda t: -float(t.value or 0.0),
    )
    best = automl.best_
    weights = save({k: v.contiguous() for k, v in automl.network_.state_dict().items()})
    metadata = {
        "features": data.features(),
        "study_name": automl.study_.study_name,
        "storage": automl.storage,
        "best": {
            "architecture": best.architecture,
            "params": best.params,
            "val_accuracy": best.val_accuracy,
            "test_accuracy": best.test_accuracy,
            "seconds": best.seconds,
        },
        "ranked": [
            {
                "architecture": t.user_attrs["architecture"],
                "params": _hyper(t.params | t.user_attrs.get("train", {})),
                "val_accuracy": t.value,
            }
            for t in ranked[:top]
        ],
        "num_trials": len(automl.study_.trials),
    }
    files = {"weights.safetensors": weights}
    module_meta = {
        "architecture": best.architecture,
        "input_type": data.features()["input_type"],
        "output_type": f"vec(d{data.num_classes})",
        "test_accuracy": best.test_accuracy,
        "source": f"automl study {automl.study_.study_name}",
    }
    store.put_artifact("module", f"{data.name}-classifier", module_meta, files)
    return store.put_artifact(RUN_KIND, f"automl-{data.name}", metadata, files)


def _hyper(params: dict[str, Any]) -> dict[str, Any]:
    # Only the optimiser settings carry over; architecture choices live in the program.
    return {k: params[k] for k in ("lr", "weight_decay", "batch_size") if k in params}


def warm_start_configs(
    store: LibraryStore,
    features: dict[str, Any],
    *,
    num_tasks: int = 3,
    num_configs: int = 3,
    exclude: str | None = None,
    max_distance: float = 3.0,
) -> list[WarmStart]:
    """The best configurations of the ``num_tasks`` past runs most similar to ``features``.

    Only past tasks within ``max_distance`` (:func:`task_distance`) count: a task with
    another kind of input (images vs vectors) is at least 3 away, so it never does.

    Architectures are adapted to the new task (the output layer gets its number of
    classes) and kept only if they type-check on its input; ``exclude`` skips past
    runs on a dataset of that name.
    """
    runs = [r for r in store.artifacts(RUN_KIND) if "features" in r.metadata]
    runs = [r for r in runs if exclude is None or r.metadata["features"].get("name") != exclude]
    runs = [r for r in runs if task_distance(features, r.metadata["features"]) < max_distance]
    runs.sort(key=lambda r: task_distance(features, r.metadata["features"]))
    scored: list[tuple[float, WarmStart]] = []
    for run in runs[:num_tasks]:
        d = task_distance(features, run.metadata["features"])
        for rank, config in enumerate(run.metadata.get("ranked", [])):
            arch = _adapt(str(config["architecture"]), features)
            if arch is None:
                continue
            warm = WarmStart(arch, dict(config["params"]))
            if rank == 0 and _same_input(run, features):  # its weights are the run's best
                best = str(run.metadata["best"]["architecture"])
                data = store.read_artifact_file(run, "weights.safetensors")
                warm = WarmStart(arch, warm.params, source=best, weights=data)
            scored.append((1 / (1 + d) / (1 + rank), warm))
    scored.sort(key=lambda s: -s[0])
    out: list[WarmStart] = []
    for _, w in scored:
        if all(w.architecture != o.architecture for o in out):
            out.append(w)
    return out[:num_configs]


def _same_input(run: ArtifactRecord, features: dict[str, Any]) -> bool:
    past = run.metadata["features"]
    same = past.get("input_type") == features.get("input_type")
    return bool(same) and "weights.safetensors" in run.files and "best" in run.metadata


def _adapt(text: str, features: dict[str, Any]) -> str | None:
    try:
        pipeline = to_pipeline(parse_architecture(text))
        last = pipeline[-1]
        if not (isinstance(last, str) and last.startswith("dense_")):
            return None
        body = pipeline[:-1]
        # An MLP carries over between images and vectors by adding or dropping `flatten`.
        if features["input_kind"] == "img" and body and body[0] != "flatten":
            body = ("flatten", *body)
        elif features["input_kind"] == "vec" and body and body[0] == "flatten":
            body = body[1:]
        program = to_program((*body, f"dense_{features['num_classes']}"))
        build_network(
            program, parse_type(features["input_type"]), vec_type(features["num_classes"])
        )
    except (ArchitectureError, KeyError):
        return None
    return show(program)
