"""Data behind one shape: synthetic `y = X·w + b + noise` drawn exactly as the tutorial draws it, or CSV
columns; then an optional train/test split and standardization."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .config import Config, DataConfig, check_memory
from .csvdata import read_csv
from .errors import DataError


@dataclass(frozen=True)
class Dataset:
    """All samples in data units. X: (n, d) float32, y: (n, 1) float32."""

    X: torch.Tensor
    y: torch.Tensor
    feature_names: tuple[str, ...]
    target_name: str
    true_weights: tuple[float, ...] | None  # None for CSV data
    true_bias: float | None
    source: str  # "synthetic" or the CSV path

    @property
    def n_features(self) -> int:
        return self.X.shape[1]


def synthetic(cfg: DataConfig, generator: torch.Generator) -> Dataset:
    """The tutorial's draws, in its order: X ~ N(0, 1), then the noise (the caller draws w next)."""
    true_w = torch.tensor(cfg.weights)
    X = torch.normal(0, 1, (cfg.samples, len(cfg.weights)), generator=generator)  # (n, d)
    y = torch.matmul(X, true_w) + cfg.bias  # (n,)
    y += torch.normal(0, cfg.noise, y.shape, generator=generator)
    names = tuple(f"x{i}" for i in range(len(cfg.weights)))
    return Dataset(X, y.reshape(-1, 1), names, "y", tuple(cfg.weights), cfg.bias, "synthetic")


def from_csv(cfg: DataConfig, dtype: str = "float32") -> Dataset:
    """Columns of a CSV file: the target (default: the last) and the features (default: all others)."""
    table = read_csv(cfg.csv)
    target = cfg.target if cfg.target is not None else table.names[-1]
    if target not in table.names:
        raise DataError(f"has no column {target!r} for the target; columns: {', '.join(table.names)}", cfg.csv)
    features = cfg.features if cfg.features is not None else tuple(n for n in table.names if n != target)
    missing = [f for f in features if f not in table.names]
    if missing:
        raise DataError(f"has no column {missing[0]!r}; columns: {', '.join(table.names)}", cfg.csv)
    if target in features:
        raise DataError(f"column {target!r} cannot be both the target and a feature", cfg.csv)
    if not features:
        raise DataError("has no feature columns besides the target", cfg.csv)
    if len(table.rows) < 2:
        raise DataError("has one row of data; at least two are needed", cfg.csv)
    check_memory(len(table.rows), len(features), dtype)
    all_rows = torch.tensor(table.rows, dtype=torch.float64)  # (n, columns)
    cols = [table.names.index(f) for f in features]
    X = all_rows[:, cols].to(torch.float32)
    y = all_rows[:, table.names.index(target)].reshape(-1, 1).to(torch.float32)
    return Dataset(X, y, tuple(features), target, None, None, table.path)


def load(config: Config, generator: torch.Generator) -> Dataset:
    """The configured data set; synthetic draws come first from `generator`."""
    if config.data.csv is not None:
        return from_csv(config.data, config.dtype)
    return synthetic(config.data, generator)


@dataclass(frozen=True)
class Standardizer:
    """x' = (x - mean) / scale per feature. mean, scale: (d,). Identity when not standardizing."""

    mean: torch.Tensor
    scale: torch.Tensor

    @classmethod
    def fit(cls, X: torch.Tensor) -> "Standardizer":
        mean = X.mean(0)
        scale = X.std(0) if X.shape[0] > 1 else torch.ones_like(mean)
        return cls(mean, torch.where(scale > 0, scale, torch.ones_like(scale)))

    @classmethod
    def identity(cls, d: int) -> "Standardizer":
        return cls(torch.zeros(d), torch.ones(d))

    def apply(self, X: torch.Tensor) -> torch.Tensor:
        return (X - self.mean.to(X)) / self.scale.to(X)

    def to_data_units(self, w: list[float], b: float) -> tuple[list[float], float]:
        """Weights learned on standardized x back to the data's units: w/scale, b - Σ w·mean/scale."""
        mean, scale = self.mean.tolist(), self.scale.tolist()
        wd = [wi / si for wi, si in zip(w, scale)]
        return wd, b - sum(wi * mi for wi, mi in zip(wd, mean))

    def to_training_units(self, w: list[float], b: float) -> tuple[list[float], float]:
        """The inverse of to_data_units: w·scale, b + Σ w·mean."""
        mean, scale = self.mean.tolist(), self.scale.tolist()
        return [wi * si for wi, si in zip(w, scale)], b + sum(wi * mi for wi, mi in zip(w, mean))


@dataclass(frozen=True)
class Split:
    """Train and (optional) test samples in training units and dtype. X: (n, d), y: (n, 1)."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor | None
    y_test: torch.Tensor | None
    standardizer: Standardizer
    standardized: bool


def split(dataset: Dataset, test_fraction: float, standardize: bool, seed: int,
          dtype: torch.dtype, device: torch.device) -> Split:
    """Hold out round(n·test_fraction) samples, chosen by a generator of its own so that the tutorial's
    draws are untouched; fit the standardizer on the training part only."""
    n = dataset.X.shape[0]
    X, y = dataset.X, dataset.y
    X_test = y_test = None
    n_test = round(n * test_fraction)
    if test_fraction > 0:
        if n_test < 1 or n - n_test < 2:
            raise DataError(f"test fraction {test_fraction} of {n} samples leaves {n_test} for testing and "
                            f"{n - n_test} for training; need at least 1 and 2")
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed ^ 0x5EED))
        test_idx, train_idx = perm[:n_test].sort().values, perm[n_test:].sort().values
        X_test, y_test, X, y = X[test_idx], y[test_idx], X[train_idx], y[train_idx]
    std = Standardizer.fit(X) if standardize else Standardizer.identity(X.shape[1])
    if standardize:
        X = std.apply(X)
        X_test = std.apply(X_test) if X_test is not None else None

    def put(t):
        return None if t is None else t.to(device=device, dtype=dtype).contiguous()

    return Split(put(X), put(y), put(X_test), put(y_test), std, standardize)
