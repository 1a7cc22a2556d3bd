"""The run-state machine: one Trainer, the run state, and the recording of each run on disk. UI-free and
process-free: the app's engine process drives it from a pipe, `linreg train` drives it directly, the tests
drive it with random command sequences. states.py tells what each command does in each state.

It takes typed commands (commands.py) through one table (ACTIONS, at the end) and says everything it has to
say through `emit(event)` (events.py); the caller decides how often to `flush()` progress. Every state
change flushes the progress first, so a listener that sees FINISHED has every step before it.
"""
from __future__ import annotations

import time
from typing import Callable

from . import commands as c
from ..settings.errors import ConfigError, DataError, LinregError
from .events import Ended, Invalid, Progress, Saving, Setup, Theorized, TheoryCurve, TheoryView, Traced
from .run_states import COMMON_ACTIONS, StateCommands
from ..model.results import EARLY_STOPPED, Outcome, Status, StepResult
from .states import DIVERGED, FINISHED, IDLE, LOADING, PAUSED, RUNNING, STOPPED

SAMPLE_ROWS = 600  # rows of the data sent for the scatter
MAX_LOSS_POINTS = 20_000  # per run, at most about this many step losses are reported (thinned evenly)
THEORY_BUDGET = 2e9  # multiply-adds the predicted curve may cost on the engine thread at a setup (theory_of)
THEORY_POINTS = 2_000  # epochs of the predicted curve sent at most (thinned evenly, the last kept)


