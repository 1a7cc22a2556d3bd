"""Every lane's loss curve on one chart: the epoch's mean batch loss against epochs (every lane has then seen
the same samples, whatever its batch size) or against steps (updates), log scale by default. When the lanes
train different losses (MAE beside MSE: numbers in different units), every lane's full-data MSE at each
epoch's end instead, the one unit they share, and the title says so. Each lane is drawn with its own number
as the marker, so the chart reads without colour and without a legend (the lanes table beside it names
them). Where a lane's theory applies (events.Theorized: MSE, SGD/momentum/Nesterov, a constant rate), its
predicted epoch mean is drawn too, from the first frame, as sparse points of the lane's number in a lighter
colour (dotted: the lane's own curve is the line); not when the chart shows full-data MSE (the prediction is
of the lane's batch loss)."""
from __future__ import annotations

import math

from tui.text import axis_ticks, integer_ticks, plural
from tui.widgets.chart import Chart, clean
from tui.widgets.loss_chart import LossChart

LANE_MARKS = "123456789abcdefg"  # lane 1..16
PREDICTED_COLOR = "gray"  # a lane's predicted curve: its number, lighter, one point every few columns


def lane_mark(i: int) -> str:
    return LANE_MARKS[i % len(LANE_MARKS)]


class CompareChart(Chart):
    _y = LossChart._y  # the loss, or its log10 (nan where it has none)
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.log_scale = True
        self.x_axis = "epochs"  # or "steps"
        self.x_note = "epochs (every lane has seen the same samples)"
        self.noun = "lane"
        self.running = lambda: False  # () -> whether the race is running (the race screen sets it)

    def draw(self, plt, data, points: int) -> None:
        lanes = data.lanes
        common = getattr(data, "common_metric", False)  # (past runs' overlay: each run's own loss)
        curve = (lambda lane: lane.mses) if common else (lambda lane: lane.losses)
        per_lane = max(8, points // 2)
        predicted = [] if common else [(i, c) for i, c in ((i, _curve(lane)) for i, lane in enumerate(lanes))
                                       if c is not None]
        if not any(lane.losses for lane in lanes):
            waiting = "the first epoch is under way; each lane's curve starts at its end" if self.running() \
                else f"{len(lanes)} {plural(len(lanes), self.noun)}: space starts the race"
            if not predicted:
                self.set_title(plt, waiting)
                return
            shown, xs_all = self._predictions(plt, predicted, per_lane)
            if shown:
                self._axes(plt, shown, xs_all)
                scale = "log10 " if self.log_scale else ""  # (the axis shows log10 values: say so)
                self.set_title(plt, f"{scale}predicted epoch mean loss per {self.noun} (dots: {self.noun} number) · "
                                    f"{waiting}", 10, (f"{scale}predicted loss (dots: {self.noun} number)",))
                plt.xlabel(self.x_note if self.x_axis == "epochs" else "steps (updates)")
                return
            self.set_title(plt, waiting)
            return
        shown, xs_all = [], []
        # the lanes highest now are drawn last: they run along the top of the bundle, where every lane
        # starts, and would otherwise be hidden under the others' first epochs
        order = sorted(range(len(lanes)), key=lambda k: _last(curve(lanes[k])))
        for i in order:
            lane = lanes[i]
            x = [e + 1 for e in lane.epochs] if self.x_axis == "epochs" else lane.steps
            cx, cy = clean(x, self._y(curve(lane)), per_lane)
            if cx:
                plt.plot(cx, cy, marker=lane_mark(i))
                shown += cy
                xs_all += cx
        if not shown:
            self.set_title(plt, "no finite losses to draw")
            return
        py, px = self._predictions(plt, predicted, per_lane)  # after the lanes: their colours stay as they were
        self._axes(plt, shown + py, xs_all + px)
        scale = "log10 " if self.log_scale else ""
        dots = "; dots: predicted" if predicted else ""
        if common:
            self.set_title(plt, f"{scale}full-data MSE per {self.noun}: their losses differ, MSE is the one unit "
                                f"(marker: {self.noun} number)")
        else:
            self.set_title(plt, f"{scale}epoch mean loss per {self.noun} (marker: {self.noun} number{dots})")
        plt.xlabel(self.x_note if self.x_axis == "epochs" else "steps (updates)")


    def _predictions(self, plt, predicted, per_lane: int) -> tuple[list[float], list[float]]:
        """Each lane's predicted epoch means as sparse points of its mark; returns (their ys, their xs)."""
        ys_all, xs_all = [], []
        for i, curve in predicted:
            x = [e + 1 for e in curve.epochs] if self.x_axis == "epochs" else [s + 1 for s in curve.last_steps]
            cx, cy = clean(x, self._y(curve.mean), max(4, per_lane // 3))
            if cx:
                plt.scatter(cx, cy, marker=lane_mark(i), color=PREDICTED_COLOR)
                ys_all += cy
                xs_all += cx
        return ys_all, xs_all

    def _axes(self, plt, ys, xs) -> None:
        plt.yticks(*axis_ticks(ys))
        plt.xticks(*integer_ticks(min(xs), max(xs)))


def _curve(lane):
    """The lane's predicted curve (events.TheoryCurve) or None."""
    view = getattr(getattr(lane, "theory", None), "theory", None)
    return None if view is None else view.curve


def _last(losses: list[float]) -> float:
    v = losses[-1] if losses else -math.inf
    return v if math.isfinite(v) else math.inf  # a diverged lane's huge last loss: drawn last, on top
