"""What the epoch log and the notices say about a run, from the engine's events (plain Python: no Textual).

RunLog keeps the lines not yet written to the log widget (the app writes them while the log is on screen, a
few times a second) and which diagnoses were already told this run (each is said once). Each method takes an
event and returns the notices to show, as Notice values: the app only shows them.
"""
from __future__ import annotations

import textwrap
from collections import deque
from typing import NamedTuple

from linreg_core.model.results import Outcome, Seen
from tui.text import (KIND_WORDS, diagnosis_headline, diagnosis_lines, divergence_text, epoch_line, num,
                      plural)

LOG_MAX_LINES = 2000
LOG_BATCH = 200  # at most this many epoch lines per progress message reach the log (flat out: ~30)
OUTCOME_WORDS = {Outcome.FINISHED: "finished", Outcome.EARLY_STOPPED: "stopped early (no improvement)",
                 Outcome.STOPPED: "stopped", Outcome.INTERRUPTED: "interrupted", Outcome.DIVERGED: "diverged"}
FOLLOW = "#   y follows the first advice"


class Notice(NamedTuple):
    text: str
    title: str | None = None
    severity: str = "information"
    timeout: float = 5


class RunLog:
    def __init__(self):
        self.pending: deque[str] = deque(maxlen=LOG_MAX_LINES)  # lines for the log widget, not written yet
        self.on_ready: list[str] = []  # lines for the head of the next run's log (y: the advice followed)
        self.keep = False  # the next setup keeps the log (the engine was restarted after a failure)
        self.clear_view = False  # the log widget must be cleared before the pending lines are written
        self._told: set[str] = set()  # diagnoses already told this run
        self.save_error: str | None = None
        self.run_folder: str | None = None

    def add(self, *lines: str) -> None:
        self.pending.extend(lines)

    def take(self) -> list[str]:
        lines = list(self.pending)
        self.pending.clear()
        return lines

    # ------------------------------------------------------------------ events
    def setup(self, s, standardized_target: bool) -> list[Notice]:
        """A new experiment: a new log (a restart after a failure keeps the old one), headed by what it is."""
        self._told.clear()
        if not self.keep:
            self.pending.clear()
            self.clear_view = True
        self.keep = False
        d, batches = len(s.feature_names), s.batches_per_epoch
        self.add(f"# {s.source}: {s.n_train} training {plural(s.n_train, 'sample')}, {d} {plural(d, 'feature')}, "
                 f"{batches} {plural(batches, 'batch', 'batches')} an epoch",
                 f"# each line's loss: the sum of the epoch's {batches} batch {plural(batches, 'loss', 'losses')}, "
                 "as the tutorial logs it" + (" (on the standardized target)" if standardized_target else ""),
                 f"# least squares on the training samples: R² {num(s.ls_r2)}, mse {num(s.ls_mse)} (the best a "
                 "linear fit does)")
        notices = []
        for notice in s.notices:
            self.add(f"# note: {notice}")
            notices.append(Notice(notice, "note"))
        self.add(*self.on_ready)
        self.on_ready = []
        return notices

    def continued(self, epochs: int) -> None:
        self._told.discard(Seen.NOT_CONVERGED)  # the new end is judged afresh
        self.add(f"# continued in the same run folder, up to {epochs} {plural(epochs, 'epoch')}")

    def progress(self, epochs, before: dict | None, now: dict | None) -> list[Notice]:
        lines = [epoch_line(e.epoch, e.loss_sum) for e in epochs]
        if lines:
            self.add(*lines[-LOG_BATCH:])
        return self.diagnosis(before, now)

    def diagnosis(self, before: dict | None, now: dict | None) -> list[Notice]:
        """A new diagnosis (oscillating, stalled, not converged) is said once a run: a log line per cause."""
        if now is None or now["kind"] == Seen.DIVERGED or (before is not None and before["kind"] == now["kind"]):
            return []
        if now["kind"] in self._told:  # a stall that comes back after an improvement is not news
            return []
        self._told.add(now["kind"])
        headline, causes = diagnosis_headline(now), diagnosis_lines(now, app=True)
        follow = [FOLLOW] if any(c.get("changes") for c in now.get("causes", ())) else []
        self.add(f"# ⚠ {headline}", *(f"#   → {c}" for c in causes), *follow)
        return [Notice(f"{headline.split(':')[0]}. Why, and what to try: the log (5).", KIND_WORDS[now["kind"]],
                       "warning", 8)]

    def ended(self, outcome: str, summary: dict, before: dict | None) -> list[Notice]:
        diagnosis, div = summary.get("diagnosis"), summary.get("divergence")
        if outcome == Outcome.DIVERGED and div:
            causes = diagnosis_lines(diagnosis, app=True) if diagnosis else []
            text = divergence_text(div)
            self.add(f"# {text}", *(f"#   → {c}" for c in causes), *([FOLLOW] if causes else []))
            return [Notice(f"{text}. Why, and what to try: the log (5).", "diverged", "error", 10)]
        notices = self.diagnosis(before, diagnosis)
        train, best = summary["metrics"]["train"], summary["least_squares"]["metrics"]
        epochs, steps = summary["epochs"], summary["steps"]
        self.add(f"# {OUTCOME_WORDS.get(outcome, outcome)} after {epochs} {plural(epochs, 'epoch')}, {steps} "
                 f"{plural(steps, 'step')}: R² {num(train['r2'])} (least squares {num(best['r2'])})")
        return notices

    def saving(self, folder: str | None, error: str | None) -> list[Notice]:
        """Where the run is kept, or why it is not; a failed write is said once until it succeeds."""
        notices = []
        if error is not None:
            if self.save_error is None:
                self.add(f"# {error}")
                notices.append(Notice(f"{error}. Training goes on and the run is kept in memory; it is written "
                                      "again at each epoch, or press w to retry now.", "run not saved", "error", 12))
            self.save_error = error
        else:
            if self.save_error is not None:
                notices.append(Notice(f"the run is now on disk in {folder}", "saved"))
            self.save_error = None
            if folder and folder != self.run_folder:
                self.add(f"# run kept in {folder}")
        self.run_folder = folder
        return notices

    def failed(self, message: str) -> None:
        self.add(f"# training failed: {message}")
        self.keep = True


def wrap_lines(lines, width: int) -> list[str]:
    """Lines longer than the log is wide, wrapped at spaces (Log cuts them); a comment's continuation lines
    keep its `#` and indent under its text."""
    out = []
    width = max(width, 20)
    for line in lines:
        if len(line) <= width:
            out.append(line)
            continue
        lead = line[:len(line) - len(line.lstrip("# →⚠"))]
        indent = ("#" + " " * (len(lead) - 1)) if line.startswith("#") else "  "
        out += textwrap.wrap(line, width, subsequent_indent=indent, break_on_hyphens=False,
                             break_long_words=False) or [line]  # a path stays whole (the log scrolls sideways)
    return out
