"""From a Config to what a Trainer needs: the data set and the initial parameters, drawn from one
generator seeded with the seed in the tutorial's order (X, noise, then w), or read from a parameter file."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from . import data
from ..settings.config import Config, LABELS
from ..settings.errors import ConfigError
from ..settings.paramsfile import load_params

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


# `auto` trains on cuda only where a step has work enough to beat the launches it costs: a batch of at least
# this many cells (rows × features). Estimated from the one GPU run we had (H200, issue 20's note): the
# tutorial's 16 × 4 ran slower on the GPU (5.5 s against 4.5 s); at 1024 × 64 = 65,536 a step stripped of
# host syncs took 142 µs on cuda against 194 µs on its 16-core CPU; so the line sits at 32,768 cells. Not yet
# measured on both sides of the line with this engine (no GPU lent since): benchmarks/large_epoch.py does it.
AUTO_CUDA_MIN_BATCH_CELLS = 32_768


def resolve_device(name: str, batch_cells: int | None = None) -> torch.device:
    """auto: cuda when available and a batch has at least AUTO_CUDA_MIN_BATCH_CELLS cells (batch_cells:
    rows × features; None: size unknown, cuda when available), else cpu. Asking for cuda without one is
    refused, naming the field."""
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError({"device": "cuda is not available here (no CUDA GPU or a CPU-only torch); use cpu or auto"},
                          LABELS)
    if name == "auto":
        big = batch_cells is None or batch_cells >= AUTO_CUDA_MIN_BATCH_CELLS
        return torch.device("cuda" if big and torch.cuda.is_available() else "cpu")
    return torch.device(name)


def device_for(config: Config, experiment: Experiment) -> torch.device:
    """The device a run of `config` on `experiment`'s data trains on (the Trainer's, a race's lanes')."""
    n, d = experiment.dataset.X.shape
    return resolve_device(config.device, min(config.train.batch_size, n) * d)


def data_key(config) -> tuple:
    """The settings that change the samples or the initial parameters (changing others keeps the data). The
    dtype is one: float64 sums synthetic data in float64, and float32 refuses CSV values beyond its range."""
    d = config.data
    return (d.weights, d.bias, d.samples, d.noise, d.csv, d.target, d.features, config.seed, config.init_params,
            config.dtype)
