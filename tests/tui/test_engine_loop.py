"""The engine beside the app (tui/engine.py), without the app: its pacing (about 100 steps a second by
default while running, on a fake clock: no timing in the test) and EngineClient.close's last resort (an engine
that does not quit in time is terminated)."""
import multiprocessing as mp
import time

import pytest

from linreg_core.session.states import State
from tui import engine as eng


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def perf_counter(self) -> float:
        return self.now


class FakeController:
    """What _Engine asks of a controller: its state, the time a step takes, and advance(n)."""

    def __init__(self, state=State.RUNNING):
        self.state = state
        self.step_seconds = 1e-5
        self.taken: list[int] = []

    def advance(self, n: int) -> None:
        self.taken.append(n)


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(eng, "time", fake)  # tui/engine.py's `time` only: the rest of the process keeps its own
    return fake


@pytest.mark.parametrize("tick_s", [0.001, 0.013, 0.07])
def test_a_running_engine_takes_100_steps_a_second_whatever_its_loop_rate(clock, tick_s):
    ctl = FakeController()
    engine = eng._Engine(ctl, None)
    assert engine.speed == 100.0  # the default
    engine._t_last = clock.now
    start = clock.now
    while clock.now - start < 10.0:
        clock.now += tick_s
        engine.train_chunk()
    elapsed = clock.now - start
    assert abs(sum(ctl.taken) - 100 * elapsed) <= 1  # paced by the clock, not by how often the loop turns
    assert max(ctl.taken) <= max(1, int(tick_s * 100) + 1)  # in even portions, never a burst


def test_the_engine_waits_until_the_next_step_is_due(clock):
    ctl = FakeController()
    engine = eng._Engine(ctl, None)
    engine._t_last = clock.now
    assert engine._wait_time() == pytest.approx(0.01)  # 100 a second: the next step in 10 ms
    clock.now += 0.004
    assert engine._wait_time() == pytest.approx(0.006)
    engine.speed = 10.0
    assert engine._wait_time() == pytest.approx(eng.FLUSH_S)  # never longer than the progress cadence


def test_other_speeds_and_flat_out(clock):
    ctl = FakeController()
    engine = eng._Engine(ctl, None)
    engine.speed, engine._t_last = 250.0, clock.now
    for _ in range(400):
        clock.now += 0.01
        engine.train_chunk()
    assert sum(ctl.taken) == pytest.approx(250 * 4.0, abs=1)
    ctl.taken.clear()
    engine.speed = None  # flat out: chunks sized to about MAX_CHUNK_S of work, whatever the clock says
    engine.train_chunk()
    assert ctl.taken == [min(eng.MAX_CHUNK, int(eng.MAX_CHUNK_S / ctl.step_seconds))]


def test_steps_asked_for_by_key_are_not_paced(clock):
    """Paused with n or N: the steps asked for are taken at once (the speed limit is for running)."""
    ctl = FakeController(State.PAUSED)
    engine = eng._Engine(ctl, None)
    engine._t_last = clock.now
    engine.train_chunk()
    assert ctl.taken and ctl.taken[0] > 1 and engine._wait_time() == 0


@pytest.mark.serial  # a wall-clock bound
def test_close_terminates_an_engine_that_does_not_quit_in_time():
    """An engine stuck in a long computation never reads Quit: close() must still end it, soon."""
    ctx = mp.get_context("spawn")
    client = eng.EngineClient.__new__(eng.EngineClient)
    # The only handles on the engine's process and pipes are the client's own attributes (a real engine
    # cannot be made to hang from outside it): set them as __init__ does, around a process that ignores Quit.
    client._cmd_recv, client._cmd_send = ctx.Pipe(duplex=False)
    client._evt_recv, client._evt_send = ctx.Pipe(duplex=False)
    stuck = client._runner = ctx.Process(target=time.sleep, args=(120,), daemon=True)
    stuck.start()
    try:
        assert client.alive and client.pid == stuck.pid and client.exitcode is None
        t0 = time.monotonic()
        client.close(timeout=0.3)
        took = time.monotonic() - t0
        assert not client.alive, "the engine was left running"
        assert client.exitcode is not None and client.exitcode < 0, client.exitcode  # ended by a signal
        assert took < 5.0  # the timeout, then terminate's own short wait (generous: a loaded machine)
    finally:
        if stuck.is_alive():
            stuck.kill()
