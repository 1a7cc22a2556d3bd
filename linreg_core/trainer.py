"""The Trainer owns all training state and advances one mini-batch per step().

Pause is "stop calling step()", resume is "call it again"; nothing here knows about threads or screens.
The default path computes gradients analytically with the exact operations autograd performs on the
tutorial's loss (see losses.py), inside torch.inference_mode(): the same numbers at several times the speed.
"""
from __future__ import annotations

import math
from typing import Iterator

import torch

from . import diagnosis, landscape, losses, optim, reference, schedules
from .optimum import Optimum, optimum
from .batching import Batches, Shuffler, batch_count
from .config import FIELDS, Config
from .data import Split, split
from .experiment import Experiment, prepare, resolve_device
from .results import (DIVERGED, EARLY_STOPPED, FINISHED, RUNNING, Divergence, EpochResult, StepResult)

EXPLODE_FACTOR = 1e6  # a batch loss this many times the first one (or 1) counts as divergence


class Trainer:
    def __init__(self, config: Config, experiment: Experiment | None = None, prepared: Split | None = None):
        """prepared: the split of the same data, standardization, dtype and device made for another trainer (a
        race's lanes share one), instead of making it again."""
        self.config = config
        self.experiment = experiment if experiment is not None else prepare(config)
        self.device = resolve_device(config.device)
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
        self._batches = Batches(self.split.X_train, self.split.y_train, self.batch_size,
                                Shuffler(self.n_train, config.seed, tc.shuffle), self._use_autograd)
        self._penalized = bool(tc.l1 or tc.l2)
        self._stacked = tc.optimizer != "sgd"  # see _update()
        self._watch = diagnosis.Watch(self.data_facts)
        self.path = landscape.PathBuffer()  # the parameters after every step (thinned), training units
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
        self._w = torch.tensor(w0, dtype=self.dtype, device=self.device).reshape(-1, 1)  # (d, 1)
        self._b = torch.tensor(b0, dtype=self.dtype, device=self.device)  # ()
        self._prev = (self._w, self._b)
        self._optimizer = optim.make(self.config.train.optimizer)
        self._batches.reset()
        self.epoch = self.batch = self.steps = 0
        self.status = RUNNING
        self.divergence: Divergence | None = None
        self.diagnosis: diagnosis.Diagnosis | None = None  # what looks wrong now (None: nothing seen)
        self.last_step = None  # the last step's tensors, as taken (microscope.py reads them)
        self.path.clear()
        self.path.add(self._w, self._b)
        self._watch.reset()
        self._epoch_sum = 0.0
        self._explode_at = math.inf
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
        cache = self.split.cache
        if "least_squares" not in cache:
            cache["least_squares"] = reference.least_squares(*self.split.raw_train)
        return cache["least_squares"]

    def loss_optimum(self) -> Optimum:
        """The minimizer of this run's loss (unpenalized) on the training samples, in data units (optimum.py):
        least squares for MSE, least absolute deviations for MAE, Huber's own for Huber (whose δ applies in
        training units, so a standardized target changes it). Computed once per split and loss."""
        loss, scale = self.config.train.loss, self.split.standardizer.y_scale
        key = ("optimum", loss, scale)
        cache = self.split.cache
        if key not in cache:
            cache[key] = optimum(*self.split.raw_train, loss, scale, self.least_squares())
        return cache[key]

    def data_facts(self) -> diagnosis.DataFacts:
        """How hard the training data are to descend for this loss (diagnosis.py); computed once per split."""
        key = ("facts", self.config.train.loss)
        cache = self.split.cache
        if key not in cache:
            best = self.loss_optimum()
            w, b = list(best.weights), best.bias
            if self.split.standardized:
                w, b = self.split.standardizer.to_training_units(list(w), b)
            cache[key] = diagnosis.data_facts(self.split.X_train, self.split.y_train, (w, b), self.config.train.loss)
        return cache[key]

    def _diagnose(self, kind: str, progress: float | None = None) -> diagnosis.Diagnosis:
        """What was seen now, with its causes; a condition already seen keeps the epoch it was first seen at."""
        tc, data = self.config.train, self.config.data
        run = diagnosis.Run(self.base_lr, tc.loss, tc.optimizer, self.batch_size,
                            self.batches_per_epoch * self._target_epochs, self.batches_per_epoch,
                            (tuple(self._initial[0]), self._initial[1]), data.standardize, data.standardize_target,
                            tc.schedule)
        causes = diagnosis.causes(self.data_facts(), kind, run, self.experiment.dataset.feature_names)
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
            return self.loss.value(self.split.X_train.mm(self._w) + self._b, self.split.y_train).item()

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
        self._lr_t = None  # its tensor, made by the next advance() (a race's lanes never need one)

    def training_parameters(self) -> tuple[list[float], float]:
        """Current weights and bias as trained (standardized units when standardizing)."""
        return self._w.reshape(-1).tolist(), self._b.item()

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
        if self.batch == 0:
            self._batches.begin_epoch()
        first, stop = self.batch, min(self.batches_per_epoch, self.batch + max(1, max_steps))
        results: list[StepResult] = []
        lr, epoch, step0 = self._lr, self.epoch, self.steps - first
        if self._lr_t is None:
            self._lr_t = torch.tensor(self._lr, dtype=self.dtype, device=self.device)
        with torch.no_grad() if self._use_autograd else torch.inference_mode():
            for batch in range(first, stop):
                xt, x, y = self._batches.get(batch)
                if self._use_autograd:
                    loss, grads, g = (*self._autograd(x, y), None)
                else:
                    loss, grads, g = self._analytic(xt, x, y)
                if not loss < self._explode_at:  # nan, inf or exploding
                    self._advance_counters(batch - first)
                    results.append(self._diverge(loss))
                    return results
                if self._explode_at == math.inf:
                    self._explode_at = EXPLODE_FACTOR * max(loss, 1.0)
                raw = grads
                if self._penalized:
                    grads = self._penalize(grads)
                self._prev, (self._w, self._b) = (self._w, self._b), self._update(grads)
                self.last_step = (step0 + batch, epoch, batch, x, y, g, raw, self._prev, lr)  # microscope.py
                self.path.add(self._w, self._b)  # landscape.py draws it
                self._epoch_sum += loss
                results.append(StepResult(step0 + batch, epoch, batch, loss, lr, RUNNING, None))
        self._advance_counters(stop - first)
        if self.batch == self.batches_per_epoch:
            epoch_result = self._end_epoch()
            results[-1] = results[-1]._replace(status=self.status, epoch_result=epoch_result)
        return results

    def _advance_counters(self, n: int) -> None:
        self.batch += n
        self.steps += n

    def _update(self, grads):
        """The update rule on [w, b]. A rule with state runs once on both stacked as one (d + 1, 1) tensor:
        the same arithmetic element by element in half the operations (Adam: 80 -> 60 µs a step on the
        tutorial's data); SGD's two operations a parameter cost less than stacking them."""
        if not self._stacked:
            return self._optimizer.update([self._w, self._b], grads, self._lr_t)
        p = torch.cat([self._w, self._b.reshape(1, 1)])
        g = torch.cat([grads[0], grads[1].reshape(1, 1)])
        new = self._optimizer.update([p], [g], self._lr_t)[0]
        return new[:-1], new[-1, 0]

    def _analytic(self, xbt, xb, yb):
        d = xb.mm(self._w).add_(self._b).sub_(yb)  # ŷ − y: (m, 1)
        loss, g = self.loss.value_and_grad(d, len(yb))  # g = ∂loss/∂ŷ: (m, 1)
        return loss.item(), [xbt.mm(g), g.sum()], g  # ∂loss/∂w = Xᵀg: (d, 1), ∂loss/∂b: ()

    def _autograd(self, xb, yb):
        w = self._w.detach().clone().requires_grad_()
        b = self._b.detach().clone().requires_grad_()
        with torch.enable_grad():
            loss = self.loss.value(torch.matmul(xb, w) + b, yb)
            loss.backward()
        return loss.item(), [w.grad, b.grad]

    def _penalize(self, grads):
        """Add the penalties' gradients to the weights' (never the bias'): l2·w + l1·sign(w)."""
        tc = self.config.train
        gw = grads[0]
        if tc.l2:
            gw = gw + tc.l2 * self._w
        if tc.l1:
            gw = gw + tc.l1 * self._w.sign()
        return [gw, grads[1]]

    def _end_epoch(self, trained: tuple[list[float], float] | None = None,
                   test_loss: float | None = None) -> EpochResult:
        """trained, test_loss: the parameters as trained and the test loss when a race already has them."""
        tc = self.config.train
        if trained is None:
            test_loss = self._test_loss()
            weights, bias = self.parameters()
        else:
            weights, bias = self._to_data_units(*trained)
        result = EpochResult(self.epoch, self._epoch_sum, self._epoch_sum / self.batches_per_epoch, test_loss,
                             self._lr, tuple(weights), bias, self.steps)
        if not all(math.isfinite(v) for v in (*weights, bias)):
            self._diverge(math.nan)
            return result
        self.epoch += 1
        self.batch = 0
        self._epoch_sum = 0.0
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

    def _test_loss(self) -> float | None:
        if self.split.X_test is None:
            return None
        with torch.inference_mode():
            return self.loss.value(self.split.X_test.mm(self._w) + self._b, self.split.y_test).item()

    # ------------------------------------------------- driven by a race (race.py)
    def adopt_epoch(self, w: torch.Tensor, b: torch.Tensor, loss_sum: float, trained: tuple[list[float], float],
                    test_loss: float | None) -> EpochResult:
        """A race's group stepped this lane through an epoch: take its parameters (w: (d, 1), b: ()), the sum
        of its batch losses, the same parameters as python floats and its test loss, and end the epoch as
        advance() does (schedule, patience, diagnosis)."""
        self._w, self._b, self._epoch_sum = w, b, loss_sum
        self.path.add(w, b)
        self._advance_counters(self.batches_per_epoch - self.batch)
        return self._end_epoch(trained, test_loss)

    def adopt_params(self, w: torch.Tensor, b: torch.Tensor) -> None:
        """A race's group moved this lane mid-epoch: its parameters (views of the group's) and a point of its
        path (a point per chunk of steps: the group does not stop for each lane's every step)."""
        self._w, self._b = w, b
        self.path.add(w, b)

    def adopt_divergence(self, batch: int, loss: float, params, previous) -> StepResult:
        """A race's group saw this lane's loss at `batch` (0-based) explode: params and previous are its
        (w: (d, 1), b: ()) now and one step before; the last finite of them are kept, as advance() does."""
        (self._w, self._b), self._prev = params, previous
        self._advance_counters(batch - self.batch)
        return self._diverge(loss)

    def _diverge(self, loss: float) -> StepResult:
        reason = "non-finite" if not math.isfinite(loss) else "exploding"
        # the step being taken is steps + 1, the batch being read batch + 1 (counters count what is done)
        self.divergence = Divergence(self.epoch, self.batch + 1, self.steps + 1, loss, reason, self._lr)
        self.status = DIVERGED
        finite = bool(torch.isfinite(self._w).all()) and math.isfinite(self._b.item())
        if not finite:  # keep the last parameters that were finite
            self._w, self._b = self._prev
        self.diagnosis = self._diagnose(diagnosis.DIVERGED)
        return StepResult(self.steps, self.epoch, self.batch, loss, self._lr, DIVERGED, None)

