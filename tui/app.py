"""The linreg app: bindings, run state, the engine pump, message handlers. Drawing lives in the widgets,
training in the engine process (tui/engine.py); this file only wires them together."""
from __future__ import annotations

import asyncio
import gc
import os
import signal
import time
from collections import deque

from textual import events, work
from textual.app import App, ComposeResult, SystemCommand
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Footer, Input, Log, Static, Tab, Tabs
from textual.worker import get_current_worker

from linreg_core.session import commands as c, states
from linreg_core.settings.config import FIELDS, LOSSES, OPTIMIZERS, Config
from linreg_core.settings.errors import ConfigError
from linreg_core.model.results import Outcome, Seen
from linreg_core.session.states import State
from tui.messages import (EngineFailed, EnginePong, EngineProgress, EngineReady, EngineRefused, EngineState,
                          LandscapeReady, RaceEnded, RaceProgressed, RaceReady, RunEnded, RunSaving, StepTraced,
                          message_for)
from tui.app_modes import RaceMode, StepViews
from tui.guards import unless_closing
from tui.run_data import RunData
from tui.screens.help import HelpScreen
from tui.screens.palette import CommandPalette
from tui.screens.runs import RunsScreen
from tui.screens.save import SaveConfigScreen
from tui.terminal import restore_terminal, terminal_attrs
from tui.text import (KIND_WORDS, changes_text, diagnosis_headline, diagnosis_lines, divergence_text, epoch_line,
                      num, plural, suggest_lr)
from tui.widgets.chart import Chart
from tui.widgets.epoch_log import EpochLog
from tui.widgets.fit_chart import VIEWS, FitChart
from tui.widgets.form import ParameterForm
from tui.widgets.loss_chart import LossChart
from tui.widgets.option_list import fix_option_list_paging
from tui.widgets.params_chart import ParamsChart
from tui.widgets.params_table import ParamsTable
from tui.widgets.status import StatusLine
from tui.widgets.surface import SurfaceView

SPEEDS = (2, 5, 10, 25, 50, 100, 250, 1000, None)  # steps per second; None: flat out
DEFAULT_SPEED = 5  # 100 steps/s: the tutorial's 1,600 steps in 16 s
PANELS = (("fit", "1 fit"), ("loss", "2 loss"), ("params", "3 params"), ("table", "4 table"), ("log", "5 log"),
          ("surface", "6 surface"))
MIN_SIZE, WIDE_SIZE = (60, 18), (150, 40)
LOG_BATCH = 200  # at most this many epoch lines per progress message reach the log (flat out: ~30)
LOG_MAX_LINES = 2000
FOOTER_KEYS = {"toggle_run", "step", "stop", "reset", "lr_up", "lr_down", "edit", "help", "quit", "race",
               "retry_save", "continue_run", "leave_form", "help_in_field"}  # the rest: help (retry_save and continue_run show only when
# they apply: after a failed write, after a finished or stopped run)
# key actions that are engine commands, and the command each sends
RUN_COMMANDS = {"toggle_run": c.Toggle, "step": c.Step, "epoch": c.Epoch, "stop": c.Stop, "reset": c.Reset,
                "continue_run": c.Continue}
OUTCOME_WORDS = {Outcome.FINISHED: "finished", Outcome.EARLY_STOPPED: "stopped early (no improvement)",
                 Outcome.STOPPED: "stopped", Outcome.INTERRUPTED: "interrupted", Outcome.DIVERGED: "diverged"}
EDIT_ACTIONS = {"leave_form", "help_in_field"}  # the keys that act while a field has the focus (Escape, F1)
# the app's keys that work on the race screen, and pop_screen: the help screen's Escape over the race (without
# it, help opened from the race could not be closed)
RACE_APP_ACTIONS = {"help", "quit", "speed", "screenshot", "pop_screen"}
CHART_HZ = 4  # redraws a second of one chart at most: live enough to watch
VIEW_TICKS_HZ = 8  # view ticks a second; each redraws at most one panel, so no frame holds keys up for long
fix_option_list_paging()  # Page Up/Down in a list with no room (a tiny terminal) raised KeyError: see the module

KEY_NAMES = {"asterisk": "*", "slash": "/", "left_square_bracket": "[", "right_square_bracket": "]",
             "question_mark": "?", "plus": "+", "equals_sign": "=", "minus": "-", "N": "shift+n"}


