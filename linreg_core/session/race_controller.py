"""The race's state machine: a Race (race.py), the run states of states.py, and the race kept on disk. The
same interface as RunController (handle, wants_steps, advance, flush, end), so the app's engine drives
either; the commands mean the same (Toggle, Step, Epoch, Stop, Reset, Configure with a list of configs) and
ScaleLr multiplies every running lane's rate; Continue, SetLr and Trace are a single run's (ACTIONS).

Events (typed values; events.py has those it shares with a run): RaceSetup (a race is ready at tick 0),
StateChanged, RaceProgress (what the lanes did since the last one), RaceEnded (the outcome and each lane's
compare.LaneResult.as_dict(), in lane order), Saving (where the race is kept, or why it could not be
written), Invalid (the lanes were refused), LandscapeView, and RaceTheorized: each lane's theory (events.Theorized,
in lane order) after each RaceSetup and after ScaleLr (the lanes' rates changed), computed once per lane and
rate, never per tick.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from . import commands as c
from ..settings.errors import ConfigError, DataError, LinregError
from .events import Invalid, Saving, Theorized
from ..model.results import Outcome, Status
from .run_states import COMMON_ACTIONS, StateCommands
from .states import DIVERGED, FINISHED, IDLE, LOADING, PAUSED, RUNNING


@dataclass(frozen=True)
class LaneSetup:
    label: str  # what the lane changes ("lr 0.003", "adam")
    settings: dict  # {varied setting: value as typed}
    batch_size: int
    batches_per_epoch: int
    epochs: int
    lr: float
    optimum_loss: float  # the least-squares optimum's loss in the lane's loss and training units


@dataclass(frozen=True)
class RaceSetup:
    lanes: tuple[LaneSetup, ...]
    varied: tuple[str, ...]
    setup: object  # events.Setup of lane 1's experiment (the data, least squares, true values)
    ticks_per_epoch: int


@dataclass(frozen=True)
class RaceTheorized:
    """Each lane's theory, in lane order: its predicted curve where one applies, or the reason there is none."""

    lanes: tuple[Theorized, ...]


@dataclass(frozen=True)
class LaneNow:
    status: str
    epoch: int
    steps: int
    lr: float
    weights: tuple[float, ...]
    bias: float
    diagnosis: str | None  # kind
    batch_loss: float = float("nan")  # its latest batch's loss (nan once it left the race, or before a step)


@dataclass(frozen=True)
class RaceEnded:
    outcome: str  # results.Outcome
    results: list  # compare.LaneResult.as_dict() each without its summary, in lane order


@dataclass(frozen=True)
class RaceProgress:
    epochs: list = field(default_factory=list)  # [(lane, EpochResult)] finished since the last progress
    lanes: tuple[LaneNow, ...] = ()
    epoch: int = 0  # race epochs done
    tick: int = 0
    lane_steps_per_s: float = 0.0


