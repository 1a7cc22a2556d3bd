"""The training engine beside the app: a child process around linreg_core's RunController, and the app's
handle on it. The controller owns the run state and the runs on disk; this file is the process, the pipes,
the speed limit and the progress cadence, nothing else.

Why a process: a thread worker shares the GIL with Textual, which halves training speed and makes keys
late; a child process trains at full speed and the app never even imports torch (its first frame is fast).
The same `serve()` loop runs in a thread for tests (`EngineClient(in_thread=True)`).

Protocol (typed, picklable values over two one-way pipes):
  app -> engine: linreg_core/session/commands.py: the controller's (Configure, Toggle, Step, …) and the engine's own:
                 Speed(steps per second or None), Ping(n), Quit(), Race([Config]) (the race controller takes
                 over the commands: linreg_core/session/race_controller.py) and Single() (back to the run controller,
                 which then waits for a Configure). Anything else is an error: the engine says Failed and ends.
  engine -> app: the controller's events (linreg_core/session/events.py, race_controller.py), Pong(n) once every
                 command sent before Ping(n) is handled, and Failed(message)
Commands are read in order, so a key sent while the experiment is still loading acts once it is ready.

Signals (SIGTERM, SIGHUP) only set a flag: the loop sees it between chunks of steps, ends the run on disk
in order and returns. A handler never raises, so no write is ever cut in half, and a second signal is
absorbed. The loop waits on the command pipe and on the signal wake-up pipe together, so an idle engine
answers a signal at once.
"""
from __future__ import annotations

import multiprocessing as mp
import multiprocessing.connection as mpc
import os
import signal
import sys
import threading
import time

from linreg_core.session import commands as c
from linreg_core.session.events import Failed, Pong, StateChanged
from linreg_core.model.results import Outcome
from linreg_core.session.states import State

FLUSH_S = 0.05  # progress at most 20 times a second
MAX_CHUNK_S = 0.02  # one chunk of steps takes about this long at most, so commands are read promptly
MAX_CHUNK = 4096
# The engine yields the CPU to the app when they compete (it costs nothing when a core is free). Measured
# on 2 cores with tmux polling the screen: key latency at 100x30 33 -> 21 ms, at 160x48 65 -> 53 ms
# (median); training in the app without that load 17.0k -> 16.7k steps/s (noise).
ENGINE_NICE = 10


class _Signals:
    """SIGTERM/SIGHUP as a flag and a wake-up byte (only in the engine's own process)."""

    def __init__(self):
        self.received: int | None = None
        self._r, self._w = os.pipe()
        os.set_blocking(self._w, False)
        os.set_blocking(self._r, False)
        signal.set_wakeup_fd(self._w, warn_on_full_buffer=False)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self._note)

    def _note(self, signum, _frame) -> None:
        if self.received is None:
            self.received = signum

    def fileno(self) -> int:
        return self._r


def serve(config, commands, events, own_process: bool = False, runs_dir: str | None = None) -> None:
    """The engine's loop; returns on ("quit",), when the app's end of the pipe closes, or on a signal."""
    signals = None
    if own_process:  # the terminal belongs to the app: nothing this process prints may reach it
        signals = _Signals()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the app decides when to stop, not a stray Ctrl+C
        try:
            os.nice(ENGINE_NICE)
        except (OSError, AttributeError):  # not allowed, or no nice() here: train at normal priority
            pass
    engine = None
    try:
        from linreg_core.session.controller import RunController

        engine = _Engine(RunController(events.send, runs_dir), signals, runs_dir)
        if not engine.signalled:
            engine.controller.handle(c.Configure(config))
            engine.loop(commands)
    except (EOFError, BrokenPipeError, OSError):
        pass
    except Exception as e:  # anything unexpected reaches the app as a message, never a traceback
        try:
            events.send(Failed(f"{type(e).__name__}: {e}"))
        except (OSError, EOFError):
            pass
    finally:
        if engine is not None:
            engine.end_quietly()
    if own_process:
        # The run's files are closed above; skipping the interpreter's teardown of torch saves about half
        # a second on quit.
        os._exit(0)


