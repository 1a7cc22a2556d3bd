"""Base for plotext charts: filter and downsample before drawing, never let plotext take the app down.

plotext raises on inf, on huge values and on empty labelled series, and its build time grows with the
number of points, so every series goes through `clean()` first (finite, |v| < 1e15, at most ~2 points per
column) and `render()` turns any remaining plotext error into one line of text.
"""
from __future__ import annotations

import math

from rich.text import Text
from textual_plotext import PlotextPlot

from linreg_core.results import downsample

MARKERS = ("•", "x", "+", "o", "*", "#", "@", "%")  # series differ by marker, not only by colour
HUGE = 1e15


def clean(xs, ys, points: int) -> tuple[list[float], list[float]]:
    """Finite, plottable pairs, at most `points` of them."""
    pairs = [(x, y) for x, y in zip(xs, ys) if _ok(x) and _ok(y)]
    if not pairs:
        return [], []
    cx, cy = zip(*pairs)
    return downsample(list(cx), list(cy), points)


def _ok(v) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v) and abs(v) < HUGE


class Chart(PlotextPlot):
    """A chart that redraws from its app's RunData when marked dirty (by the app's refresh timer)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dirty = True
        self.empty_note = "no data yet — press space to train"

    def redraw(self, data) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        try:
            self.draw(plt, data, max(10, self.size.width * 2))
        except Exception as e:  # plotext or data trouble: say so instead of crashing
            self._error = f"chart unavailable: {e}"
        else:
            self._error = None
        self.dirty = False
        self.refresh()

    def draw(self, plt, data, points: int) -> None:  # pragma: no cover - subclasses draw
        raise NotImplementedError

    def render(self):
        if getattr(self, "_error", None):
            return Text(self._error)
        try:
            return super().render()
        except Exception as e:
            return Text(f"chart unavailable: {e}")
