"""The one object between the engine and the screens (plain Python: no Textual, no torch).

The app owns one EngineSession. Screens talk to the engine only through it and hear from the engine only
through it: they subscribe (the main view at start, the race screen while it is on screen) and the session
routes each engine event to the view on top, by one table from event type to handler name.

What it owns, written once for every view:
- the engine's life: started on the form's settings; commands typed before it exists are queued and sent in
  order once it does; on a failure it is restarted once on the same settings, and not again on settings it
  failed on twice (a failure that repeats would restart it forever) until a setting changes;
- the settings the engine last accepted (a refused setting falls back to them);
- the run state a view shows. A run key shows its effect at once: the state states.expected_after says it
  leads to. The engine's reports are then held back until it has handled that key (a Ping after it, answered
  by a Pong in order), so an older report arriving in between cannot undo what the key already shows;
- the speed limit (steps a second) the engine trains at.

Events of an engine that was stopped or replaced (late reports from its pipe) are dropped: each event comes
with the link it arrived on, and only the current link's count.
"""
from __future__ import annotations

from typing import Callable, Protocol

from linreg_core.session import commands as c, states
from linreg_core.session import events as e
from linreg_core.session.race_controller import RaceEnded, RaceProgress, RaceSetup, RaceTheorized
from linreg_core.session.states import State

SPEEDS = (2, 5, 10, 25, 50, 100, 250, 1000, None)  # steps per second; None: flat out
DEFAULT_SPEED = 5  # 100 steps/s: the tutorial's 1,600 steps in 16 s
ENGINE_FAILED = "engine failed"  # the reason shown when the engine is not restarted


class Link(Protocol):
    """What the session needs of an engine (tui/engine.py's EngineClient; a fake in tests)."""

    def send(self, command) -> None: ...

    def close(self) -> None: ...


class SessionView:
    """A subscriber: every handler does nothing unless a view defines it (the race has no Setup, the main view
    no race events). Handlers run on the app's thread, one event at a time, in the engine's order."""

    def on_state(self, state: State, reason: str | None) -> None: ...

    def on_setup(self, setup: e.Setup) -> None: ...

    def on_progress(self, progress: e.Progress) -> None: ...

    def on_ended(self, ended: e.Ended) -> None: ...

    def on_refused(self, field: str, message: str) -> None: ...

    def on_saving(self, saving: e.Saving) -> None: ...

    def on_landscape(self, view) -> None: ...

    def on_traced(self, record: dict | None) -> None: ...

    def on_theory(self, theorized: e.Theorized) -> None: ...

    def on_race_theory(self, lanes: tuple[e.Theorized, ...]) -> None: ...

    def on_failed(self, message: str, restarted: bool) -> None: ...

    def on_race_setup(self, setup: RaceSetup) -> None: ...

    def on_race_progress(self, progress: RaceProgress) -> None: ...

    def on_race_ended(self, ended: RaceEnded) -> None: ...


# event type -> (the view's handler, how the event becomes its arguments); StateChanged, Pong and Failed are
# the session's own first
ROUTES: dict[type, tuple[str, Callable]] = {
    e.Setup: ("on_setup", lambda x: (x,)),
    e.Progress: ("on_progress", lambda x: (x,)),
    e.Ended: ("on_ended", lambda x: (x,)),
    e.Invalid: ("on_refused", lambda x: (x.field, x.message)),
    e.Saving: ("on_saving", lambda x: (x,)),
    e.LandscapeView: ("on_landscape", lambda x: (x,)),
    e.Traced: ("on_traced", lambda x: (x.record,)),
    e.Theorized: ("on_theory", lambda x: (x,)),
    RaceSetup: ("on_race_setup", lambda x: (x,)),
    RaceProgress: ("on_race_progress", lambda x: (x,)),
    RaceEnded: ("on_race_ended", lambda x: (x,)),
    RaceTheorized: ("on_race_theory", lambda x: (x.lanes,)),
}


