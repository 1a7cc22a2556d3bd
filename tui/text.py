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
    tiny = 1e-9 * max(abs(lo), abs(hi))  # a tick a rounding error away from 0 reads 0, not -0.0
    return ticks, [f"{0.0 if abs(t) <= tiny else t:.3g}" for t in ticks]


def integer_ticks(lo: float, hi: float, count: int = 6) -> tuple[list[float], list[str]]:
    """Up to `count` ticks on whole numbers from lo to hi, for steps and epochs (plotext labels them
    0.0 213.8 427.5): a round stride (1, 2, 5 × 10^k) that keeps at most `count` ticks."""
    lo, hi = math.floor(lo), math.ceil(hi)
    if hi <= lo:
        return [float(lo)], [str(lo)]
    raw = (hi - lo) / max(count - 1, 1)
    stride = next(m * 10**k for k in range(19) for m in (1, 2, 5) if m * 10**k >= raw)
    first = -(-lo // stride) * stride
    ticks = list(range(first, hi + 1, stride))
    return [float(t) for t in ticks], [f"{t:,}" for t in ticks]


def line_label(w: float, b: float) -> str:
    """`0.194·x − 335`, `8.1·x + 1.1`: the sign as a word of its own, never `+-`."""
    return f"{w:.3g}·x {'−' if b < 0 else '+'} {abs(b):.3g}"


def suggest_lr(lr: float) -> float:
    return float(f"{lr / 10:.3g}")


def param_names(feature_names) -> list[str]:
    return [f"w[{n}]" for n in feature_names] + ["b"]