class LinregApp(RaceMode, StepViews, App):
    CSS_PATH = "app.tcss"
    TITLE = "linreg"
    AUTO_FOCUS = None  # keys drive the app; the form is entered with `e`
    BINDINGS = [
        Binding(key, action, description, show=action in FOOTER_KEYS)
        for key, action, description in [
            ("question_mark", "help", "Help"),  # first: the footer keeps help and quit on an 80-column screen
            ("q", "quit", "Quit"),
            ("space", "toggle_run", "Start/Pause"),
            ("n", "step", "Step"),
            ("N", "epoch", "Epoch"),
            ("x", "stop", "Stop"),
            ("c", "continue_run", "Continue"),
            ("r", "reset", "Reset"),
            ("asterisk", "lr_up", "lr×2"),
            ("slash", "lr_down", "lr÷2"),
            ("e", "edit", "Edit"),
            ("f", "toggle_form", "Hide/show form"),
            ("d", "new_data", "New data"),
            ("left_square_bracket", "feature(-1)", "Prev feature"),
            ("right_square_bracket", "feature(1)", "Next feature"),
            ("v", "cycle_view", "Fit view"),
            ("l", "cycle('loss')", "Cycle loss"),
            ("o", "cycle('optimizer')", "Cycle optimizer"),
            ("plus,equals_sign", "speed(1)", "Faster"),
            ("minus", "speed(-1)", "Slower"),
            ("g", "toggle_log", "Log scale"),
            ("s", "save_config", "Save config"),
            ("p", "past_runs", "Past runs"),
            ("R", "race", "Race"),
            ("m", "microscope", "Microscope"),
            ("P", "screenshot", "Screenshot (SVG)"),
            ("a", "surface_axis(0)", "Surface: next x parameter"),
            ("A", "surface_axis(1)", "Surface: next y parameter"),
            ("z", "surface_zoom(2)", "Surface: zoom in"),
            ("Z", "surface_zoom(0.5)", "Surface: zoom out"),
            ("t", "surface_hold", "Surface: others at now/optimum"),
            ("y", "follow_advice", "Follow the diagnosis' advice"),
            ("w", "retry_save", "Retry save"),
            ("escape", "leave_form", "Back (restores the field)"),
            ("f1", "help_in_field", "Help"),  # ? types into a field: F1 is help there
            ("pageup", "scroll_panel('page_up')", "Scroll up"),
            ("pagedown", "scroll_panel('page_down')", "Scroll down"),
            ("home", "scroll_panel('home')", "Scroll to top"),
            ("end", "scroll_panel('end')", "Scroll to end"),
            *[(str(i + 1), f"panel('{name}')", title) for i, (name, title) in enumerate(PANELS)],
            ("ctrl+c", "quit", "Quit"),
        ]
    ]

    run_state = reactive(State.LOADING, bindings=True)

    def __init__(self, config: Config, in_thread: bool = False, runs_dir: str | None = None):
        super().__init__()
        self.config = config
        self.runs_dir = runs_dir  # where the engine keeps runs; None: not kept (--no-save)
        self.save_error: str | None = None  # the runs folder could not be written (w retries)
        self._run_folder: str | None = None
        self._accepted = config  # the settings the engine last accepted (its data is on screen)
        self._sent = config
        self.data = RunData()
        self.speed_index = DEFAULT_SPEED
        self._in_thread = in_thread  # tests run the engine in a thread of this process
        self._queued: list = []
        self._log_on_ready: list[str] = []  # lines for the log of the next run, once it is ready  # commands for the engine, from keys pressed before it was started
        self._failed_with: Config | None = None  # the settings the engine last failed on (restarted once)
        self.state_reason: str | None = None  # why the engine is in its state (e.g. stopped early)
        # Keys show their effect at once (the state they lead to); the engine's reports are held back until
        # it has handled every key sent (a ping after each, answered in order), so an older report arriving
        # in between cannot undo what the keys already show.
        self._pings = 0
        self._awaiting: int | None = None  # the ping whose pong lets the engine's reports show again
        self._reported: tuple[str, str | None] | None = None  # the engine's latest state report
        self._keep_log = False
        self._log_pending: deque[str] = deque(maxlen=LOG_MAX_LINES)  # written to the Log while it is visible
        self._panel = "fit"
        self._drawn_at: dict[str, float] = {}  # panel id -> when it was last drawn (monotonic seconds)
        self._frozen = False  # gc.freeze() done
        self.engine = None
        self.status_line = None  # set on mount
        self._told: set[str] = set()  # diagnoses already told for this run
        self._view_chosen = False  # v was pressed: the fit view stays as chosen for every data source
        self._in_form = False  # the keys are in the form (told once when it is entered)
        self.surface = {"i": 0, "j": -1, "held": "current", "zoom": 1.0}  # the surface panel's pair and window
        self._surface_sent: dict | None = None  # what the engine was last asked for (None: the panel is hidden)
        self._tty_attrs = terminal_attrs()  # before Textual makes the terminal raw: restored on SIGHUP
        self.racing = None  # the RaceScreen while a race is on screen: the engine's reports go to it
        self.race_lanes: list[Config] = []  # the last race's lanes (R offers it again, or with one more)

    # --------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield StatusLine("starting…", id="status")
        with Horizontal(id="body"):
            yield ParameterForm(self.config.to_options(), id="form")
            with Vertical(id="main"):
                yield Tabs(*[Tab(title, id=f"tab-{name}") for name, title in PANELS], id="tabs")
                with Container(id="panels"):
                    yield FitChart(id="fit", classes="panel")
                    yield LossChart(id="loss", classes="panel")
                    yield ParamsChart(id="params", classes="panel")
                    yield ParamsTable(id="table", classes="panel")
                    yield EpochLog(id="log", classes="panel", max_lines=LOG_MAX_LINES)
                    yield SurfaceView(id="surface", classes="panel")
        yield Static("", id="too-small")
        yield Footer()

    def on_mount(self) -> None:
        # references to the main screen's widgets: App.query_one searches the *active* screen, which is
        # the help screen while it is open, and progress keeps arriving then
        self.form = self.query_one(ParameterForm)
        self.log_view = self.query_one(Log)
        self.status_line = self.query_one(StatusLine)
        self.fit_chart = self.query_one(FitChart)
        self.loss_chart = self.query_one(LossChart)
        self.panels = list(self.query(".panel"))
        self.tabs = self.query_one(Tabs)
        self.too_small_note = self.query_one("#too-small", Static)
        self.surface_view = self.query_one(SurfaceView)
        self.surface_view.on_size = lambda: self.call_after_refresh(self._surface_request)
        self.main_screen = self.screen
        self._show_panel("fit")
        self._layout_for(self.size.width, self.size.height)
        self.set_interval(1 / VIEW_TICKS_HZ, self._refresh_views)
        self.call_after_refresh(self._start_engine)  # first frame first, then the engine (and torch)
        if not self._in_thread:  # the real app (tests share the test runner's process and signals)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):  # SIGINT: `kill -INT`, not Ctrl+C
                loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, signum: int) -> None:
        """SIGTERM, SIGINT or SIGHUP (the SSH session dropped): the engine writes the run's end, then we go
        (exit status 128 + the signal's number)."""
        self._stop_engine()
        if signum == signal.SIGHUP:  # usually the terminal is gone; if it is not (kill -HUP), give it back sane
            restore_terminal(self._tty_attrs)
            os._exit(128 + signum)
        self.exit(return_code=128 + signum)

    def on_resize(self, event) -> None:
        if self.status_line is not None:
            self._layout_for(event.size.width, event.size.height)

    def _layout_for(self, width: int, height: int) -> None:
        self.main_screen.set_class(width < MIN_SIZE[0] or height < MIN_SIZE[1], "too-small")
        self.main_screen.set_class(width >= WIDE_SIZE[0] and height >= WIDE_SIZE[1], "wide")
        self.too_small_note.update(
            f"Terminal too small: {width}×{height}. linreg needs at least {MIN_SIZE[0]}×{MIN_SIZE[1]}; "
            "enlarge the window (or press q to quit).")
        self._mark_dirty()
        self.call_after_refresh(self._surface_request)

    def _show_panel(self, name: str) -> None:
        self._panel = name
        for panel in self.panels:
            panel.set_class(panel.id == name, "current")
        self.tabs.active = f"tab-{name}"
        self._mark_dirty()
        self.call_after_refresh(self._surface_request)

    @unless_closing  # (a tab clicked as the app quits: its tabs are gone by the time this arrives)
    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        # Only the tab active now: an older activation (keys 1 2 1 typed faster than they are handled) would set
        # the tabs back, and the activation that posts would set them forward again, back and forth forever.
        if event.tab is not None and event.tab.id and event.tab.id == self.tabs.active:
            name = event.tab.id.removeprefix("tab-")
            if name != self._panel:
                self._show_panel(name)

    # --------------------------------------------------------------- engine
    def _start_engine(self) -> None:
        from tui.engine import EngineClient

        self.engine = EngineClient(self.config, in_thread=self._in_thread, runs_dir=self.runs_dir)
        self._sent = self.config
        self._awaiting = None  # a new engine: nothing of the old one's is awaited
        self._surface_sent = None  # nor does it know the surface panel is shown
        self.engine.send(c.Speed(SPEEDS[self.speed_index]))
        for command in self._queued:  # keys pressed while the engine was starting: it reads them once ready
            self.engine.send(command)
        self._queued.clear()
        self._pump(self.engine)

    def _send(self, command) -> None:
        """A command for the engine (linreg_core/session/commands.py); kept until it exists when it is not started yet."""
        if self.engine is None:
            self._queued.append(command)
        else:
            self.engine.send(command)

    @work(thread=True, exclusive=True, exit_on_error=False, group="engine")
    def _pump(self, engine) -> None:
        """Relay engine events as messages. Only post_message here: it is thread-safe."""
        worker = get_current_worker()
        while not worker.is_cancelled:
            try:
                if not engine.poll(0.1):
                    continue
                event = engine.recv()
            except (EOFError, OSError):
                if not worker.is_cancelled:
                    self.post_message(EngineFailed("the training process ended unexpectedly"))
                return
            message = message_for(event)
            self.post_message(message)
            if isinstance(message, EngineFailed):  # the engine ends after this: nothing more to relay
                return

    @unless_closing
    def on_engine_ready(self, message: EngineReady) -> None:
        if not self._frozen:
            # Everything built so far (widgets, styles, caches) lives as long as the app: keep it out of
            # the garbage collector's full passes, which took 40-240 ms per pass while training (measured
            # with gc.callbacks at 160x48) and held keys up by as much.
            gc.freeze()
            self._frozen = True
        self._accepted = self._sent
        self.data.start(message.setup)
        if self.surface["zoom"] != 1.0:  # a new run's window holds its path and optimum again
            self.surface["zoom"] = 1.0
            self.call_after_refresh(self._surface_request)
        self._told.clear()
        if not self._keep_log:  # a new experiment starts a new log; a restart after a failure keeps it
            self.log_view.clear()
            self._log_pending.clear()
        self._keep_log = False
        s = message.setup
        if not self._view_chosen:  # real data: the view whose line fits the points (the tutorial's misses them)
            self.fit_chart.view = "tutorial" if s.true_weights is not None else "partial"
        d, batches = len(s.feature_names), s.batches_per_epoch
        self._log(f"# {s.source}: {s.n_train} training {plural(s.n_train, 'sample')}, {d} {plural(d, 'feature')}, "
                  f"{batches} {plural(batches, 'batch', 'batches')} an epoch",
                  f"# each line's loss: the sum of the epoch's {batches} batch {plural(batches, 'loss', 'losses')}, "
                  "as the tutorial logs it"
                  + (" (on the standardized target)" if self._accepted.data.standardize_target else ""),
                  f"# least squares on the training samples: R² {num(s.ls_r2)}, mse {num(s.ls_mse)} (the best a "
                  "linear fit does)")
        for notice in s.notices:
            self._log(f"# note: {notice}")
            self.notify(notice, title="note", markup=False)
        self._log(*self._log_on_ready)  # what led to this run (y: the advice followed)
        self._log_on_ready = []
        self._mark_dirty()

    @unless_closing
    def on_engine_state(self, message: EngineState) -> None:
        if self.racing is not None:
            self.racing.on_state(message.state, message.reason)
            return
        if message.reason == "continued":
            self._told.discard(Seen.NOT_CONVERGED)  # the new end is judged afresh
            epochs = self.data.target_epochs
            self._log(f"# continued in the same run folder, up to {epochs} {plural(epochs, 'epoch')}")
        self._reported = (message.state, message.reason)
        if self._awaiting is None:
            self._show_reported()

    @unless_closing
    def on_engine_pong(self, message: EnginePong) -> None:
        if self.racing is not None:
            self.racing.on_pong(message.n)
            return
        if message.n == self._awaiting:
            self._awaiting = None
            self._show_reported()

    def _show_reported(self) -> None:
        if self._reported is not None:
            self.state_reason, self.run_state = self._reported[1], self._reported[0]
            self._refresh_status()

    @unless_closing
    def on_engine_progress(self, message: EngineProgress) -> None:
        before = self.data.diagnosis
        lines = [epoch_line(e.epoch, e.loss_sum) for e in self.data.apply(message.progress)]
        if lines:
            self._log(*lines[-LOG_BATCH:])
        self._tell_diagnosis(before, self.data.diagnosis)
        self._mark_dirty()

    def _tell_diagnosis(self, before: dict | None, now: dict | None) -> None:
        """A new diagnosis (oscillating, stalled, not converged) is said once: a log line per cause, a notice."""
        if now is None or now["kind"] == Seen.DIVERGED or (before is not None and before["kind"] == now["kind"]):
            return
        if now["kind"] in self._told:  # once a run: a stall that comes back after an improvement is not news
            return
        self._told.add(now["kind"])
        headline, causes = diagnosis_headline(now), diagnosis_lines(now, app=True)
        follow = ["#   y follows the first advice"] if any(c.get("changes") for c in now.get("causes", ())) else []
        self._log(f"# ⚠ {headline}", *(f"#   → {c}" for c in causes), *follow)
        self.notify(f"{headline.split(':')[0]}. Why, and what to try: the log (5).", title=KIND_WORDS[now["kind"]],
                    severity="warning", timeout=8, markup=False)

    @unless_closing
    def on_run_ended(self, message: RunEnded) -> None:
        self.data.summary = message.summary
        before, self.data.diagnosis = self.data.diagnosis, message.summary.get("diagnosis")
        div = message.summary.get("divergence")
        if message.status == Outcome.DIVERGED and div:
            causes = diagnosis_lines(self.data.diagnosis, app=True) if self.data.diagnosis else []
            text = divergence_text(div)
            follow = ["#   y follows the first advice"] if causes else []
            self._log(f"# {text}", *(f"#   → {c}" for c in causes), *follow)
            self.notify(f"{text}. Why, and what to try: the log (5).", title="diverged", severity="error",
                        timeout=10, markup=False)
        else:
            self._tell_diagnosis(before, self.data.diagnosis)
            train = message.summary["metrics"]["train"]
            best = message.summary["least_squares"]["metrics"]
            epochs, steps = message.summary["epochs"], message.summary["steps"]
            self._log(f"# {OUTCOME_WORDS.get(message.status, message.status)} after {epochs} "
                      f"{plural(epochs, 'epoch')}, {steps} {plural(steps, 'step')}: R² {num(train['r2'])} "
                      "(least squares "
                      f"{num(best['r2'])})")
        self._mark_dirty()

    @unless_closing
    def on_run_saving(self, message: RunSaving) -> None:
        if self.racing is not None:
            if message.error is not None:
                self.notify(message.error, title="race not saved", severity="error", timeout=10, markup=False)
            return
        if message.error is not None:
            first = self.save_error is None
            self.save_error = message.error
            if first:
                self._log(f"# {message.error}")
                self.notify(f"{message.error}. Training goes on and the run is kept in memory; it is written "
                            "again at each epoch, or press w to retry now.", title="run not saved",
                            severity="error", timeout=12, markup=False)
        else:
            if self.save_error is not None:
                self.notify(f"the run is now on disk in {message.folder}", title="saved", markup=False)
            self.save_error = None
            if message.folder and message.folder != self._run_folder:
                self._log(f"# run kept in {message.folder}")
        self._run_folder = message.folder
        self.refresh_bindings()

    @unless_closing
    def on_engine_refused(self, message: EngineRefused) -> None:
        if self.racing is not None:
            label = FIELDS[message.field].label if message.field in FIELDS else message.field
            self.racing.on_refused(f"{label}: {message.message}")
            return
        self.config = self._sent = self._accepted  # the previous data and settings stay in use
        self.form.show_source(self.config.data.csv is not None)
        self.form.show_error(message.field, message.message)
        self.notify(message.message, title=FIELDS[message.field].label if message.field in FIELDS else "refused",
                    severity="error", timeout=8, markup=False)

    @unless_closing
    def on_engine_failed(self, message: EngineFailed) -> None:
        """Restart the engine on the same settings once; if it fails on them again, stay up without one
        until a setting changes (a failure that repeats would otherwise restart it forever)."""
        if self.racing is not None:
            self.racing.dismiss_covered(None)  # back to the single run, on the restarted engine
        self._stop_engine()
        self._log(f"# training failed: {message.message}")
        self._keep_log = True
        again = self._failed_with == self._sent
        self._failed_with = self._sent
        if again:
            self.notify(f"{message.message}. It failed again on the same settings, so it was not restarted: "
                        "change a setting to try again.", title="training failed", severity="error",
                        timeout=15, markup=False)
            self.state_reason = "engine failed"
            self.run_state = State.IDLE
            return
        self.notify(f"{message.message}. Your settings are kept; the engine was restarted.",
                    title="training failed", severity="error", timeout=10, markup=False)
        self.state_reason = None
        self.run_state = State.LOADING
        self._start_engine()

    # --------------------------------------------------------------- views
    def _log(self, *lines: str) -> None:
        """Queue lines for the epoch log. They reach the Log widget while it is on screen, at most CHART_HZ
        times a second (writing at every progress message, 20 a second, made frames and keys late)."""
        self._log_pending.extend(lines)

    def flush_log(self) -> None:
        if self._log_pending:
            shown = self.log_view.scrollable_content_region.width
            width = shown - 1 if shown > 20 else 78  # (a log not on screen: tests read it)
            self.log_view.write_lines(wrap_lines(self._log_pending, width))
            self._log_pending.clear()

    def _mark_dirty(self) -> None:
        for chart in self.panels:
            chart.dirty = True

    def _refresh_views(self) -> None:
        """One view tick: the status line, the log, and at most one panel (the one that has waited longest,
        if it was last drawn 1/CHART_HZ ago or more). On a large terminal the charts and the table take turns,
        so a frame costs one chart's rendering, not four: measured at 160×48 while training flat out, keys
        showed after 150–175 ms (median) when every panel was redrawn in the same frame."""
        wide = self._all_panels_shown()
        now = time.monotonic()
        if (wide or self._panel == "log") and now - self._drawn_at.get("log", 0.0) >= 1 / CHART_HZ:
            self._drawn_at["log"] = now
            self.flush_log()
        due = [p for p in self.panels if getattr(p, "dirty", False) and isinstance(p, (Chart, ParamsTable))
               and (wide or p.id == self._panel) and now - self._drawn_at.get(p.id, 0.0) >= 1 / CHART_HZ]
        if due:
            panel = min(due, key=lambda p: self._drawn_at.get(p.id, 0.0))
            self._drawn_at[panel.id] = now
            if isinstance(panel, Chart):
                panel.redraw(self.data)
            else:
                panel.show(self.data)
                panel.dirty = False
        self._refresh_status()

    @property
    def views_settled(self) -> bool:
        """Every panel on screen shows the latest data (for tests and snapshots: no timing guesses)."""
        wide = self._all_panels_shown()
        return not any(getattr(p, "dirty", False) for p in self.panels
                       if isinstance(p, (Chart, ParamsTable)) and (wide or p.id == self._panel))

    def _refresh_status(self) -> None:
        speed = SPEEDS[self.speed_index]
        self.status_line.show(self.run_state, self.data, "max" if speed is None else f"{speed}/s",
                              self.config.train.lr, self.config.train.schedule != "constant", self.state_reason)

    def watch_run_state(self) -> None:
        if self.status_line is not None:
            self._refresh_status()  # a state change shows at once, not at the next tick

    # --------------------------------------------------------------- actions
    def check_action(self, action: str, parameters) -> bool | None:
        """Keys follow the state the engine reported (linreg_core/session/states.py): greyed out where they do
        nothing. The engine ignores a command that no longer applies when it arrives, so a key pressed
        just as the state changes is harmless."""
        state = self.run_state
        if self.racing is not None or getattr(self.screen, "own_keys", False):  # the race and overlay screens
            return True if action in RACE_APP_ACTIONS else False  # have their own keys; the run's would act unseen
        if self._editing() and action in OWN_ACTIONS:  # a field has the keys: only ours that work there show
            return True if action in EDIT_ACTIONS else False
        if action == "leave_form":
            return False
        if action == "help_in_field":
            return False  # (F1 still works: action_help is bound to it through help_in_field only in a field)
        if action in ("toggle_run", "step", "epoch") and self.form.errors and state != State.RUNNING:
            return None  # a refused value blocks starting
        if action in RUN_COMMANDS:
            if self.engine is None and self._failed_with is not None and state != State.LOADING:
                return None  # the engine failed twice on these settings: nothing to send them to
            allowed = states.can(RUN_COMMANDS[action], state)
            if action == "continue_run":
                return True if allowed else False  # hidden, not greyed, when it does not apply
            return True if allowed else None
        if action in ("new_data", "lr_up", "lr_down", "cycle") and state == State.LOADING:
            return None
        if action == "retry_save":
            return True if self.save_error else False  # hidden, not greyed: it is rarely needed
        return True

    def action_toggle_run(self) -> None:
        self._run_command(c.Toggle())

    def action_step(self) -> None:
        self._run_command(c.Step(1))

    def action_epoch(self) -> None:
        self._run_command(c.Epoch())

    def action_stop(self) -> None:
        self._run_command(c.Stop())

    def action_continue_run(self) -> None:
        self._run_command(c.Continue())

    def action_reset(self) -> None:
        self._run_command(c.Reset())

    def _run_command(self, command) -> None:
        """Send a run command and show its effect at once: the state the table in states.py says it leads
        to. The engine's own report follows within a few milliseconds and wins; showing the effect now also
        lets the next key be judged on it (x then c typed fast: c was greyed under the old RUNNING)."""
        self._send(command)
        self._pings += 1
        self._send(c.Ping(self._pings))
        self._awaiting = self._pings
        expected = states.expected_after(type(command), self.run_state, self.data.step > 0)
        if expected != self.run_state:
            self.state_reason = None
            self.run_state = expected

    def action_new_data(self) -> None:
        seed = (self.config.seed + 1) % (FIELDS["seed"].hi + 1)
        self.form.set_value("seed", str(seed))
        self._apply({"seed": str(seed)})
        self._say_set("seed", str(seed), "new data")

    def action_follow_advice(self) -> None:
        """y: set the fields the diagnosis' first advice names (as --follow-advice does), say what changed; the
        run starts over on them."""
        d = self.data.diagnosis
        advice = next((c for c in d.get("causes", ()) if c.get("changes")), None) if d else None
        if advice is None:
            why = "nothing looks wrong" if d is None else "the diagnosis has no setting to change (see the log)"
            self.notify(f"no advice to follow: {why}", timeout=4, markup=False)
            return
        texts = {name: FIELDS[name].format(value) for name, value in advice["changes"].items()}
        for name, text in texts.items():
            self.form.set_value(name, text)
        self._apply(texts)
        if set(texts) == {"lr"}:  # a rate alone is taken by the run in progress: start over, as said
            self._run_command(c.Reset())
        said = changes_text(advice["changes"], app=True)
        self._log_on_ready.append(f"# followed the advice: {said}")  # the head of the new run's log
        self.notify(f"followed the advice: {said} (the run starts over; space trains)", timeout=6, markup=False)

    def action_lr_up(self) -> None:
        self._change_lr(self.config.train.lr * 2)

    def action_lr_down(self) -> None:
        self._change_lr(suggest_lr(self.config.train.lr * 5))  # ÷2, rounded to 3 significant digits

    def _change_lr(self, lr: float) -> None:
        text = FIELDS["lr"].format(lr)
        self.form.set_value("lr", text)
        self._apply({"lr": text})

    def action_feature(self, delta: int) -> None:
        chart = self.fit_chart
        chart.feature = (chart.feature + delta) % max(1, len(self.data.names))
        chart.dirty = True

    def action_cycle_view(self) -> None:
        chart = self.fit_chart
        chart.view = VIEWS[(VIEWS.index(chart.view) + 1) % len(VIEWS)]
        self._view_chosen = True
        chart.dirty = True
        self.notify(f"fit view: {chart.view}", timeout=2, markup=False)

    def action_cycle(self, name: str) -> None:
        choices = LOSSES if name == "loss" else OPTIMIZERS
        current = self.config.get(name)
        nxt = choices[(choices.index(current) + 1) % len(choices)]
        self.form.set_value(name, nxt)
        self._apply({name: nxt})
        self._say_set(name, nxt, "the run starts over")

    def _say_set(self, name: str, value: str, effect: str) -> None:
        """d, l and o change a field that may be scrolled out of view (or the form hidden): say what they set."""
        self.notify(f"{FIELDS[name].label}: {value} ({effect})", timeout=3, markup=False)

    def action_speed(self, delta: int) -> None:
        self.speed_index = max(0, min(len(SPEEDS) - 1, self.speed_index + delta))
        self._send(c.Speed(SPEEDS[self.speed_index]))
        self._refresh_status()

    def action_toggle_log(self) -> None:
        chart = self.loss_chart
        chart.log_scale = not chart.log_scale
        chart.dirty = True

    def action_edit(self) -> None:
        """Into the form's first field, at once: keys typed in the same burst as `e` (a Tab, a value) are
        already queued, and must reach the field, not the app (Widget.focus() would move the focus only
        after them)."""
        self.form.display = True
        self.set_focus(self.form.first_field())

    def action_focus_next(self) -> None:
        """Tab: from the charts (no field focused) into the form's first field, as `e` (shown again when `f`
        hid it); within the form, the next field."""
        if self.screen is self.main_screen and not self._is_field(self.focused):
            self.action_edit()
            return
        super().action_focus_next()

    def action_leave_form(self) -> None:
        """Escape: the field gets back the value it had when it was entered, and the keys go back to the app."""
        restored = self.form.restore_focused()
        if restored:
            self.notify(f"{restored}: restored", timeout=3, markup=False)
        self.set_focus(None)

    def _editing(self) -> bool:
        return self.screen is self.main_screen and self._is_field(self.focused)

    def _is_field(self, widget) -> bool:
        """One of the form's fields (its Inputs are its children). Not `in self.form.query(Input)`: check_action
        asks for every binding at every key, and walking the form's widgets each time took 12% of the app's
        time in a key storm."""
        return isinstance(widget, Input) and widget.parent is self.form

    async def on_event(self, event) -> None:
        """A character meant for a form field is typed into it, even when it was routed elsewhere. Textual
        routes each key by the focus when the app first sees it, then handles bindings when it comes back:
        in a burst (a fast typist over SSH, keys sent together) `e`, Tab and `0.1` are all routed before `e`
        has moved the focus, so the characters went to the screen, were not typed anywhere and came back
        here unused. A character that comes back unused while a field has the focus is typed there, in the
        order the keys came (an Input stops every character it receives, so none is typed twice)."""
        if (isinstance(event, events.Key) and event.is_forwarded and event.is_printable
                and event.character is not None and self.screen is self.main_screen
                and self._is_field(self.focused)):
            field = self.focused
            if field.selection.is_empty:
                field.insert_text_at_cursor(event.character)
            else:
                field.replace(event.character, *field.selection)
            return
        await super().on_event(event)

    def on_descendant_focus(self, event) -> None:
        """Tab (or a click) put the keys in a field: say so, once each time the form is entered."""
        # The field's own parent, not the screen on top now: the focus of a dialog's field (the save dialog's
        # path) reaches the app after its Escape closed the dialog, when the main screen is on top again.
        if not self._is_field(event.widget):
            return
        if not self._in_form:
            self._in_form = True
            label = FIELDS[event.widget.id.removeprefix("field-")].label
            self.notify(f"editing {label}: keys now type into the form. Enter applies, Tab moves on, Escape "
                        "restores the field and goes back to the charts.", timeout=5, markup=False)
        self.refresh_bindings()

    def on_descendant_blur(self, event) -> None:
        if self._is_field(event.widget):
            self.call_after_refresh(self._after_blur)

    def _after_blur(self) -> None:
        if not self._editing():
            self._in_form = False
        self.refresh_bindings()

    def action_toggle_form(self) -> None:
        """f: hide the form so the charts take the whole width (e or Tab bring it back)."""
        self.form.display = not self.form.display
        self._mark_dirty()

    def action_scroll_panel(self, how: str) -> None:
        """Page Up/Down, Home, End: scroll the log (or the table) shown."""
        target = self.log_view if self._panel == "log" or self._all_panels_shown() else \
            self.query_one(ParamsTable) if self._panel == "table" else None
        if target is not None:
            getattr(target, f"scroll_{how}")(animate=False)

    def action_panel(self, name: str) -> None:
        """1–5: on a small terminal, show that panel; on a large one, zoom it to the whole area (the same key
        again goes back to every panel)."""
        screen = self.main_screen
        if screen.has_class("wide"):
            screen.set_class(not (screen.has_class("zoomed") and self._panel == name), "zoomed")
        self._show_panel(name)

    def _all_panels_shown(self) -> bool:
        return self.main_screen.has_class("wide") and not self.main_screen.has_class("zoomed")

    def action_save_config(self) -> None:
        def saved(path: str | None) -> None:
            if path:
                self.notify(f"saved to {path}; reopen with: linreg --config {path}", title="config saved",
                            timeout=8, markup=False)
        self.push_screen(SaveConfigScreen(self.config), saved)

    def action_past_runs(self) -> None:
        self.push_screen(RunsScreen(self.runs_dir), self._reopen)

    def _reopen(self, folder) -> None:
        """Put a past run's settings into the form and the engine (a new run on them starts with space); a
        race's lanes come back for R."""
        if folder is None:
            return

        from linreg_core.settings import configfile
        from linreg_core.settings.errors import LinregError
        from linreg_core.storage.runs import CONFIG

        from linreg_core.storage.runs import lane_folders

        lanes = lane_folders(folder)
        try:
            configs = [configfile.load(str(f / CONFIG)) for f in lanes]
        except LinregError as e:
            self.notify(str(e), title="could not reopen", severity="error", timeout=10, markup=False)
            return
        options = configs[0].to_options()
        for name, text in options.items():
            self.form.set_value(name, text)
        self._apply(options)
        if len(lanes) > 1 or lanes[0] != folder:  # a race: its lanes come back for R
            self.race_lanes = configs
            count = f"{len(configs)} {plural(len(configs), 'lane')}"
            self.notify(f"a race of {count}: R, then “the last race again”, runs it; the form has "
                        "lane 1's settings", title=f"reopened {folder.name}", timeout=8, markup=False)
            return
        self.notify(f"settings of {folder.name}", title="reopened", timeout=5, markup=False)

    def action_retry_save(self) -> None:
        self._send(c.RetrySave())

    def action_help_in_field(self) -> None:
        self.action_help()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(key_table(self.BINDINGS)))

    def action_command_palette(self) -> None:
        """Ctrl+P: as Textual's, with a palette that ignores the keys typed while it closes."""
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette"))

    def search_themes(self) -> None:
        """The palette's "Change theme": as Textual's, in the same palette (its own failed as Ctrl+P's did)."""
        from textual.theme import ThemeProvider

        self.push_screen(CommandPalette(providers=[ThemeProvider], placeholder="Search for themes…"))

    async def action_quit(self) -> None:
        self._stop_engine()
        self.exit()

    def pop_screen(self):
        """Never pop the last screen: an Enter or Escape that arrives while a modal is already closing (Ctrl+P,
        Enter, Enter typed fast) asks for a second pop, which Textual answers with ScreenStackError, ending the
        app. That second pop has nothing left to close: it does nothing."""
        if len(self.screen_stack) <= 1:
            return AwaitComplete(asyncio.sleep(0))
        return super().pop_screen()

    def on_unmount(self) -> None:
        self._stop_engine()  # however the app ends (also a test's run_test), the engine ends with it

    def _stop_engine(self) -> None:
        """The engine ends the run on disk and exits (≤ 0.5 s, then it is terminated)."""
        self.workers.cancel_group(self, "engine")
        if self.engine is not None:
            self.engine.close()
            self.engine = None

    # --------------------------------------------------------------- settings
    @unless_closing  # a field blurred as the app quits (Escape, Ctrl+Q typed fast) commits after the form is gone
    def on_parameter_form_applied(self, message: ParameterForm.Applied) -> None:
        if self.config.to_options().get(message.name) != message.text:
            self._apply({message.name: message.text})

    def _apply(self, options: dict[str, str]) -> None:
        try:
            config = Config.from_options(options, base=self.config)
        except ConfigError as e:
            form = self.form
            for name, msg in e.errors.items():
                form.show_error(name, msg)
            return
        if config == self.config:
            return
        lr_only = config.replace(lr=self.config.train.lr) == self.config
        self.config = config
        self.form.show_source(config.data.csv is not None)
        self._refresh_status()  # the new setting shows at once, not at the next chart tick
        if self.engine is None:
            if self._failed_with is not None and self.run_state != State.LOADING:  # failed twice: try the new settings
                self.run_state = State.LOADING
                self._start_engine()
            return  # otherwise the engine starts with self.config
        if lr_only:
            self.engine.send(c.SetLr(config.train.lr))  # the current run from its next step, or the next run
            return
        self._sent = config
        self.engine.send(c.Configure(config))  # a running run restarts on it; see states.py

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        for key, description in key_table(self.BINDINGS):
            action = next(b.action for b in self.BINDINGS if b.description == description)
            if not action.startswith(("panel", "quit")):
                yield SystemCommand(description, f"key: {key}", lambda a=action: self.run_action(a))


OWN_ACTIONS = {b.action.split("(")[0] for b in LinregApp.BINDINGS}


def wrap_lines(lines, width: int) -> list[str]:
    """Lines longer than the log is wide, wrapped at spaces (Log cuts them); a comment's continuation lines
    keep its `#` and indent under its text."""
    import textwrap

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


def key_table(bindings) -> list[tuple[str, str]]:
    """(keys as a person reads them, description) for the help screen and the command palette."""
    def shown(keys: str) -> str:
        return " ".join(KEY_NAMES.get(k, k) for k in keys.split(","))
    merged: dict[str, list[str]] = {}  # description -> keys (? and F1 are both Help)
    for b in bindings:
        merged.setdefault(b.description, []).append(shown(b.key))
    return [(" ".join(keys), description) for description, keys in merged.items()]


def make_app(config: Config | None = None, in_thread: bool = False, runs_dir: str | None = None) -> LinregApp:
    """The one composition root, for the CLI and the tests. runs_dir None: runs are not kept."""
    return LinregApp(config or Config(), in_thread=in_thread, runs_dir=runs_dir)
