"""The main screen: the parameter form, the panels (fit, loss, params, table, log, surface), the status line,
and the keys of the run and its views. It subscribes to the app's EngineSession (tui/session.py): the engine's
events for the single run come here (a race's go to the race screen on top of it)."""
from __future__ import annotations

import gc

from textual.app import ComposeResult
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Log, Static, Tab, Tabs

from linreg_core.session import commands as c, states
from linreg_core.session.states import State
from linreg_core.settings.config import FIELDS, LOSSES, OPTIMIZERS, Config
from linreg_core.settings.errors import ConfigError, LinregError
from textual.containers import Horizontal, Vertical
from tui import keys
from tui.guards import unless_closing
from tui.run_data import RunData
from tui.run_log import LOG_MAX_LINES, RunLog
from tui.session import EngineSession, SessionView
from tui.text import changes_text, plural, suggest_lr
from tui.widgets.epoch_log import EpochLog
from tui.widgets.fit_chart import VIEWS, FitChart
from tui.widgets.form import ParameterForm
from tui.widgets.loss_chart import LossChart
from tui.widgets.panels import Panels
from tui.widgets.params_chart import ParamsChart
from tui.widgets.params_table import ParamsTable
from tui.widgets.status import StatusLine
from tui.widgets.surface import SurfaceView
from tui.widgets.theory_panel import TheoryPanel

MIN_SIZE, WIDE_SIZE = (60, 18), (150, 40)
VIEW_TICKS_HZ = 8  # view ticks a second; each redraws at most one panel, so no frame holds keys up for long


