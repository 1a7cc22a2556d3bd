"""Past runs side by side: the loss curves of the runs marked in the past-runs list (a race counts as its
lanes), read from their history files, and a table of their settings and ends from their summaries."""
from __future__ import annotations

from dataclasses import dataclass, field

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tui.text import num
from tui.widgets.compare_chart import CompareChart, lane_mark

SHOWN_SETTINGS = ("lr", "optimizer", "loss", "batch_size")


@dataclass
class _Curve:
    epochs: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    losses: list = field(default_factory=list)


@dataclass
class _Curves:
    lanes: list


def row(i: int, run) -> list[str]:
    s, summary = run.settings, run.summary or {}
    metrics = summary.get("metrics")
    train = metrics.get("train") if isinstance(metrics, dict) else None
    train = train if isinstance(train, dict) else {}  # a damaged summary shows "—", never stops the table
    status = "damaged" if run.damaged else summary.get("status", "cut off")
    data = "csv" if s.get("csv") else "synthetic"
    return [lane_mark(i), run.name[16:] if run.name[:8].isdigit() else run.name, data,
            *(str(s.get(k, "?")) for k in SHOWN_SETTINGS), status, str(len(run.epochs)),
            num(train.get("loss")) if isinstance(train.get("loss"), (int, float)) else "—",
            num(train.get("r2")) if isinstance(train.get("r2"), (int, float)) else "—"]


class OverlayScreen(Screen):
    BINDINGS = [Binding("escape,q", "leave", "Back"), Binding("g", "toggle_log", "Log scale"),
                Binding("v", "toggle_x", "Epochs/steps")]

    def __init__(self, runs: list):
        super().__init__()
        self.runs = runs[:16]
        # made here, not on mount: g or v typed with the o that opens this screen reach its actions before then
        self.chart = CompareChart(id="overlay-chart")
        self.curves = _Curves([_Curve(r.epochs, r.steps, r.losses) for r in self.runs])

    def compose(self) -> ComposeResult:
        yield Static(self._heading(), id="race-status", markup=False)
        yield self.chart
        yield DataTable(id="race-lanes", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        t = self.query_one(DataTable)
        t.add_columns("#", "run", "data", "lr", "optimizer", "loss", "batch", "status", "epochs", "final loss", "R²")
        for i, run in enumerate(self.runs):
            t.add_row(*row(i, run))
        t.focus()
        self.chart.x_note = "epochs of each run"
        self.chart.noun = "run"
        self.call_after_refresh(self.chart.redraw, self.curves)  # once laid out: the title fits its width
        self.call_after_refresh(self._say_if_wider)

    def _heading(self, wider: bool = False) -> str:
        if wider:  # (a narrow screen: the hint, in the words that fit)
            return f"{len(self.runs)} past runs' epoch mean losses · ← → the table's other columns"
        return f"{len(self.runs)} past runs: each one's epoch mean loss, on its own data and loss"

    def _say_if_wider(self) -> None:
        """At 80 columns the table's last columns (final loss, R²) lay past the edge, reachable with → but
        nothing said so (a README audit): the heading says it while the table is wider than the screen."""
        t = self.query_one(DataTable)
        self.query_one("#race-status", Static).update(self._heading(t.virtual_size.width > t.size.width > 0))

    def on_resize(self, _event) -> None:
        self.call_after_refresh(self._say_if_wider)

    def action_toggle_log(self) -> None:
        self.chart.log_scale = not self.chart.log_scale
        self.chart.redraw(self.curves)

    def action_toggle_x(self) -> None:
        self.chart.x_axis = "steps" if self.chart.x_axis == "epochs" else "epochs"
        self.chart.redraw(self.curves)

    def action_leave(self) -> None:
        self.app.pop_screen()
