"""A race: 2–16 lanes, each a full Config, trained in lockstep on the same data and the same shuffles.

Lanes that make and score their batches alike (batch size, loss, dtype, device, the data's preparation) form a
Group and step as one program: parameters W: (d, K) and B: (1, K), one column per lane; one product gives
every lane's residuals (x·W + B − y: (m, K)) and one their gradients (xᵀG: (d, K)); each optimizer's update
is applied to its block of columns (a group's lanes are ordered by optimizer) with the lanes' rates as a
(1, K) row. Groups share one clock: an epoch is `ticks_per_epoch` ticks (the most batches any group has) and
each group takes its share of batches per tick, so all groups end every epoch together.

Each lane keeps a Trainer for everything but the step (its config, epoch results, schedule, patience,
divergence and diagnosis): the group hands the lane its parameters at each epoch's end or at its divergence
and the Trainer's own bookkeeping does the rest, so a lane gives the numbers of the same config run alone
(tests/core/test_race.py). A lane that diverges, finishes or stops early leaves its group; the others go on.
"""
from __future__ import annotations

import math
import operator
from typing import NamedTuple

import torch

from . import losses, optim
from .batching import Batches, Shuffler
from .config import FIELDS, LABELS, LANE_FIELDS, MAX_LANES, SWEEP_MAX_LANES, Config  # noqa: F401 (re-exported)
from .errors import ConfigError
from .experiment import Experiment, prepare
from .results import RUNNING, EpochResult
from .trainer import EXPLODE_FACTOR, Trainer