class _Engine:
    """The controller, paced: reads commands, trains in chunks, flushes progress every FLUSH_S."""

    def __init__(self, controller, signals: _Signals | None, runs_dir: str | None = None):
        self.controller = controller
        self.single = controller  # the run controller; a race's takes the commands while racing
        self.runs_dir = runs_dir
        self.signals = signals
        self.speed: float | None = 100.0  # steps per second; None: flat out
        self._t_last = time.perf_counter()  # when the speed limit last allowed steps

    @property
    def signalled(self) -> bool:
        return self.signals is not None and self.signals.received is not None

    def loop(self, commands) -> None:
        ctl = self.controller
        waitables = [commands] + ([self.signals] if self.signals is not None else [])
        while not self.signalled:
            busy = ctl.wants_steps
            ready = mpc.wait(waitables, self._wait_time() if busy else None)
            if self.signalled:
                return
            if commands in ready:
                command = commands.recv()
                if isinstance(command, c.Quit):
                    return
                if isinstance(command, c.Speed):
                    self.speed = command.steps_per_s
                elif isinstance(command, c.Ping):  # every command before it has been handled: its events are out
                    ctl.emit(Pong(command.n))
                elif isinstance(command, (c.Race, c.Single)):
                    ctl = self._switch(command)
                else:
                    ctl.handle(command)  # UnknownCommand for anything else
                if ctl.wants_steps and not busy:
                    self._t_last = time.perf_counter()  # the speed limit counts from now
                continue
            if busy:
                self.train_chunk()
            ctl.flush(every=FLUSH_S)

    def _switch(self, command: c.Race | c.Single):
        """Into a race on these configs (the run in progress ends as stopped), or back to the single run."""
        from linreg_core.session.race_controller import RaceController

        if isinstance(command, c.Race):
            if self.controller is self.single:
                self.single.handle(c.Reset())
                self.controller = RaceController(self.single.emit, self.runs_dir)
            self.controller.handle(c.Configure(command.configs))
        elif self.controller is not self.single:
            self.controller.end(Outcome.STOPPED)
            self.controller = self.single
            self.single.emit(StateChanged(self.single.state, self.single.reason))
        return self.controller

    def _wait_time(self) -> float:
        """Seconds until the speed limit allows the next step (0 when flat out or stepping by key)."""
        if self.speed is None or self.controller.state != State.RUNNING:
            return 0
        due = self._t_last + 1.0 / self.speed - time.perf_counter()
        return max(0.0, min(due, FLUSH_S))

    def train_chunk(self) -> None:
        ctl = self.controller
        if ctl.state == State.RUNNING and self.speed is not None:
            now = time.perf_counter()
            allowed = int((now - self._t_last) * self.speed)
            if allowed < 1:
                return
            self._t_last += allowed / self.speed
            n = allowed
        else:
            n = max(1, int(MAX_CHUNK_S / max(ctl.step_seconds, 1e-7)))
        ctl.advance(min(n, MAX_CHUNK))

    def end_quietly(self) -> None:
        """The engine is going away: the run in progress ends as interrupted; a trainer broken by an
        unexpected error cannot take the rest down (every finished epoch is on disk already)."""
        for ctl in {id(c): c for c in (self.controller, self.single)}.values():
            ctl.emit = _ignore  # the app may be gone; nothing more is said
            try:
                ctl.end(Outcome.INTERRUPTED)
            except Exception:  # noqa: BLE001
                pass


def _ignore(_event) -> None:
    pass


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

    # Read-only views of the engine's process, for tests and tools (a thread's engine has no pid or exit code).
    @property
    def pid(self) -> int | None:
        """The engine process's id; None for an engine in a thread."""
        return getattr(self._runner, "pid", None)

    @property
    def alive(self) -> bool:
        """Whether the engine (process or thread) is still running."""
        return self._runner.is_alive()

    @property
    def exitcode(self) -> int | None:
        """The engine process's exit status once it has ended (negative: the signal that ended it); None while
        it runs, and for an engine in a thread."""
        return getattr(self._runner, "exitcode", None)

    def send(self, command) -> None:
        """One command (linreg_core/session/commands.py)."""
        try:
            self._cmd_send.send(command)
        except (OSError, EOFError, BrokenPipeError):
            pass

    def poll(self, timeout: float) -> bool:
        return self._evt_recv.poll(timeout)

    def recv(self):
        return self._evt_recv.recv()

    def close(self, timeout: float = 0.5) -> None:
        """Ask the engine to quit; make sure it is gone soon after `timeout` seconds (then terminated, killed)."""
        self.send(c.Quit())
        self._runner.join(timeout)
        if isinstance(self._runner, mp.process.BaseProcess) and self._runner.is_alive():
            # SIGTERM: the engine's handler only sets a flag, seen between chunks, so an engine stuck in one
            # long computation (or a loaded machine) may not end within the wait; then SIGKILL (the run's
            # finished epochs are on disk already)
            self._runner.terminate()
            self._runner.join(0.5)
            if self._runner.is_alive():
                self._runner.kill()
                self._runner.join(2.0)
        for conn in (self._cmd_send, self._evt_recv):
            conn.close()
