"""Neural modules inside programs: templates, differentiable execution, training, storage.

A program may call neural modules by name (``nn:digit#0`` fresh, ``nn:digit@3``
from the library; see :mod:`.modules`). :func:`train_program` trains the fresh
ones end to end through the program (:mod:`.soft`), :func:`predict` runs the
program hard, :class:`ModuleLibrary` keeps trained modules in the library store.

Layer: ``train``; imports ``lang``, ``domains`` and ``library``.
"""

from hylo.train.neural.fit import (
    EncodedExamples,
    ModuleSource,
    TrainConfig,
    TrainResult,
    bind,
    encode_examples,
    evaluate,
    instantiate_modules,
    module_names,
    predict,
    train_program,
)
from hylo.train.neural.modules import (
    TEMPLATES,
    VECTOR_DIM,
    ModuleRef,
    ModuleSpec,
    NeuralModule,
    NeuralNamespace,
    Template,
    module_primitive,
)
from hylo.train.neural.soft import SoftList, UnsupportedProgram, soft_run
from hylo.train.neural.store import (
    MODULE_KIND,
    WEIGHTS_FILE,
    ModuleInfo,
    ModuleLibrary,
    module_from_bytes,
    weights_bytes,
)

__all__ = [
    "MODULE_KIND",
    "TEMPLATES",
    "VECTOR_DIM",
    "WEIGHTS_FILE",
    "EncodedExamples",
    "ModuleInfo",
    "ModuleLibrary",
    "ModuleRef",
    "ModuleSource",
    "ModuleSpec",
    "NeuralModule",
    "NeuralNamespace",
    "SoftList",
    "Template",
    "TrainConfig",
    "TrainResult",
    "UnsupportedProgram",
    "bind",
    "encode_examples",
    "evaluate",
    "instantiate_modules",
    "module_from_bytes",
    "module_names",
    "module_primitive",
    "predict",
    "soft_run",
    "train_program",
    "weights_bytes",
]
