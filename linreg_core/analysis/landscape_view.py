"""What the surface panel draws, as plain values (no torch: the app unpickles it; landscape.py makes it)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LandscapeView:
    """The loss over two parameters around the run (linreg_core/analysis/landscape.py), training units, and where the
    run has been: what the app's surface panel draws. It answers commands.ShowLandscape and follows the run
    at the chart rate while the panel is shown."""

    names: tuple[str, str]  # the horizontal and the vertical parameter ("w[x0]", "b")
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    loss: tuple[tuple[float, ...], ...]  # (len(ys), len(xs))
    path: tuple[tuple[float, float], ...]  # the run's points, oldest first, thinned
    current: tuple[float, float]
    optimum: tuple[float, float]  # the optimum of the run's loss (least squares for MSE)
    true: tuple[float, float] | None  # the true parameters (synthetic data)
    held: str  # the other parameters: "current" or "optimum"
    loss_name: str
    rows: int  # rows the loss was computed on
    exact: bool
    units: str  # "data" or "standardized"
    lanes: tuple = ()  # a race: each lane's (path, current), lane order
