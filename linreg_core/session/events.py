"""What a controller tells its listener, as typed, plain picklable values (no torch: the app unpickles
these). Each event is one of the dataclasses below (race_controller.py adds a race's RaceSetup and
RaceProgress); a listener keeps one table from event type to handler.

    Setup          a (re)configured or reset experiment is ready at step 0
    StateChanged   the run state changed (states.State), with a short reason or None
    Progress       what happened since the last progress
    Ended          a run ended (results.Outcome) with its summary (summary.Summary.as_dict())
    Invalid        a setting was refused (its field and the message); everything else stays as it was
    Saving         where the run is kept, or why it could not be written (error None: on disk)
    LandscapeView  the surface panel's grid and the run's path on it
    Traced         the last step under the microscope (microscope.last_step's dict, None before a step)
    Pong           every command sent before the engine's Ping(n) has been handled
    Failed         something unexpected (sent by the engine around the controller; it ends after this)
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..analysis.landscape_view import LandscapeView  # noqa: F401 (an event too)


@dataclass(frozen=True)
class StateChanged:
    state: str  # states.State
    reason: str | None = None


@dataclass(frozen=True)
class Ended:
    outcome: str  # results.Outcome
    summary: dict


@dataclass(frozen=True)
class Invalid:
    field: str
    message: str


@dataclass(frozen=True)
class Saving:
    folder: str | None
    error: str | None


@dataclass(frozen=True)
class Traced:
    record: dict | None


@dataclass(frozen=True)
class Pong:
    n: int


@dataclass(frozen=True)
class Failed:
    message: str


@dataclass(frozen=True)
class Setup:
    """What a view needs to draw a freshly configured experiment."""

    feature_names: tuple[str, ...]
    target_name: str
    true_weights: tuple[float, ...] | None
    true_bias: float | None
    ls_weights: tuple[float, ...]
    ls_bias: float
    sample_x: list[list[float]]  # up to SAMPLE_ROWS rows of features, data units
    sample_y: list[float]
    n_train: int
    batches_per_epoch: int
    epochs: int
    lr: float
    weights: tuple[float, ...]  # the initial parameters
    bias: float
    notices: tuple[str, ...]
    source: str
    ls_r2: float = float("nan")  # the least-squares optimum's R² and MSE on the training samples: the best
    ls_mse: float = float("nan")  # any linear fit does there
    optimum_weights: tuple[float, ...] = ()  # the minimizer of the run's own loss (optimum.py), data units:
    optimum_bias: float = float("nan")  # least squares for MSE, LAD for MAE, Huber's own for Huber


@dataclass(frozen=True)
class Progress:
    """What happened since the last Progress: a delta, so nothing is lost and nothing is sent twice."""

    steps: list[int] = field(default_factory=list)  # step indices of the new losses (thinned on long runs)
    losses: list[float] = field(default_factory=list)
    epochs: list = field(default_factory=list)  # every new EpochResult
    step: int = 0  # steps done in this run
    epoch: int = 0  # epochs done
    batch: int = 0
    lr: float = 0.0  # the rate the next step uses
    weights: tuple[float, ...] = ()
    bias: float = 0.0
    steps_per_s: float = 0.0
    target_epochs: int = 0  # the run's last epoch + 1 (grows when a run is continued)
    diagnosis: dict | None = None  # Diagnosis.as_dict() of what looks wrong now (diagnosis.py); None: nothing
