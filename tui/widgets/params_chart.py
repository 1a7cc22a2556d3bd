"""Parameters over time, per epoch (and now).

Few parameters on one scale (the tutorial's four weights and b): their values, with the true values (or,
for CSV data, the optimum of the run's loss) as flat lines. Many parameters, or scales far apart (real data:
a bias of -399 beside weights of 0.001): each parameter's error against that optimum as its effect on the prediction,
in standard deviations of y: (w_j − w*_j)·sd(x_j)/sd(y) for a weight, and for the bias the error of the
prediction at the mean sample, ((b − b*) + Σ_j (w_j − w*_j)·mean(x_j))/sd(y). Every parameter is on the one
scale that matters (how far it moves ŷ), and convergence reads as every line reaching 0; only the ones
farthest from it are drawn (a legend of 11 entries overwrote itself, and 8 markers ran out).
"""
from __future__ import annotations

from tui.text import axis_ticks, integer_ticks, param_names
from tui.widgets.chart import MARKERS, Chart, clean, pick
from tui.widgets.params_table import optimum_of

MAX_VALUE_SERIES = 5  # up to this many parameters are drawn as values ...
SCALE_SPAN = 50.0  # ... when their target values are within this factor of each other
MAX_RELATIVE_SERIES = 6


class ParamsChart(Chart):
    def draw(self, plt, data, points: int) -> None:
        setup = data.setup
        if setup is None:
            return
        names = param_names(setup.feature_names)
        optimum = optimum_of(setup)
        truth = list(setup.true_weights) + [setup.true_bias] if setup.true_weights is not None else optimum
        start = list(setup.weights) + [setup.bias]
        now = list(data.weights) + [data.bias] if data.weights else start
        bpe = max(setup.batches_per_epoch, 1)
        relative = _needs_relative(truth)
        if relative:
            if getattr(self, "_effect_for", (None,))[0] is not setup:  # means and sds once per experiment,
                self._effect_for = (setup, _effect(setup, optimum))  # not at every redraw on the UI thread
            effect = self._effect_for[1]
            off = effect(now)
            far = sorted(range(len(names)), key=lambda i: -abs(off[i]))
            shown = sorted(far[:MAX_RELATIVE_SERIES])
        else:
            shown = list(range(len(names)))
        per_series = max(12, points // len(shown))
        epochs = pick(data.history.epochs, per_series)  # chosen before any per-epoch work
        xs = [0.0] + [(e.epoch + 1) for e in epochs] + [data.step / bpe]
        plotted: list[float] = []
        times = [start, *[_params(e) for e in epochs], now]  # each: every parameter at one time
        if relative:
            times = [effect(p) for p in times]
        for k, idx in enumerate(shown):
            cx, cy = clean(xs, [p[idx] for p in times], per_series)
            if cx:
                plt.plot(cx, cy, marker=MARKERS[k % len(MARKERS)], label=names[idx])
                plotted += cy
            if not relative:
                plt.hline(truth[idx])
                plotted.append(truth[idx])
        if relative:
            plt.hline(0.0)
            plotted.append(0.0)
            more = f", the {len(shown)} farthest of {len(names)}" if len(shown) < len(names) else ""
            self.set_title(plt, f"errors' effect on the fit, in sd(y); 0: {'the optimum' if setup.optimum_weights else 'least squares'}{more}")
        else:
            target = ("true" if setup.true_weights is not None else
                      "optimum" if setup.optimum_weights else "least squares")
            self.set_title(plt, f"parameters; flat lines: {target}")
        plt.yticks(*axis_ticks(plotted))  # short labels, and 0 never written -0.0
        plt.xticks(*integer_ticks(0, max(xs)))  # epochs are whole numbers
        plt.xlabel("epoch")


def _params(epoch_result) -> list[float]:
    return [*epoch_result.weights, epoch_result.bias]


def _effect(setup, optimum: list[float]):
    """params (w..., b) -> each one's error as its effect on ŷ in sd(y) (see the module's docstring), from the
    setup's sample rows."""
    rows = setup.sample_x
    n = max(len(rows), 1)
    d = len(optimum) - 1
    means = [sum(r[j] for r in rows) / n for j in range(d)]
    sds = [(sum((r[j] - means[j]) ** 2 for r in rows) / n) ** 0.5 for j in range(d)]
    ys = setup.sample_y
    y_mean = sum(ys) / max(len(ys), 1)
    sd_y = (sum((v - y_mean) ** 2 for v in ys) / max(len(ys), 1)) ** 0.5 or 1.0

    def effect(params: list[float]) -> list[float]:
        dw = [p - o for p, o in zip(params[:d], optimum[:d])]
        centre = params[d] - optimum[d] + sum(e * m for e, m in zip(dw, means))
        return [e * s / sd_y for e, s in zip(dw, sds)] + [centre / sd_y]
    return effect


def _needs_relative(targets: list[float]) -> bool:
    if len(targets) > MAX_VALUE_SERIES:
        return True
    sizes = [abs(t) for t in targets if abs(t) > 1e-12]
    return bool(sizes) and max(sizes) / min(sizes) > SCALE_SPAN
