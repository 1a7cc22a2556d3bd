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
    Theorized      the theory of the run just set up (after each Setup, and again when the lr changes): a
                   TheoryView, or the reason there is none (analysis/theory.py; plain values, no torch)
    Pong           every command sent before the engine's Ping(n) has been handled
    Failed         something unexpected (sent by the engine around the controller; it ends after this)
"""
from __future__ import annotations

import math
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
    last_loss: float = float("nan")  # the batch loss of step `step` (the newest), also when thinning skips it


@dataclass(frozen=True)
class TheoryCurve:
    """The predicted loss curve (analysis.theory.Prediction, thinned): the per-epoch mean batch loss, the same
    quantity and units as the loss chart's epoch mean (EpochResult.loss_mean, training units)."""

    kind: str  # "exact" (full batch), "expected" (with replacement), "approximate" (without replacement)
    method: str  # "dense" or "structured" (exact), "diagonal" (the closure: theory_diagonal.py)
    steps_per_epoch: int
    batch_size: int
    epochs: tuple[int, ...]  # 0-based epoch of each point below (evenly thinned, the last kept)
    mean: tuple[float, ...]  # E[that epoch's mean batch loss]
    sd: tuple[float, ...] | None  # its sd across runs (None: not computed; 0s: exact)
    start_loss: float  # E[the first batch's loss]
    floor: float | None  # the expected batch loss the run settles at (None: it does not settle)
    optimum_loss: float  # the training loss at the optimum
    diverges_at_step: int | None  # the first step (from 1) whose expected loss passes the divergence limit
    note: str  # what is approximate, or left out
    error_steps: tuple[int, ...] = ()  # steps at which error_rms is given (0: the start)
    error_rms: tuple[tuple[float, ...], ...] = ()  # per such step, √E[(error along u_j)²], largest λ first

    @property
    def last_steps(self) -> tuple[int, ...]:
        """The step (0-based) each epoch ends on: where the loss chart draws an epoch's mean."""
        return tuple((e + 1) * self.steps_per_epoch - 1 for e in self.epochs)


@dataclass(frozen=True)
class TheoryView:
    """analysis.theory.Theory as plain values, with what maps the app's parameters (data units) into the
    theory's (training units: after --standardize / --standardize-target)."""

    lr: float
    optimizer: str
    eigenvalues: tuple[float, ...]  # of the curvature H over (w_1, …, w_d, b), largest first
    eigenvectors: tuple[tuple[float, ...], ...]  # one per eigenvalue, unit length
    condition: float  # λmax / λmin (inf: H is singular)
    stable_lr: float  # for the configured optimizer (full batch)
    best_lr: float  # plain descent's best constant rate 2/(λmax + λmin)
    lr_position: str  # where lr sits, in words
    rates: tuple[float, ...]  # each direction's full-batch error factor a step
    epochs_to_shrink: tuple[float, ...]  # epochs each direction takes to shrink its error 1000× (inf: never)
    initial_error: tuple[float, ...]  # (θ_0 − θ*)·u_j
    optimum: tuple[float, ...]  # θ* = (w*, b*), training units
    parameter_names: tuple[str, ...]  # "w1", …, "b" (tui/text.py's param_names shape)
    x_mean: tuple[float, ...]  # the standardizer: x' = (x − mean)/scale, y' = (y − y_mean)/y_scale
    x_scale: tuple[float, ...]
    y_mean: float
    y_scale: float
    curve: TheoryCurve | None  # the predicted curve (None: see curve_reason)
    curve_reason: str | None = None

    def to_training(self, weights, bias: float) -> tuple[list[float], float]:
        """Data units → training units (standardize.Standardizer.to_training_units, in plain Python)."""
        wt = [w * s for w, s in zip(weights, self.x_scale)]
        bt = bias + sum(w * m for w, m in zip(weights, self.x_mean))
        return [w / self.y_scale for w in wt], (bt - self.y_mean) / self.y_scale

    def error_along(self, weights, bias: float) -> tuple[float, ...]:
        """(θ − θ*)·u_j for each eigendirection, θ given in data units (RunData.weights, .bias)."""
        w, b = self.to_training(weights, bias)
        e = [v - o for v, o in zip([*w, b], self.optimum)]
        return tuple(sum(a * c for a, c in zip(u, e)) for u in self.eigenvectors)

    def direction_name(self, j: int, share: float = 0.25) -> str:
        """Direction j by its largest loadings: "w2", "b", "w1+w3" (every parameter whose squared loading is at
        least `share` and within 2× of the largest, largest first; a minus where it loads opposite)."""
        u = self.eigenvectors[j]
        order = sorted(range(len(u)), key=lambda i: -abs(u[i]))
        top = u[order[0]]
        kept = [i for i in order[:3] if u[i] * u[i] >= max(share, top * top / 2)] or order[:1]
        name = self.parameter_names[kept[0]]
        for i in kept[1:]:
            name += ("+" if (u[i] > 0) == (top > 0) else "−") + self.parameter_names[i]
        return name

    def predicted_error(self, step: int) -> tuple[float | None, ...]:
        """√E[(error along u_j)²] / |error at the start| at `step` for each direction (the curve's, between its
        kept steps log-interpolated; without a curve, the full-batch |rate|^step). None where it has no start
        error (a direction already at its optimum)."""
        c = self.curve
        if c is not None and c.error_steps:
            steps = c.error_steps
            if step >= steps[-1]:
                at = c.error_rms[-1]
            else:
                k = next(i for i, s in enumerate(steps) if s >= step)
                if steps[k] == step or k == 0:
                    at = c.error_rms[k]
                else:
                    f = (step - steps[k - 1]) / (steps[k] - steps[k - 1])
                    at = tuple(_log_mix(a, b, f) for a, b in zip(c.error_rms[k - 1], c.error_rms[k]))
        else:
            at = tuple(abs(e0) * _power(r, step) for r, e0 in zip(self.rates, self.initial_error))
        tiny = 1e-12 * max((abs(e) for e in self.initial_error), default=0.0)
        return tuple(a / abs(e0) if abs(e0) > tiny else None for a, e0 in zip(at, self.initial_error))


def _power(r: float, step: int) -> float:
    try:
        return r ** step
    except OverflowError:
        return math.inf


def _log_mix(a: float, b: float, f: float) -> float:
    if a > 0 and b > 0:
        return math.exp((1 - f) * math.log(a) + f * math.log(b))
    return (1 - f) * a + f * b


@dataclass(frozen=True)
class Theorized:
    """The theory of the run just set up (or of its new lr): `theory`, or `reason` why none applies."""

    theory: TheoryView | None
    reason: str | None = None
