"""What is computed once from a training split and shared by every run or lane trained on it: its moments,
the least-squares optimum, each loss's optimum and the diagnosis' facts (and, in analysis/, the surface's
statistics). Typed attributes, kept beside the split (weakly: they go when the split goes), so no module
reaches into another's dictionary."""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from .moments import Moments, moments


@dataclass
class Derived:
    X: object  # the split's training X and y (training units), what the statistics are of
    y: object
    _moments: Moments | None = None
    least_squares: tuple | None = None  # (weights, bias) in data units, from the float64 data
    optima: dict = field(default_factory=dict)  # (loss, target scale) -> optimum.Optimum
    facts: dict = field(default_factory=dict)  # loss -> diagnosis.DataFacts
    surfaces: dict = field(default_factory=dict)  # loss -> analysis.landscape.Landscape

    @property
    def moments(self) -> Moments:
        if self._moments is None:
            self._moments = moments(self.X, self.y)
        return self._moments


_DERIVED: dict[int, Derived] = {}  # id(split) -> its statistics, dropped when the split is collected


def derived(split) -> Derived:
    """The statistics of `split` (data.Split), made on first use."""
    key = id(split)
    found = _DERIVED.get(key)
    if found is None:
        found = _DERIVED[key] = Derived(split.X_train, split.y_train)
        weakref.finalize(split, _DERIVED.pop, key, None)
    return found
