"""Words and numbers as people read them, shared by the app and the headless output."""
from __future__ import annotations

import math
from collections.abc import Mapping

from linreg_core.settings.config import FIELDS
from linreg_core.model.results import Seen


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
    JSON summary's, counted the same way). The advice comes from the run's diagnosis (diagnosis_lines)."""
    d = div if isinstance(div, Mapping) else {k: getattr(div, k) for k in ("epoch", "batch", "step", "loss", "lr")}
    loss = d["loss"] if d["loss"] is not None else math.nan  # strict JSON turned a non-finite loss into null
    what = "became " + str(loss) if not math.isfinite(loss) else f"exploded to {loss:.3g}"
    return f"diverged at step {d['step']} (batch {d['batch']} of epoch {d['epoch']:03d}): the loss {what}"


KIND_WORDS = {Seen.DIVERGED: "diverged", Seen.OSCILLATING: "oscillating", Seen.STALLED: "stalled",
              Seen.NOT_CONVERGED: "not converged"}
OPTIMIZER_NAMES = {"adam": "Adam", "adagrad": "AdaGrad", "rmsprop": "RMSProp", "sgd": "SGD",
                   "momentum": "momentum", "nesterov": "Nesterov"}
LOSS_NAMES = {"mae": "MAE", "mse": "MSE", "huber": "Huber"}


def diagnosis_headline(d: Mapping, loss: str | None = None) -> str:
    """What was seen, in one sentence. d: Diagnosis.as_dict(); loss: the run's, to name its optimum."""
    kind, epoch, progress = d["kind"], d["epoch"], d.get("progress")
    way = "" if progress is None else _way(progress, loss)
    if kind == Seen.OSCILLATING:
        return f"oscillating by epoch {epoch:03d}: the loss jumps up and down by large factors{way}"
    if kind == Seen.STALLED:
        return f"stalled by epoch {epoch:03d}: the loss stopped improving far from the optimum{way}"
    if kind == Seen.NOT_CONVERGED:
        return f"not converged after {epoch} {plural(epoch, 'epoch')}{way}"
    return "diverged"


def _way(progress: float, loss: str | None = None) -> str:
    if not math.isfinite(progress) or progress < 0:
        return " (worse than predicting a constant)"
    optimum = f"the {LOSS_NAMES[loss]} optimum" if loss in LOSS_NAMES else "the optimum"
    return f" ({_share(progress)} of the way from a constant prediction to {optimum}; converged means ≥ 99%)"


def _share(progress: float) -> str:
    """97%, 99.4%: never "100%" for a run short of 99.95%."""
    return f"{progress:.0%}" if progress < 0.95 else f"{math.floor(progress * 1000) / 10:g}%"


def changes_text(changes: Mapping, app: bool = False) -> str:
    """What following an advice sets: `--standardize --lr 1.1` (the command line's options), or in the app
    `standardize: yes, learning rate: 1.1` (the form's fields)."""
    parts = []
    for name, value in changes.items():
        f = FIELDS[name]
        if app:
            parts.append(f"{f.label}: {f.format(value)}")
        elif f.kind == "bool":
            parts.append(f"--{name.replace('_', '-')}" if value else f"--{name.replace('_', '-')} no")
        else:
            parts.append(f"--{name.replace('_', '-')} {f.format(value)}")
    return (", " if app else " ").join(parts)


