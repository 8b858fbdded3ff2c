"""A hybrid program fitted in one call: "count the digits above c" on real digit images.

    (lam (count (lam (gt? (nn:digit#0 $0) #c0:int)) $0))

The threshold ``c`` is unknown and discrete (no gradient reaches it), the digit
classifier is a neural module. Supervision is the count only. Two settings:

* **library**: the classifier starts from one trained before on labelled single
  images (a library module, fine-tuned here);
* **fresh**: the classifier starts from random weights.

For each training-set size, :func:`hylo.train.hybrid.fit_hybrid` fits ``c`` by CMA-ES
and the weights by Adam, alternating; the script prints the fitted ``c`` and the test
accuracy on lists of 2–5 held-out images. The true ``c`` is 6.

Usage: ``python benchmarks/hybrid_threshold.py [--source sklearn|mnist] [--json OUT]``
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np
import torch

from hylo.domains.digits import DIGITS, load_digit_images
from hylo.lang import parse, parse_type
from hylo.train.hybrid import fit_hybrid
from hylo.train.neural import (
    NeuralNamespace,
    TrainConfig,
    encode_examples,
    evaluate,
    instantiate_modules,
    train_program,
)

THRESHOLD = 6
NS = NeuralNamespace(DIGITS.namespace)
PROGRAM = parse("(lam (count (lam (gt? (nn:digit#0 $0) #c0:int)) $0))", NS)
CLASSIFIER = parse("(lam (nn:digit#0 $0))", NS)


def lists(x: np.ndarray, y: np.ndarray, n: int, rng: np.random.Generator) -> list[Any]:
    out = []
    for _ in range(n):
        idx = rng.choice(len(x), size=int(rng.integers(2, 6)), replace=False)
        out.append(([list(x[idx])], int((y[idx] > THRESHOLD).sum())))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="sklearn", choices=("sklearn", "mnist"))
    parser.add_argument("--sizes", default="20,50,200")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = load_digit_images(args.source)
    rng = np.random.default_rng(0)
    # The library module: a classifier from 300 labelled single training images.
    pick = rng.choice(len(data.train_x), size=300, replace=False)
    singles = encode_examples(
        [((data.train_x[i],), int(data.train_y[i])) for i in pick], parse_type("image -> int")
    )
    library = instantiate_modules(CLASSIFIER, data.image_shape)
    train_program(CLASSIFIER, *singles.split(0.2, 0), library, TrainConfig(epochs=40))
    list_type = parse_type("list(image) -> int")
    test = encode_examples(lists(data.test_x, data.test_y, 500, rng), list_type)
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        examples = encode_examples(lists(data.train_x, data.train_y, n, rng), list_type)
        train, val = examples.split(0.25, 0)
        for setting in ("library", "fresh"):
            modules = instantiate_modules(PROGRAM, data.image_shape, seed=1)
            if setting == "library":
                modules["nn:digit#0"].load_state_dict(library["nn:digit#0"].state_dict())
            start = time.perf_counter()
            result = fit_hybrid(PROGRAM, train, val, modules)
            accuracy, rmse = evaluate(PROGRAM, test, modules, result.params)
            row = {
                "n": n,
                "setting": setting,
                "c": result.params[0],
                "test_accuracy": accuracy,
                "test_rmse": rmse,
                "rounds": result.rounds,
                "seconds": time.perf_counter() - start,
            }
            rows.append(row)
            print(
                f"n={n:<4} {setting:<8} c={row['c']} (true {THRESHOLD})  "
                f"test accuracy {accuracy:.3f}  rmse {rmse:.2f}  "
                f"{result.rounds} round(s), {row['seconds']:.1f} s"
            )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"source": args.source, "threshold": THRESHOLD, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
