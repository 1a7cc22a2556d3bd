"""The training engine beside the app: a child process that owns the Trainer, and the app's handle on it.

Why a process: a thread worker shares the GIL with Textual, which halves training speed and makes keys
late; a child process trains at full speed and the app never even imports torch (its first frame is fast).
The same `serve()` loop runs in a thread for tests (`EngineClient(in_thread=True)`).

Protocol (plain, picklable values over two one-way pipes):
  app -> engine: ("configure", Config) ("start",) ("pause",) ("step", n) ("epoch",) ("stop",) ("reset",)
                 ("set_lr", lr) ("speed", steps_per_second or None) ("retry_save",) ("quit",)
  engine -> app: ("ready", Setup) ("progress", Progress) ("ended", status, summary dict)
                 ("invalid", field, message) ("failed", message) ("saving", folder or None, error or None)
Progress is a delta (new step losses and epochs since the last one), sent at most every FLUSH_S while
running, so nothing is lost and the pipe never floods.

Runs on disk: the engine, which makes the epochs, also writes them (linreg_core.runs.RunRecorder), so a
finished epoch is on disk whatever happens to the app. A run begins at its first step and ends when it
finishes, diverges, is stopped, reset or reconfigured, or when the engine goes away (quit, the app's end
of the pipe closing, SIGTERM or SIGHUP): each of these writes the run's parameters and summary.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field

FLUSH_S = 0.05  # progress at most 20 times a second
MAX_CHUNK_S = 0.02  # one chunk of steps takes about this long at most, so commands are read promptly
SAMPLE_ROWS = 600  # rows sent for the scatter
# The engine yields the CPU to the app when they compete (it costs nothing when a core is free). Measured
# on 2 cores with tmux polling the screen: key latency at 100x30 33 -> 21 ms, at 160x48 65 -> 53 ms
# (median); training in the app without that load 17.0k -> 16.7k steps/s (noise).
ENGINE_NICE = 10


@dataclass(frozen=True)
class Setup:
    """What the app needs to draw a freshly configured experiment."""

    feature_names: tuple[str, ...]
    target_name: str
    true_weights: tuple[float, ...] | None
    true_bias: float | None
    ls_weights: tuple[float, ...]
    ls_bias: float
    sample_x: list[list[float]]  # up to SAMPLE_ROWS rows of features, data units
    sample_y: list[float]
    n_train: int
    batches_per_epoch: int
    epochs: int
    lr: float
    weights: tuple[float, ...]  # the initial parameters
    bias: float
    notices: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Progress:
    """What happened since the last Progress."""

    steps: list[int] = field(default_factory=list)  # step indices of the new losses
    losses: list[float] = field(default_factory=list)
    epochs: list = field(default_factory=list)  # new EpochResults
    step: int = 0  # steps done
    epoch: int = 0
    batch: int = 0
    lr: float = 0.0
    status: str = "running"
    weights: tuple[float, ...] = ()
    bias: float = 0.0
    steps_per_s: float = 0.0
    running: bool = False


class _Signalled(Exception):
    """SIGTERM or SIGHUP reached the engine process: end the run on disk and go."""


def _raise_signalled(_signum, _frame):
    raise _Signalled


def serve(config, commands, events, own_process: bool = False, runs_dir: str | None = None) -> None:
    """The engine's loop; returns on ("quit",), when the app's end of the pipe closes, or on a signal."""
    if own_process:  # the terminal belongs to the app: nothing this process prints may reach it
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the app decides when to stop, not a stray Ctrl+C
        try:
            os.nice(ENGINE_NICE)
        except (OSError, AttributeError):  # not allowed, or no nice() here: train at normal priority
            pass
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, _raise_signalled)
    engine = None
    try:
        engine = _Engine(config, events, runs_dir)
        engine.loop(commands)
    except (EOFError, BrokenPipeError, OSError, _Signalled):
        pass
    except Exception as e:  # anything unexpected reaches the app as a message, never a traceback
        try:
            events.send(("failed", f"{type(e).__name__}: {e}"))
        except (OSError, EOFError):
            pass
    finally:
        if own_process:  # a second signal must not cut the last writes short
            for sig in (signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, signal.SIG_IGN)
        if engine is not None:
            try:
                engine.end_run("interrupted", tell_app=False)
            except Exception:  # noqa: BLE001 - a trainer broken by the failure above: the epochs are on disk
                pass
    if own_process:
        # The run's files are closed above; skipping the interpreter's teardown of torch saves about half
        # a second on quit.
        os._exit(0)


class _Engine:
    def __init__(self, config, events, runs_dir: str | None = None):
        self.events = events
        self.runs_dir = runs_dir
        self.recorder = None  # the run being written, from its first step to its end
        self.last_recorder = None  # the one before, for retry_save
        self.trainer = None
        self.running = False
        self.budget = 0  # steps still to take while paused (step / epoch keys)
        self.speed: float | None = 100.0  # steps per second; None: flat out
        self.pending = Progress()
        self._reset_buffers()
        self.configure(config)

    # ------------------------------------------------------------- commands
    def loop(self, commands) -> None:
        while True:
            busy = self.running or self.budget > 0
            wait = self._wait_time() if busy else None
            if commands.poll(wait):
                if self.handle(commands.recv()) == "quit":
                    return
                continue
            if busy:
                self.train_chunk()
            self.flush()

    def handle(self, cmd):
        name, *args = cmd
        if name == "quit":
            return "quit"
        if name == "configure":
            self.configure(args[0])
        elif name == "start":
            if self.trainer.done:
                self._reset()
            self.running, self._t_last = True, time.perf_counter()
        elif name == "pause":
            self.running = False
            self.flush(force=True)
        elif name == "step" and not self.trainer.done:
            self.budget += args[0]
            self._t_last = time.perf_counter()
        elif name == "epoch" and not self.trainer.done:
            self.budget = self.trainer.batches_per_epoch - self.trainer.batch
            self._t_last = time.perf_counter()
        elif name == "stop":
            self.running, self.budget = False, 0
            self.flush(force=True)
            self._send_ended("interrupted" if not self.trainer.done else self.trainer.status)
        elif name == "reset":
            self._reset()
        elif name == "set_lr":
            self.trainer.set_lr(args[0])
            self.flush(force=True)
        elif name == "speed":
            self.speed = args[0]
        elif name == "retry_save":
            rec = self.recorder or self.last_recorder
            if rec is not None:
                rec.retry()
                self._send_saving(rec)
        return None

    # ------------------------------------------------------------- runs on disk
    def _begin_run(self) -> None:
        if self.runs_dir is None or self.recorder is not None or self.trainer.steps != 0:
            return
        from linreg_core.runs import RunRecorder

        ds = self.trainer.experiment.dataset
        self.recorder = RunRecorder(self.runs_dir, self.trainer.config, ds.feature_names, ds.target_name)
        self._send_saving(self.recorder)

    def end_run(self, status: str, summary: dict | None = None, tell_app: bool = True) -> None:
        """Write the current run's parameters and summary (if a run is being written) and close it."""
        rec = self.recorder
        if rec is None:
            return
        self.recorder = None
        if summary is None:
            from linreg_core.summary import summarize
            summary = summarize(self.trainer, status).as_dict()
        w, b = summary["weights"], summary["bias"]
        had_error = rec.error
        rec.finish(w, b, summary)
        rec.close()
        self.last_recorder = rec
        if tell_app and rec.error != had_error:
            self._send_saving(rec)

    def _send_saving(self, rec) -> None:
        self.events.send(("saving", None if rec.folder is None else str(rec.folder), rec.error))

    def configure(self, config) -> None:
        from linreg_core.errors import ConfigError, DataError
        from linreg_core.experiment import prepare
        from linreg_core.trainer import Trainer

        try:
            old = self.trainer.experiment if self.trainer is not None else None
            same_data = old is not None and _data_key(old.config) == _data_key(config)
            experiment = old if same_data else prepare(config)
            trainer = Trainer(config, experiment)
        except DataError as e:
            self.events.send(("invalid", e.field, str(e)))
            return
        except ConfigError as e:
            name, message = next(iter(e.errors.items()))
            self.events.send(("invalid", name, message))
            return
        self.end_run("interrupted")
        self.trainer, self.running, self.budget = trainer, False, 0
        self._reset_buffers()
        self.events.send(("ready", self._setup()))

    def _reset(self) -> None:
        self.end_run("interrupted")
        self.trainer.reset()
        self.running, self.budget = False, 0
        self._reset_buffers()
        self.events.send(("ready", self._setup()))

    # ------------------------------------------------------------- training
    def _wait_time(self) -> float:
        """Seconds until the speed limit allows the next step (0 when flat out or stepping by key)."""
        if self.speed is None or not self.running:
            return 0
        due = self._t_last + 1.0 / self.speed - time.perf_counter()
        return max(0.0, min(due, FLUSH_S))

    def train_chunk(self) -> None:
        now = time.perf_counter()
        if self.running and self.speed is not None:
            allowed = int((now - self._t_last) * self.speed)
            if allowed < 1:
                return
            self._t_last += allowed / self.speed
            n = allowed
        elif self.running:
            n = max(1, int(MAX_CHUNK_S / max(self._step_s, 1e-7)))
        else:
            n = self.budget
        n = min(n, 4096)
        self._begin_run()
        t0 = time.perf_counter()
        results = self.trainer.advance(n)
        spent = time.perf_counter() - t0
        self._step_s = 0.8 * self._step_s + 0.2 * spent / len(results)
        self._done_steps += len(results)
        if not self.running:
            self.budget = max(0, self.budget - len(results))
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
                        self._send_saving(self.recorder)
        if self.trainer.done:
            self.running, self.budget = False, 0
            self.flush(force=True)
            self._send_ended(self.trainer.status)
        elif not self.running and self.budget == 0:
            self.flush(force=True)

    def flush(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and (now - self._t_flush < FLUSH_S or not (self._steps or self._epochs)):
            return
        t = self.trainer
        w, b = t.parameters()
        rate = self._done_steps / max(now - self._t_flush, 1e-9) if self._done_steps else 0.0
        self.events.send(("progress", Progress(self._steps, self._losses, self._epochs, t.steps, t.epoch, t.batch,
                                               t.lr, t.status, tuple(w), b, rate, self.running)))
        self._steps, self._losses, self._epochs = [], [], []
        self._t_flush, self._done_steps = now, 0

    def _reset_buffers(self) -> None:
        self._steps, self._losses, self._epochs = [], [], []
        self._t_flush = self._t_last = time.perf_counter()
        self._done_steps, self._step_s = 0, 5e-5
        total = self.trainer.batches_per_epoch * self.trainer.config.train.epochs if self.trainer else 1
        self._stride = max(1, total // 20_000)  # at most ~20k loss points cross the pipe in a run

    def _send_ended(self, status: str) -> None:
        from linreg_core.summary import summarize

        summary = summarize(self.trainer, status).as_dict()
        self.end_run(status, summary)
        self.events.send(("ended", status, summary))

    def _setup(self) -> Setup:
        from linreg_core.summary import summarize

        t = self.trainer
        ds = t.experiment.dataset
        n = ds.X.shape[0]
        idx = list(range(n)) if n <= SAMPLE_ROWS else [round(i * (n - 1) / (SAMPLE_ROWS - 1)) for i in range(SAMPLE_ROWS)]
        s = summarize(t)
        w, b = t.parameters()
        return Setup(ds.feature_names, ds.target_name, ds.true_weights, ds.true_bias, s.ls_weights, s.ls_bias,
                     ds.X[idx].tolist(), ds.y[idx].reshape(-1).tolist(), t.n_train, t.batches_per_epoch,
                     t.config.train.epochs, t.lr, tuple(w), b, tuple(t.notices), ds.source)


def _data_key(config) -> tuple:
    """The settings that change the samples or the initial parameters (changing others keeps the data)."""
    return (config.data.weights, config.data.bias, config.data.samples, config.data.noise, config.data.csv,
            config.data.target, config.data.features, config.seed, config.init_params)


class EngineClient:
    """The app's handle: starts the engine, sends commands, receives events (from the pump worker)."""

    def __init__(self, config, in_thread: bool = False, runs_dir: str | None = None):
        ctx = mp.get_context("spawn")
        self._cmd_recv, self._cmd_send = ctx.Pipe(duplex=False)
        self._evt_recv, self._evt_send = ctx.Pipe(duplex=False)
        if in_thread:
            self._runner = threading.Thread(target=serve, args=(config, self._cmd_recv, self._evt_send, False,
                                                                runs_dir), daemon=True)
        else:
            self._runner = ctx.Process(target=serve, args=(config, self._cmd_recv, self._evt_send, True, runs_dir),
                                       daemon=True)
        # Textual replaces sys.stdout/stderr with objects whose fileno() is -1, which multiprocessing
        # would hand to the child; start it with the real streams in place.
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        try:
            self._runner.start()
        finally:
            sys.stdout, sys.stderr = saved
        if not in_thread:  # the child holds its own copies; close ours so EOF reaches each side
            self._cmd_recv.close()
            self._evt_send.close()

    def send(self, *cmd) -> None:
        try:
            self._cmd_send.send(cmd)
        except (OSError, EOFError, BrokenPipeError):
            pass

    def poll(self, timeout: float) -> bool:
        return self._evt_recv.poll(timeout)

    def recv(self):
        return self._evt_recv.recv()

    def close(self, timeout: float = 0.5) -> None:
        """Ask the engine to quit; make sure it is gone within about `timeout` seconds."""
        self.send("quit")
        self._runner.join(timeout)
        if isinstance(self._runner, mp.process.BaseProcess) and self._runner.is_alive():
            self._runner.terminate()
            self._runner.join(0.5)
        for conn in (self._cmd_send, self._evt_recv):
            conn.close()