class MainScreen(SessionView, Screen):
    BINDINGS = keys.SCREEN_BINDINGS

    run_state = reactive(State.LOADING, bindings=True)

    def __init__(self, config: Config, session: EngineSession, runs_dir: str | None):
        super().__init__()
        self.config = config  # the form's settings
        self.session = session
        self.runs_dir = runs_dir  # where the engine keeps runs (past runs: p); None: not kept
        self.data = RunData()
        self.run_log = RunLog()
        self.status_line = self.form = None  # set on mount
        self._frozen = False  # gc.freeze() done
        self._view_chosen = False  # v was pressed: the fit view stays as chosen for every data source
        self._surface_sent: dict | None = None  # what the engine was last asked for (None: the panel is hidden)
        self.racing = None  # the RaceScreen while a race is on screen (it has the engine's events then)
        self.race_lanes: list[Config] = []  # the last race's lanes (R offers it again, or with one more)

    @property
    def save_error(self) -> str | None:
        return self.run_log.save_error

    # --------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield StatusLine("starting…", id="status")
        with Horizontal(id="body"):
            yield ParameterForm(self.config.to_options(), id="form")
            with Vertical(id="main"):
                yield Tabs(*[Tab(title, id=f"tab-{name}") for name, title in keys.PANELS], id="tabs")
                with Panels(id="panels"):
                    yield FitChart(id="fit", classes="panel")
                    yield LossChart(id="loss", classes="panel")
                    yield ParamsChart(id="params", classes="panel")
                    yield ParamsTable(id="table", classes="panel")
                    yield EpochLog(id="log", classes="panel", max_lines=LOG_MAX_LINES)
                    yield SurfaceView(id="surface", classes="panel")
                    yield TheoryPanel(id="theory", classes="panel")
        yield Static("", id="too-small")
        yield Footer()

    def on_mount(self) -> None:
        self.form, self.log_view = self.query_one(ParameterForm), self.query_one(Log)
        self.status_line, self.tabs = self.query_one(StatusLine), self.query_one(Tabs)
        self.fit_chart, self.loss_chart = self.query_one(FitChart), self.query_one(LossChart)
        self.surface_view, self.panels = self.query_one(SurfaceView), self.query_one(Panels)
        self.too_small_note = self.query_one("#too-small", Static)
        self.session.subscribe(self)
        self._show_panel("fit")
        self._layout_for(self.app.size.width, self.app.size.height)
        self.set_interval(1 / VIEW_TICKS_HZ, self._refresh_views)

    def engine_connected(self) -> None:
        """A new engine does not know the surface panel is shown: ask again."""
        self._surface_sent = None
        self.call_after_refresh(self._surface_request)

    def on_resize(self, event) -> None:
        if self.status_line is not None:
            self._layout_for(event.size.width, event.size.height)

    def _layout_for(self, width: int, height: int) -> None:
        self.set_class(width < MIN_SIZE[0] or height < MIN_SIZE[1], "too-small")
        self.set_class(width >= WIDE_SIZE[0] and height >= WIDE_SIZE[1], "wide")
        self.too_small_note.update(
            f"Terminal too small: {width}×{height}. linreg needs at least {MIN_SIZE[0]}×{MIN_SIZE[1]}; "
            "enlarge the window (or press q to quit).")
        self._mark_dirty()
        self.call_after_refresh(self._surface_request)

    def _show_panel(self, name: str) -> None:
        self.panels.show(name)
        self.tabs.active = f"tab-{name}"
        self.call_after_refresh(self._surface_request)

    @unless_closing  # (a tab clicked as the app quits: its tabs are gone by the time this arrives)
    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        # Only the tab active now: an older activation (keys 1 2 1 typed faster than they are handled) would set
        # the tabs back, and the activation that posts would set them forward again, back and forth forever.
        if event.tab is not None and event.tab.id and event.tab.id == self.tabs.active:
            name = event.tab.id.removeprefix("tab-")
            if name != self.panels.current:
                self._show_panel(name)

    def _run(self, command) -> None:
        self.session.run_command(command, begun=self.data.step > 0)

    def _notify_all(self, notices) -> None:
        for n in notices:
            self.notify(n.text, title=n.title or "", severity=n.severity, timeout=n.timeout, markup=False)

    # --------------------------------------------------------------- the session's events (SessionView)
    def on_state(self, state: State, reason: str | None) -> None:
        if reason == "continued":
            self.run_log.continued(self.data.target_epochs)
        self.run_state = state
        self.refresh_status()

    def on_setup(self, setup) -> None:
        if not self._frozen:
            # Everything built so far (widgets, styles, caches) lives as long as the app: keep it out of the
            # garbage collector's full passes, which took 40-240 ms per pass while training (measured with
            # gc.callbacks at 160x48) and held keys up by as much.
            gc.freeze()
            self._frozen = True
        self.data.start(setup)
        if self.surface_view.whole():
            self.call_after_refresh(self._surface_request)
        if not self._view_chosen:  # real data: the view whose line fits the points (the tutorial's misses them)
            self.fit_chart.view = "tutorial" if setup.true_weights is not None else "partial"
        self._notify_all(self.run_log.setup(setup, self.session.accepted.data.standardize_target))
        self._mark_dirty()

    def on_progress(self, progress) -> None:
        before = self.data.diagnosis
        epochs = self.data.apply(progress)
        self._notify_all(self.run_log.progress(epochs, before, self.data.diagnosis))
        self._mark_dirty()

    def on_ended(self, ended) -> None:
        self.data.summary = ended.summary
        before, self.data.diagnosis = self.data.diagnosis, ended.summary.get("diagnosis")
        self._notify_all(self.run_log.ended(ended.outcome, ended.summary, before))
        self._mark_dirty()

    def on_saving(self, saving) -> None:
        self._notify_all(self.run_log.saving(saving.folder, saving.error))
        self.refresh_bindings()

    def on_refused(self, field: str, message: str) -> None:
        self.config = self.session.config  # the engine's previous settings stay in use
        self.form.show_source(self.config.data.csv is not None)
        self.form.show_error(field, message)
        self.notify(message, title=FIELDS[field].label if field in FIELDS else "refused", severity="error",
                    timeout=8, markup=False)

    def on_failed(self, message: str, restarted: bool) -> None:
        self.run_log.failed(message)
        if restarted:
            self.notify(f"{message}. Your settings are kept; the engine was restarted.", title="training failed",
                        severity="error", timeout=10, markup=False)
        else:
            self.notify(f"{message}. It failed again on the same settings, so it was not restarted: change a "
                        "setting to try again.", title="training failed", severity="error", timeout=15,
                        markup=False)

    def on_theory(self, theorized) -> None:
        self.data.theorize(theorized)  # the loss chart's predicted curve, the theory panel
        self._mark_dirty()

    def on_landscape(self, view) -> None:
        self.surface_view.show(view)

    def on_traced(self, record: dict | None) -> None:
        from tui.screens.microscope import MicroscopeScreen

        on_top = self.app.screen
        if isinstance(on_top, MicroscopeScreen):  # its numbers, or n inside it: the new step in place
            if record is not None:
                on_top.show(record)
            elif on_top.record is None:  # opened for a step the engine no longer has (a reset in between)
                self.app.pop_screen()
                self.notify("no step taken yet in this run: n takes one, then m shows it", markup=False)
        elif on_top is self:
            if record is None:
                self.notify("no step taken yet in this run: n takes one, then m shows it", markup=False)
            else:
                self.app.push_screen(MicroscopeScreen(record))

    # --------------------------------------------------------------- views
    def flush_log(self) -> None:
        self.panels.write_log(self.run_log)

    def _mark_dirty(self) -> None:
        self.panels.mark_dirty()

    def _refresh_views(self) -> None:
        self.panels.tick(self.data, self.run_log)
        self.refresh_status()

    @property
    def views_settled(self) -> bool:
        """Every panel on screen shows the latest data (for tests and snapshots: no timing guesses)."""
        return self.panels.settled

    def refresh_status(self) -> None:
        if self.status_line is not None:
            self.status_line.show(self.run_state, self.data, self.session.speed_label, self.config.train.lr,
                                  self.config.train.schedule != "constant", self.session.reason)

    def _surface_request(self) -> None:
        """Ask the engine for grids while the surface panel is on screen (at its size), and stop asking when
        it is not (each grid costs up to 50 ms of the engine's time)."""
        shown = self.racing is None and self.panels.on_screen("surface")
        want = self.surface_view.want() if shown else None
        if want != self._surface_sent:
            self._surface_sent = want
            self.session.send(c.ShowLandscape(want))

    def on_surface_view_resized(self, _message) -> None:
        self.call_after_refresh(self._surface_request)

    # --------------------------------------------------------------- keys
    def check_action(self, action: str, parameters) -> bool | None:
        """Keys follow the state the engine reported (linreg_core/session/states.py): greyed out where they do
        nothing. The engine ignores a command that no longer applies when it arrives, so a key pressed
        just as the state changes is harmless."""
        state = self.run_state
        if self.editing() and action in keys.OWN_ACTIONS:  # a field has the keys: only ours that work there show
            return True if action in keys.EDIT_ACTIONS else False
        if action in keys.EDIT_ACTIONS:  # (F1 still works in a field: it is bound through help_in_field)
            return False
        if action in ("toggle_run", "step", "epoch") and self.form.errors and state != State.RUNNING:
            return None  # a refused value blocks starting
        if action in keys.RUN_COMMANDS:
            if self.session.gave_up:
                return None  # the engine failed twice on these settings: nothing to send them to
            allowed = states.can(keys.RUN_COMMANDS[action], state)
            if action == "continue_run":
                return True if allowed else False  # hidden, not greyed, when it does not apply
            return True if allowed else None
        if action in ("new_data", "lr_up", "lr_down", "cycle") and state == State.LOADING:
            return None
        if action == "retry_save":
            return True if self.save_error else False  # hidden, not greyed: it is rarely needed
        return True

    def action_toggle_run(self) -> None:
        self._run(c.Toggle())

    def action_step(self) -> None:
        self._run(c.Step(1))

    def action_epoch(self) -> None:
        self._run(c.Epoch())

    def action_stop(self) -> None:
        self._run(c.Stop())

    def action_continue_run(self) -> None:
        self._run(c.Continue())

    def action_reset(self) -> None:
        self._run(c.Reset())

    def action_retry_save(self) -> None:
        self.session.send(c.RetrySave())

    def action_new_data(self) -> None:
        seed = str((self.config.seed + 1) % (FIELDS["seed"].hi + 1))
        self._set_fields({"seed": seed})
        self._say_set("seed", seed, "new data")

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
        self._set_fields(texts)
        if set(texts) == {"lr"}:  # a rate alone is taken by the run in progress: start over, as said
            self._run(c.Reset())
        said = changes_text(advice["changes"], app=True)
        self.run_log.on_ready.append(f"# followed the advice: {said}")  # the head of the new run's log
        self.app.clear_notifications()  # the old run's "stalled … the log (5)" stood over the new run's charts
        self.notify(f"followed the advice: {said} (the run starts over; space trains)", timeout=6, markup=False)

    def action_lr_up(self) -> None:
        self._set_fields({"lr": FIELDS["lr"].format(self.config.train.lr * 2)})

    def action_lr_down(self) -> None:
        self._set_fields({"lr": FIELDS["lr"].format(suggest_lr(self.config.train.lr * 5))})  # ÷2, 3 digits

    def action_cycle(self, name: str) -> None:
        choices = LOSSES if name == "loss" else OPTIMIZERS
        nxt = choices[(choices.index(self.config.get(name)) + 1) % len(choices)]
        self._set_fields({name: nxt})
        self._say_set(name, nxt, "the run starts over")

    def _say_set(self, name: str, value: str, effect: str) -> None:
        """d, l and o change a field that may be scrolled out of view (or the form hidden): say what they set."""
        self.notify(f"{FIELDS[name].label}: {value} ({effect})", timeout=3, markup=False)

    def action_feature(self, delta: int) -> None:
        self.fit_chart.feature = (self.fit_chart.feature + delta) % max(1, len(self.data.names))
        self.fit_chart.dirty = True

    def action_cycle_view(self) -> None:
        chart = self.fit_chart
        chart.view = VIEWS[(VIEWS.index(chart.view) + 1) % len(VIEWS)]
        self._view_chosen = chart.dirty = True
        self.notify(f"fit view: {chart.view}", timeout=2, markup=False)

    def action_toggle_log(self) -> None:
        self.loss_chart.log_scale = not self.loss_chart.log_scale
        self.loss_chart.dirty = True

    def action_toggle_form(self) -> None:
        """f: hide the form so the charts take the whole width (e or Tab bring it back)."""
        self.form.display = not self.form.display
        self._mark_dirty()

    def action_scroll_panel(self, how: str) -> None:
        self.panels.scroll(how)

    def action_panel(self, name: str) -> None:
        self.panels.zoom(name)
        self._show_panel(name)

    def action_surface_axis(self, which: int) -> None:
        d = len(self.data.names) + 1 if self.data.setup is not None else 2
        if d <= 2:
            self.notify("one feature: w and b are the only pair", markup=False)
            return
        self.surface_view.next_axis(which, d)
        self._surface_request()

    def action_surface_zoom(self, factor: float) -> None:
        self.surface_view.zoom(factor)
        self._surface_request()

    def action_surface_hold(self) -> None:
        self.surface_view.toggle_hold()
        self._surface_request()

    def action_microscope(self) -> None:
        """The last step in numbers; a running run pauses first (the step shown is the last one taken). With a
        step taken the screen opens at once and the engine's numbers fill it when they come (the key shows
        its effect in the same frame, whatever keys follow)."""
        from tui.screens.microscope import MicroscopeScreen

        if self.run_state == State.RUNNING:
            self._run(c.Toggle())
        if self.data.step > 0 and self.racing is None and self.app.screen is self:
            self.app.push_screen(MicroscopeScreen(None))
        self.session.send(c.Trace())

    def action_microscope_step(self) -> None:
        """n under the microscope: one more step, shown there when the engine has taken it."""
        self._run(c.Step(1))
        self.session.send(c.Trace())

    def screenshot_name(self) -> str:
        """What P names the screenshot after: the run on screen (or the race)."""
        import os

        folder = self.run_log.run_folder
        if self.racing is not None:
            return f"race-{len(self.race_lanes)}lanes"
        return os.path.basename(folder) if folder else "linreg"

    # --------------------------------------------------------------- the race
    def action_race(self) -> None:
        from tui.screens.race_presets import RacePresetsScreen

        if self.form.errors:
            self.notify("fix the refused settings first: a race starts from them", severity="warning", markup=False)
            return
        n_train = self.data.setup.n_train if self.data.setup is not None else None
        self.app.push_screen(RacePresetsScreen(self.config, n_train, len(self.race_lanes)), self._start_race)

    def _start_race(self, choice: str | None) -> None:
        from linreg_core.settings.presets import preset
        from tui.screens.race import RaceScreen

        if choice is None:
            return
        if choice == "again":
            lanes = list(self.race_lanes)
        elif choice == "add":
            if self.config in self.race_lanes:  # the form was not changed since: nothing new to race
                self.notify(f"the form's settings are lane {self.race_lanes.index(self.config) + 1} already: change "
                            "a setting in the form first (e), then R", severity="warning", markup=False)
            lanes = list(dict.fromkeys([*self.race_lanes, self.config]))
        else:
            lanes = preset(choice, self.config, self.data.setup.n_train if self.data.setup else None)
        self.race_lanes = lanes
        self.racing = RaceScreen(lanes, self.session)
        self.app.push_screen(self.racing, self._leave_race)

    def _leave_race(self, lanes: list | None) -> None:
        """Back to the single run: the engine ends the race (stopped) and reloads the form's settings."""
        self.session.unsubscribe(self.racing)  # (its unmount comes later: the single run's events are ours now)
        self.racing = None
        if lanes:
            self.race_lanes = list(lanes)  # (lanes removed in the race stay removed for R)
        self.session.single()
        self._surface_request()

    # --------------------------------------------------------------- the form
    def _set_fields(self, texts: dict[str, str]) -> None:
        """Fields a key set (not typed): shown in the form, and applied."""
        for name, text in texts.items():
            self.form.set_value(name, text)
        self._apply(texts)

    @unless_closing  # a field blurred as the app quits (Escape, Ctrl+Q typed fast) commits after the form is gone
    def on_parameter_form_applied(self, message: ParameterForm.Applied) -> None:
        if self.config.to_options().get(message.name) != message.text:
            self._apply({message.name: message.text})

    def _apply(self, options: dict[str, str]) -> None:
        try:
            config = Config.from_options(options, base=self.config)
        except ConfigError as e:
            for name, msg in e.errors.items():
                self.form.show_error(name, msg)
            return
        if config != self.config:
            self.config = config
            self.form.show_source(config.data.csv is not None)
            self.refresh_status()  # the new setting shows at once, not at the next chart tick
            self.session.configure(config)

    def action_edit(self) -> None:
        self.form.enter()

    def action_leave_form(self) -> None:
        self.form.leave()

    def editing(self) -> bool:
        return self.app.screen is self and self.form.is_field(self.focused)

    def on_descendant_focus(self, _event) -> None:
        self.refresh_bindings()  # a field has the keys: the footer shows the keys that work there

    def on_descendant_blur(self, _event) -> None:
        self.call_after_refresh(self.refresh_bindings)

    # --------------------------------------------------------------- other screens
    def action_save_config(self) -> None:
        from tui.screens.save import SaveConfigScreen

        def saved(path: str | None) -> None:
            if path:
                self.notify(f"saved to {path}; reopen with: linreg --config {path}", title="config saved",
                            timeout=8, markup=False)
        self.app.push_screen(SaveConfigScreen(self.config), saved)

    def action_past_runs(self) -> None:
        from tui.screens.runs import RunsScreen

        self.app.push_screen(RunsScreen(self.runs_dir), self._reopen)

    def _reopen(self, folder) -> None:
        """Put a past run's settings into the form and the engine (a new run on them starts with space); a
        race's lanes come back for R."""
        from tui.screens.runs import settings_of

        if folder is None:
            return
        try:
            configs, race = settings_of(folder)
        except LinregError as e:
            self.notify(str(e), title="could not reopen", severity="error", timeout=10, markup=False)
            return
        self._set_fields(configs[0].to_options())
        if race:  # its lanes come back for R
            self.race_lanes = configs
            count = f"{len(configs)} {plural(len(configs), 'lane')}"
            self.notify(f"a race of {count}: R, then “the last race again”, runs it; the form has "
                        "lane 1's settings", title=f"reopened {folder.name}", timeout=8, markup=False)
            return
        self.notify(f"settings of {folder.name}", title="reopened", timeout=5, markup=False)

    def action_help_in_field(self) -> None:
        """F1 in a field (? types there): the help screen, as ? elsewhere."""
        from tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(keys.key_table(keys.HELP_BINDINGS)))

