"""The race: 2–16 lanes stepped as one program in the engine (linreg_core/session/race_controller.py), their loss
curves on one chart and a table of lanes; the highlighted lane's fit on key 2. The run keys act on the whole
race; Escape leaves it (the race ends as stopped, the lanes are kept for the next one)."""
from __future__ import annotations

import math

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from linreg_core.session import commands as c
from linreg_core.settings.config import FIELDS
from linreg_core.model.results import Outcome, Seen, Status
from linreg_core.session.states import State
from linreg_core.analysis.compare_table import lanes_table
from tui.race_data import RaceData, lane_view
from tui.screens.on_top import ClosesOnlyItself
from tui.session import SessionView
from tui.text import num, plural
from tui.widgets.compare_chart import CompareChart, lane_mark
from tui.widgets.fit_chart import FitChart
from tui.widgets.params_chart import ParamsChart
from tui.widgets.surface import SurfaceView

CHART_HZ = 4
RACE_COMMANDS = {"toggle": c.Toggle, "step": c.Step, "epoch": c.Epoch, "stop": c.Stop, "reset": c.Reset}
WORDS = {Outcome.FINISHED: "finished", Outcome.EARLY_STOPPED: "stopped early", Outcome.DIVERGED: "DIVERGED",
         Status.RUNNING: "running", Outcome.INTERRUPTED: "interrupted", Outcome.STOPPED: "stopped"}
KIND = {Seen.OSCILLATING: "oscillating", Seen.STALLED: "stalled", Seen.NOT_CONVERGED: "not converged"}
SHORT = {"lane": "#", "max |Δopt|": "|Δopt|", "steps to 2×opt": "2×opt at", "own loss": "own loss"}


