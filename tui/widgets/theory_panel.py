"""The theory panel: Distill's "Why Momentum Really Works" picture on the run's own data (events.Theorized).

    curvature λ by direction (log axis)        the eigenvalues of H, one bar a direction, named by the
    lr against the best and stable rates       parameter(s) it loads most ("w[x2]", "b", "w[x0]+w[x1]");
    error along each direction, now / start    a ruler on a log axis, and words for where lr sits;
                                               live, |error now| / |error at the start| (log bar, 1 down to
                                               1e-6) with the theory's value at this step marked │

Every bar and mark is a character, so it reads without colour (colour only adds to it); rows are cut to the
panel's height (the steepest and the flattest directions kept). Where the theory does not apply: the reason,
and what to change to see it. Plain Python: the parameters arrive in data units (RunData.weights, .bias) and
TheoryView.error_along maps them to the theory's training units itself.
"""
from __future__ import annotations

import math
import textwrap

from rich.text import Text
from textual.widget import Widget

from linreg_core.analysis.rates import Place, place

ERROR_DECADES = 6  # the error bars span 1 … 1e-6 of the start
BAR, MARK, OVER = "█", "│", "▶"
GROWN = 1e-4  # the error has grown (▶) only past this: the run's float32 parameters are not the theory's float64


def short(v: float | None) -> str:
    """A number in at most about 7 characters: 0.012, 3.4e-05 → 3.4e-5, inf."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if math.isinf(v):
        return "inf"
    if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e3):
        m, e = f"{v:.1e}".split("e")
        return f"{m.removesuffix('.0')}e{int(e)}"
    return f"{v:.3g}"


def hints(reason: str) -> list[str]:
    """What to change to see the theory, from why it does not apply (analysis.theory.why_not's words)."""
    low = reason.lower()
    out = []
    if "theory is for mse" in low:
        out.append("press l until loss: mse")
    if "divides each step" in low:
        out.append("press o until optimizer: sgd, momentum or nesterov")
    if "schedule" in low:
        out.append("set schedule to constant in the form (e)")
    if "l1" in low:
        out.append("set l1 to 0 in the form (e)")
    return out


WORDS = {Place.ABOVE_STABLE: "above stable: full-batch descent diverges",
         Place.BELOW_BEST: "below best: safe but slow", Place.AT_BEST: "at best: the fastest constant rate",
         Place.BETWEEN: "between best and stable: fast, steep directions zigzag"}


def lr_words(lr: float, best: float, stable: float) -> str:
    return WORDS[place(lr, best, stable)]


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, max(20, width)) or [""]


def _pick_rows(n: int, room: int) -> list[int]:
    """Which of n directions (largest λ first) fit in `room` rows: all, or the first room − 1 and the last."""
    if n <= room:
        return list(range(n))
    if room <= 1:
        return [0][:room]
    return list(range(room - 1)) + [n - 1]


def render_theory(theorized, step: int, weights, bias: float, width: int, height: int) -> Text:
    """The panel's text for a Theorized (None: not computed yet) and the run's parameters now (data units)."""
    width, height = max(30, width), max(6, height)
    out = Text(no_wrap=True, overflow="crop")
    lines: list[Text] = []
    if theorized is None:
        lines.append(Text("theory: computed when the run is set up", style="bold"))
    elif theorized.theory is None:
        lines.append(Text("theory: does not apply to this run", style="bold"))
        lines += [Text(s) for s in _wrap(theorized.reason or "", width)]
        tips = hints(theorized.reason or "")
        if tips:
            lines.append(Text("to see it:", style="bold"))
            lines += [Text("  " + t) for t in tips]
    else:
        lines = _applies(theorized.theory, step, weights, bias, width, height)
    for k, line in enumerate(lines[:height]):
        if k:
            out.append("\n")
        out.append_text(line[:width] if len(line) > width else line)
    return out


