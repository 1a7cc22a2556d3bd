"""Loss curve: per-step training loss, per-epoch mean, and test loss where there is a split; where the theory
applies (MSE with SGD, momentum or Nesterov at a constant rate: events.Theorized), the predicted epoch mean and
its ± 1 sd band from the first frame, over the run's whole length, the run drawn over it as it comes.

The log scale plots log10(loss) on a linear axis (plotext's own log axis breaks on redraw)."""
from __future__ import annotations

import math

from tui.text import axis_ticks, integer_ticks
from tui.widgets.chart import Chart, clean

THEORY_MARK, BAND_MARK = "o", ":"  # the predicted epoch mean, and its ± 1 sd band (distinct without colour)


def theory_curve(data):
    """The predicted curve of data's run (events.TheoryCurve), or None where the theory does not apply."""
    t = getattr(data, "theory", None)
    view = getattr(t, "theory", None)
    return None if view is None else view.curve


def curve_words(curve) -> str:
    """What the predicted curve and its band are: "theory (exact)", "theory: expected ± 1 sd", …"""
    band = curve.sd is not None and curve.kind != "exact"
    if curve.kind == "exact":
        return "theory (exact)"
    if curve.kind == "expected":
        return "theory: expected ± 1 sd" if band else "theory: expected"
    return "theory (approx.) ± 1 sd" if band else "theory (approx.)"


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
        steps, losses = h.points()  # (the newest step's loss too, where the thinning skipped it)
        xs, ys = clean(steps, self._y(losses), points)
        curve = theory_curve(data)
        px, shown = self._draw_theory(plt, curve, points) if curve is not None else ([], [])
        if not xs and not px:
            gone = curve is not None and curve.diverges_at_step  # before the first epoch's end: no point drawn
            self.set_title(plt, f"loss — no steps yet; theory: diverges at step {gone:,}" if gone else
                           "loss — no steps yet", 10, (f"theory: diverges at step {gone:,}",) if gone else ())
            return
        if xs:
            plt.plot(xs, ys, marker="•", label="batch loss")
            shown += ys
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
        every_x = xs + px
        plt.yticks(*axis_ticks(shown))  # short labels, also for a diverging run's huge losses
        plt.xticks(*integer_ticks(min(every_x), max(every_x)))  # steps are whole numbers
        scale = "log10 " if self.log_scale else ""
        self.set_title(plt, *self._title(scale, curve, data, bool(xs)))
        plt.xlabel("step")
        plt.ylabel(f"{scale}batch loss")

    def _draw_theory(self, plt, curve, points: int) -> tuple[list[float], list[float]]:
        """The predicted epoch means (o) at each epoch's last step, and mean ± sd (:) where there is a spread;
        returns (its xs, its ys) for the axes."""
        steps = list(curve.last_steps)
        shown_x, shown_y = [], []
        if curve.sd is not None and curve.kind != "exact":
            up = [m + s for m, s in zip(curve.mean, curve.sd)]
            low = [m - s for m, s in zip(curve.mean, curve.sd)]
            for k, edge in enumerate((up, low)):
                bx, by = clean(steps, self._y(edge), points // 2)
                if bx:
                    plt.plot(bx, by, marker=BAND_MARK, label="± 1 sd" if k == 0 else None)
                    shown_x += bx
                    shown_y += by
        cx, cy = clean(steps, self._y(curve.mean), points // 2)
        if cx:
            plt.plot(cx, cy, marker=THEORY_MARK, label="theory")
            shown_x += cx
            shown_y += cy
        return shown_x, shown_y

    def _title(self, scale: str, curve, data, stepped: bool) -> tuple[str, int, tuple[str, ...]]:
        """set_title's arguments: the title, the y labels' width, and shorter ones that keep what matters (the
        prediction's rate when it is not the run's, and where it diverges: a cut title lost them)."""
        if curve is None:  # (+ only where there is a test split: a title named a series it did not draw)
            test = ", +: test loss" if any(e.test_loss is not None for e in data.history.epochs) else ""
            return f"{scale}batch loss; x: epoch mean{test}", 10, ()
        words = curve_words(curve)
        theory = getattr(data.theory, "theory", None)
        lr = "" if theory is None or data.setup is None or theory.lr == data.setup.lr else f" at lr {theory.lr:g}"
        gone = f", diverges at step {curve.diverges_at_step:,}" if curve.diverges_at_step else ""
        shorter = (f"{scale}o: {words}{lr}{gone}", f"{scale}o: theory{lr}{gone}", f"o: theory{lr}{gone}")
        if not stepped:
            return f"{scale}loss predicted before the run: o {words}{lr}{gone}", 10, shorter
        return f"{scale}batch loss; x: epoch mean; o: {words}{lr}{gone}", 10, shorter
