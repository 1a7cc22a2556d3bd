"""Data and fit: one feature against y with the fitted and the true line, in three views.

- tutorial:  x_i against y, line x·w_i + b. It ignores the other features, so the points miss the line.
- partial:   partial residuals y − Σ_{j≠i} w_j·x_j against x_i: what w_i alone has to explain; the line fits.
- predicted: ŷ = X·w + b against y, with the diagonal ŷ = y: every feature at once.
"""
from __future__ import annotations

import os

from tui.text import line_label
from tui.widgets.chart import SCATTER_POINTS, Chart, clean

VIEWS = ("tutorial", "partial", "predicted")
# Without colour every series is drawn alike, so weight carries it: light dots for the samples, solid blocks
# for the fitted line (the one thing to watch); in colour, the line's colour does that.
SAMPLE_MARKER, FIT_MARKER = ("·", "█") if os.environ.get("NO_COLOR") else ("•", "x")


class FitChart(Chart):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.feature = 0
        self.view = "tutorial"

    def draw(self, plt, data, points: int) -> None:
        setup = data.setup
        if setup is None or not setup.sample_x:
            self.set_title(plt, "waiting for data…")
            return
        d = len(setup.feature_names)
        i = self.feature % d
        xs = [row[i] for row in setup.sample_x]
        w, b = list(data.weights), data.bias
        name = setup.feature_names[i]
        if self.view == "predicted":
            px = [sum(wj * xj for wj, xj in zip(w, row)) + b for row in setup.sample_x]
            cx, cy = clean(px, setup.sample_y, SCATTER_POINTS)
            plt.scatter(cx, cy, marker=SAMPLE_MARKER, label="samples")
            lo, hi = (min(cy), max(cy)) if cy else (0, 1)
            _line(plt, [lo, hi], [lo, hi], FIT_MARKER, "ŷ = y")
            self.set_title(plt, f"predicted vs actual {setup.target_name} (all features)")
            plt.xlabel("predicted")
            return
        if self.view == "partial":
            ys = [y - sum(wj * xj for j, (wj, xj) in enumerate(zip(w, row)) if j != i)
                  for row, y in zip(setup.sample_x, setup.sample_y)]
            title = f"partial residual of {setup.target_name} vs {name}"
        else:
            ys = setup.sample_y
            title = f"{setup.target_name} vs {name} (tutorial view)"
        cx, cy = clean(xs, ys, SCATTER_POINTS)
        plt.scatter(cx, cy, marker=SAMPLE_MARKER, label="samples")
        if cx:
            lo, hi = min(cx), max(cx)
            if setup.true_weights is not None:
                tw, tb = setup.true_weights[i], setup.true_bias
                _line(plt, [lo, hi], [lo * tw + tb, hi * tw + tb], "+", "true")
            if i < len(w):  # drawn last: on top of the true line
                _line(plt, [lo, hi], [lo * w[i] + b, hi * w[i] + b], FIT_MARKER, f"fit {line_label(w[i], b)}")
        self.set_title(plt, f"{title}  [{i + 1}/{d}]", label_width=6)  # plotext's own short y ticks
        plt.xlabel(name)


def _line(plt, xs, ys, marker: str, label: str) -> None:
    """A straight line, through clean() like every series: parameters of a diverging run put its ends beyond
    what plotext can draw (its legend then failed with an IndexError, and the whole chart with it)."""
    cx, cy = clean(xs, ys, 2)
    if len(cx) == 2:
        plt.plot(cx, cy, marker=marker, label=label)
