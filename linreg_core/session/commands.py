"""What a listener asks of a controller, as typed values (plain and picklable: no torch, the app sends these
through the engine's pipe). states.py says what each run command does in each state; each controller carries
them out through one table from command type to action (controller.py, race_controller.py), where a
command that does not apply to it (a race has no `continue`) is listed as such. A value that is not a known
command is an error (UnknownCommand), never dropped.
"""
from __future__ import annotations

from dataclasses import dataclass


class UnknownCommand(TypeError):
    """Something that is not a command of this controller or engine was sent: a bug in the sender."""


@dataclass(frozen=True)
class Configure:
    """New settings: a Config (a single run) or a list of Configs (a race's lanes)."""

    settings: object


@dataclass(frozen=True)
class Toggle:
    """Space: run, or pause a running run (a new run after an ended one)."""


@dataclass(frozen=True)
class Start:
    """Run (a new run after an ended one); never pauses."""


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Step:
    """Pause, then take n steps (a race: n ticks)."""

    n: int = 1


@dataclass(frozen=True)
class Epoch:
    """Pause, then take the rest of the epoch in progress (a whole one after an end)."""


@dataclass(frozen=True)
class Stop:
    """End the run in progress as stopped (x)."""


@dataclass(frozen=True)
class Reset:
    """Back to the initial parameters (r); a run in progress ends as stopped."""


@dataclass(frozen=True)
class Continue:
    """A stopped run goes on to its last epoch; a finished one trains `epochs` more (a single run's)."""


@dataclass(frozen=True)
class SetLr:
    """The single run's base rate from its next step (and for the next run)."""

    lr: float


@dataclass(frozen=True)
class ScaleLr:
    """Every running lane's base rate times `factor` (a race's)."""

    factor: float


@dataclass(frozen=True)
class Trace:
    """The last step under the microscope, answered with events.Traced."""


@dataclass(frozen=True)
class ShowLandscape:
    """The surface panel is shown with these settings (i, j, held, zoom, nx, ny; a race's also lane) or
    hidden (None); answered with a LandscapeView and followed while shown."""

    settings: dict | None


@dataclass(frozen=True)
class RetrySave:
    """Write what could not be written to the run's folder (the disk has room again)."""


# The engine's own (tui/engine.py): they steer the process around the controller, not a run.
@dataclass(frozen=True)
class Speed:
    """Steps a second while running (None: flat out)."""

    steps_per_s: float | None


@dataclass(frozen=True)
class Ping:
    """Answered with events.Pong(n) once every command sent before it has been handled."""

    n: int


@dataclass(frozen=True)
class Quit:
    pass


@dataclass(frozen=True)
class Race:
    """Into a race on these lanes (the single run in progress ends as stopped)."""

    configs: list


@dataclass(frozen=True)
class Single:
    """Back from a race to the single run, which waits for a Configure."""


RUN_COMMANDS = (Configure, Toggle, Start, Pause, Step, Epoch, Stop, Reset, Continue, SetLr, ScaleLr, Trace,
                ShowLandscape, RetrySave)
ENGINE_COMMANDS = (Speed, Ping, Quit, Race, Single)