class LaneEvent(NamedTuple):
    """Something a lane did: finished an epoch (epoch_result), or diverged (epoch_result None)."""

    lane: int  # index into Race.lanes
    epoch_result: EpochResult | None
    status: str  # the lane's status after it (results.py)


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
        from .controller import data_key

        experiments: dict[tuple, Experiment] = {}
        splits: dict[tuple, object] = {}
        self.lanes: list[Trainer] = []
        for config in configs:
            experiment = experiments.get(data_key(config))
            if experiment is None:
                experiment = experiments[data_key(config)] = prepare(config)
            key = (data_key(config), config.data.standardize, config.data.standardize_target, config.device)
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
        self.groups = [Group(self.lanes, members) for members in by_key.values()]
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
            events += group.step_to(end * group.batches_per_epoch // self.ticks_per_epoch)
        self.tick = end
        if end == self.ticks_per_epoch:
            self.tick = 0
            self.epoch += 1
        self.groups = [g for g in self.groups if g.members]
        return events


class Group:
    """Lanes that step as one program. Parameters P: (d + 1, K), weights W = P[:d] and bias B = P[d:] as
    views, one column per lane; rates (1, K)."""

    def __init__(self, lanes: list[Trainer], members: list[int]):
        self.lanes = lanes
        self.members = list(members)  # the race's lane index of each column
        lead = lanes[self.members[0]]
        c = lead.config
        self.batches_per_epoch = lead.batches_per_epoch
        self.loss = losses.get(c.train.loss)
        self.split = lead.split
        self.batches = Batches(lead.split.X_train, lead.split.y_train, lead.batch_size,
                               Shuffler(lead.n_train, c.seed, c.train.shuffle))
        for _ in range(lead.epoch):  # a group made mid-race continues the lanes' shuffles
            self.batches.shuffler.epoch_order()
        trainers = self._trainers()
        self.d = lead.split.X_train.shape[1]
        self._set_params(torch.cat([torch.cat([t._w for t in trainers], dim=1),
                                    torch.stack([t._b for t in trainers]).reshape(1, -1)]))
        self.prev = self.P
        self.rule = optim.make_for_lanes([t.config.train.optimizer for t in trainers], self.P)
        self._rates: list[float] | None = None
        self.read_rates()
        self.sums = [0.0] * len(self.members)  # each lane's sum of batch losses this epoch
        self.explode_at = [math.inf] * len(self.members)
        self.last = [math.nan] * len(self.members)
        self.batch = 0

    def _set_params(self, P: torch.Tensor) -> None:
        self.P, self.W, self.B = P, P[:self.d], P[self.d:]

    def _trainers(self) -> list[Trainer]:
        return [self.lanes[i] for i in self.members]

    def read_rates(self) -> None:
        """The lanes' current rates (schedule included) and penalties as (1, K) rows, made again only when
        they changed (schedules move at epoch ends, the lr keys any time)."""
        trainers = self._trainers()
        rates = [t.lr for t in trainers]
        if rates == self._rates:
            return
        self._rates = rates
        like = dict(dtype=self.P.dtype, device=self.P.device)
        self.lr = torch.tensor([rates], **like)
        l1 = [t.config.train.l1 for t in trainers]
        l2 = [t.config.train.l2 for t in trainers]
        self.l1 = torch.tensor([l1], **like) if any(l1) else None
        self.l2 = torch.tensor([l2], **like) if any(l2) else None

    def step_to(self, target: int) -> list[LaneEvent]:
        """Take batches until `target` of this epoch are done (or no lane is left); end the epoch there."""
        events: list[LaneEvent] = []
        if self.batch == 0 and target > 0:
            self.batches.begin_epoch()
        with torch.inference_mode():
            while self.batch < target and self.members:
                xt, x, y = self.batches.get(self.batch)
                d = x.mm(self.W).add_(self.B).sub_(y).t().contiguous()  # ŷ − y: (K, m), a row per lane
                loss, g = self.loss.value_and_grad(d, len(y), lanes=True)  # (K,), ∂loss/∂ŷ: (K, m)
                values = loss.tolist()
                if self.explode_at[0] == math.inf:  # the run's first step sets each lane's limit
                    self.explode_at = [EXPLODE_FACTOR * max(v, 1.0) if v == v else math.inf for v in values]
                if not all(map(operator.lt, values, self.explode_at)):  # nan, inf or exploding
                    bad = [k for k, v in enumerate(values) if not v < self.explode_at[k]]
                    keep = [k for k in range(len(values)) if k not in bad]
                    events += self._diverge(bad, values)
                    if not keep:
                        return events
                    g, values = g[keep], [values[k] for k in keep]
                self.sums = list(map(operator.add, self.sums, values))
                self.last = values  # each column's latest batch loss
                gb = g.sum(1).reshape(1, -1)  # ∂loss/∂B: each row summed as a single run sums its column
                self._update(torch.cat([xt.mm(g.t()), gb]))  # ∂loss/∂P: (d + 1, K)
                self.batch += 1
        if self.batch == self.batches_per_epoch:
            events += self._end_epoch()
        else:
            self._sync_lanes()
        return events

    def _sync_lanes(self) -> None:
        """Mid-epoch, each lane's Trainer shows where its lane is: its step count and parameters (views)."""
        for k, lane in enumerate(self.members):
            t = self.lanes[lane]
            t._advance_counters(self.batch - t.batch)
            t.adopt_params(*self._column(k, self.P))

    def _update(self, grad: torch.Tensor) -> None:
        if self.l2 is not None:  # the penalties' gradients, weights only: l2·w + l1·sign(w)
            grad[:self.d] += self.l2 * self.W
        if self.l1 is not None:
            grad[:self.d] += self.l1 * self.W.sign()
        self.prev = self.P
        self._set_params(self.rule.update([self.P], [grad], self.lr)[0])

    def _column(self, k: int, P: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Lane k's (w: (d, 1), b: ()), views of P (never changed in place: every update makes a new P)."""
        return P[:self.d, k:k + 1], P[self.d, k]

    def _diverge(self, bad: list[int], values: list[float]) -> list[LaneEvent]:
        events = []
        for k in bad:
            lane = self.members[k]
            self.lanes[lane].adopt_divergence(self.batch, values[k], self._column(k, self.P),
                                              self._column(k, self.prev))
            events.append(LaneEvent(lane, None, self.lanes[lane].status))
        self._keep([k for k in range(len(self.members)) if k not in bad])
        return events

    def _end_epoch(self) -> list[LaneEvent]:
        trained = self.P.t().tolist()  # (K, d + 1) floats
        test = self._test_losses()
        events = []
        for k, lane in enumerate(self.members):
            w, b = self._column(k, self.P)
            result = self.lanes[lane].adopt_epoch(w, b, self.sums[k], (trained[k][:-1], trained[k][-1]), test[k])
            events.append(LaneEvent(lane, result, self.lanes[lane].status))
        self.batch = 0
        self.sums = [0.0] * len(self.members)
        self._keep([k for k, lane in enumerate(self.members) if self.lanes[lane].status == RUNNING])
        self.read_rates()  # schedules move at epoch ends
        return events

    def _test_losses(self) -> list[float | None]:
        X, y = self.split.X_test, self.split.y_test
        if X is None:
            return [None] * len(self.members)
        with torch.inference_mode():
            d = X.mm(self.W).add_(self.B).sub_(y).t().contiguous()  # (K, n_test)
            return self.loss.value_and_grad(d, len(y), lanes=True)[0].tolist()

    def _keep(self, columns: list[int]) -> None:
        """Only these columns go on (lanes that ended leave)."""
        if len(columns) == len(self.members):
            return
        self.rule.select(columns)
        self.members = [self.members[k] for k in columns]
        self._set_params(self.P[:, columns])
        self.prev = self.prev[:, columns]
        self.sums = [self.sums[k] for k in columns]
        self.last = [self.last[k] for k in columns]
        self.explode_at = [self.explode_at[k] for k in columns]
        self._rates = None
        if self.members:
            self.read_rates()