class RaceController(StateCommands):
    """The app's race (through the engine) and `linreg sweep` both race through this one class: the same
    settings give the same race folder (tests/test_sweep.py)."""

    def __init__(self, emit: Callable[[object], None], runs_dir: str | None = None, max_lanes: int | None = None):
        self.emit = emit
        self.runs_dir = runs_dir
        self.max_lanes = max_lanes  # None: race.MAX_LANES (the app's); the sweep allows more
        self.lane_results: list | None = None  # the last ended race's compare.LaneResult per lane
        self.race = None
        self.configs: list = []
        self.state = LOADING
        self.reason: str | None = None
        self.budget = 0  # ticks still to take while paused
        self.run_open = False
        self.recorder = None
        self.last_results: list[dict] | None = None
        self.landscape: dict | None = None  # the race screen's surface settings while it is shown
        self._t_landscape = 0.0
        self._theories: dict = {}  # (lane, its config) -> its Theorized (a reset or ScaleLr reuses them)
        self._reset_buffers()

    # ---------------------------------------------------------------- commands
    def _configure(self, command: c.Configure) -> None:
        try:
            self.load(command.settings)
        except DataError as e:
            self.emit(Invalid(e.field or "lanes", str(e)))
        except ConfigError as e:
            f, message = next(iter(e.errors.items()))
            self.emit(Invalid(f, message))

    def load(self, configs: list) -> None:
        from ..training.race import Race

        if not isinstance(configs, (list, tuple)):
            raise ConfigError({"lanes": "a race is configured with a list of settings, one per lane"})
        before = self.state
        self._set_state(LOADING, "preparing the lanes")
        try:
            race = Race(list(configs)) if self.max_lanes is None else Race(list(configs), self.max_lanes)
        except LinregError:
            self._set_state(before if self.race is not None else LOADING)
            raise
        self._end_run(Outcome.STOPPED)
        self.race, self.configs = race, list(configs)
        self._fresh_run()
        self._set_state(RUNNING if before == RUNNING else IDLE)  # states.py: a running race restarts, running

    @property
    def loaded(self) -> bool:
        return self.race is not None

    def _to_epoch_end(self) -> int:
        return self.race.ticks_per_epoch - self.race.tick

    def _landscape_view(self, s: dict):
        """The chosen lane's surface, every lane on its training data and loss drawn on it."""
        from ..analysis.landscape import view

        lanes = self.race.lanes
        chosen = lanes[max(0, min(s.get("lane", 0), len(lanes) - 1))]
        return view(chosen, s["i"], s["j"], s.get("held", "current"), s.get("zoom", 1.0), s.get("nx", 60),
                    s.get("ny", 30), others=list(enumerate(lanes)))

    def _scale_lr(self, command: c.ScaleLr) -> None:
        self.race.set_lr(float(command.factor))
        self.flush(force=True)
        self._send_theory()

    def _fresh_run(self) -> None:
        super()._fresh_run()
        self._send_theory()

    def _send_theory(self) -> None:
        from .controller import THEORY_BUDGET, theorized

        lanes = self.race.lanes
        kept = {}
        for i, lane in enumerate(lanes):  # the lanes share one budget: a race waits no longer than a run
            key = (i, lane.config, id(lane.experiment))
            kept[key] = self._theories.get(key) or theorized(lane, THEORY_BUDGET / len(lanes))
        self._theories = kept
        self.emit(RaceTheorized(tuple(kept.values())))

    # ---------------------------------------------------------------- training
    @property
    def step_seconds(self) -> float:
        return self._tick_s

    def advance(self, n: int) -> list:
        """Up to n ticks (a tick: one batch of the group with the most batches an epoch)."""
        if not self.wants_steps:
            return []
        if self.state == PAUSED:
            n = min(n, self.budget)
        self._begin_run()
        race = self.race
        tick0, epoch0 = race.tick, race.epoch
        t0 = time.perf_counter()
        events = race.advance(max(1, n))
        ticks = (race.epoch - epoch0) * race.ticks_per_epoch + race.tick - tick0 if not race.done else max(1, n)
        ticks = max(1, ticks)
        self._tick_s = 0.8 * self._tick_s + 0.2 * (time.perf_counter() - t0) / ticks
        self._done_lane_steps += ticks * max(1, len(race.running))
        if self.state == PAUSED:
            self.budget = max(0, self.budget - ticks)
        for e in events:
            if e.epoch_result is not None:
                result = e.epoch_result
                if self._common_mse is not None:  # lanes of different losses: each epoch in one unit too
                    result = result._replace(mse=self._common_mse(result.weights, result.bias))
                self._epochs.append((e.lane, result))
                self.histories[e.lane].append(result)
                if self.recorder is not None:
                    self.recorder.lanes[e.lane].add_epoch(result)
        if race.done:
            self.budget = 0
            all_diverged = all(lane.status == Status.DIVERGED for lane in race.lanes)
            self._end_run(Outcome.DIVERGED if all_diverged else Outcome.FINISHED)
            self._set_state(DIVERGED if all_diverged else FINISHED)
        elif self.state == PAUSED and self.budget == 0:
            self.flush(force=True)
        return events

    def flush(self, force: bool = False, every: float = 0.0) -> None:
        now = time.perf_counter()
        idle = not (self._epochs or self._done_lane_steps)  # nothing happened since the last progress
        if self.race is None or (not force and (now - self._t_flush < every or idle)):
            return
        last = self.race.batch_losses()
        lanes = tuple(LaneNow(lane.status, lane.epoch, lane.steps, lane.lr, *self._params(lane),
                              None if lane.diagnosis is None else lane.diagnosis.kind, last.get(i, float("nan")))
                      for i, lane in enumerate(self.race.lanes))
        rate = self._done_lane_steps / max(now - self._t_flush, 1e-9)
        self.emit(RaceProgress(self._epochs, lanes, self.race.epoch, self.race.tick, rate))
        self._epochs = []
        self._t_flush, self._done_lane_steps = now, 0
        self._send_landscape(force=force)

    @staticmethod
    def _params(lane) -> tuple[tuple[float, ...], float]:
        w, b = lane.parameters()
        return tuple(w), b

    # ---------------------------------------------------------------- runs
    def _restart(self) -> None:
        self.race.reset()

    def _new_recorder(self):
        from ..storage.runs import RaceRecorder

        ds = self.race.lanes[0].experiment.dataset
        return RaceRecorder(self.runs_dir, self.configs, ds.feature_names, ds.target_name)

    def _end_run(self, outcome: str) -> None:
        if not self.run_open:
            return
        from ..analysis.compare import lane_results, varied_fields
        from ..analysis.compare_table import lanes_table

        self.run_open = False
        self.flush(force=True)
        results = lane_results(self.race, self.histories, outcome)
        self.lane_results = results
        self.last_results = [r.as_dict() for r in results]
        rec = self.recorder
        if rec is not None:
            for r, lane_rec in zip(results, rec.lanes):
                lane_rec.finish(r.summary.weights, r.summary.bias, r.summary.as_dict())
            rec.finish(*lanes_table(results, varied_fields(self.configs)))
            self._send_saving()
        self.emit(RaceEnded(Outcome(outcome), [{k: v for k, v in r.items() if k != "summary"}
                                               for r in self.last_results]))

    def _send_saving(self) -> None:
        rec = self.recorder
        errors = rec.errors
        self.emit(Saving(str(rec.folder), errors[0] if errors else None))

    # ---------------------------------------------------------------- state and values
    def _reset_buffers(self) -> None:
        self._epochs: list = []
        self._common_mse = None  # reference.FullDataMSE when the lanes' losses differ
        if self.race is not None and len({lane.config.train.loss for lane in self.race.lanes}) > 1:
            from ..model.reference import FullDataMSE

            first = self.race.lanes[0]
            self._common_mse = FullDataMSE(*first.split.raw_train, *first.least_squares())
        self.histories = {i: [] for i in range(len(self.race.lanes))} if self.race is not None else {}
        self._t_flush = time.perf_counter()
        self._done_lane_steps, self._tick_s = 0, 5e-5

    def _setup(self) -> RaceSetup:
        from ..analysis.compare import lane_label, lane_settings, varied_fields
        from .controller import experiment_setup

        race = self.race
        varied = varied_fields(self.configs)
        lanes = tuple(LaneSetup(lane_label(lane.config, varied), lane_settings(lane.config, varied), lane.batch_size,
                                lane.batches_per_epoch, lane.target_epochs, lane.lr,
                                lane.data_facts().optimum_loss) for lane in race.lanes)
        return RaceSetup(lanes, tuple(varied), experiment_setup(race.lanes[0]), race.ticks_per_epoch)


RaceController.ACTIONS = {**COMMON_ACTIONS, c.Configure: RaceController._configure, c.ScaleLr: RaceController._scale_lr,
                          c.RetrySave: None, c.Continue: None, c.SetLr: None, c.Trace: None}  # (a race starts anew;
# its rates scale together; its lanes' folders are written whole at its end)
