"""Learning-rate schedules: the factor applied to the base rate during a given (0-based) epoch."""
from __future__ import annotations

import math

STEP_EVERY, STEP_GAMMA = 10, 0.5  # step: halve every 10 epochs
EXP_GAMMA = 0.95  # exponential: ×0.95 per epoch


def factor(name: str, epoch: int, epochs: int) -> float:
    if name == "constant":
        return 1.0
    if name == "step":
        return STEP_GAMMA ** (epoch // STEP_EVERY)
    if name == "exponential":
        return EXP_GAMMA**epoch
    if name == "inverse":  # inverse scaling, 1/√(1 + epoch)
        return 1.0 / math.sqrt(1.0 + epoch)
    if name == "cosine":  # from 1 down towards 0 over the run
        return 0.5 * (1.0 + math.cos(math.pi * epoch / max(epochs, 1)))
    raise ValueError(f"unknown schedule {name!r}")
