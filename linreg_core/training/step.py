"""The one step. K lanes' parameters are the columns of W: (d, K) and B: (1, K), stepped as one program: a
single run is a group of one lane (Trainer.advance), a race's lanes that make and score their batches alike
are one group each (race.py). Nothing else updates parameters.

One step over a batch of m rows (x: (m, d), its transpose xᵀ: (d, m), y: (m, 1)):
    D = (x·W + B − y)ᵀ                 (K, m), a row per lane: ŷ − y
    G = loss.grad(D)                   ∂loss/∂ŷ (K, m); the loss (K,) of the chunk's steps at its end
    ∂loss/∂W = xᵀ·Gᵀ + l2·W + l1·sign(W), ∂loss/∂B = Σ_rows G
    W, B ← rule(W, B, ∂W, ∂B, lr)      new tensors each step (never in place), lr: (1, K)
A rule with state (momentum, Adam, …) runs once on [W; B] stacked as (d + 1, K): the same arithmetic element
by element in fewer operations (Adam: 80 → 60 µs a step on the tutorial's data); SGD's two operations a
parameter cost less than stacking them. For K = 1 these are, operation for operation, the tutorial's
(tests/core/test_parity.py, bit for bit).

No host sync inside a chunk of steps: each step's losses stay on the device and the chunk's end reads them
once, (n, K) floats. A lane diverges at its first loss that is not below its limit (nan, inf, or
EXPLODE_FACTOR × its first loss of the run, at least 1): it is handed the parameters it had at that step
and one step before, kept from the chunk (every update makes new tensors: keeping them is keeping
references). Lanes are independent columns (each product's column, each reduction's row and each
rule's element depends only on its own lane), so a lane that blew up mid-chunk changes no other lane's
numbers: the chunk gives exactly what step-by-step stepping gives (tests/core/test_step.py).

What the step publishes for observers (they never reach into it): per lane, its parameters after every
step (Trainer.path, thinned), its position and parameters at the chunk's end, its epoch's loss sum, and the
chunk's last step as taken (StepTrace: the microscope's numbers).
"""
from __future__ import annotations

import math
import operator
from typing import NamedTuple

import torch

from ..model import losses, optim
from .batching import Batches, Shuffler
from ..model.results import EpochResult, Status

EXPLODE_FACTOR = 1e6  # a batch loss this many times the lane's first one (or 1) counts as divergence
HELD_RESIDUALS = 1 << 22  # a chunk's residuals held for its losses at most (16 MiB of float32); then summed


class LaneEvent(NamedTuple):
    """Something a lane did: finished an epoch (epoch_result), or diverged (epoch_result None)."""

    lane: int  # the lane's index (Race.lanes; 0 for a single run)
    epoch_result: EpochResult | None
    status: str  # the lane's status after it (results.py)


class Chunk(NamedTuple):
    """What one step_to() did: each lane's batch losses in order (through the step it diverged at), by the
    lane's index, and the events (epoch ends, divergences)."""

    losses: dict[int, list[float]]
    events: list[LaneEvent]


class Walk(NamedTuple):
    """A lane's parameters after each step of a chunk: column `column` of each (W, B) (references, no
    copies)."""

    params: list[tuple[torch.Tensor, torch.Tensor]]  # (W: (d, K), B: (1, K)) each
    column: int


class StepTrace(NamedTuple):
    """The last step of a chunk as taken, for the microscope: the batch, ∂loss/∂ŷ (None when autograd
    computed the gradient), the gradient before the penalties and the parameters before the step."""

    step: int  # 0-based over the run
    epoch: int
    batch: int  # 0-based in the epoch
    x: torch.Tensor  # (m, d)
    y: torch.Tensor  # (m, 1)
    g: torch.Tensor | None  # (m, K)
    grad: tuple[torch.Tensor, torch.Tensor]  # (∂W: (d, K), ∂B: (1, K)) before the penalties
    before: tuple[torch.Tensor, torch.Tensor]  # (W, B)
    lr: list[float]  # per lane


