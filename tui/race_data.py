"""The app's copy of a race: what the engine sent about each lane, bounded like RunData."""
from __future__ import annotations

from dataclasses import dataclass, field

MAX_EPOCHS_KEPT = 20_000  # per lane; beyond it every other old epoch is dropped (memory stays flat)


@dataclass
class LaneData:
    setup: object  # linreg_core.session.race_controller.LaneSetup
    epochs: list[int] = field(default_factory=list)  # 0-based epoch index of each point
    steps: list[int] = field(default_factory=list)  # steps done at that epoch's end
    losses: list[float] = field(default_factory=list)  # that epoch's mean batch loss (training units)
    mses: list[float] = field(default_factory=list)  # full-data MSE, data units (when the lanes' losses differ)
    results: list = field(default_factory=list)  # the EpochResults themselves (parameters by epoch)
    now: object = None  # LaneNow: status, epoch, steps, lr, weights, bias, diagnosis
    theory: object = None  # events.Theorized of the lane (RaceTheorized; None until it comes)


@dataclass
class RaceData:
    setup: object = None  # RaceSetup
    lanes: list[LaneData] = field(default_factory=list)
    epoch: int = 0
    rate: float = 0.0  # lane-steps a second
    outcome: str | None = None
    results: list | None = None  # the lanes' results (dicts) once the race ended
    common_metric: bool = False  # epochs carry full-data MSE: the lanes' losses differ, so the chart uses it

    def start(self, setup) -> None:
        self.setup = setup
        self.lanes = [LaneData(lane) for lane in setup.lanes]
        self.epoch, self.rate, self.outcome, self.results = 0, 0.0, None, None
        self.common_metric = False

    def apply(self, p) -> list:
        """Fold a RaceProgress in; returns its [(lane, EpochResult)] (for the log)."""
        for lane, e in p.epochs:
            d = self.lanes[lane]
            d.epochs.append(e.epoch)
            d.steps.append(e.steps)
            d.losses.append(e.loss_mean)
            d.mses.append(e.mse if e.mse is not None else float("nan"))
            d.results.append(e)
            if len(d.epochs) > MAX_EPOCHS_KEPT:
                d.epochs, d.steps, d.losses, d.results = d.epochs[::2], d.steps[::2], d.losses[::2], d.results[::2]
                d.mses = d.mses[::2]
            if e.mse is not None:
                self.common_metric = True
        for d, now in zip(self.lanes, p.lanes):
            d.now = now
        self.epoch, self.rate = p.epoch, p.lane_steps_per_s
        return p.epochs

    def theorize(self, lanes) -> None:
        """Each lane's theory (RaceTheorized.lanes, in lane order)."""
        for d, t in zip(self.lanes, lanes):
            d.theory = t

    def end(self, outcome: str, results: list) -> None:
        self.outcome, self.results = outcome, results

    @property
    def target_epochs(self) -> int:
        return max((lane.setup.epochs for lane in self.lanes), default=0)


@dataclass
class _Epochs:
    epochs: list


@dataclass
class LaneView:
    """One lane as the fit and params widgets read a run (RunData's fields they use)."""

    setup: object  # events.Setup, with the lane's own batches an epoch
    weights: tuple
    bias: float
    history: _Epochs
    step: int


def lane_view(race: RaceData, i: int) -> LaneView:
    from dataclasses import replace

    lane = race.lanes[i]
    setup = replace(race.setup.setup, batches_per_epoch=lane.setup.batches_per_epoch)
    if lane.now is None:
        return LaneView(setup, tuple(setup.weights), setup.bias, _Epochs([]), 0)
    return LaneView(setup, lane.now.weights, lane.now.bias, _Epochs(lane.results), lane.now.steps)
