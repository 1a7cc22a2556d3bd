"""A race: 2–16 lanes, each a full Config, trained in lockstep on the same data and the same shuffles.

Lanes that make and score their batches alike (batch size, loss, dtype, device, the data's preparation) form a
step.LaneGroup and step as one program, the step a single run takes as a group of one: parameters (d + 1, K),
one column per lane (step.py). Groups share one clock: an epoch is `ticks_per_epoch` ticks (the most batches any group has) and
each group takes its share of batches per tick, so all groups end every epoch together.

Each lane keeps a Trainer for everything but the step (its config, epoch results, schedule, patience,
divergence and diagnosis): the group hands the lane its parameters at each epoch's end or at its divergence
and the Trainer's own bookkeeping does the rest, so a lane gives the numbers of the same config run alone
(tests/core/test_race.py). A lane that diverges, finishes or stops early leaves its group; the others go on.
"""
from __future__ import annotations

import math

from ..settings.config import FIELDS, LABELS, LANE_FIELDS, MAX_LANES, SWEEP_MAX_LANES, Config  # noqa: F401 (re-exported)
from ..settings.errors import ConfigError
from ..data.experiment import Experiment, data_key, device_for, prepare
from ..model.results import RUNNING
from .step import LaneEvent, LaneGroup
from .trainer import Trainer


def check_lanes(configs: list[Config], max_lanes: int = MAX_LANES) -> None:
    """Refuse lanes that cannot race: too few or too many, or differing in anything but LANE_FIELDS."""
    if not 1 <= len(configs) <= max_lanes:
        raise ConfigError({"lanes": f"a race has 1 to {max_lanes} lanes, got {len(configs)}"})
    first = configs[0].to_options()
    for i, config in enumerate(configs[1:], start=2):
        for name, text in config.to_options().items():
            if name not in LANE_FIELDS and text != first[name]:
                raise ConfigError({name: f"lane {i} has {text or 'none'}, lane 1 {first[name] or 'none'}: a race's "
                                         f"lanes share their data, seed and shuffles (they may differ in "
                                         f"{', '.join(FIELDS[n].flag for n in LANE_FIELDS)})"}, LABELS)
    if any(c.train.grads == "autograd" for c in configs):
        raise ConfigError({"grads": "a race computes gradients analytically (autograd gives the same numbers, one "
                                    "lane at a time); leave it at analytic"}, LABELS)


class Race:
    def __init__(self, configs: list[Config], max_lanes: int = MAX_LANES):
        check_lanes(configs, max_lanes)
        experiments: dict[tuple, Experiment] = {}
        splits: dict[tuple, object] = {}
        self.lanes: list[Trainer] = []
        for config in configs:
            experiment = experiments.get(data_key(config))
            if experiment is None:
                experiment = experiments[data_key(config)] = prepare(config)
            key = (data_key(config), config.data.standardize, config.data.standardize_target,
                   str(device_for(config, experiment)))
            lane = Trainer(config, experiment, splits.get(key))
            splits[key] = lane.split
            self.lanes.append(lane)
        self.ticks_per_epoch = max(lane.batches_per_epoch for lane in self.lanes)
        self._build_groups()

    def _build_groups(self) -> None:
        by_key: dict[tuple, list[int]] = {}
        for i, lane in enumerate(self.lanes):
            if lane.status == RUNNING:
                c = lane.config
                key = (id(lane.split), lane.batch_size, c.train.loss, c.dtype, str(lane.device))
                by_key.setdefault(key, []).append(i)
        self.groups = [LaneGroup(self.lanes, members) for members in by_key.values()]
        self.tick = 0  # ticks done in the epoch in progress
        self.epoch = min((lane.epoch for lane in self.lanes), default=0)

    @property
    def done(self) -> bool:
        return not self.groups

    @property
    def running(self) -> list[int]:
        """The lanes still stepping."""
        return [i for i, lane in enumerate(self.lanes) if lane.status == RUNNING]

    def batch_losses(self) -> dict[int, float]:
        """{lane: its latest batch loss} of the lanes still stepping."""
        return {lane: v for g in self.groups for lane, v in zip(g.members, g.last)}

    def reset(self) -> None:
        """Every lane back to its start."""
        for lane in self.lanes:
            lane.reset()
        self._build_groups()

    def set_lr(self, factor: float) -> None:
        """Scale every running lane's base rate by factor (each kept within --lr's range); next step on."""
        lo, hi = FIELDS["lr"].lo, FIELDS["lr"].hi
        for i in self.running:
            lane = self.lanes[i]
            lane.set_lr(min(hi, max(lane.base_lr * factor, math.nextafter(lo, math.inf))))
        for group in self.groups:
            group.read_rates()

    def advance(self, ticks: int) -> list[LaneEvent]:
        """Up to `ticks` ticks, stopping at the end of the epoch: each group takes its share of batches."""
        if self.done:
            return []
        end = min(self.ticks_per_epoch, self.tick + max(1, ticks))
        events: list[LaneEvent] = []
        for group in self.groups:
            events += group.step_to(end * group.batches_per_epoch // self.ticks_per_epoch).events
        self.tick = end
        if end == self.ticks_per_epoch:
            self.tick = 0
            self.epoch += 1
        self.groups = [g for g in self.groups if g.members]
        return events
