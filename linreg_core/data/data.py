"""Data behind one shape: synthetic `y = X·w + b + noise` drawn exactly as the tutorial draws it, or CSV
columns; then an optional train/test split and standardization.

The data are float64 from the source (the file's decimals, or the tutorial's float32 draws held exactly) to
the least-squares optimum and the metrics; only the tensors the trainer steps on are in --dtype."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..settings.config import Config, DataConfig, check_memory
from .csvdata import read_csv
from ..settings.errors import ConfigError, DataError


@dataclass(frozen=True)
class Dataset:
    """All samples in data units. X: (n, d) float64, y: (n, 1) float64."""

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


def synthetic(cfg: DataConfig, generator: torch.Generator, dtype: str = "float32") -> Dataset:
    """The tutorial's draws, in its order: X ~ N(0, 1), then the noise (the caller draws w next).

    float32 (the tutorial): y = X·w + b + noise summed in float32 as the tutorial does, so its numbers come
    out; the float32 values are then held exactly in float64. float64: the same draws, summed in float64, so
    the data do not depend on the CPU's float32 summation order either."""
    X = torch.normal(0, 1, (cfg.samples, len(cfg.weights)), generator=generator)  # (n, d) float32
    wide = dtype == "float64"
    if wide:
        X = X.double()
    y = torch.matmul(X, torch.tensor(cfg.weights, dtype=X.dtype)) + cfg.bias  # (n,)
    y += torch.normal(0, cfg.noise, y.shape, generator=generator).to(y.dtype)
    names = tuple(f"x{i}" for i in range(len(cfg.weights)))
    return Dataset(X.double(), y.reshape(-1, 1).double(), names, "y", tuple(cfg.weights), cfg.bias, "synthetic")


def from_csv(cfg: DataConfig, dtype: str = "float32") -> Dataset:
    """Columns of a CSV file: the target (default: the last) and the features (default: all others). Column
    errors name the option (--target, --features) and come before any cell is read."""
    def choose(names: tuple[str, ...]) -> tuple[str, ...]:
        target = cfg.target if cfg.target is not None else names[-1]
        if target not in names:
            raise DataError(f"has no column {target!r} for the target; columns: {', '.join(names)}", cfg.csv,
                            field="target")
        features = cfg.features if cfg.features is not None else tuple(n for n in names if n != target)
        missing = [f for f in features if f not in names]
        if missing:
            raise DataError(f"has no column {missing[0]!r}; columns: {', '.join(names)}", cfg.csv,
                            field="features")
        if target in features:
            raise DataError(f"column {target!r} cannot be both the target and a feature", cfg.csv,
                            field="features")
        if not features:
            raise DataError("has no feature columns besides the target", cfg.csv, field="features")
        return (*features, target)

    def check_rows(rows: int, columns: int) -> None:
        try:
            check_memory(rows, columns - 1, dtype, from_csv=True)
        except ConfigError as e:
            raise DataError(f"{e.errors['samples']} (refused before reading it all)", cfg.csv) from None

    table = read_csv(cfg.csv, choose, check_rows)
    features, target = table.names[:-1], table.names[-1]
    if table.n_rows < 2:
        raise DataError("has one row of data; at least two are needed", cfg.csv)
    all_rows = torch.stack([torch.frombuffer(c, dtype=torch.float64) for c in table.columns], dim=1)  # (n, k)
    table.columns.clear()  # the arrays' memory goes back as soon as the tensor holds the values
    if dtype == "float32":
        _refuse_beyond_float32(all_rows, table, cfg.csv)
    return Dataset(all_rows[:, :-1], all_rows[:, -1:], tuple(features), target, None, None, table.path)


FLOAT32_MAX = float(torch.finfo(torch.float32).max)


def _refuse_beyond_float32(rows: torch.Tensor, table, path: str) -> None:
    """A value float32 training would turn into inf is refused with its line and column (float64 takes it)."""
    too_big = rows.abs() > FLOAT32_MAX  # (n, columns)
    if bool(too_big.any()):
        r, c = (int(i) for i in too_big.nonzero()[0])
        raise DataError(f"{float(rows[r, c]):g} is beyond float32's range (±{FLOAT32_MAX:.3g}); "
                        "train with --dtype float64 for such values", path, table.lines[r], table.names[c])


def load(config: Config, generator: torch.Generator) -> Dataset:
    """The configured data set; synthetic draws come first from `generator`."""
    if config.data.csv is not None:
        return from_csv(config.data, config.dtype)
    return synthetic(config.data, generator, config.dtype)


