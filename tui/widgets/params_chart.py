"""Parameters over time: each w_i and b per epoch (and now), with its true value as a flat line."""
from __future__ import annotations

from tui.text import axis_ticks, integer_ticks, param_names
from tui.widgets.chart import MARKERS, Chart, clean, pick

MAX_SERIES = 8


class ParamsChart(Chart):
    def draw(self, plt, data, points: int) -> None:
        setup = data.setup
        if setup is None:
            return
        names = param_names(setup.feature_names)
        shown = list(range(min(len(names) - 1, MAX_SERIES - 1))) + [len(names) - 1]  # first weights and b
        bpe = max(setup.batches_per_epoch, 1)
        x_now = data.step / bpe
        per_series = max(12, points // len(shown))
        epochs = pick(data.history.epochs, per_series)  # chosen before any per-epoch work
        xs = [0.0] + [(e.epoch + 1) for e in epochs] + [x_now]
        truth = list(setup.true_weights) + [setup.true_bias] if setup.true_weights is not None \
            else list(setup.ls_weights) + [setup.ls_bias]
        plotted: list[float] = []
        for k, idx in enumerate(shown):
            start = setup.weights[idx] if idx < len(setup.weights) else setup.bias
            now = data.weights[idx] if idx < len(data.weights) else data.bias
            trail = [e.weights[idx] if idx < len(e.weights) else e.bias for e in epochs]
            cx, cy = clean(xs, [start, *trail, now], per_series)
            marker = MARKERS[k % len(MARKERS)]
            if cx:
                plt.plot(cx, cy, marker=marker, label=names[idx])
                plotted += cy
            plt.hline(truth[idx])
            plotted.append(truth[idx])
        plt.yticks(*axis_ticks(plotted))  # short labels, and 0 never written -0.0
        more = f" (first {len(shown) - 1} weights and b of {len(names)})" if len(shown) < len(names) else ""
        target = "true" if setup.true_weights is not None else "least-squares"
        self.set_title(plt, f"parameters; flat lines: {target}{more}")
        plt.xticks(*integer_ticks(0, max(xs)))  # epochs are whole numbers
        plt.xlabel("epoch")
