"""Base for plotext charts: filter and downsample before drawing, never let plotext take the app down.

plotext raises on inf, on huge values and on empty labelled series, and its build time grows with the
number of points (measured here: a 56-column line of 56 points builds in ~8 ms, of 300 points in ~14 ms,
because every segment is interpolated), so every series goes through `clean()` first (finite,
|v| < 1e15, about one point per column, shared among a chart's series) and `render()` turns any remaining
plotext error into one line of text. SCATTER_POINTS caps scatters (300 points: ~6.5 ms, 150: ~5 ms).
"""
from __future__ import annotations

import math

from rich.text import Text
from textual_plotext import PlotextPlot

from linreg_core.model.results import downsample
from tui.widgets.ansi import ansi_to_text

MARKERS = ("•", "x", "+", "o", "*", "#", "@", "%")  # series differ by marker, not only by colour
HUGE = 1e15
SCATTER_POINTS = 200


def clean(xs, ys, points: int) -> tuple[list[float], list[float]]:
    """At most `points` evenly spaced pairs (chosen first, so the cost does not grow with the data),
    keeping only the finite, plottable ones."""
    xs, ys = downsample(xs, ys, points)
    pairs = [(x, y) for x, y in zip(xs, ys) if _ok(x) and _ok(y)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def pick(items: list, points: int) -> list:
    """At most `points` evenly spaced items, always the first and the last."""
    n = len(items)
    if n <= points or points < 2:
        return list(items)
    return [items[round(i * (n - 1) / (points - 1))] for i in range(points)]


def _ok(v) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v) and abs(v) < HUGE


class Chart(PlotextPlot):
    """A chart that redraws from its app's RunData when marked dirty (by the app's refresh timer)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dirty = True
        self._error = None
        self._cache = None  # (size, rendered plot): Textual repaints far more often than the data changes
        self.title_prefix = ""  # said before every title (a race's fit: "lane 3 · ")

    def redraw(self, data) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        try:
            self.draw(plt, data, max(10, self.size.width - 8))  # about one point per plot column
        except Exception as e:  # plotext or data trouble: say so instead of crashing
            self._error = f"chart unavailable: {e}"
        else:
            self._error = None
        self.dirty = False
        self._cache = None
        self.refresh()

    def set_title(self, plt, text: str, label_width: int = 10, shorter: tuple[str, ...] = ()) -> None:
        """A title that fits: plotext leaves out a title wider than the plot beside the y axis's labels (at
        160×48 the loss and params titles vanished once a run began), so a long one is cut with an ellipsis.
        shorter: the same title in fewer words, tried in order before cutting (what a cut must not lose).
        label_width: the longest y label (10 for axis_ticks' labels; plotext's own ticks are shorter)."""
        room = max(8, self.size.width - label_width - 2)
        for text in (text, *shorter):
            text = self.title_prefix + text
            if len(text) <= room:
                break
        plt.title(text if len(text) <= room else text[: room - 1] + "…")

    def draw(self, plt, data, points: int) -> None:  # pragma: no cover - subclasses draw
        raise NotImplementedError

    def render(self):
        if self._error:
            return Text(self._error)
        size = (self.size.width, self.size.height)
        if self._cache is not None and self._cache[0] == size:
            return self._cache[1]
        try:
            rendered = self._build(*size)  # plotext build + ANSI -> Text, once per redraw or resize
        except Exception as e:
            return Text(f"chart unavailable: {e}")
        self._cache = (size, rendered)
        return rendered

    def _build(self, width: int, height: int) -> Text:
        """PlotextPlot.render, with a faster ANSI reader (ansi.py): same size and theme calls."""
        plot = self._plot
        plot.plotsize(width, height)
        plot._set_size(width, height)  # textual-plotext does both (its issue #5)
        plot.theme(self._get_plotext_theme_name(self.app.theme))
        return ansi_to_text(plot.build())