def _applies(th, step: int, weights, bias: float, width: int, height: int) -> list[Text]:
    n = len(th.eigenvalues)
    names = [th.direction_name(j) for j in range(n)]
    nw = min(max(len(s) for s in names), 14)
    ruler = _ruler(th, width)
    note = th.curve_reason or (th.curve is not None and th.curve.diverges_at_step)
    note_lines = len(_wrap(f"no predicted curve: {th.curve_reason}", width)) if th.curve is None and \
        th.curve_reason else 1 if note else 0
    fixed = 3 + len(ruler) + note_lines  # title, 2 headers, the ruler and its words (and a note)
    room = max(1, (height - fixed) // 2)
    rows = _pick_rows(n, room)
    more = f" ({len(rows)} of {n})" if len(rows) < n else ""
    cond = "inf" if math.isinf(th.condition) else short(th.condition)
    lines = [Text.assemble(("theory", "bold"), f" · MSE · {th.optimizer} · condition {cond}")]
    # ---- the spectrum: λ per direction on a log axis, and the epochs it needs at this lr
    lines.append(Text(f"curvature λ, log axis{more} · epochs to 1/1000", style="bold"))
    num_w, ep_w = 8, 7
    bar_w = max(4, width - nw - num_w - ep_w - 3)
    positive = [v for v in th.eigenvalues if v > 0]
    hi = math.log10(max(positive)) if positive else 0.0
    lo = math.log10(min(positive)) if positive else 0.0
    lo, hi = min(lo, hi - 2) - 0.3, hi + 0.05  # at least 2 decades (close λs look close); the flattest has a bar
    for j in rows:
        lam = th.eigenvalues[j]
        cells = 0 if lam <= 0 else max(1, round(bar_w * (math.log10(lam) - lo) / max(hi - lo, 1e-12)))
        ep = th.epochs_to_shrink[j]
        lines.append(Text.assemble(f"{names[j]:<{nw}.{nw}} ", (BAR * cells, "cyan"), " " * (bar_w - cells),
                                   f" {short(lam):>{num_w}} {('never' if math.isinf(ep) else short(ep)):>{ep_w}}"))
    # ---- the rate: lr against best and stable on one log axis
    lines += ruler
    # ---- live: the error along each direction, now against the start, with the theory's value marked
    if th.curve is not None:
        what = {"exact": "theory (exact)", "expected": "theory (expected rms)"}.get(th.curve.kind,
                                                                                   "theory (approx. rms)")
    else:
        what = "full batch |1 − lr·λ|^t"
    lines.append(Text(f"error / start, log to 1e-{ERROR_DECADES}; {MARK}: {what}", style="bold"))
    now = th.error_along(weights, bias) if weights else th.initial_error
    predicted = th.predicted_error(step) or (None,) * n
    tail_w = 18  # "▶" + the ratio now (7) + " th " + the theory's (6)
    ebar_w = max(4, width - nw - tail_w - 1)
    tiny = 1e-12 * max((abs(e) for e in th.initial_error), default=0.0)
    for j in rows:
        e0 = th.initial_error[j]
        ratio = abs(now[j]) / abs(e0) if abs(e0) > tiny else None
        lines.append(_error_row(names[j], nw, ratio, predicted[j], ebar_w))
    if th.curve is None and th.curve_reason:
        lines += [Text(line, style="dim") for line in _wrap(f"no predicted curve: {th.curve_reason}", width)]
    elif th.curve is not None and th.curve.diverges_at_step:
        said = f"the expected loss diverges at step {th.curve.diverges_at_step:,}"
        if len(said) > width:  # (a cut line lost the step's number)
            said = said.removeprefix("the expected loss ")
        lines.append(Text(said, style="bold red"))
    return lines


def _cells(ratio: float | None, w: int) -> int | None:
    """Bar cells for |error| / |start|: w at 1 (or above), 0 at 1e-ERROR_DECADES (or below)."""
    if ratio is None or not math.isfinite(ratio):
        return None if ratio is None or math.isnan(ratio) else w
    if ratio <= 0:
        return 0
    return max(0, min(w, round(w * (1 + math.log10(ratio) / ERROR_DECADES))))


def _error_row(name: str, nw: int, ratio, predicted, w: int) -> Text:
    now_cells, mark = _cells(ratio, w), _cells(predicted, w)
    row = Text(f"{name:<{nw}.{nw}} ")
    if now_cells is None:
        row.append(" " * w)
    else:
        for i in range(w):
            if mark is not None and i == min(mark, w - 1):
                row.append(MARK, "bold yellow")
            elif i < now_cells:
                row.append(BAR, "green")
            else:
                row.append(" ")
    over = OVER if ratio is not None and ratio > 1 + GROWN else " "  # (a ratio of 1 in float32 reads 1.0000001)
    row.append(f"{over}{short(ratio):>7} th {short(predicted):>6}")
    return row


def _ruler(th, width: int) -> list[Text]:
    """lr (●), best (B) and stable (S) on one log axis, and a line of words saying where lr sits."""
    lr, best, stable = th.lr, th.best_lr, th.stable_lr
    vals = [v for v in (lr, best, stable) if v > 0 and math.isfinite(v)]
    lo, hi = math.log10(min(vals)) - 0.3, math.log10(max(vals)) + 0.3
    label = "rate "
    w = max(10, width - len(label) - 1)
    line = ["─"] * w

    def at(v: float) -> int:
        return max(0, min(w - 1, round((w - 1) * (math.log10(v) - lo) / max(hi - lo, 1e-12))))
    for v, ch in ((best, "B"), (stable, "S"), (lr, "●")):  # lr last: on top where they meet
        if v > 0 and math.isfinite(v):
            line[at(v)] = ch
    ruler = Text(label)
    for ch in line:
        ruler.append(ch, "bold magenta" if ch == "●" else "bold" if ch in "BS" else "dim")
    stable_name = "stable" if th.optimizer == "sgd" else f"stable ({th.optimizer})"
    numbers = f"● lr {short(lr)}  B best {short(best)}  S {stable_name} {short(stable)}: "
    where = lr_words(lr, best, stable)
    if lr < stable and th.curve is not None and th.curve.diverges_at_step:  # stable for a full batch only:
        where = "below stable, yet the batches' noise makes it diverge"  # the second moment grows
    if len(numbers) + len(where) <= width:
        return [ruler, Text.assemble(numbers, (where, "bold"))]
    # narrower: the numbers and the words on lines of their own, never cut (a cut read "S stable 0." or
    # "lr is below stable, yet the batc", the divergence left out)
    head = numbers[:-2]
    if len(head) > width:
        head = [f"● lr {short(lr)}  B best {short(best)}", f"S {stable_name} {short(stable)}"]
    else:
        head = [head]
    words = [Text.assemble("  ", (line, "bold")) for line in textwrap.wrap(f"lr is {where}", max(10, width - 2))]
    return [ruler, *(Text(line) for line in head), *words]


class TheoryPanel(Widget):
    """The theory of the run on screen: `show(data)` with the app's RunData (its .theory, .step, .weights,
    .bias) when the data change; the text is laid out again at each size."""

    DEFAULT_CSS = """
    TheoryPanel { width: 1fr; height: 1fr; overflow: hidden; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dirty = True
        self._shown: tuple = (None, 0, (), 0.0)  # (Theorized, step, weights, bias)

    def show(self, data) -> None:
        self._shown = (getattr(data, "theory", None), data.step, tuple(data.weights), data.bias)
        self.dirty = False
        self.refresh()

    def render(self) -> Text:
        return render_theory(*self._shown, self.size.width, self.size.height)