@dataclass(frozen=True)
class Standardizer:
    """x' = (x - mean) / scale per feature, mean, scale: (d,); and y' = (y - y_mean) / y_scale for the target
    (0 and 1 unless the target is standardized). Identity when not standardizing."""

    mean: torch.Tensor
    scale: torch.Tensor
    y_mean: float = 0.0
    y_scale: float = 1.0

    @classmethod
    def fit(cls, X: torch.Tensor, y: torch.Tensor | None = None, features: bool = True) -> "Standardizer":
        """From the training samples: the features' (when `features`) and the target's (when y is given)."""
        if features:
            mean = X.mean(0)
            scale = X.std(0) if X.shape[0] > 1 else torch.ones_like(mean)
            scale = torch.where(scale > 0, scale, torch.ones_like(scale))
        else:
            mean, scale = torch.zeros(X.shape[1], dtype=X.dtype), torch.ones(X.shape[1], dtype=X.dtype)
        y_mean, y_scale = 0.0, 1.0
        if y is not None:
            y_mean = float(y.mean())
            sd = float(y.std()) if y.numel() > 1 else 0.0
            y_scale = sd if sd > 0 else 1.0
        return cls(mean, scale, y_mean, y_scale)

    @classmethod
    def identity(cls, d: int) -> "Standardizer":
        return cls(torch.zeros(d), torch.ones(d))

    def apply(self, X: torch.Tensor) -> torch.Tensor:
        return (X - self.mean.to(X)) / self.scale.to(X)

    def apply_target(self, y: torch.Tensor) -> torch.Tensor:
        return (y - self.y_mean) / self.y_scale

    def to_data_units(self, w: list[float], b: float) -> tuple[list[float], float]:
        """Parameters learned on standardized x (and y) back to the data's units: first y = y_scale·y' +
        y_mean, then w/scale, b - Σ w·mean/scale."""
        w = [wi * self.y_scale for wi in w]
        b = b * self.y_scale + self.y_mean
        mean, scale = self.mean.tolist(), self.scale.tolist()
        wd = [wi / si for wi, si in zip(w, scale)]
        return wd, b - sum(wi * mi for wi, mi in zip(wd, mean))

    def to_training_units(self, w: list[float], b: float) -> tuple[list[float], float]:
        """The inverse of to_data_units: w·scale, b + Σ w·mean, then (· − y_mean) / y_scale."""
        mean, scale = self.mean.tolist(), self.scale.tolist()
        wt, bt = [wi * si for wi, si in zip(w, scale)], b + sum(wi * mi for wi, mi in zip(w, mean))
        return [wi / self.y_scale for wi in wt], (bt - self.y_mean) / self.y_scale


@dataclass(frozen=True)
class Split:
    """Train and (optional) test samples in training units and dtype, X: (n, d), y: (n, 1); and the same
    samples as the data holds them (`raw_*`: float64, data units, on the CPU) for the least-squares optimum
    and the metrics."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor | None
    y_test: torch.Tensor | None
    standardizer: Standardizer
    standardized: bool  # features or target (or both) are trained on in standardized units
    raw_train: tuple[torch.Tensor, torch.Tensor]  # (X, y)
    raw_test: tuple[torch.Tensor, torch.Tensor] | None
    # (what is computed once from these samples, shared by every run or lane on them: model/derived.py)


def split(dataset: Dataset, test_fraction: float, standardize: bool, seed: int,
          dtype: torch.dtype, device: torch.device, standardize_target: bool = False) -> Split:
    """Hold out round(n·test_fraction) samples, chosen by a generator of its own so that the tutorial's
    draws are untouched; fit the standardizer (features, target or both) on the training part only."""
    n = dataset.X.shape[0]
    X, y = dataset.X, dataset.y
    X_test = y_test = None
    n_test = round(n * test_fraction)
    if test_fraction > 0:
        if n_test < 1 or n - n_test < 2:
            raise DataError(f"{test_fraction} of {n} samples leaves {n_test} for testing and "
                            f"{n - n_test} for training; need at least 1 and 2", field="test_fraction")
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed ^ 0x5EED))
        test_idx, train_idx = perm[:n_test].sort().values, perm[n_test:].sort().values
        X_test, y_test, X, y = X[test_idx], y[test_idx], X[train_idx], y[train_idx]
    raw_train, raw_test = (X, y), (None if X_test is None else (X_test, y_test))
    scaled = standardize or standardize_target
    std = (Standardizer.fit(X, y if standardize_target else None, features=standardize) if scaled
           else Standardizer.identity(X.shape[1]))
    if standardize:
        X = std.apply(X)
        X_test = std.apply(X_test) if X_test is not None else None
    if standardize_target:
        y = std.apply_target(y)
        y_test = std.apply_target(y_test) if y_test is not None else None

    def put(t):
        return None if t is None else t.to(device=device, dtype=dtype).contiguous()

    return Split(put(X), put(y), put(X_test), put(y_test), std, scaled, raw_train, raw_test)
