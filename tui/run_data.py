"""The app's copy of a run: what the engine sent, bounded so memory stays flat over millions of steps."""
from __future__ import annotations

from dataclasses import dataclass, field

from linreg_core.model.results import History


@dataclass
class RunData:
    setup: object = None  # linreg_core.session.events.Setup of the current experiment
    history: History = field(default_factory=History)
    step: int = 0
    epoch: int = 0
    lr: float = 0.0
    target_epochs: int = 0  # the run's epoch count (grows when a run is continued)
    weights: tuple[float, ...] = ()
    bias: float = 0.0
    steps_per_s: float = 0.0
    summary: dict | None = None
    divergence: dict | None = None
    diagnosis: dict | None = None  # what looks wrong with the run now (linreg_core/model/diagnosis.py), as a dict
    theory: object = None  # events.Theorized of the current experiment and lr (None until the engine sends it)

    def start(self, setup) -> None:
        """A fresh experiment (or a reset one): forget the previous run."""
        self.setup = setup
        self.history = History()
        self.step = self.epoch = 0
        self.target_epochs = setup.epochs
        self.lr, self.weights, self.bias = setup.lr, tuple(setup.weights), setup.bias
        self.steps_per_s, self.summary, self.divergence, self.diagnosis = 0.0, None, None, None
        self.theory = None  # (the engine sends this setup's right after it)

    def theorize(self, theorized) -> None:
        """The run's theory (events.Theorized: after each Setup, and again when the lr changes)."""
        self.theory = theorized

    def apply(self, p) -> list:
        """Fold a Progress in; returns its new EpochResults (for the log)."""
        for s, loss in zip(p.steps, p.losses):
            self.history.add_point(s, loss)
        if p.step and p.last_loss == p.last_loss:  # (nan: no step since the run began)
            self.history.note_last(p.step, p.last_loss)
        self.history.epochs.extend(p.epochs)
        if len(self.history.epochs) > 20_000:  # keep memory flat: thin old epochs, keep the newest
            self.history.epochs = self.history.epochs[::2]
        self.step, self.epoch, self.lr, self.target_epochs = p.step, p.epoch, p.lr, p.target_epochs
        self.weights, self.bias, self.steps_per_s = p.weights, p.bias, p.steps_per_s
        self.diagnosis = p.diagnosis
        return p.epochs

    @property
    def names(self) -> list[str]:
        return list(self.setup.feature_names) if self.setup else []