class EngineSession:
    def __init__(self, config, connect: Callable[[object], Link]):
        """config: the settings the engine starts on (linreg_core.settings.config.Config). connect(config)
        starts an engine and whatever relays its events back to deliver(); it returns the engine's link."""
        self._connect = connect
        self.link: Link | None = None
        self.config = config  # the settings the engine was last sent (it starts on these)
        self.accepted = config  # the settings the engine last accepted (its data is on screen)
        self.failed_with = None  # the settings the engine last failed on (restarted once on them)
        self.state: State = State.LOADING  # what the views show (see the module's docstring)
        self.reason: str | None = None
        self.speed_index = DEFAULT_SPEED
        self.racing = False  # the engine was sent a race (its controller takes the commands)
        self._queued: list = []  # commands sent before the engine was started
        self._views: list[SessionView] = []
        self._pings = 0
        self._awaiting: int | None = None  # the ping whose pong lets the engine's reports show again
        self._reported: tuple[State, str | None] | None = None  # the engine's latest state report

    # ------------------------------------------------------------------ views
    def subscribe(self, view: SessionView) -> None:
        """view is on top now: the engine's events go to it (until it unsubscribes)."""
        self._views.append(view)

    def unsubscribe(self, view: SessionView) -> None:
        if view in self._views:
            self._views.remove(view)

    @property
    def view(self) -> SessionView | None:
        return self._views[-1] if self._views else None

    # ------------------------------------------------------------------ the engine's life
    @property
    def started(self) -> bool:
        return self.link is not None

    @property
    def gave_up(self) -> bool:
        """The engine failed twice on the current settings and was not restarted: a setting must change."""
        return self.link is None and self.failed_with is not None and self.state != State.LOADING

    def start(self) -> None:
        """Start the engine on the current settings; commands queued meanwhile follow, in order."""
        self._awaiting = None  # a new engine: nothing of an old one's is awaited
        self.link = self._connect(self.config)
        self.link.send(c.Speed(self.speed))
        for command in self._queued:
            self.link.send(command)
        self._queued.clear()

    def stop(self) -> None:
        """The engine ends the run on disk and goes (its late events are dropped)."""
        if self.link is not None:
            link, self.link = self.link, None
            link.close()

    def send(self, command) -> None:
        """A command for the engine (linreg_core/session/commands.py); queued until it is started."""
        if self.link is None:
            self._queued.append(command)
        else:
            self.link.send(command)

    def _ping(self) -> int:
        self._pings += 1
        self.send(c.Ping(self._pings))
        return self._pings

    # ------------------------------------------------------------------ commands
    def run_command(self, command, begun: bool) -> None:
        """A run key (Toggle, Step, Epoch, Stop, Reset, Continue): sent, and its effect shown at once (begun: a
        run has taken a step, which decides what Stop leads to). The engine's own report follows and wins;
        showing the effect now also lets the next key be judged on it (x then c typed fast)."""
        self.send(command)
        self._awaiting = self._ping()
        expected = states.expected_after(type(command), self.state, begun)
        if expected != self.state:
            self._show(expected, None)

    def configure(self, config) -> None:
        """New settings: the engine reloads on them (a running run restarts on them: states.py). After the
        engine gave up, new settings start it again."""
        lr_only = config.replace(lr=self.config.train.lr) == self.config
        self.config = config
        if self.link is None:
            if self.gave_up:
                self._show(State.LOADING, None)
                self.start()
            return  # otherwise the engine starts on these
        if lr_only:
            self.link.send(c.SetLr(config.train.lr))  # the run in progress from its next step, or the next run
        else:
            self.link.send(c.Configure(config))

    def race(self, configs: list) -> None:
        """Into a race on these lanes (the run in progress ends as stopped); the race's view subscribes."""
        self.racing = True
        self.send(c.Race(list(configs)))
        self._ping()

    def single(self) -> None:
        """Back from a race to the single run, on the current settings."""
        self.racing = False
        self.send(c.Single())
        self.send(c.Configure(self.config))

    @property
    def speed(self) -> float | None:
        return SPEEDS[self.speed_index]

    def change_speed(self, delta: int) -> None:
        self.speed_index = max(0, min(len(SPEEDS) - 1, self.speed_index + delta))
        self.send(c.Speed(self.speed))

    @property
    def speed_label(self) -> str:
        return "max" if self.speed is None else f"{self.speed:g}/s"

    # ------------------------------------------------------------------ events
    def deliver(self, event, link: Link | None) -> None:
        """One event from the engine on `link` (on the app's thread, in order)."""
        if link is not self.link:
            return  # a stopped engine's late report
        if isinstance(event, e.StateChanged):
            self._reported = (State(event.state), event.reason)
            if self._awaiting is None:
                self._show(*self._reported)
            return
        if isinstance(event, e.Pong):
            if event.n == self._awaiting:
                self._awaiting = None
                if self._reported is not None:
                    self._show(*self._reported)
            return
        if isinstance(event, e.Failed):
            self._failed(event.message)
            return
        route = ROUTES.get(type(event))
        if route is None:  # a bug in the engine: said as its failure, never dropped in silence
            self._failed(f"the engine sent something unknown: {type(event).__name__}")
            return
        if isinstance(event, e.Setup):
            self.accepted = self.config
        elif isinstance(event, e.Invalid) and not self.racing:  # (a race's refusal is about its lanes)
            self.config = self.accepted  # the previous data and settings stay in use
        name, args = route
        view = self.view
        if view is not None:
            getattr(view, name)(*args(event))

    def _show(self, state: State, reason: str | None) -> None:
        self.state, self.reason = state, reason
        if self.view is not None:
            self.view.on_state(state, reason)

    def _failed(self, message: str) -> None:
        """Restart once on the same settings; on a second failure on them, stay without an engine."""
        self.stop()
        self.racing = False  # a restarted engine runs the single run
        again = self.failed_with == self.config
        self.failed_with = self.config
        view = self.view
        if again:
            self.state, self.reason = State.IDLE, ENGINE_FAILED
        else:
            self.state, self.reason = State.LOADING, None
            self._reported = None
            self.start()
        if view is not None:
            view.on_failed(message, restarted=not again)
            if self.view is not None:  # (the view that failed may have left: the next one shows the state)
                self.view.on_state(self.state, self.reason)
