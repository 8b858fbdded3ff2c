"""AutoML: architectures as programs, hyperparameter search, weight inheritance, warm starts.

An architecture is a hylo program over layer primitives whose types carry shapes
(``vec(d64)``, ``img(d1, d8, d8)``); it compiles to a ``torch.nn.Module``. The search
is an Optuna study whose trials evolve architectures; children inherit their
parents' weights; finished runs go to the library and warm-start the next task.

>>> from hylo.automl import AutoML, load_dataset
>>> automl = AutoML(n_trials=3, epochs=3).fit(load_dataset("wine"))
>>> automl.best_.architecture.startswith("(lam")
True
"""

from hylo.automl._baselines import SearchResult, mlp_architecture, optuna_mlp_search
from hylo.automl._data import NAMED_DATASETS, Dataset, DatasetError, load_dataset, split
from hylo.automl._layers import (
    LAYER_FORMS,
    LAYERS,
    ArchitectureError,
    Block,
    Pipeline,
    check_architecture,
    img_type,
    layer_primitive,
    output_type,
    parse_architecture,
    seq_type,
    set_type,
    to_pipeline,
    to_program,
    vec_type,
)
from hylo.automl._library import RUN_KIND, record_run, task_distance, warm_start_configs
from hylo.automl._mutate import (
    deepen,
    deepen_targets,
    inherit,
    mutate,
    widen,
    widen_targets,
)
from hylo.automl._network import LayerInfo, Network, build_network
from hylo.automl._search import (
    MUTATIONS,
    PRUNERS,
    SAMPLERS,
    AutoML,
    TrialRecord,
    WarmStart,
    make_storage,
)
from hylo.automl._train import FitResult, OutOfTime, Pruned, TrainConfig, accuracy, train

__all__ = [
    "LAYERS",
    "LAYER_FORMS",
    "MUTATIONS",
    "NAMED_DATASETS",
    "PRUNERS",
    "RUN_KIND",
    "SAMPLERS",
    "ArchitectureError",
    "AutoML",
    "Block",
    "Dataset",
    "DatasetError",
    "FitResult",
    "LayerInfo",
    "Network",
    "OutOfTime",
    "Pipeline",
    "Pruned",
    "SearchResult",
    "TrainConfig",
    "TrialRecord",
    "WarmStart",
    "accuracy",
    "build_network",
    "check_architecture",
    "deepen",
    "deepen_targets",
    "img_type",
    "inherit",
    "layer_primitive",
    "load_dataset",
    "make_storage",
    "mlp_architecture",
    "mutate",
    "optuna_mlp_search",
    "output_type",
    "parse_architecture",
    "record_run",
    "seq_type",
    "set_type",
    "split",
    "task_distance",
    "to_pipeline",
    "to_program",
    "train",
    "vec_type",
    "warm_start_configs",
    "widen",
    "widen_targets",
]
