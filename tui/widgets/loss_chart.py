"""Loss curve: per-step training loss, per-epoch mean, and test loss where there is a split.

The log scale plots log10(loss) on a linear axis (plotext's own log axis breaks on redraw)."""
from __future__ import annotations

import math

from tui.text import axis_ticks, integer_ticks
from tui.widgets.chart import Chart, clean


class LossChart(Chart):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.log_scale = False

    def _y(self, values):
        if not self.log_scale:
            return list(values)
        return [math.log10(v) if v > 0 and math.isfinite(v) else math.nan for v in values]

    def draw(self, plt, data, points: int) -> None:
        h = data.history
        xs, ys = clean(h.steps, self._y(h.losses), points)
        if not xs:
            self.set_title(plt, "loss — no steps yet")
            return
        plt.plot(xs, ys, marker="•", label="batch loss")
        shown = list(ys)
        if h.epochs:
            ex = [e.steps - 1 for e in h.epochs]
            mx, my = clean(ex, self._y([e.loss_mean for e in h.epochs]), points // 2)
            if mx:
                plt.plot(mx, my, marker="x", label="epoch mean")
                shown += my
            tests = [e.test_loss for e in h.epochs]
            if any(t is not None for t in tests):
                tx, ty = clean(ex, self._y([t if t is not None else math.nan for t in tests]), points // 2)
                if tx:
                    plt.plot(tx, ty, marker="+", label="test")
                    shown += ty
        plt.yticks(*axis_ticks(shown))  # short labels, also for a diverging run's huge losses
        plt.xticks(*integer_ticks(min(xs), max(xs)))  # steps are whole numbers
        scale = "log10 " if self.log_scale else ""
        self.set_title(plt, f"{scale}batch loss; x: epoch mean, +: test loss")
        plt.xlabel("step")
        plt.ylabel(f"{scale}batch loss")
