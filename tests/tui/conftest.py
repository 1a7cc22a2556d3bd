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
    await wait_until(pilot, lambda: pilot.app.run_state == "finished", what=what)


@pytest.fixture
def app_factory():
    def make(runs_dir=None, **options):
        return make_app(Config().replace(**options) if options else Config(), in_thread=True, runs_dir=runs_dir)
    return make
