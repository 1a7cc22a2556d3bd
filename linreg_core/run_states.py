"""The commands of states.py carried out, once, for both controllers: a single run (controller.py) and a race
(race_controller.py). A controller supplies what differs: whether something is loaded, how far the epoch in
progress has to go, how a run begins anew and ends, its progress flush and its surface."""
from __future__ import annotations

import time

from .states import ENDED, IDLE, PAUSED, RUNNING, STARTABLE, STOPPED

LANDSCAPE_HZ = 4  # surface grids a second at most while the panel is shown (each costs ≤ 50 ms)


class StateCommands:
    """Needs: state, reason, budget, run_open, emit, landscape, _t_landscape; and the methods below marked
    as the controller's."""

    # ---------------------------------------------------------------- the controller's
    @property
    def loaded(self) -> bool:  # pragma: no cover - each controller says
        raise NotImplementedError

    def _to_epoch_end(self) -> int:  # pragma: no cover
        raise NotImplementedError

    def _new_run(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def _end_run(self, outcome: str) -> None:  # pragma: no cover
        raise NotImplementedError

    def flush(self, force: bool = False, every: float = 0.0) -> None:  # pragma: no cover
        raise NotImplementedError

    def _landscape_view(self, settings: dict):  # pragma: no cover
        raise NotImplementedError

    # ---------------------------------------------------------------- commands
    def _cmd_toggle(self) -> None:
        if self.state == RUNNING:
            self._cmd_pause()
        else:
            self._cmd_start()

    def _cmd_start(self) -> None:
        if self.state in ENDED:
            self._new_run()
        if self.state in STARTABLE:
            self.budget = 0
            self._set_state(RUNNING)

    def _cmd_pause(self) -> None:
        if self.state == RUNNING:
            self._set_state(PAUSED)

    def _cmd_step(self, n: int = 1) -> None:
        self._step_mode(max(1, int(n)))

    def _cmd_epoch(self) -> None:
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

    def _cmd_stop(self) -> None:
        if self.state not in (RUNNING, PAUSED):
            return
        self.budget = 0
        if not self.run_open:  # paused before the first step: no run had begun
            self._set_state(IDLE)
            return
        self._end_run("stopped")
        self._set_state(STOPPED)

    def _cmd_reset(self) -> None:
        self._new_run()

    def _cmd_landscape(self, settings: dict | None) -> None:
        """The surface is shown (settings: i, j, held, zoom, nx, ny; a race's also "lane") or hidden (None):
        while shown, its grid follows the run at most LANDSCAPE_HZ times a second."""
        self.landscape = settings
        self._send_landscape(force=True)

    def _send_landscape(self, force: bool = False) -> None:
        now = time.perf_counter()
        if self.landscape is None or not self.loaded or (not force and now - self._t_landscape < 1 / LANDSCAPE_HZ):
            return
        self._t_landscape = now
        self.emit(("landscape", self._landscape_view(self.landscape)))

    # ---------------------------------------------------------------- state
    @property
    def wants_steps(self) -> bool:
        return self.state == RUNNING or (self.state == PAUSED and self.budget > 0)

    def end(self, outcome: str = "interrupted") -> None:
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
        self.emit(("state", state, reason))
