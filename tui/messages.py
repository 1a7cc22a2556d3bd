"""Messages the engine pump posts to the app. Each carries plain values only."""
from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class EngineReady(Message):
    """A (re)configured or reset experiment is ready to run."""

    setup: object  # linreg_core.session.events.Setup


@dataclass
class EngineProgress(Message):
    """New losses, epochs and the current parameters since the last progress."""

    progress: object  # linreg_core.session.events.Progress


@dataclass
class EngineState(Message):
    """The run state changed (linreg_core/session/states.py); reason says why when it is not obvious."""

    state: str
    reason: str | None


@dataclass
class EnginePong(Message):
    """The engine has handled every command sent before the ping numbered n."""

    n: int


@dataclass
class RunEnded(Message):
    """A run ended; status is its outcome: finished, early_stopped, diverged, stopped or interrupted."""

    status: str
    summary: dict


@dataclass
class EngineRefused(Message):
    """The engine refused a setting (e.g. a CSV file that does not parse); the previous data stays."""

    field: str
    message: str


@dataclass
class EngineFailed(Message):
    """Something unexpected went wrong in the engine; the app stays up."""

    message: str


@dataclass
class RunSaving(Message):
    """Where the current run is being kept, or why it could not be written (error is None when all is on disk)."""

    folder: str | None
    error: str | None


@dataclass
class RaceReady(Message):
    """A race is ready at its start (linreg_core.session.race_controller.RaceSetup)."""

    setup: object


@dataclass
class RaceProgressed(Message):
    """What the lanes did since the last one (linreg_core.session.race_controller.RaceProgress)."""

    progress: object


@dataclass
class RaceEnded(Message):
    """The race ended: every lane's result (compare.LaneResult.as_dict() without its summary)."""

    outcome: str
    results: list


@dataclass
class StepTraced(Message):
    """The last step under the microscope (linreg_core/analysis/microscope.py), or None before a first step."""

    record: dict | None


@dataclass
class LandscapeReady(Message):
    """A loss surface for the surface panel (linreg_core.session.events.LandscapeView)."""

    view: object


def message_for(event) -> Message:
    """The app's message for an engine event (linreg_core/session/events.py, race_controller.py), by one table; an
    event of no known type is a bug in the engine, reported as its failure."""
    make = _MESSAGES.get(type(event))
    if make is None:
        return EngineFailed(f"the engine sent something unknown: {type(event).__name__}")
    return make(event)


def _table() -> dict:
    from linreg_core.session import events as e, race_controller as r

    return {e.Setup: EngineReady, e.Progress: EngineProgress,
            e.StateChanged: lambda x: EngineState(x.state, x.reason), e.Pong: lambda x: EnginePong(x.n),
            e.Ended: lambda x: RunEnded(x.outcome, x.summary), e.Invalid: lambda x: EngineRefused(x.field, x.message),
            e.Failed: lambda x: EngineFailed(x.message), e.Saving: lambda x: RunSaving(x.folder, x.error),
            e.LandscapeView: LandscapeReady, e.Traced: lambda x: StepTraced(x.record),
            r.RaceSetup: RaceReady, r.RaceProgress: RaceProgressed,
            r.RaceEnded: lambda x: RaceEnded(x.outcome, x.results)}


_MESSAGES = _table()
