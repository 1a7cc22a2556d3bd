"""What training produces, as plain values (floats and tuples, never tensors), and a bounded history."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple


class Status(StrEnum):
    """A trainer's (a lane's) status: stepping, or how its training ended."""

    RUNNING = "running"
    FINISHED = "finished"  # reached its last epoch
    EARLY_STOPPED = "early_stopped"  # no improvement for `patience` epochs
    DIVERGED = "diverged"


class Outcome(StrEnum):
    """How a run ended, as its summary.json's "status" says: the trainer's end, or the user's."""

    FINISHED = "finished"
    EARLY_STOPPED = "early_stopped"
    DIVERGED = "diverged"
    STOPPED = "stopped"  # ended with x (or replaced) before its last epoch
    INTERRUPTED = "interrupted"  # the program went away (quit, a signal)


class Seen(StrEnum):
    """What the trainer's watch saw in a run (diagnosis.py): the kind of a diagnosis."""

    DIVERGED = "diverged"
    OSCILLATING = "oscillating"
    STALLED = "stalled"
    NOT_CONVERGED = "not_converged"


RUNNING, FINISHED, EARLY_STOPPED, DIVERGED = Status.RUNNING, Status.FINISHED, Status.EARLY_STOPPED, Status.DIVERGED
STOPPED, INTERRUPTED = Outcome.STOPPED, Outcome.INTERRUPTED


class EpochResult(NamedTuple):
    """One finished epoch (a NamedTuple: immutable, and cheap to make once per step). Parameters are in the data's units."""

    epoch: int  # 0-based
    loss_sum: float  # the tutorial's logged number: the sum of the epoch's batch losses
    loss_mean: float  # loss_sum / batches
    test_loss: float | None  # on the held-out split, if any
    lr: float  # base rate × schedule during this epoch
    weights: tuple[float, ...]
    bias: float
    steps: int  # steps done in the whole run so far
    mse: float | None = None  # full-data MSE in data units (set where lanes of different losses are compared)


class StepResult(NamedTuple):
    """One mini-batch step."""

    step: int  # 0-based, over the whole run
    epoch: int
    batch: int  # 0-based within the epoch
    loss: float  # the batch loss before this step's update
    lr: float
    status: str  # running, finished, early_stopped or diverged (after this step)
    epoch_result: EpochResult | None = None  # set on the epoch's last step


@dataclass(frozen=True, slots=True)
class Divergence:
    """Why and where a run stopped diverging. The trainer keeps the last finite parameters. Counted as on
    screen and in every file: `step` is the step whose loss diverged, from 1 (step - 1 steps were taken);
    `batch` is its batch within the epoch, from 1; `epoch` from 0."""

    epoch: int
    batch: int
    step: int
    loss: float  # inf, nan or the exploding value
    reason: str  # "non-finite" or "exploding"
    lr: float


@dataclass
class History:
    """Per-step losses, thinned to at most `max_points` by doubling the stride when full (memory stays flat
    over millions of steps), and every finished epoch."""

    max_points: int = 4096
    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    epochs: list[EpochResult] = field(default_factory=list)
    stride: int = 1
    last: tuple[int, float] | None = None  # the newest step's (step, loss), kept even where the stride skips it

    def add(self, result: StepResult) -> None:
        self.add_point(result.step, result.loss)
        if result.epoch_result is not None:
            self.epochs.append(result.epoch_result)

    def note_last(self, step: int, loss: float) -> None:
        """The newest step's loss, whether or not it falls on the stride (a thinned stream's last point)."""
        if self.last is None or step >= self.last[0]:
            self.last = (step, loss)

    def points(self) -> tuple[list[int], list[float]]:
        """The kept steps and losses, the newest step's appended when the stride left it out (a chart ends
        where the run is, not up to a stride before)."""
        if self.last is None or (self.steps and self.steps[-1] >= self.last[0]):
            return self.steps, self.losses
        return self.steps + [self.last[0]], self.losses + [self.last[1]]

    def add_point(self, step: int, loss: float) -> None:
        """Record one step's loss if it falls on the current stride (the newest is noted either way)."""
        self.note_last(step, loss)
        if step % self.stride:
            return
        self.steps.append(step)
        self.losses.append(loss)
        if len(self.steps) > self.max_points:
            self.stride *= 2
            keep = [i for i, s in enumerate(self.steps) if s % self.stride == 0]
            self.steps = [self.steps[i] for i in keep]
            self.losses = [self.losses[i] for i in keep]


def downsample(xs: list[float], ys: list[float], points: int) -> tuple[list[float], list[float]]:
    """At most `points` (x, y) pairs, evenly spaced, always keeping the last one."""
    n = len(xs)
    if n <= points or points < 2:
        return list(xs), list(ys)
    idx = [round(i * (n - 1) / (points - 1)) for i in range(points)]
    return [xs[i] for i in idx], [ys[i] for i in idx]
