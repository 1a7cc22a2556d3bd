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
    """Where a run diverged, counted as everywhere on screen: steps and batches from 1, epochs from 000 (`diverged
    at step 6 (batch 6 of epoch 000)` after 5 steps taken: the 6th was not). div: a Divergence, or its dict (the
    JSON summary's: its step is the steps taken, its batch 0-based). The advice comes from the run's diagnosis
    (diagnosis_lines)."""
    d = div if isinstance(div, Mapping) else {k: getattr(div, k) for k in ("epoch", "batch", "step", "loss", "lr")}
    loss = d["loss"] if d["loss"] is not None else math.nan  # strict JSON turned a non-finite loss into null
    what = "became " + str(loss) if not math.isfinite(loss) else f"exploded to {loss:.3g}"
    return f"diverged at step {d['step'] + 1} (batch {d['batch'] + 1} of epoch {d['epoch']:03d}): the loss {what}"


KIND_WORDS = {"diverged": "diverged", "oscillating": "oscillating", "stalled": "stalled",
              "not_converged": "not converged"}
OPTIMIZER_NAMES = {"adam": "Adam", "adagrad": "AdaGrad", "rmsprop": "RMSProp", "sgd": "SGD",
                   "momentum": "momentum", "nesterov": "Nesterov"}


def diagnosis_headline(d: Mapping) -> str:
    """What was seen, in one sentence. d: Diagnosis.as_dict()."""
    kind, epoch, progress = d["kind"], d["epoch"], d.get("progress")
    way = "" if progress is None else _way(progress)
    if kind == "oscillating":
        return f"oscillating by epoch {epoch:03d}: the loss jumps up and down by large factors{way}"
    if kind == "stalled":
        return f"stalled by epoch {epoch:03d}: the loss stopped improving far from the optimum{way}"
    if kind == "not_converged":
        return f"not converged after {epoch} {plural(epoch, 'epoch')}{way}"
    return "diverged"


def _way(progress: float) -> str:
    if not math.isfinite(progress) or progress < 0:
        return " (worse than predicting a constant)"
    return f" ({progress:.0%} of the way from a constant prediction to the least-squares fit)"


def diagnosis_lines(d: Mapping, app: bool = False) -> list[str]:
    """The causes and what to do, one line each (most fundamental first). app: name the form's fields and the
    app's keys instead of the command line's options."""
    def option(name: str) -> str:
        return f"{name.replace('-', ' ')}: yes in the form" if app else f"--{name}"

    lines = []
    for c in d.get("causes", ()):
        v = c.get("values", {})
        name = c["name"]
        if name == "feature_scales":
            small, large = v.get("smallest_column"), v.get("largest_column")
            lines.append(f"feature scales span {v['smallest']:.3g} ({small or 'the bias column'}) to "
                         f"{v['largest']:.3g} ({large or 'the bias column'}): the loss is a long thin valley; "
                         f"standardize the features ({option('standardize')})")
        elif name == "target_scale":
            who = (f"{OPTIMIZER_NAMES.get(v['optimizer'], v['optimizer'])} moves each parameter about lr a step"
                   if v["optimizer"] in ("adam", "adagrad", "rmsprop") else
                   f"{'MAE' if v['loss'] == 'mae' else 'Huber'}'s gradient is bounded, so each step moves a parameter at most about lr")
            raise_lr = f"raise lr to about {_lr(v['suggested_lr'])}" if v.get("suggested_lr") else \
                "more epochs (no accepted lr covers it)"
            fix = (raise_lr if c["advice"] == "lr" else
                   f"standardize the target ({option('standardize-target')})"
                   + (f" or {raise_lr}" if v.get("suggested_lr") else ""))
            lines.append(f"{who}: the whole run reaches about {v['reach']:.3g}, but the optimum lies "
                         f"{v['travel']:.3g} away (the target's scale): {fix}")
        elif name == "step_too_large":
            limit = (f" (the largest stable step for this data's curvature is about {v['stable_lr']:.2g})"
                     if "stable_lr" in v else "")
            lines.append(f"lr {_lr(v['lr'])} is too large{limit}: try lr {_lr(v['suggested_lr'])}")
        elif name == "step_too_small":
            lines.append(f"lr {_lr(v['lr'])} is far below the largest stable step (about {v['stable_lr']:.2g}): "
                         f"try lr {_lr(v['suggested_lr'])}")
        elif name == "more_epochs":
            more = "press c to continue" if app else "raise --epochs"
            needed = v.get("epochs_needed")
            if needed:
                why, fix = (("correlated features", "or leave a correlated feature out, or add an L2 penalty")
                            if v.get("standardized") else ("correlated or unscaled features", "or standardize"))
                lines.append(f"the flattest direction needs about {needed:,} epochs (the loss's condition number is "
                             f"{v['condition']:.2g}: {why}): {more}, {fix}")
            else:
                lines.append(f"it needs more steps than {v['steps']:,}: {more}")
    return lines


def _lr(x: float) -> str:
    return FIELDS["lr"].format(x)


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


def plural(n: int, word: str, many: str | None = None) -> str:
    """"lane" or "lanes" for n; many: the plural where it is not word + "s" ("batch", "batches")."""
    return word if n == 1 else many or word + "s"
