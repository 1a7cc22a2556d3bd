"""Races a person asks for with one key: lanes made from the current settings (plain Configs, no torch)."""
from __future__ import annotations

import math

from .config import FIELDS, LOSSES, OPTIMIZERS, Config

LR_STEPS = 3  # learning-rate lanes per factor of 10: ×1/10, ×0.22, ×0.46, ×1, ×2.2, ×4.6, ×10


def round_lr(lr: float) -> float:
    """Three significant digits, kept inside --lr's range."""
    digits = 2 - math.floor(math.log10(lr))
    return min(FIELDS["lr"].hi, max(round(lr, digits), 1e-12))


def learning_rates(config: Config, n_train: int | None = None) -> list[Config]:
    lr = config.train.lr
    rates = dict.fromkeys(round_lr(lr * 10 ** (k / LR_STEPS)) for k in range(-LR_STEPS, LR_STEPS + 1))
    return [config.replace(lr=r) for r in rates]


def optimizers(config: Config, n_train: int | None = None) -> list[Config]:
    return [config.replace(optimizer=o) for o in OPTIMIZERS]


def batch_sizes(config: Config, n_train: int | None = None) -> list[Config]:
    full = n_train or config.data.samples
    sizes = dict.fromkeys(s for s in (1, 16, 64, full) if s <= full)
    return [config.replace(batch_size=s) for s in sizes]


def standardization(config: Config, n_train: int | None = None) -> list[Config]:
    return [config.replace(standardize=False), config.replace(standardize=True)]


def losses(config: Config, n_train: int | None = None) -> list[Config]:
    return [config.replace(loss=name) for name in LOSSES]


PRESETS = {  # name: (what it races, lanes)
    "lr": ("learning rates ×1/10 … ×10 around the current one", learning_rates),
    "optimizers": ("the six optimizers", optimizers),
    "batch": ("batch sizes 1, 16, 64 and all the training samples", batch_sizes),
    "standardize": ("standardized features or not", standardization),
    "losses": ("the three losses (mae, mse, huber)", losses),
}


def preset(name: str, config: Config, n_train: int | None = None) -> list[Config]:
    """The lanes of a preset race on this config (n_train: the training samples, for the full batch)."""
    return PRESETS[name][1](config, n_train)
