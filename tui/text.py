"""Words and numbers as people read them, shared by the app and the headless output."""
from __future__ import annotations

import math
from collections.abc import Mapping

from linreg_core.config import FIELDS


def epoch_line(epoch: int, loss_sum: float) -> str:
    """The tutorial's log line: `epoch 000: loss: 227.864024`."""
    return f"epoch {epoch:03d}: loss: {loss_sum:f}"


def num(x: float | None, digits: int = 4) -> str:
    if x is None:
        return "—"
    if not math.isfinite(x):
        return str(x)
    if x != 0 and (abs(x) >= 1e6 or abs(x) < 10 ** -digits):
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}f}"


def divergence_text(div) -> str:
    """Where and why a run diverged, and what to try. div: a Divergence, or its dict (the JSON summary's)."""
    d = div if isinstance(div, Mapping) else {k: getattr(div, k) for k in ("epoch", "batch", "loss", "lr")}
    loss = d["loss"] if d["loss"] is not None else math.nan  # strict JSON turned a non-finite loss into null
    what = "became " + str(loss) if not math.isfinite(loss) else f"exploded to {loss:.3g}"
    return (f"diverged at epoch {d['epoch']:03d}, step {d['batch']} of the epoch: the loss {what}. "
            f"Try a smaller learning rate, e.g. {FIELDS['lr'].format(suggest_lr(d['lr']))}.")


def axis_ticks(values, count: int = 5) -> tuple[list[float], list[str]]:
    """`count` evenly spaced ticks over the finite values, labelled in at most 10 characters (-1.23e-100)
    (plotext writes 3893739520.0 and squeezes the plot)."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return [], []
    lo, hi = min(finite), max(finite)
    if hi == lo:
        return [lo], [f"{lo:.3g}"]
    ticks = [lo * (1 - i / (count - 1)) + hi * (i / (count - 1)) for i in range(count)]  # no hi - lo overflow
    return ticks, [f"{t:.3g}" for t in ticks]


def suggest_lr(lr: float) -> float:
    return float(f"{lr / 10:.3g}")


def param_names(feature_names) -> list[str]:
    return [f"w[{n}]" for n in feature_names] + ["b"]
