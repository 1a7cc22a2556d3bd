"""Where a learning rate sits among the theory's two rates (plain Python: the app reads it without torch).

    best    2/(λmax + λmin): plain descent's fastest constant rate (λmin the smallest curvature above 0)
    stable  the largest rate at which full-batch descent (or the run's momentum) does not diverge
"""
from __future__ import annotations

from enum import StrEnum


class Place(StrEnum):
    BELOW_BEST = "below best"
    AT_BEST = "at best"
    BETWEEN = "between best and stable"
    ABOVE_STABLE = "above stable"


def place(lr: float, best: float, stable: float) -> Place:
    if lr >= stable:
        return Place.ABOVE_STABLE
    if lr < best * (1 - 1e-9):
        return Place.BELOW_BEST
    if lr <= best * (1 + 1e-9):
        return Place.AT_BEST
    return Place.BETWEEN