class LaneGroup:
    """Lanes (Trainers, which keep everything but the step: config, schedule, patience, divergence,
    diagnosis) that step as one program. members: the lanes' indices into `lanes`, one column each."""

    def __init__(self, lanes: list, members: list[int], autograd: bool = False, alone: bool = False):
        """alone: a run by itself, whose lane stays when it finishes or stops early (continuing goes on
        with the rule's state and the shuffles); a race's lanes leave their group when they end."""
        self.lanes = lanes
        self.alone = alone
        self.members = list(members)
        lead = lanes[self.members[0]]
        c = lead.config
        if autograd and len(self.members) != 1:
            raise ValueError("autograd steps one lane at a time")
        self.autograd = autograd
        self.batches_per_epoch = lead.batches_per_epoch
        self.loss = losses.get(c.train.loss)
        self.split = lead.split
        shuffler = Shuffler(lead.n_train, c.seed, c.train.shuffle, lead.split.X_train.device)
        self.batches = Batches(lead.split.X_train, lead.split.y_train, lead.batch_size, shuffler, autograd)
        for _ in range(lead.epoch):  # a group made mid-run continues the lanes' shuffles
            self.batches.shuffler.epoch_order()
        trainers = self._trainers()
        self.d = lead.split.X_train.shape[1]
        columns = [t.parameter_tensors() for t in trainers]
        self.W = torch.cat([w for w, _ in columns], dim=1)  # (d, K)
        self.B = torch.stack([b for _, b in columns]).reshape(1, -1)  # (1, K)
        if len(trainers) == 1:  # a run alone: its own tensors, bit for bit (and no copy)
            (self.W, self.B), _ = trainers[0].parameter_block()
        names = [t.config.train.optimizer for t in trainers]
        self.rule = optim.make_for_lanes(names, self.W)
        self.stacked = any(n != "sgd" for n in names)  # see the module's note
        self._rates: list[float] | None = None
        self.read_rates()
        self.sums = [0.0] * len(self.members)  # each lane's sum of batch losses this epoch
        self.explode_at = [math.inf] * len(self.members)
        self._limits_set = lead.steps > 0
        self.last = [math.nan] * len(self.members)
        self.batch = lead.batch
        self._before = (self.W, self.B)  # one step before the current ones (a divergence at a chunk's start)
        self._last: tuple | None = None  # StepTrace's fields

    def _trainers(self) -> list:
        return [self.lanes[i] for i in self.members]

    def read_rates(self) -> None:
        """The lanes' current rates (schedule included) and penalties as (1, K) rows, made again only when
        they changed (schedules move at epoch ends, the lr keys any time)."""
        trainers = self._trainers()
        rates = [t.lr for t in trainers]
        if rates == self._rates:
            return
        self._rates = rates
        like = dict(dtype=self.W.dtype, device=self.W.device)
        # one lane: a 0-dim rate, which torch applies as a scalar (the same products, fewer µs a step)
        self.lr = torch.tensor(rates[0], **like) if len(rates) == 1 else torch.tensor([rates], **like)
        l1 = [t.config.train.l1 for t in trainers]
        l2 = [t.config.train.l2 for t in trainers]
        self.l1 = torch.tensor([l1], **like) if any(l1) else None
        self.l2 = torch.tensor([l2], **like) if any(l2) else None

    # ------------------------------------------------------------------ stepping
    def step_to(self, target: int) -> Chunk:
        """Take batches until `target` of this epoch are done (or no lane is left); end the epoch there."""
        first = self.batch
        if first == 0 and target > 0:
            self.batches.begin_epoch()
        lead = self.lanes[self.members[0]]
        step0, epoch = lead.steps - first, lead.epoch
        losses: list[torch.Tensor] = []  # autograd: each step's loss, (K,); analytic: (n', K) blocks of steps
        residuals: list[torch.Tensor] = []  # analytic: each step's ŷ − y, its loss taken at the chunk's end
        held = 0  # elements in residuals (a whole epoch's of a large race would be its data's size again)
        params = [(self.W, self.B)]  # before each step, then after the last
        lanes = len(self.members) > 1
        get, grad = self.batches.get, self.loss.grad
        with torch.no_grad() if self.autograd else torch.inference_mode():
            for batch in range(first, target):
                xt, x, y = get(batch)
                if self.autograd:
                    loss, gw, gb, g = self._autograd(x, y)
                    losses.append(loss)
                elif lanes:
                    d = x.mm(self.W).add_(self.B).sub_(y).t().contiguous()  # ŷ − y: (K, m), a row per lane
                    g = grad(d, y.shape[0]).t()  # ∂loss/∂ŷ: (m, K)
                    gw, gb = xt.mm(g), g.sum(0, keepdim=True)  # ∂loss/∂W: (d, K), ∂loss/∂B: (1, K)
                    residuals.append(d)
                    held += d.numel()
                else:  # one lane: the same operations on (m, 1) columns, as the tutorial's autograd does them
                    d = x.mm(self.W).add_(self.B).sub_(y)  # ŷ − y: (m, 1)
                    g = grad(d, y.shape[0])  # ∂loss/∂ŷ: (m, 1)
                    gw, gb = xt.mm(g), g.sum(0, keepdim=True)
                    residuals.append(d)
                    held += d.numel()
                if held > HELD_RESIDUALS:  # their losses now, still on the device
                    losses.append(self._losses(residuals))
                    residuals, held = [], 0
                raw = (gw, gb)
                if self.l2 is not None:  # the penalties' gradients, weights only: l2·w + l1·sign(w)
                    gw = gw + self.l2 * self.W
                if self.l1 is not None:
                    gw = gw + self.l1 * self.W.sign()
                self._update(gw, gb)
                params.append((self.W, self.B))
            if len(params) == 1:
                return Chunk({lane: [] for lane in self.members}, [])
            # the chunk's one host sync: (n, K) floats
            if self.autograd:
                values = torch.stack(losses).reshape(len(losses), -1)
            else:
                parts = losses + ([self._losses(residuals)] if residuals else [])
                values = parts[0] if len(parts) == 1 else torch.cat(parts)
            rows = values.tolist()
        self._last = (step0 + target - 1, epoch, target - 1, x, y, g, raw, params[-2], self._rates)
        return self._settle(first, rows, params)

    def _losses(self, residuals: list[torch.Tensor]) -> torch.Tensor:
        """The chunk's losses, (n, K), from its steps' ŷ − y ((m, 1) each, or (K, m) for lanes): each run of
        steps with one batch size stacked and summed at once, a lane's residuals a contiguous row as the step
        would have summed them (a few operations a chunk instead of three or more a step)."""
        out, i = [], 0
        while i < len(residuals):
            j, shape = i + 1, residuals[i].shape
            while j < len(residuals) and residuals[j].shape == shape:
                j += 1
            D = residuals[i] if j == i + 1 else torch.stack(residuals[i:j])  # (n', m, 1), or (n', K, m)
            m = shape[0] if shape[1] == 1 and len(self.members) == 1 else shape[1]
            out.append(self.loss.values(D.reshape(j - i, -1, m), m).reshape(j - i, -1))
            i = j
        return out[0] if len(out) == 1 else torch.cat(out)

    @property
    def trace(self) -> StepTrace | None:
        """The last step taken, as taken (made when asked: the microscope asks, training does not)."""
        return None if self._last is None else StepTrace(*self._last)

    def _update(self, gw: torch.Tensor, gb: torch.Tensor) -> None:
        if not self.stacked:
            self.W, self.B = self.rule.update([self.W, self.B], [gw, gb], self.lr)
            return
        P = self.rule.update([torch.cat([self.W, self.B])], [torch.cat([gw, gb])], self.lr)[0]
        self.W, self.B = P[:self.d], P[self.d:]

    def _autograd(self, x: torch.Tensor, y: torch.Tensor):
        """The gradient by autograd on the lane's own (w, b), as the tutorial computes it (one lane)."""
        w = self.W.detach().clone().requires_grad_()
        b = self.B[0, 0].detach().clone().requires_grad_()
        with torch.enable_grad():
            loss = self.loss.value(torch.matmul(x, w) + b, y)
            loss.backward()
        return loss.detach(), w.grad, b.grad.reshape(1, 1), None

    def _settle(self, first: int, rows: list[list[float]], params: list) -> Chunk:
        """Read the chunk's losses: limits from the run's first step, each lane's first divergence, the
        epoch sums; then the lanes' positions (and the epoch's end)."""
        if not self._limits_set:  # the run's first step sets each lane's limit
            self.explode_at = [EXPLODE_FACTOR * max(v, 1.0) if v == v else math.inf for v in rows[0]]
            self._limits_set = True
        if len(self.members) == 1:  # a run alone, the common case: the same as below, without the lists
            values, limit, total = [r for r, in rows], self.explode_at[0], self.sums[0]
            for v in values:
                if not v < limit:
                    break  # a divergence: the general path below
                total += v
            else:
                self.sums[0], self.last, self._before = total, rows[-1], params[-2]
                self.batch = first + len(rows)
                lane, steps = self.members[0], params[1:]
                if self.batch == self.batches_per_epoch:
                    return Chunk({lane: values}, self._end_epoch(steps))
                self.lanes[lane].adopt_position(self.batch, Walk(steps, 0))
                return Chunk({lane: values}, [])
        got: dict[int, list[float]] = {}
        events: list[LaneEvent] = []
        keep: list[int] = []
        for k, lane in enumerate(self.members):
            limit, values = self.explode_at[k], [row[k] for row in rows] if len(rows[0]) > 1 else [r for r, in rows]
            bad, total = None, self.sums[k]
            for i, v in enumerate(values):  # the sum a step-by-step loop keeps, left to right in python floats
                if not v < limit:  # nan, inf or exploding
                    bad = i
                    break
                total += v
            if bad is None:
                got[lane] = values
                self.sums[k] = total
                keep.append(k)
                continue
            got[lane] = values[:bad + 1]
            t = self.lanes[lane]
            previous = params[bad - 1] if bad > 0 else self._before
            t.adopt_divergence(first + bad, values[bad], params[bad], previous, Walk(params[1:bad + 1], k))
            events.append(LaneEvent(lane, None, t.status))
        self.last = rows[-1]
        self._before = params[-2]
        self.batch = first + len(rows)
        if len(keep) < len(self.members):
            self._keep(keep)
            if not self.members:
                return Chunk(got, events)
        steps = params[1:]
        if self.batch == self.batches_per_epoch:
            events += self._end_epoch(steps)
        else:
            for k, lane in enumerate(self.members):
                self.lanes[lane].adopt_position(self.batch, Walk(steps, k))
        return Chunk(got, events)

    def _end_epoch(self, steps: list) -> list[LaneEvent]:
        trained = torch.cat([self.W, self.B]).t().tolist()  # (K, d + 1) floats
        test = self._test_losses()
        events = []
        for k, lane in enumerate(self.members):
            result = self.lanes[lane].adopt_epoch(self.sums[k], (trained[k][:-1], trained[k][-1]), test[k],
                                                  Walk(steps, k))
            events.append(LaneEvent(lane, result, self.lanes[lane].status))
        self.batch = 0
        self.sums = [0.0] * len(self.members)
        stay = (Status.RUNNING, Status.FINISHED, Status.EARLY_STOPPED) if self.alone else (Status.RUNNING,)
        self._keep([k for k, lane in enumerate(self.members) if self.lanes[lane].status in stay])
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
        self.W, self.B = self.W[:, columns], self.B[:, columns]
        self.sums = [self.sums[k] for k in columns]
        self.last = [self.last[k] for k in columns]
        self._before = (self._before[0][:, columns], self._before[1][:, columns])
        self.explode_at = [self.explode_at[k] for k in columns]
        self._rates = None
        if self.members:
            self.read_rates()