def diagnosis_lines(d: Mapping, app: bool = False) -> list[str]:
    """Every cause and what to do, one line each, best fix first (the one `A` or --follow-advice applies).
    app: name the form's fields and the app's keys instead of the command line's options."""
    lines = []
    for c in d.get("causes", ()):
        v, name = c.get("values", {}), c["name"]
        fix = f"{'set' if app else 'try'} {changes_text(c['changes'], app)}" if c.get("changes") else ""
        predicted = ""
        if "steps_needed" in v and "steps_needed_after" in v and math.isfinite(v["steps_needed_after"]) \
                and v["steps_needed_after"] < v["steps_needed"]:
            before = "never" if not math.isfinite(v["steps_needed"]) else f"~{_count(v['steps_needed'])} steps"
            predicted = f" (predicted: ~{_count(v['steps_needed_after'])} steps to converge instead of {before})"
        if name in ("feature_scales", "scales"):
            lo, hi = v["smallest"], v["largest"]
            small, large = v.get("smallest_column") or "the bias column", v.get("largest_column") or "the bias column"
            if hi < 0.1:
                what = (f"every feature is small (rms {lo:.3g} to {hi:.3g}): a weight must grow large to matter and "
                        "each step moves it little")
            elif lo > 10:
                what = f"every feature is large (rms {lo:.3g} to {hi:.3g}): steps that suit the bias throw the weights far"
            else:
                what = f"feature scales span rms {lo:.3g} ({small}) to {hi:.3g} ({large}): the loss is a long thin valley"
            if name == "scales":
                what += f", and the target is far from 0 (mean {v['target_mean']:.3g}, sd {v['target_sd']:.3g})"
                lines.append(f"{what}: standardize both ({fix}){predicted}")
            else:
                lines.append(f"{what}: standardize the features ({fix}){predicted}")
        elif name == "target_scale":
            who = (f"{OPTIMIZER_NAMES.get(v['optimizer'], v['optimizer'])} moves each parameter about lr a step"
                   if v["optimizer"] in ("adam", "adagrad", "rmsprop") else
                   f"{LOSS_NAMES.get(v['loss'], v['loss'])}'s gradient is bounded, so a step moves a parameter at "
                   "most about lr × its feature's size")
            lines.append(f"the target is far from 0 (mean {v['target_mean']:.3g}, sd {v['target_sd']:.3g}) and {who}: "
                         f"standardize the target ({fix}){predicted}")
        elif name == "step_too_large":
            why = (f"the largest stable step for this data's curvature is about {v['stable_lr']:.2g}"
                   if "stable_lr" in v else "each step moves the fit further than the optimum's own residuals")
            lines.append(f"lr {_lr(v['lr'])} is too large ({why}): {fix}")
        elif name == "step_too_small":
            lines.append(f"lr {_lr(v['lr'])} is too small to reach the optimum in this run: {fix}")
        elif name == "noise_floor":
            lines.append(f"constant steps keep the fit bouncing around the optimum: a schedule that lowers lr lets "
                         f"it settle ({fix}){predicted}")
        elif name == "more_epochs" and v.get("observed"):
            more = "press c to continue, or " if app else ""
            came = f" at {d['progress']:.1%} of the way" if d.get("progress") is not None else ""
            lines.append(f"the run was predicted to arrive within its {_count(v['steps'])} steps (in about "
                         f"{_count(v['steps_predicted'])}) and fell short{came}: give it twice the epochs: "
                         f"{more}{fix}")
        elif name == "more_epochs":
            more = "press c to continue, or " if app else ""  # (c: the same lr, more epochs)
            needed = v.get("epochs_needed")
            about = f"about {needed:,} epochs" if needed else "more steps than it has"
            lines.append(f"it needs {about}: {more}{fix or 'train longer'}")
        elif name == "no_signal":
            lines.append(f"the features explain next to nothing of the target (the best fit beats predicting a "
                         f"constant by {100 * max(v['share'], 0.0):.2g}% of its loss; noise features would by about "
                         f"{50 * v.get('chance', 0):.2g}% by chance): no setting does measurably better, and the "
                         f"way to that optimum is within the batches' noise")
        elif name == "ill_conditioned" and v.get("observed"):
            together = ", ".join(c or "the bias" for c in v.get("collinear", ())) or "some columns"
            longer = f"it crawls, it does not stop: {fix}, or " if fix else ""
            lines.append(f"the data are ill-conditioned (condition number {v['condition']:.2g}: {together} move "
                         f"together), and gradient descent crawls along that direction: the run fell short though "
                         f"the step sizes suit it; {longer}leave one of those features out, or add an L2 penalty")
        elif name == "ill_conditioned":
            why = "correlated features" if v.get("standardized") else "correlated or unscaled features"
            lines.append(f"the fit needs about {v['epochs_needed']:,} epochs (the loss's condition number is "
                         f"{v['condition']:.2g}: {why}), beyond practical training: leave a correlated feature "
                         "out, or add an L2 penalty")
    return lines


def _count(x: float) -> str:
    return f"{float(f'{x:.2g}'):,.0f}"


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
