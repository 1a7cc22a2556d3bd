"""From a Config to what a Trainer needs: the data set and the initial parameters, drawn from one
generator seeded with the seed in the tutorial's order (X, noise, then w)."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from . import data
from .config import Config, LABELS
from .errors import ConfigError

INIT_WEIGHT_SD = 0.01  # w ~ N(0, 0.01)
INIT_BIAS = 0.01


@dataclass(frozen=True)
class Experiment:
    """A data set and the starting point drawn for it. init_weights: (d,) python floats (float32 values)."""

    config: Config
    dataset: data.Dataset
    init_weights: tuple[float, ...]
    init_bias: float = INIT_BIAS


def prepare(config: Config) -> Experiment:
    """Draw (or read) the data, then the initial weights. Raises DataError for a bad CSV file."""
    generator = torch.Generator().manual_seed(config.seed)
    dataset = data.load(config, generator)
    w0 = torch.normal(0, INIT_WEIGHT_SD, size=(dataset.n_features, 1), generator=generator)
    return Experiment(config, dataset, tuple(w0.reshape(-1).tolist()))


def resolve_device(name: str) -> torch.device:
    """auto: cuda when available, else cpu. Asking for cuda without one is refused, naming the field."""
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError({"device": "cuda is not available here (no CUDA GPU or a CPU-only torch); use cpu or auto"},
                          LABELS)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)
