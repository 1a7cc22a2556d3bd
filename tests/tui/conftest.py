"""Pilot helpers: the app with its engine in a thread of the test process (same serve() loop as the
real child process, without paying a process start and a torch import per test)."""
import asyncio

import pytest

from linreg_core.settings.config import Config
from tui.app import make_app


async def wait_until(pilot, predicate, timeout: float = 30.0, what: str = "condition"):
    """Let the app run until predicate() holds; fail (not hang) if it never does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def finish_run(pilot, what: str = "the run to finish"):
    """Flat out, space, and wait until the run has finished."""
    await pilot.press("plus", "plus", "plus", "plus", "space")
    await wait_until(pilot, lambda: pilot.app.main_screen.run_state == "finished", what=what)


@pytest.fixture
def app_factory():
    def make(runs_dir=None, **options):
        return make_app(Config().replace(**options) if options else Config(), in_thread=True, runs_dir=runs_dir)
    return make


class EngineWatch:
    """The engine's side of a Pilot test: every event the app's engine sent, as its EngineClient received them
    (EngineClient.recv, wrapped), and a way to know that the app has taken in the engine's answer to every
    command sent so far (a Ping of our own: the engine answers Pong(n) once everything before it is handled).

    The app shows the state a key leads to at once (its guess); `state` is what the engine itself reported."""

    FIRST_PING = 10**9  # far from the app's own pings (counted from 1), which the app alone awaits

    def __init__(self):
        self.events: list = []
        self.started = 0  # EngineClients made (the app's engine started, or restarted)
        self.client = None  # the EngineClient that received last (a restarted engine is a new one)
        self._n = self.FIRST_PING
        self._answered: set[int] = set()  # our pings whose Pong the pump has received
        self._posted: set[int] = set()  # ... and whose message the pump has handed to the app since

    def received(self, client, event) -> None:
        from linreg_core.session.events import Pong

        self.client = client
        self.events.append(event)
        if isinstance(event, Pong) and event.n >= self.FIRST_PING:
            self._answered.add(event.n)

    def polled(self) -> None:
        """The pump asks for the next event only after posting the last one's message (tui/app.py _pump)."""
        self._posted |= self._answered

    def of(self, kind) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    @property
    def state(self):
        """The run state the engine last reported (its StateChanged), None before any."""
        from linreg_core.session.events import StateChanged

        changes = self.of(StateChanged)
        return changes[-1].state if changes else None

    @property
    def step(self) -> int:
        """The step count the engine last reported (its Progress)."""
        from linreg_core.session.events import Progress

        progress = self.of(Progress)
        return progress[-1].step if progress else 0

    async def caught_up(self, pilot, timeout: float = 30.0) -> None:
        """Wait until the engine has handled every command sent before now and the app has handled every event
        the engine sent before its answer (a message posted after the Pong's own, run in order)."""
        from linreg_core.session import commands as c

        await wait_until(pilot, lambda: self.client is not None, timeout, "the engine's first event")
        self._n += 1
        n = self._n
        self.client.send(c.Ping(n))
        await wait_until(pilot, lambda: n in self._posted, timeout, f"the engine's answer to ping {n}")
        await asyncio.sleep(0)  # the Pong's message, posted from the pump's thread, reaches the app's queue first
        done = asyncio.Event()
        pilot.app.call_later(done.set)  # queued behind the Pong's message and everything before it
        await wait_until(pilot, done.is_set, timeout, "the app to take in the engine's events")


@pytest.fixture
def engine(monkeypatch):
    """An EngineWatch on every EngineClient the test starts."""
    from tui.engine import EngineClient

    watch = EngineWatch()
    init, recv, poll = EngineClient.__init__, EngineClient.recv, EngineClient.poll

    def counting_init(self, *args, **kwargs):
        watch.started += 1
        init(self, *args, **kwargs)

    def recording_recv(self):
        event = recv(self)
        watch.received(self, event)
        return event

    def noting_poll(self, timeout):
        watch.polled()
        return poll(self, timeout)

    monkeypatch.setattr(EngineClient, "__init__", counting_init)
    monkeypatch.setattr(EngineClient, "recv", recording_recv)
    monkeypatch.setattr(EngineClient, "poll", noting_poll)
    return watch


def notices(app) -> str:
    """The notifications on screen now, as a user reads them (each Toast's title and message). Pilot shows
    none unless the test runs with `app.run_test(..., notifications=True)`."""
    return "\n".join(str(toast.render()) for toast in app.screen.query("Toast"))


async def app_settled(pilot, timeout: float = 30.0) -> None:
    """Wait until the app has handled every message posted to it before now (one of ours, queued behind them)."""
    done = asyncio.Event()
    await pilot.pause()
    pilot.app.call_later(done.set)
    await wait_until(pilot, done.is_set, timeout, "the app to handle its messages")
