"""The Trainer owns a run's state and advances one mini-batch per step().

Pause is "stop calling step()", resume is "call it again"; nothing here knows about threads or screens.
The step itself is step.LaneGroup's, the one a race's lanes take: a run steps as a group of one lane. The
Trainer keeps the rest: the config, counters, schedule, patience, divergence and diagnosis, and the path
of its parameters. The data comes prepared (an Experiment: data/experiment.py), never loaded here. The default path computes gradients analytically with the exact operations autograd
performs on the tutorial's loss (see losses.py), inside torch.inference_mode(): the same numbers at several
times the speed.
"""
from __future__ import annotations

import math
from typing import Iterator

import torch

from ..model import diagnosis, losses, reference, schedules
from ..model.derived import derived
from ..model.optimum import Optimum, optimum
from .path import PathBuffer
from .batching import batch_count
from ..settings.config import FIELDS, Config
from ..data.data import Split, split
from ..data.experiment import Experiment, device_for, prepare
from ..model.results import (DIVERGED, EARLY_STOPPED, FINISHED, RUNNING, Divergence, EpochResult, StepResult)
from .step import EXPLODE_FACTOR, LaneGroup, Walk  # noqa: F401 (EXPLODE_FACTOR re-exported)


class Trainer:
    def __init__(self, config: Config, experiment: Experiment, prepared: Split | None = None):
        """experiment: the data, prepared before (data.experiment.prepare; trainer_for does both). prepared:
        the split of the same data, standardization, dtype and device made for another trainer (a race's lanes
        share one), instead of making it again."""
        self.config = config
        self.experiment = experiment
        self.device = device_for(config, self.experiment)
        self.dtype = torch.float64 if config.dtype == "float64" else torch.float32
        tc = config.train
        self.split = prepared if prepared is not None else split(
            self.experiment.dataset, config.data.test_fraction, config.data.standardize, config.seed, self.dtype,
            self.device, config.data.standardize_target)
        self.n_train = self.split.X_train.shape[0]
        self.notices: list[str] = []
        self.batch_size = tc.batch_size
        if tc.batch_size > self.n_train:
            self.batch_size = self.n_train
            self.notices.append(f"batch size {tc.batch_size} is larger than the {self.n_train} training samples; "
                                f"using {self.n_train}")
        self.batches_per_epoch = batch_count(self.n_train, self.batch_size)
        self.loss = losses.get(tc.loss)
        self.base_lr = tc.lr
        self._use_autograd = tc.grads == "autograd"
        self._watch = diagnosis.Watch(self.data_facts)
        self.path = PathBuffer()  # the parameters after every step (thinned), training units
        self.reset()

    @property
    def target_epochs(self) -> int:
        """The epoch count this run trains to (config's epochs, more after extend())."""
        return self._target_epochs

    # ----------------------------------------------------------------- state
    def reset(self) -> None:
        """Back to the initial parameters, step 0, the first shuffle; the data stays."""
        ex = self.experiment
        w0, b0 = list(ex.init_weights), ex.init_bias
        if ex.init_in_data_units and self.split.standardized:
            w0, b0 = self.split.standardizer.to_training_units(w0, b0)
        self._initial = (list(w0), b0)  # training units
        W = torch.tensor(w0, dtype=self.dtype, device=self.device).reshape(-1, 1)  # (d, 1)
        B = torch.tensor([[b0]], dtype=self.dtype, device=self.device)  # (1, 1)
        self._at: tuple[tuple[torch.Tensor, torch.Tensor], int] = ((W, B), 0)  # the step's (W, B) and my column
        self._group: LaneGroup | None = None  # the step of this run alone, made at its first step
        self.epoch = self.batch = self.steps = 0
        self.status = RUNNING
        self.divergence: Divergence | None = None
        self.diagnosis: diagnosis.Diagnosis | None = None  # what looks wrong now (None: nothing seen)
        self.path.clear()
        self.path.add(*self._at)
        self._watch.reset()
        self._best, self._bad_epochs = math.inf, 0
        self._target_epochs = self.config.train.epochs
        self._set_epoch_lr()

    def extend(self, epochs: int) -> None:
        """Train `epochs` more after the run finished or stopped early (same parameters, optimizer state and
        shuffles; patience counts afresh). A schedule stretches over the new length."""
        if self.status not in (FINISHED, EARLY_STOPPED, RUNNING):
            raise RuntimeError(f"a {self.status} run cannot be continued; call reset() to start again")
        self._target_epochs = self.epoch + epochs
        self.status = RUNNING
        self._bad_epochs = 0
        if self.diagnosis is not None and self.diagnosis.kind == diagnosis.NOT_CONVERGED:
            self.diagnosis = None  # said of the end that is no longer the end
        self._set_epoch_lr()

    def least_squares(self) -> tuple[tuple[float, ...], float]:
        """The closed-form optimum on the training samples, in data units, from the float64 data (never the
        training dtype's rounding of it). Computed once per split (it depends on the data only): at 1M × 64
        it takes a second, and every summary asks for it."""
        stats = derived(self.split)
        if stats.least_squares is None:
            stats.least_squares = reference.least_squares(*self.split.raw_train)
        return stats.least_squares

    def loss_optimum(self) -> Optimum:
        """The minimizer of this run's loss (unpenalized) on the training samples, in data units (optimum.py):
        least squares for MSE, least absolute deviations for MAE, Huber's own for Huber (whose δ applies in
        training units, so a standardized target changes it). Computed once per split and loss."""
        loss, scale = self.config.train.loss, self.split.standardizer.y_scale
        optima = derived(self.split).optima
        if (loss, scale) not in optima:
            optima[loss, scale] = optimum(*self.split.raw_train, loss, scale, self.least_squares())
        return optima[loss, scale]

    def data_facts(self) -> diagnosis.DataFacts:
        """How hard the training data are to descend for this loss (diagnosis.py); computed once per split."""
        loss, stats = self.config.train.loss, derived(self.split)
        if loss not in stats.facts:
            best = self.loss_optimum()
            w, b = list(best.weights), best.bias
            if self.split.standardized:
                w, b = self.split.standardizer.to_training_units(list(w), b)
            stats.facts[loss] = diagnosis.data_facts(self.split.X_train, self.split.y_train, (w, b), loss,
                                                     stats.moments)
        return stats.facts[loss]

    def _diagnose(self, kind: str, progress: float | None = None) -> diagnosis.Diagnosis:
        """What was seen now, with its causes; a condition already seen keeps the epoch it was first seen at."""
        tc, data = self.config.train, self.config.data
        run = diagnosis.Run(self.base_lr, tc.loss, tc.optimizer, self.batch_size,
                            self.batches_per_epoch * self._target_epochs, self.batches_per_epoch,
                            (tuple(self._initial[0]), self._initial[1]), data.standardize, data.standardize_target,
                            tc.schedule)
        causes = diagnosis.causes(self.data_facts(), kind, run, self.experiment.dataset.feature_names, progress)
        seen_at = self.diagnosis.epoch if self.diagnosis is not None and self.diagnosis.kind == kind else self.epoch
        return diagnosis.Diagnosis(kind, seen_at, progress, causes)

    def _watch_epoch(self, result: EpochResult) -> None:
        """After each finished epoch: oscillating or stalled now? At the run's end: did it converge?"""
        seen = self._watch.add(result.loss_mean)
        if seen is None:
            self.diagnosis = None
        elif self.diagnosis is None or self.diagnosis.kind != seen:
            self.diagnosis = self._diagnose(seen)
        if self.status in (FINISHED, EARLY_STOPPED):
            progress = self.data_facts().progress(self.full_loss())
            if progress < diagnosis.CONVERGED_PROGRESS:
                self.diagnosis = self._diagnose(seen or diagnosis.NOT_CONVERGED, progress)

    def full_loss(self) -> float:
        """The run's loss over all training samples at the current parameters, in training units."""
        with torch.inference_mode():
            w, b = self.parameter_tensors()
            return self.loss.value(self.split.X_train.mm(w) + b, self.split.y_train).item()

    @property
    def done(self) -> bool:
        return self.status != RUNNING

    @property
    def lr(self) -> float:
        """The rate the next step uses: base rate × the schedule's factor for this epoch."""
        return self._lr

    def set_lr(self, lr: float) -> None:
        """Change the base learning rate; takes effect at the next step."""
        self.base_lr = FIELDS["lr"].check(lr)
        self.config = self.config.replace(lr=self.base_lr)  # what a run that starts now is recorded with
        self._set_epoch_lr()

    def _set_epoch_lr(self) -> None:
        tc = self.config.train
        self._lr = self.base_lr * schedules.factor(tc.schedule, self.epoch, self._target_epochs)

    def parameter_block(self) -> tuple[tuple[torch.Tensor, torch.Tensor], int]:
        """((W: (d, K), B: (1, K)), k): the step's parameters this run is column k of (K = 1 alone)."""
        return self._at

    def parameter_tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The current (w: (d, 1), b: ()) as trained, on the run's device (views of the step's tensors)."""
        (W, B), k = self._at
        return W[:, k:k + 1], B[0, k]

    @property
    def rule(self):
        """The update rule with its state after the last step (optim.py), None before the first."""
        return self._group.rule if self._group is not None else None

    @property
    def last_step(self):
        """The last step as taken, for the microscope: (step, epoch, batch, x: (m, d), y: (m, 1), ∂loss/∂ŷ:
        (m, 1) or None, [∂loss/∂w: (d, 1), ∂loss/∂b: ()] before the penalties, (w, b) before, lr), all
        0-based; None before the first step."""
        trace = self._group.trace if self._group is not None else None
        if trace is None:
            return None
        g = None if trace.g is None else trace.g[:, 0:1]
        grads = [trace.grad[0][:, 0:1], trace.grad[1][0, 0]]
        before = (trace.before[0][:, 0:1], trace.before[1][0, 0])
        return (trace.step, trace.epoch, trace.batch, trace.x, trace.y, g, grads, before, trace.lr[0])

    def training_parameters(self) -> tuple[list[float], float]:
        """Current weights and bias as trained (standardized units when standardizing)."""
        w, b = self.parameter_tensors()
        return w.reshape(-1).tolist(), b.item()

    def parameters(self) -> tuple[list[float], float]:
        """Current weights and bias in the data's units (the last finite ones after a divergence)."""
        return self._to_data_units(*self.training_parameters())

    def _to_data_units(self, w: list[float], b: float) -> tuple[list[float], float]:
        return self.split.standardizer.to_data_units(w, b) if self.split.standardized else (w, b)

    # ------------------------------------------------------------- stepping
    def run(self, max_steps: int | None = None, chunk: int = 1) -> Iterator[StepResult]:
        """Step until the run ends or max_steps were taken. With chunk=1 the caller may stop between any two
        steps; a larger chunk computes up to that many steps (never past an epoch's end) before yielding
        them, which is faster and lets the trainer run ahead of the caller by at most chunk − 1 steps."""
        taken = 0
        while self.status == RUNNING and (max_steps is None or taken < max_steps):
            n = chunk if max_steps is None else min(chunk, max_steps - taken)
            results = self.advance(n)
            taken += len(results)
            yield from results

    def step(self) -> StepResult:
        """One mini-batch: loss, gradients, update. Returns plain values."""
        return self.advance(1)[0]

    def advance(self, max_steps: int) -> list[StepResult]:
        """Up to max_steps steps, stopping early at the end of the epoch, the run, or a divergence."""
        if self.status != RUNNING:
            raise RuntimeError(f"the run has ended ({self.status}); call reset() to start again")
        if self._group is None:
            self._group = LaneGroup([self], [0], self._use_autograd, alone=True)
        group = self._group
        group.read_rates()  # the lr keys, a schedule's new epoch (made again only when they changed)
        first, lr, epoch = self.batch, self._lr, self.epoch
        step0 = self.steps - first
        chunk = group.step_to(min(self.batches_per_epoch, first + max(1, max_steps)))
        results = [StepResult(step0 + first + i, epoch, first + i, loss, lr, RUNNING, None)
                   for i, loss in enumerate(chunk.losses[0])]
        for event in chunk.events:
            results[-1] = results[-1]._replace(status=event.status, epoch_result=event.epoch_result)
        return results

    # ------------------------------------------------- what the step hands over (step.py)
    def adopt_position(self, batch: int, walk: Walk) -> None:
        """The step moved this lane mid-epoch to `batch` (batches done) along `walk` (every step of the
        chunk; the last is where it is)."""
        self.steps += batch - self.batch
        self.batch = batch
        self._at = (walk.params[-1], walk.column)
        self.path.add_walk(walk)

    def adopt_epoch(self, loss_sum: float, trained: tuple[list[float], float], test_loss: float | None,
                    walk: Walk) -> EpochResult:
        """The step took this lane through its epoch along `walk`: the sum of its batch losses, its
        parameters as python floats and its test loss; the epoch ends here (schedule, patience, diagnosis)."""
        self._at = (walk.params[-1], walk.column)
        self.path.add_walk(walk)
        self.steps += self.batches_per_epoch - self.batch
        self.batch = self.batches_per_epoch
        return self._end_epoch(loss_sum, trained, test_loss)

    def adopt_divergence(self, batch: int, loss: float, at, previous, walk: Walk) -> StepResult:
        """The step saw this lane's loss at `batch` (0-based) explode: `at` and `previous` are the step's
        (W, B) then and one step before (this lane is column walk.column); the last finite are kept."""
        self.path.add_walk(walk)
        self.steps += batch - self.batch
        self.batch = batch
        self._at = (at, walk.column)
        return self._diverge(loss, (previous, walk.column))

    def _end_epoch(self, loss_sum: float, trained: tuple[list[float], float], test_loss: float | None) -> EpochResult:
        """loss_sum, trained, test_loss: the epoch's batch losses summed, the parameters as trained and the
        test loss, as the step computed them."""
        tc = self.config.train
        weights, bias = self._to_data_units(*trained)
        result = EpochResult(self.epoch, loss_sum, loss_sum / self.batches_per_epoch, test_loss,
                             self._lr, tuple(weights), bias, self.steps)
        if not all(math.isfinite(v) for v in (*weights, bias)):
            self._diverge(math.nan, None)
            return result
        self.epoch += 1
        self.batch = 0
        monitored = test_loss if test_loss is not None else result.loss_mean
        if monitored < self._best - tc.tolerance:
            self._best, self._bad_epochs = monitored, 0
        else:
            self._bad_epochs += 1
        if self.epoch >= self._target_epochs:
            self.status = FINISHED
        elif tc.patience and self._bad_epochs >= tc.patience:
            self.status = EARLY_STOPPED
        self._watch_epoch(result)
        self._set_epoch_lr()
        return result

    def _diverge(self, loss: float, previous) -> StepResult:
        """previous: ((W, B), column) one step before the current one (None: none kept)."""
        reason = "non-finite" if not math.isfinite(loss) else "exploding"
        # the step being taken is steps + 1, the batch being read batch + 1 (counters count what is done)
        self.divergence = Divergence(self.epoch, self.batch + 1, self.steps + 1, loss, reason, self._lr)
        self.status = DIVERGED
        w, b = self.parameter_tensors()
        finite = bool(torch.isfinite(w).all()) and math.isfinite(b.item())
        if not finite and previous is not None:  # keep the last parameters that were finite
            self._at = previous
        self.diagnosis = self._diagnose(diagnosis.DIVERGED)
        return StepResult(self.steps, self.epoch, self.batch, loss, self._lr, DIVERGED, None)


def trainer_for(config: Config) -> Trainer:
    """The data prepared, then a trainer on it: the one way, for scripts and tests (the controllers prepare
    the data themselves, keeping it across runs on the same data)."""
    return Trainer(config, prepare(config))
