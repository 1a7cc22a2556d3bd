"""From a Config to what a Trainer needs: the data set and the initial parameters, drawn from one
generator seeded with the seed in the tutorial's order (X, noise, then w), or read from a parameter file."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from . import data
from .config import Config, LABELS
from .errors import ConfigError
from .paramsfile import load_params

INIT_WEIGHT_SD = 0.01  # w ~ N(0, 0.01)
INIT_BIAS = 0.01


@dataclass(frozen=True)
class Experiment:
    """A data set and its starting point. init_weights: (d,) python floats. Drawn starting points are in
    training units (the tutorial's); ones read from a file are in data units (init_in_data_units)."""

    config: Config
    dataset: data.Dataset
    init_weights: tuple[float, ...]
    init_bias: float = INIT_BIAS
    init_in_data_units: bool = False


def prepare(config: Config) -> Experiment:
    """Draw (or read) the data, then the initial weights. Raises DataError for a bad CSV or parameter file."""
    generator = torch.Generator().manual_seed(config.seed)
    dataset = data.load(config, generator)
    if config.init_params is not None:
        weights, bias = load_params(config.init_params, dataset.n_features)
        return Experiment(config, dataset, weights, bias, init_in_data_units=True)
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
