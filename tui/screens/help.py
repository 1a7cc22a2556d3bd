"""Help: every key, what the panels show, and where to read more."""
from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

HELP = """\
**Panels** (1–7 on a small terminal, the first six at once on a large one): the data with the fitted line
(`v` switches the tutorial's view, partial residuals and predicted-vs-actual; `[` `]` pick the feature),
the loss curve (`g` log scale), parameters converging to their true values, learned vs true vs least
squares, the tutorial's epoch log, and the loss surface over two parameters with the run's path (`a`/`A`
the pair, `z`/`Z` zoom, `t` others at now or at the optimum; `@` now, `O` the optimum of the run's loss, `T` true), and
the theory (7; MSE): the bowl's curvature by direction, your rate against the best and the stable one, each
direction's error shrinking beside what theory expects; the loss chart then draws the predicted curve (`o`,
± 1 sd `:`) before the run starts.

**When a run goes wrong** the status line says so (oscillating, stalled, not converged, diverged) and the log
(5) lists every cause, best fix first; `y` follows the first: it sets the fields it names and says what
changed. "Converged" means within 1% of the way from a constant prediction to the optimum of the run's own
loss (least squares for MSE, least absolute deviations for MAE, Huber's minimizer for Huber).

**Run states**: IDLE (step 0) → space → RUNNING ⇄ PAUSED (space; `n` one step, `N` to the end of the
epoch) → FINISHED, STOPPED (`x`) or DIVERGED. After any of these three, space (or `n`/`N`) starts a **new**
run from the initial parameters in a new run folder; `c` continues a finished or stopped run in its own
folder (`epochs` more, or on to the last epoch); `r` goes back to IDLE. Keys pressed while LOADING are
carried out once it is ready; keys that do nothing are greyed out. `*` and `/` change the rate from the
next step (after an end: for the next run or the continuation). Edits (the form, `d`, `l`, `o`) end the
run as stopped and start over on the new settings: running if it was running, else IDLE.

**Parameters** (`e`): type a value, Enter applies it. A refused value says why under its field and blocks
starting. The learning rate changes the running run at its next step; any other change restarts the run
from the initial parameters on the same data (seed, samples, weights, noise or CSV make new data).

**Microscope** (`m`): the last step in numbers, the batch's rows, the gradients, the rule's own terms
(velocity, m̂, v̂, denominator), before, after and the step taken, Δp = after − before. **Race** (`R`):
lanes of other rates, optimizers, batch sizes… on the same data, one chart and a table; a number picks a
preset. In the past-runs list, space marks runs and `o` overlays them.

**Runs** are kept on disk as they go (one folder each, every finished epoch flushed): `p` lists them and
reopens one's settings, `s` saves the current settings as a config file (`linreg --config FILE`).

Headless: `linreg train --help`.  Press Escape or ? to close.
"""


class HelpScreen(ModalScreen):
    BINDINGS = [("escape,question_mark,q", "app.pop_screen", "Close"), ("P", "app.screenshot", "Screenshot")]

    def __init__(self, keys: list[tuple[str, str]]):
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        table = Table(box=box.SIMPLE_HEAD, title="linreg — keys", expand=False)
        table.add_column("key", style="bold")
        table.add_column("action")
        for key, description in self.keys:
            table.add_row(Text(key), Text(description))  # Text: "[" and "]" are keys, not markup
        with VerticalScroll(id="help"):
            yield Static(table)
            yield Markdown(HELP)

    def on_mount(self) -> None:
        self.query_one("#help").focus()  # arrows, Page Up/Down, Home/End scroll it on a small terminal
