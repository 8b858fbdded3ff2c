"""Training speed on the CPU vs a CUDA GPU: AutoML networks and program neural modules.

Times, on each device torch can use here, (a) AutoML's ``train`` of a fixed MLP and
CNN on the bundled datasets (seconds per epoch), and (b) one training step of a
program's digit classifier (:class:`~hylo.train.neural.NeuralModule`) on a batch the
size hybrid-program search uses (32 lists of ~3.5 images), which is what decides
whether that search gains from a GPU.

    python benchmarks/device_speed.py [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch

from hylo.automl import TrainConfig, build_network, load_dataset, parse_architecture, train
from hylo.automl._layers import to_program
from hylo.lang.program import show
from hylo.train.neural import ModuleSpec, NeuralModule
from hylo.train.neural.modules import cnn_shape

NETS = {
    "mlp": ("flatten", "dense_256", "relu", "dense_256", "relu", "dense_10"),
    "cnn": (
        *("conv_3_32", "relu", "maxpool", "conv_3_64", "relu", "maxpool", "flatten"),
        *("dense_128", "relu", "dense_10"),
    ),
}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def automl_epochs(device: torch.device, dataset: str, net_name: str, epochs: int) -> float:
    """Seconds per epoch of AutoML's ``train`` (validation pass included)."""
    data = load_dataset(dataset, seed=0)
    text = show(to_program(NETS[net_name]))
    net = build_network(parse_architecture(text), data.input_type).to(device)
    train(net, data, TrainConfig(epochs=1))  # warm-up: cuDNN autotuning, allocator
    _sync(device)
    start = time.perf_counter()
    train(net, data, TrainConfig(epochs=epochs))
    _sync(device)
    return (time.perf_counter() - start) / epochs


def module_steps(device: torch.device, side: int, steps: int = 200) -> float:
    """Seconds per Adam step of a digit classifier on 112 images of ``side``×``side``."""
    torch.manual_seed(0)
    shape = (side, side)
    module = NeuralModule(ModuleSpec("digit", side * side, (64,), cnn_shape(shape))).to(device)
    opt = torch.optim.Adam(module.parameters(), lr=3e-3)
    x = torch.rand(112, side, side, device=device)
    y = torch.randint(0, 10, (112,), device=device)
    for i in range(steps + 20):  # the first 20 warm up
        if i == 20:
            _sync(device)
            start = time.perf_counter()
        loss = torch.nn.functional.nll_loss(torch.log(module(x).clamp_min(1e-9)), y)
        opt.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
    _sync(device)
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    rows: list[dict[str, Any]] = []
    for device in devices:
        name = torch.cuda.get_device_name() if device.type == "cuda" else "cpu"
        for dataset, net_name in (("digits", "mlp"), ("mnist", "mlp"), ("mnist", "cnn")):
            s = automl_epochs(device, dataset, net_name, args.epochs)
            rows.append({"device": name, "what": f"automl {net_name} on {dataset}", "s": s})
            print(f"{name:>24}  automl {net_name} on {dataset}: {s:.3f} s/epoch", flush=True)
        for side in (8, 28):
            s = module_steps(device, side)
            rows.append({"device": name, "what": f"module step {side}x{side}", "s": s})
            what = f"module step, 112 images {side}x{side}"
            print(f"{name:>24}  {what}: {s * 1e3:.2f} ms", flush=True)
    meta = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    print(json.dumps(meta))
    if args.json is not None:
        args.json.write_text(json.dumps({"metadata": meta, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
