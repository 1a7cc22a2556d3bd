"""The commands of states.py carried out, once, for both controllers: a single run (controller.py) and a race
(race_controller.py). A controller supplies what differs: whether something is loaded, how far the epoch in
progress has to go, how a run begins anew and ends, its progress flush and its surface, and its table of
actions (ACTIONS: every command type, mapped to its action or to None where it does not apply)."""
from __future__ import annotations

import time

from .commands import (Configure, Epoch, Pause, Reset, RetrySave, ShowLandscape, Start, Step, Stop, Toggle,
                       UnknownCommand)
from .events import StateChanged
from ..model.results import Outcome
from .states import ENDED, IDLE, PAUSED, RUNNING, STARTABLE, STOPPED, State

LANDSCAPE_HZ = 4  # surface grids a second at most while the panel is shown (each costs ≤ 50 ms)


class StateCommands:
    """Needs: state, reason, budget, run_open, recorder, runs_dir, emit, landscape, _t_landscape; and the
    methods below marked as the controller's."""

    # ---------------------------------------------------------------- the controller's
    @property
    def loaded(self) -> bool:  # pragma: no cover - each controller says
        raise NotImplementedError

    def _to_epoch_end(self) -> int:  # pragma: no cover
        raise NotImplementedError

    def _end_run(self, outcome: str) -> None:  # pragma: no cover
        raise NotImplementedError

    def flush(self, force: bool = False, every: float = 0.0) -> None:  # pragma: no cover
        raise NotImplementedError

    def _landscape_view(self, settings: dict):  # pragma: no cover
        raise NotImplementedError

    def _restart(self) -> None:  # pragma: no cover - back to the initial parameters (trainer or race)
        raise NotImplementedError

    def _new_recorder(self):  # pragma: no cover - the folder a run is kept in, made at its first step
        raise NotImplementedError

    def _setup(self):  # pragma: no cover - the event that says a run is ready at its start
        raise NotImplementedError

    def _reset_buffers(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def _send_saving(self) -> None:  # pragma: no cover
        raise NotImplementedError

    # ---------------------------------------------------------------- a run's life, the same for both
    def _new_run(self) -> None:
        """Back to the initial parameters (IDLE); a run in progress ends as stopped."""
        self._end_run(Outcome.STOPPED)
        self._restart()
        self._fresh_run()
        self._set_state(IDLE)

    def _fresh_run(self) -> None:
        """A run is ready at its start: nothing recorded yet, the listener told, the surface drawn anew."""
        self.budget = 0
        self.recorder = None
        self._reset_buffers()
        self.emit(self._setup())
        self._send_landscape(force=True)

    def _begin_run(self) -> None:
        """The first step of a run: it is open, and kept on disk when there is a runs folder."""
        if self.run_open:
            return
        self.run_open = True
        if self.runs_dir is not None and self.recorder is None:
            self.recorder = self._new_recorder()
            self._send_saving()

    ACTIONS: dict = {}  # command type -> action(self, command), or None: does not apply here

    def handle(self, command) -> None:
        """One command (commands.py, states.py) through the controller's table; refused settings are emitted
        as events.Invalid, never raised. Before anything is loaded (the settings were refused) only
        Configure and RetrySave act. Raises UnknownCommand for a value that is no command of the table."""
        try:
            action = self.ACTIONS[type(command)]
        except (KeyError, TypeError):
            raise UnknownCommand(f"{command!r} is not a command of {type(self).__name__}") from None
        if action is None or (not self.loaded and type(command) not in (Configure, RetrySave)):
            return
        action(self, command)

    # ---------------------------------------------------------------- commands
    def _toggle(self, _: Toggle | None = None) -> None:
        if self.state == RUNNING:
            self._pause()
        else:
            self._start()

    def _start(self, _: Start | None = None) -> None:
        if self.state in ENDED:
            self._new_run()
        if self.state in STARTABLE:
            self.budget = 0
            self._set_state(RUNNING)

    def _pause(self, _: Pause | None = None) -> None:
        if self.state == RUNNING:
            self._set_state(PAUSED)

    def _step(self, command: Step) -> None:
        self._step_mode(max(1, int(command.n)))

    def _epoch(self, _: Epoch) -> None:
        self._step_mode(None)

    def _step_mode(self, n: int | None) -> None:
        """Pause, then take n steps (None: up to the end of the epoch in progress)."""
        if self.state in ENDED:
            self._new_run()
        if self.state not in (IDLE, RUNNING, PAUSED):
            return
        if n is None:
            self.budget = self._to_epoch_end()
        elif self.state == RUNNING:
            self.budget = n
        else:
            self.budget += n
        self._set_state(PAUSED)

    def _stop(self, _: Stop) -> None:
        if self.state not in (RUNNING, PAUSED):
            return
        self.budget = 0
        if not self.run_open:  # paused before the first step: no run had begun
            self._set_state(IDLE)
            return
        self._end_run(Outcome.STOPPED)
        self._set_state(STOPPED)

    def _reset(self, _: Reset) -> None:
        self._new_run()

    def _landscape(self, command: ShowLandscape) -> None:
        """The surface is shown (settings: i, j, held, zoom, nx, ny; a race's also "lane") or hidden (None):
        while shown, its grid follows the run at most LANDSCAPE_HZ times a second."""
        self.landscape = command.settings
        self._send_landscape(force=True)

    def _send_landscape(self, force: bool = False) -> None:
        now = time.perf_counter()
        if self.landscape is None or not self.loaded or (not force and now - self._t_landscape < 1 / LANDSCAPE_HZ):
            return
        self._t_landscape = now
        self.emit(self._landscape_view(self.landscape))

    # ---------------------------------------------------------------- state
    @property
    def wants_steps(self) -> bool:
        return self.state == RUNNING or (self.state == PAUSED and self.budget > 0)

    def end(self, outcome: str = Outcome.INTERRUPTED) -> None:
        """The program is going away (quit, a signal, the pipe closed): end the run in progress on disk."""
        self.budget = 0
        if self.run_open:
            self._end_run(outcome)
            self._set_state(STOPPED)

    def _set_state(self, state: str, reason: str | None = None) -> None:
        if state == self.state and reason == self.reason:
            return
        self.flush(force=self.loaded)
        self.state, self.reason = state, reason
        self.emit(StateChanged(State(state), reason))


COMMON_ACTIONS = {Toggle: StateCommands._toggle, Start: StateCommands._start, Pause: StateCommands._pause,
                  Step: StateCommands._step, Epoch: StateCommands._epoch, Stop: StateCommands._stop,
                  Reset: StateCommands._reset, ShowLandscape: StateCommands._landscape}
