"""Words and numbers as people read them, shared by the app and the headless output."""
from __future__ import annotations

import math

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
    """Where and why a run diverged, and what to try."""
    what = "became " + str(div.loss) if not math.isfinite(div.loss) else f"exploded to {div.loss:.3g}"
    return (f"diverged at epoch {div.epoch:03d}, step {div.batch} of the epoch: the loss {what}. "
            f"Try a smaller learning rate, e.g. {FIELDS['lr'].format(suggest_lr(div.lr))}.")


def suggest_lr(lr: float) -> float:
    return float(f"{lr / 10:.3g}")


def param_names(feature_names) -> list[str]:
    return [f"w[{n}]" for n in feature_names] + ["b"]
