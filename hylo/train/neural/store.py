"""Neural modules in the library: architecture JSON + safetensors weights + provenance.

A trained module is an artifact of kind ``"module"``: its metadata holds the
architecture (:meth:`~hylo.train.neural.modules.ModuleSpec.to_json`), the task and
training data it came from, its metrics and the program it was trained in; its one
file, ``weights.safetensors``, holds the weights (never a pickle).

>>> import tempfile
>>> from hylo.library import open_library
>>> from hylo.train.neural.modules import ModuleSpec, NeuralModule
>>> module = NeuralModule(ModuleSpec("digit", 64))
>>> with tempfile.TemporaryDirectory() as tmp:
...     lib = open_library(f"{tmp}/lib.db", domain="digits")
...     library = ModuleLibrary(lib)
...     ref = library.save(module, "digit-classifier", {"task": "sum-digits"})
...     loaded = library.load(ref)
...     same = weights_bytes(loaded) == weights_bytes(module)
...     lib.close()
>>> same
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import safetensors.torch
import torch

from hylo.lang.errors import HyloError
from hylo.library import LibraryStore
from hylo.train.neural.modules import TEMPLATES, ModuleSpec, NeuralModule

__all__ = [
    "MODULE_KIND",
    "WEIGHTS_FILE",
    "ModuleInfo",
    "ModuleLibrary",
    "module_from_bytes",
    "weights_bytes",
]

MODULE_KIND = "module"
WEIGHTS_FILE = "weights.safetensors"


def weights_bytes(module: NeuralModule) -> bytes:
    """The module's weights as safetensors bytes (deterministic for equal weights)."""
    state = {k: v.detach().contiguous() for k, v in module.state_dict().items()}
    return safetensors.torch.save(state, metadata={"format": "hylo-mlp-v1"})


def module_from_bytes(spec: ModuleSpec, data: bytes) -> NeuralModule:
    """Rebuild a module from its architecture and safetensors bytes."""
    module = NeuralModule(spec)
    state: dict[str, torch.Tensor] = safetensors.torch.load(data)
    try:
        module.load_state_dict(state)
    except RuntimeError as exc:
        raise HyloError(f"weights do not fit the {spec.template} architecture: {exc}") from None
    return module


@dataclass(frozen=True)
class ModuleInfo:
    """One library module: artifact id, name, template and metadata."""

    id: int
    name: str
    template: str
    metadata: dict[str, Any]


class ModuleLibrary:
    """The neural modules of a library store; loads are cached (modules are frozen)."""

    def __init__(self, store: LibraryStore) -> None:
        self.store = store
        self._cache: dict[int, NeuralModule] = {}

    def save(self, module: NeuralModule, name: str, metadata: dict[str, Any]) -> int:
        """Store ``module`` with ``metadata`` (task, data, metrics, program) → artifact id."""
        meta = {**metadata, "architecture": module.spec.to_json()}
        rec = self.store.put_artifact(
            MODULE_KIND, name, meta, {WEIGHTS_FILE: weights_bytes(module)}
        )
        return rec.id

    def load(self, artifact: int) -> NeuralModule:
        """The module stored as ``artifact`` (the same object on every call)."""
        if artifact not in self._cache:
            rec = self.store.artifact(artifact)
            if rec.kind != MODULE_KIND:
                raise HyloError(f"artifact {artifact} ({rec.name!r}) is a {rec.kind}, not a module")
            spec = ModuleSpec.from_json(rec.metadata["architecture"])
            module = module_from_bytes(spec, self.store.read_artifact_file(rec, WEIGHTS_FILE))
            module.requires_grad_(False)
            module.eval()
            self._cache[artifact] = module
        return self._cache[artifact]

    def modules(self, template: str | None = None) -> list[ModuleInfo]:
        """Every stored module (of ``template``), oldest first."""
        out = []
        for rec in self.store.artifacts(kind=MODULE_KIND):
            arch = rec.metadata.get("architecture")
            # AutoML keeps its classifiers as modules too, with an architecture program
            # (text) rather than a template's spec: those are not templates' modules.
            if not isinstance(arch, dict) or arch.get("template") not in TEMPLATES:
                continue
            if template is None or arch.get("template") == template:
                out.append(
                    ModuleInfo(rec.id, rec.name, str(arch.get("template")), dict(rec.metadata))
                )
        return out
