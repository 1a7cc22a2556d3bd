"""The app's modes beyond the single run, as mixins of LinregApp (tui/app.py): the race (R) and the views
of one step and of the surface (m, the surface panel's keys, P). They use the app's state (engine commands,
the form's config, the data on screen) and keep the app's file to the run itself."""
from __future__ import annotations

import os

from linreg_core.session import commands as c
from linreg_core.session.states import State
from tui.guards import unless_closing
from tui.messages import LandscapeReady, RaceEnded, RaceProgressed, RaceReady, StepTraced

SPEEDS_LABEL_MAX = "max"


class StepViews:
    def _surface_request(self) -> None:
        """Ask the engine for grids while the surface panel is on screen (at its size), and stop asking when
        it is not (each grid costs up to 50 ms of the engine's time)."""
        shown = self.racing is None and (self._panel == "surface" or self._all_panels_shown())
        want = None
        if shown:
            nx, ny = self.surface_view.grid_size()
            want = {**self.surface, "nx": nx, "ny": ny}
        if want != self._surface_sent:
            self._surface_sent = want
            self._send(c.ShowLandscape(want))

    def action_surface_axis(self, which: int) -> None:
        d = len(self.data.names) + 1 if self.data.setup is not None else 2
        if d <= 2:
            self.notify("one feature: w and b are the only pair", markup=False)
            return
        key = "i" if which == 0 else "j"
        other = self.surface["j" if key == "i" else "i"] % d
        value = (self.surface[key] % d + 1) % d
        if value == other:
            value = (value + 1) % d
        self.surface[key] = value
        self._surface_request()

    def action_surface_zoom(self, factor: float) -> None:
        self.surface["zoom"] = max(0.05, min(1000.0, self.surface["zoom"] * factor))
        self._surface_request()

    def action_surface_hold(self) -> None:
        self.surface["held"] = "optimum" if self.surface["held"] == "current" else "current"
        self._surface_request()

    @unless_closing
    def on_landscape_ready(self, message: LandscapeReady) -> None:
        if self.racing is not None:
            self.racing.on_landscape(message.view)
        else:
            self.surface_view.show(message.view)

    # --------------------------------------------------------------- screenshot
    def action_screenshot(self) -> None:
        """P: the screen as it is now, as an SVG, in the runs folder's screenshots/ (the current folder with
        --no-save), named after the run on screen."""
        import time as _time
        from pathlib import Path

        folder = Path(os.path.expanduser(self.runs_dir)) / "screenshots" if self.runs_dir else Path.cwd()
        run = Path(self._run_folder).name if self._run_folder else "linreg"
        if self.racing is not None:
            run = f"race-{len(self.race_lanes)}lanes"
        name = f"{run}-{_time.strftime('%Y%m%d-%H%M%S')}.svg"
        if folder.exists() and not folder.is_dir():
            self.notify(f"could not write a screenshot: {folder} is a file, not a folder", title="screenshot",
                        severity="error", markup=False)
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = self.save_screenshot(filename=name, path=str(folder))
        except OSError as e:
            self.notify(f"could not write a screenshot to {folder}: {e.strerror or e}", title="screenshot",
                        severity="error", markup=False)
            return
        self.notify(f"saved {path}", title="screenshot", timeout=6, markup=False)

    # --------------------------------------------------------------- microscope
    def action_microscope(self) -> None:
        """The last step in numbers; a running run pauses first (the step shown is the last one taken). With a
        step taken the screen opens at once and the engine's numbers fill it when they come (the key shows
        its effect in the same frame, whatever keys follow)."""
        from tui.screens.microscope import MicroscopeScreen

        if self.run_state == State.RUNNING:
            self._run_command(c.Toggle())
        if self.data.step > 0 and self.racing is None and self.screen is self.main_screen:
            self.push_screen(MicroscopeScreen(None))
        self._send(c.Trace())

    @unless_closing
    def on_step_traced(self, message: StepTraced) -> None:
        from tui.screens.microscope import MicroscopeScreen

        if isinstance(self.screen, MicroscopeScreen):  # its numbers, or n inside it: the new step in place
            if message.record is not None:
                self.screen.show(message.record)
            elif self.screen.record is None:  # opened for a step the engine no longer has (a reset in between)
                self.pop_screen()
                self.notify("no step taken yet in this run: n takes one, then m shows it", markup=False)
            return
        if self.racing is not None or self.screen is not self.main_screen:
            return
        if message.record is None:
            self.notify("no step taken yet in this run: n takes one, then m shows it", markup=False)
            return
        self.push_screen(MicroscopeScreen(message.record))



class RaceMode:
    def action_race(self) -> None:
        from tui.screens.race_presets import RacePresetsScreen

        if self.form.errors:
            self.notify("fix the refused settings first: a race starts from them", severity="warning", markup=False)
            return
        n_train = self.data.setup.n_train if self.data.setup is not None else None
        self.push_screen(RacePresetsScreen(self.config, n_train, len(self.race_lanes)), self._start_race)

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
        self.racing = RaceScreen(lanes)
        self.push_screen(self.racing, self._leave_race)

    def race_send(self, command) -> int:
        """A command for the race; returns the ping that follows it (its answer lets reports show again)."""
        self._send(command)
        self._pings += 1
        self._send(c.Ping(self._pings))
        return self._pings

    def _leave_race(self, _result=None) -> None:
        """Back to the single run: the engine ends the race (stopped) and reloads the form's settings."""
        self.racing = None
        self._send(c.Single())
        self._sent = self.config
        self._send(c.Configure(self.config))
        self._surface_request()

    def speed_label(self) -> str:
        from tui.app import SPEEDS

        speed = SPEEDS[self.speed_index]
        return SPEEDS_LABEL_MAX if speed is None else f"{speed}/s"


    @unless_closing
    def on_race_ready(self, message: RaceReady) -> None:
        if self.racing is not None:
            self.racing.on_ready(message.setup)

    @unless_closing
    def on_race_progressed(self, message: RaceProgressed) -> None:
        if self.racing is not None:
            self.racing.on_progress(message.progress)

    @unless_closing
    def on_race_ended(self, message: RaceEnded) -> None:
        if self.racing is not None:
            self.racing.on_ended(message.outcome, message.results)