class RunController(StateCommands):
    def __init__(self, emit: Callable[[tuple], None], runs_dir: str | None = None):
        self.emit = emit
        self.runs_dir = runs_dir  # None: runs are not kept on disk
        self.trainer = None
        self.state = LOADING
        self.reason: str | None = None
        self.budget = 0  # steps still to take while paused (n / N)
        self.recorder = None  # the current run's folder (kept after its end: continue and retry use it)
        self.run_open = False  # a run has begun (first step taken) and not ended
        self.last_summary = None  # the Summary of the last ended run
        self._trace_pending = False  # a trace asked for while steps were still to be taken
        self.landscape: dict | None = None  # the surface panel's settings while it is shown
        self._t_landscape = 0.0
        self._theory_for = None  # (config, experiment) of the last Theorized sent (a reset sends it again)
        self._theory_sent = None
        self._reset_buffers()

    # ---------------------------------------------------------------- commands
    def _configure(self, command: c.Configure) -> None:
        try:
            self.load(command.settings)
        except DataError as e:
            self.emit(Invalid(e.field, str(e)))
        except ConfigError as e:
            field, message = next(iter(e.errors.items()))
            self.emit(Invalid(field, message))

    def _retry_save(self, _: c.RetrySave) -> None:
        if self.recorder is not None:
            self.recorder.retry()
            self._send_saving()

    def load(self, config) -> None:
        """Prepare config's experiment (reusing the data when only training settings changed) and make it the
        current one. Raises LinregError and changes nothing when the settings are refused."""
        from ..data.experiment import data_key, prepare
        from ..training.trainer import Trainer

        old = self.trainer.experiment if self.trainer is not None else None
        same_data = old is not None and data_key(old.config) == data_key(config)
        before = self.state
        if not same_data:
            self._set_state(LOADING, "preparing the data")
        try:
            trainer = Trainer(config, old if same_data else prepare(config))
        except LinregError:
            self._set_state(before)
            raise
        self._end_run(Outcome.STOPPED)
        self.trainer = trainer
        self._fresh_run()
        self._set_state(RUNNING if before == RUNNING else IDLE)

    def _continue(self, _: c.Continue) -> None:
        if self.state not in (FINISHED, STOPPED):
            return
        t = self.trainer
        if t.done:  # finished (or stopped early): `epochs` more
            t.extend(t.config.train.epochs)
        self.run_open = True
        self.budget = 0
        self._set_state(RUNNING, "continued")

    @property
    def loaded(self) -> bool:
        return self.trainer is not None

    def _to_epoch_end(self) -> int:
        return self.trainer.batches_per_epoch - self.trainer.batch

    def _landscape_view(self, s: dict):
        from ..analysis.landscape import view

        return view(self.trainer, s["i"], s["j"], s.get("held", "current"), s.get("zoom", 1.0), s.get("nx", 60),
                    s.get("ny", 30))

    def _trace(self, _: c.Trace | None = None) -> None:
        """The last step under the microscope (microscope.py), or None before a first step; with steps still
        to take (n just pressed), once they are taken."""
        if self.state == PAUSED and self.budget > 0:
            self._trace_pending = True
            return
        from ..analysis.microscope import last_step

        self._trace_pending = False
        self.emit(Traced(last_step(self.trainer)))

    def _set_lr(self, command: c.SetLr) -> None:
        self.trainer.set_lr(command.lr)
        self.flush(force=True)
        self._send_theory()

    def _fresh_run(self) -> None:
        super()._fresh_run()
        self._send_theory()

    def _send_theory(self) -> None:
        """Theorized for the current experiment and settings: computed once per setup and lr, never per step
        (a reset sends the same one again)."""
        t = self.trainer
        key = (t.config, t.experiment)
        if self._theory_for is None or self._theory_for[0] != key[0] or self._theory_for[1] is not key[1]:
            self._theory_for, self._theory_sent = key, theorized(t)
        self.emit(self._theory_sent)

    # ---------------------------------------------------------------- training
    def advance(self, n: int) -> list[StepResult]:
        """Take up to n steps if the state asks for steps (running, or paused with steps to take)."""
        if not self.wants_steps:
            return []
        if self.state == PAUSED:
            n = min(n, self.budget)
        self._begin_run()
        t0 = time.perf_counter()
        results = self.trainer.advance(max(1, n))
        self._step_s = 0.8 * self._step_s + 0.2 * (time.perf_counter() - t0) / len(results)
        self._done_steps += len(results)
        if self.state == PAUSED:
            self.budget = max(0, self.budget - len(results))
        if results:
            self._last_loss = results[-1].loss  # the status line's batch loss: the newest, not the last kept
        for r in results:
            if r.step % self._stride == 0:
                self._steps.append(r.step)
                self._losses.append(r.loss)
            if r.epoch_result is not None:
                self._epochs.append(r.epoch_result)
                if self.recorder is not None:
                    had_error = self.recorder.error
                    self.recorder.add_epoch(r.epoch_result)
                    if self.recorder.error != had_error:
                        self._send_saving()
        t = self.trainer
        if t.done:
            outcome = t.status  # finished, early_stopped or diverged
            self.budget = 0
            self._end_run(outcome)
            reason = "stopped early" if outcome == EARLY_STOPPED else None
            self._set_state(DIVERGED if outcome == Status.DIVERGED else FINISHED, reason)
        elif self.state == PAUSED and self.budget == 0:
            self.flush(force=True)
        if self._trace_pending and not self.wants_steps:
            self._trace()
        return results

    @property
    def step_seconds(self) -> float:
        """A running average of the time one step takes (to size the next chunk)."""
        return self._step_s

    def flush(self, force: bool = False, every: float = 0.0) -> None:
        """Emit a Progress if anything happened (or force), and at most once per `every` seconds."""
        now = time.perf_counter()
        if self.trainer is None:
            return
        if not force and (now - self._t_flush < every or not (self._steps or self._epochs)):
            return
        t = self.trainer
        w, b = t.parameters()
        rate = self._done_steps / max(now - self._t_flush, 1e-9) if self._done_steps else 0.0
        self.emit(Progress(self._steps, self._losses, self._epochs, t.steps, t.epoch, t.batch, t.lr, tuple(w), b, rate,
                           t.target_epochs, None if t.diagnosis is None else t.diagnosis.as_dict(), self._last_loss))
        self._steps, self._losses, self._epochs = [], [], []
        self._t_flush, self._done_steps = now, 0
        self._send_landscape(force=force)

    # ---------------------------------------------------------------- runs
    def _restart(self) -> None:
        self.trainer.reset()

    def _new_recorder(self):
        from ..storage.runs import RunRecorder

        t = self.trainer
        ds = t.experiment.dataset
        return RunRecorder(self.runs_dir, t.config, ds.feature_names, ds.target_name)

    def _end_run(self, outcome: str) -> None:
        """Write the run's parameters and summary and tell the listener, if a run is open."""
        if not self.run_open:
            return
        from ..analysis.summary import summarize

        self.run_open = False
        self.flush(force=True)
        summary = summarize(self.trainer, outcome)
        self.last_summary = summary
        as_dict = summary.as_dict()
        rec = self.recorder
        if rec is not None:
            had_error = rec.error
            rec.finish(summary.weights, summary.bias, as_dict)
            rec.close()
            if rec.error != had_error:
                self._send_saving()
        self.emit(Ended(Outcome(outcome), as_dict))

    def _send_saving(self) -> None:
        rec = self.recorder
        self.emit(Saving(None if rec.folder is None else str(rec.folder), rec.error))

    # ---------------------------------------------------------------- state and values
    def _reset_buffers(self) -> None:
        self._steps, self._losses, self._epochs = [], [], []
        self._t_flush = time.perf_counter()
        self._done_steps, self._step_s = 0, 5e-5
        self._last_loss = float("nan")
        t = self.trainer
        total = t.batches_per_epoch * t.target_epochs if t is not None else 1
        self._stride = max(1, total // MAX_LOSS_POINTS)

    def _setup(self) -> Setup:
        return experiment_setup(self.trainer)


RunController.ACTIONS = {**COMMON_ACTIONS, c.Configure: RunController._configure,
                         c.RetrySave: RunController._retry_save, c.Continue: RunController._continue,
                         c.SetLr: RunController._set_lr, c.Trace: RunController._trace,
                         c.ScaleLr: None}  # a race's


OPTIMUM_IN_SETUP_CELLS = 2_000_000  # samples × (features + 1) below which Setup carries the loss's optimum


def experiment_setup(t) -> Setup:
    """What a view needs to draw a trainer's experiment at its current parameters (a race: its lane 1)."""
    ds = t.experiment.dataset
    n = ds.X.shape[0]
    idx = list(range(n)) if n <= SAMPLE_ROWS else [round(i * (n - 1) / (SAMPLE_ROWS - 1)) for i in range(SAMPLE_ROWS)]
    from ..model.reference import metrics

    ls_w, ls_b = t.least_squares()
    best = metrics(*t.split.raw_train, ls_w, ls_b, "mse")
    w, b = t.parameters()
    # The optimum of MAE or Huber is iterative (13 s at 1M × 16): computed here only on small data, so the
    # first frame never waits on it; a large table's views fall back to least squares and say so.
    n, d = t.split.X_train.shape
    opt = t.loss_optimum() if t.config.train.loss == "mse" or n * (d + 1) <= OPTIMUM_IN_SETUP_CELLS else None
    return Setup(ds.feature_names, ds.target_name, ds.true_weights, ds.true_bias, ls_w, ls_b,
                 ds.X[idx].tolist(), ds.y[idx].reshape(-1).tolist(), t.n_train, t.batches_per_epoch,
                 t.target_epochs, t.lr, tuple(w), b, tuple(t.notices), ds.source, best.r2, best.mse,
                 *((tuple(opt.weights), opt.bias) if opt is not None else ()))


def theorized(t, budget: float = THEORY_BUDGET) -> Theorized:
    """The theory of a trainer's configured run (analysis/theory.py) as a plain event, or why there is none."""
    from ..analysis.theory import NotApplicable, theory

    got = theory(t.config, t.experiment, budget)
    if isinstance(got, NotApplicable):
        return Theorized(None, got.reason)
    std = t.split.standardizer
    d = len(got.optimum) - 1
    x_mean, x_scale, y_mean, y_scale = (tuple(std.mean.tolist()), tuple(std.scale.tolist()), std.y_mean, std.y_scale) \
        if t.split.standardized else ((0.0,) * d, (1.0,) * d, 0.0, 1.0)
    sp, dr = got.spectrum, got.directions
    names = tuple(f"w[{n}]" for n in got.feature_names) + ("b",)  # (tui/text.py's param_names)
    return Theorized(TheoryView(got.lr, got.optimizer, sp.eigenvalues, sp.eigenvectors, sp.condition, got.stable_lr,
                                sp.best_lr, got.lr_position, dr.rate, dr.epochs_to_shrink, dr.initial_error,
                                got.optimum, names, x_mean, x_scale, y_mean, y_scale, _curve(got.prediction),
                                got.prediction_reason))


def _curve(p) -> TheoryCurve | None:
    if p is None:
        return None
    n = len(p.epoch_mean)
    idx = list(range(n)) if n <= THEORY_POINTS else \
        sorted({round(i * (n - 1) / (THEORY_POINTS - 1)) for i in range(THEORY_POINTS)})
    sd = None if p.epoch_sd is None else tuple(p.epoch_sd[i] for i in idx)
    return TheoryCurve(p.kind, p.method, p.steps_per_epoch, p.batch_size, tuple(idx), tuple(p.epoch_mean[i] for i in idx),
                       sd, p.step_mean[0] if p.step_mean else float("nan"), p.floor, p.optimum_loss,
                       p.diverges_at_step, p.note, p.error_steps, p.error_rms)
