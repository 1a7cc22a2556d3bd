"""One line: run state (a word, readable without colour), epoch, step, learning rate, the last batch's loss,
speed."""
from __future__ import annotations

from rich.markup import escape
from textual.widgets import Static

from linreg_core.model.results import Seen
from linreg_core.session.states import State
from tui.text import KIND_WORDS, num


class StatusLine(Static):
    def show(self, state: str, data, speed_label: str, base_lr: float, scheduled: bool,
             reason: str | None = None) -> None:
        """speed_label: the chosen limit (\"100/s\", \"max\"); shown as the measured rate while running.
        scheduled: a learning-rate schedule is on, so the rate in use (data.lr) is shown after the base rate."""
        epochs = data.target_epochs
        last = data.history.last[1] if data.history.last is not None else None  # the newest step's
        rate = f"{data.steps_per_s:,.0f}/s" if state == State.RUNNING and data.steps_per_s else speed_label
        in_use = scheduled and state not in (State.IDLE, State.LOADING) and abs(data.lr - base_lr) > 1e-12 * base_lr
        word = state.upper() + (f" ({reason})" if reason and state != State.LOADING else "")
        seen = data.diagnosis["kind"] if data.diagnosis and data.diagnosis["kind"] != Seen.DIVERGED else None
        if seen and state in (State.RUNNING, State.PAUSED, State.FINISHED, State.STOPPED):
            word += f" · {KIND_WORDS[seen]}"  # a word, readable without colour
        lr = f"lr {base_lr:.4g}" + (f"→{data.lr:.4g}" if in_use else "")
        parts = [f"[b]{escape(word)}[/b]", f"epoch {data.epoch:03d}/{epochs:03d}", f"step {data.step}", lr,
                 f"batch loss {num(last)}", f"speed {rate}"]
        text = "  ".join(parts)
        width = self.size.width
        if len(word) + len(text) - len(parts[0]) > width > 0:  # (80 columns with a schedule and a diagnosis
            # word cut the speed off): the same numbers in fewer words, as few words fewer as will fit
            shorter = [parts[0], parts[1], parts[2], lr, f"loss {num(last)}", rate]
            text = " ".join(shorter)
            if len(word) + len(text) - len(parts[0]) > width:
                shorter[1] = f"ep {data.epoch:03d}/{epochs:03d}"
                text = " ".join(shorter)
        if text != getattr(self, "_shown", None):  # an unchanged line costs nothing (no layout pass)
            self._shown = text
            self.update(text, layout=False)  # one line of fixed size: a repaint, never a layout pass
        if not self.has_class(f"state-{state}"):
            self.set_classes(f"state-{state}")