class RaceScreen(ClosesOnlyItself, SessionView, Screen):
    """Subscribes to the app's EngineSession while on screen: the engine's race events come here. Dismissed
    with its lanes (some may have been removed), which R offers again."""

    BINDINGS = [
        Binding("question_mark", "app.help", "Help"),
        Binding("escape", "leave", "Leave race"),
        Binding("space", "command('toggle')", "Start/Pause"),
        Binding("n", "command('step', 1)", "Step"),
        Binding("N", "command('epoch')", "Epoch"),
        Binding("x", "command('stop')", "Stop"),
        Binding("r", "command('reset')", "Reset"),
        Binding("asterisk", "scale_lr(2)", "lr×2"),
        Binding("slash", "scale_lr(0.5)", "lr÷2"),
        Binding("plus,equals_sign", "speed(1)", "Faster", show=False),
        Binding("minus", "speed(-1)", "Slower", show=False),
        Binding("g", "toggle_log", "Log scale", show=False),
        Binding("v", "toggle_x", "Epochs/steps", show=False),
        Binding("1", "view('compare')", "Loss curves", show=False),
        Binding("2", "view('fit')", "Lane's fit", show=False),
        Binding("3", "view('params')", "Lane's params", show=False),
        Binding("4", "view('surface')", "Surface", show=False),
        Binding("a", "surface_axis(0)", "Surface: next x", show=False),
        Binding("A", "surface_axis(1)", "Surface: next y", show=False),
        Binding("z", "surface_zoom(2)", "Zoom in", show=False),
        Binding("Z", "surface_zoom(0.5)", "Zoom out", show=False),
        Binding("t", "surface_hold", "Others at now/optimum", show=False),
        Binding("delete,backspace", "remove_lane", "Remove lane", show=False),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, configs: list, session):
        super().__init__()
        self.configs = list(configs)
        self.session = session  # tui/session.py's EngineSession
        self.data = RaceData()
        self.state = State.LOADING
        self.reason: str | None = None
        self._columns: list[str] = []
        self._view = "compare"
        self.note = ""  # the last thing the race said (a lane removed, the best lane): on the status line
        # the race's own surface settings: its window starts whole for every race and never leaks back to
        # the main screen's (or from it)
        # Made here, not looked up on mount: the keys typed with R and its preset (R 1 3) reach this screen's
        # actions before it is composed (AttributeError: no chart), and with R, Enter, q typed fast on_mount
        # ran before the charts inside were mounted (NoMatches as the app quit).
        self.status = Static("RACE · preparing the lanes…", id="race-status")
        self.chart, self.fit = CompareChart(id="race-compare"), FitChart(id="race-fit")
        self.params, self.surface = ParamsChart(id="race-params"), SurfaceView(id="race-surface")
        self.table = DataTable(id="race-lanes", cursor_type="row", zebra_stripes=False)
        self._surface_sent = None

    def compose(self) -> ComposeResult:
        yield self.status
        with Container(id="race-body"):
            with Horizontal(id="race-charts"):
                yield from (self.chart, self.fit, self.params, self.surface)
            yield self.table
        yield Footer()

    def on_mount(self) -> None:
        self.chart.running = lambda: self.state == State.RUNNING
        self._show_view("compare")
        self.set_interval(1 / CHART_HZ, self._tick)
        self.session.subscribe(self)
        self.session.race(self.configs)
        self.table.focus()

    def on_unmount(self) -> None:
        self.session.unsubscribe(self)

    def on_surface_view_resized(self, _message) -> None:
        self.call_after_refresh(self._surface_request)

    # ----------------------------------------------------------- the session's events (SessionView)
    def on_race_setup(self, setup) -> None:
        self._surface_sent = None  # a new race: ask again (its controller may be new)
        self.surface.whole()  # a new race's window holds every lane again
        self.call_after_refresh(self._surface_request)
        if self.data.setup is not None:
            self.note = ""  # a new race (reset, a lane removed): what was said of the last one is gone
        self.data.start(setup)
        self.fit.view = "tutorial" if setup.setup.true_weights is not None else "partial"
        self._build_table()
        self._mark_dirty()

    def on_race_theory(self, lanes) -> None:
        self.data.theorize(lanes)  # each lane's predicted curve on the loss chart
        self._mark_dirty()

    def on_race_progress(self, progress) -> None:
        before = [lane.now.status if lane.now else Status.RUNNING for lane in self.data.lanes]
        self.data.apply(progress)
        for i, (was, lane) in enumerate(zip(before, self.data.lanes)):
            if was != Status.DIVERGED and lane.now is not None and lane.now.status == Status.DIVERGED:
                self.notify(f"lane {lane_mark(i)} ({lane.setup.label}) at step {lane.now.steps + 1}, in epoch "
                                f"{lane.now.epoch:03d}; the others go on", title="lane diverged", severity="warning",
                                timeout=4, markup=False)
        self._mark_dirty()
        self._fill_table()

    def on_state(self, state: str, reason: str | None) -> None:
        self.state, self.reason = state, reason
        self._show_status()

    def on_race_ended(self, ended) -> None:
        results = ended.results
        self.data.end(ended.outcome, results)
        self._build_table()
        best = min((r for r in results if r["status"] != Outcome.DIVERGED and math.isfinite(r["mse"])),
                   key=lambda r: r["mse"], default=None)  # full-data MSE: one unit whatever each lane's loss
        if best is not None:
            label = self.data.lanes[best["lane"] - 1].setup.label
            self.note = f"best: lane {lane_mark(best['lane'] - 1)} ({label})"

    def on_refused(self, field: str, message: str) -> None:
        label = FIELDS[field].label if field in FIELDS else field
        self.notify(f"{label}: {message}", title="race refused", severity="error", timeout=8, markup=False)
        self.dismiss_covered(self.configs)

    def on_failed(self, message: str, restarted: bool) -> None:
        self.dismiss_covered(self.configs)  # back to the single run, on the restarted engine (the app says why)

    def on_saving(self, saving) -> None:
        if saving.error is not None:
            self.notify(saving.error, title="race not saved", severity="error", timeout=10, markup=False)

    def on_landscape(self, view) -> None:
        self.surface.show(view)

    # ----------------------------------------------------------- drawing
    def _mark_dirty(self) -> None:
        self.chart.dirty = self.fit.dirty = self.params.dirty = True

    def _tick(self) -> None:
        for chart in (self.chart, self.fit, self.params):
            if chart.dirty and chart.display:
                if chart is self.chart:
                    chart.redraw(self.data)
                elif self.data.lanes:
                    chart.redraw(self._chosen_view())
        self._show_status()

    def _chosen(self) -> int:
        return max(0, min(self.table.cursor_row, len(self.data.lanes) - 1))

    def _chosen_view(self):
        """The highlighted lane, as the fit and params charts read a run."""
        chosen = self._chosen()
        prefix = f"lane {lane_mark(chosen)} ({self.data.lanes[chosen].setup.label}) · "
        self.fit.title_prefix = self.params.title_prefix = prefix
        return lane_view(self.data, chosen)

    def on_data_table_row_highlighted(self, _event) -> None:
        self.fit.dirty = self.params.dirty = True
        self._surface_request()

    def _show_status(self) -> None:
        d = self.data
        lanes = len(d.lanes)
        running = sum(1 for lane in d.lanes if lane.now is None or lane.now.status == Status.RUNNING)
        word = self.state.upper() + (f" ({self.reason})" if self.reason and self.state != State.LOADING else "")
        rate = f"{d.rate:,.0f} lane-steps/s" if self.state == State.RUNNING and d.rate else \
            f"speed {self.session.speed_label}"
        epoch = max((lane.now.epoch for lane in d.lanes if lane.now is not None), default=0)
        going = "ready" if self.state in (State.IDLE, State.LOADING) else "running"  # (none has stepped yet)
        text = (f"[b]RACE {escape(word)}[/b]  {running}/{lanes} {plural(lanes, 'lane')} {going}  epoch "
                f"{epoch:03d}/{d.target_epochs:03d}  {rate}")
        if self.note:
            text += f"  · {escape(self.note)}"
        if len(Text.from_markup(text)) > self.status.size.width > 0:  # (80 columns cut the best lane's name):
            rate = f"{d.rate:,.0f}/s" if self.state == State.RUNNING and d.rate else self.session.speed_label
            text = (f"[b]RACE {escape(word)}[/b] {running}/{lanes} {going} ep {epoch:03d}/{d.target_epochs:03d} "
                    f"{rate}" + (f" · {escape(self.note)}" if self.note else ""))  # the same in fewer words
        if text != getattr(self, "_shown", None):
            self._shown = text
            self.status.update(text)

    def _build_table(self) -> None:
        t = self.table
        t.clear(columns=True)
        d = self.data
        if d.setup is None:
            return
        varied = list(d.setup.varied)
        if d.results is not None:
            header, rows = lanes_table(d.results, varied, num)
            header = [SHORT.get(h, h.replace("_", " ")) for h in header]
            t.add_columns(*header)
            for i, row in enumerate(rows):
                row[0] = lane_mark(i)
                row[len(varied) + 1] = row[len(varied) + 1].replace("finished · ", "").replace("not converged",
                                                                                              "not conv.")
                t.add_row(*row, key=str(i))
            self._columns = []
            return
        self._columns = ["#", *(n.replace("_", " ") for n in varied or ["lr"]), "state", "lr now", "epoch", "loss"]
        t.add_columns(*self._columns)
        for i, lane in enumerate(d.lanes):
            settings = lane.setup.settings or {"lr": num(lane.setup.lr)}
            t.add_row(lane_mark(i), *settings.values(), "ready", num(lane.setup.lr), "000", "", key=str(i))

    def _fill_table(self) -> None:
        if not self._columns:
            return
        t = self.table
        n = len(self._columns)
        for i, lane in enumerate(self.data.lanes):
            now = lane.now
            if now is None:
                continue
            word = WORDS.get(now.status, now.status)
            if now.status == Status.RUNNING and self.state in (State.IDLE, State.LOADING):
                word = "ready"  # a lane that has not stepped yet
            if now.diagnosis in KIND:
                word += f" · {KIND[now.diagnosis]}"
            latest = lane.losses[-1] if lane.losses else now.batch_loss  # an epoch's mean, or the last batch's
            loss = num(latest) if latest == latest else ""
            for col, value in zip(range(n - 4, n), (word, num(now.lr), f"{now.epoch:03d}", loss)):
                t.update_cell_at((i, col), value, update_width=True)

    # ----------------------------------------------------------- actions
    def action_command(self, name: str, *args) -> None:
        """A run key (the bindings name it: toggle, step, epoch, stop, reset)."""
        begun = any(lane.now is not None and lane.now.steps > 0 for lane in self.data.lanes)
        self.session.run_command(RACE_COMMANDS[name](*args), begun)  # its effect shows at once (on_state)

    def action_scale_lr(self, factor: float) -> None:
        self.session.send(c.ScaleLr(factor))

    def action_speed(self, delta: int) -> None:
        self.session.change_speed(delta)
        self._show_status()

    def action_toggle_log(self) -> None:
        self.chart.log_scale = not self.chart.log_scale
        self.chart.dirty = True

    def action_toggle_x(self) -> None:
        self.chart.x_axis = "steps" if self.chart.x_axis == "epochs" else "epochs"
        self.chart.dirty = True

    def action_view(self, name: str) -> None:
        self._show_view(name)

    def _show_view(self, name: str) -> None:
        self._view = name
        wide = self.app.size.width >= 150 and self.app.size.height >= 40
        lane_chart = name if name != "compare" else getattr(self, "_lane_chart", "fit")
        self._lane_chart = lane_chart
        self.chart.display = wide or name == "compare"
        self.fit.display = (wide or name == "fit") and lane_chart == "fit"
        self.params.display = (wide or name == "params") and lane_chart == "params"
        self.surface.display = (wide or name == "surface") and lane_chart == "surface"
        self._mark_dirty()
        self.call_after_refresh(self._surface_request)

    def _surface_request(self) -> None:
        """Grids for the surface while it is shown, for the highlighted lane (every lane on its data drawn)."""
        want = None
        if self.surface.display and self.data.setup is not None:
            want = self.surface.want(lane=self._chosen())
        if want != self._surface_sent:
            self._surface_sent = want
            self.session.send(c.ShowLandscape(want))

    def action_surface_axis(self, which: int) -> None:
        d = len(self.data.setup.setup.feature_names) + 1 if self.data.setup is not None else 2
        self.surface.next_axis(which, d)
        self._surface_request()

    def action_surface_zoom(self, factor: float) -> None:
        self.surface.zoom(factor)
        self._surface_request()

    def action_surface_hold(self) -> None:
        self.surface.toggle_hold()
        self._surface_request()

    def on_resize(self, _event) -> None:
        self._show_view(self._view)

    def action_remove_lane(self) -> None:
        if self.state == State.LOADING or self.data.setup is None:
            return  # no lanes on screen yet: nothing the user can see to remove
        if len(self.configs) <= 1:
            self.notify("a race needs at least one lane", markup=False)
            return
        i = self._chosen()
        del self.configs[i]
        self.note = f"lane {lane_mark(i)} removed: {len(self.configs)} {plural(len(self.configs), 'lane')} start again"
        self.session.race(self.configs)

    def action_leave(self) -> None:
        self.dismiss(self.configs)
