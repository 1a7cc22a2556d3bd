"""Every run key in every run state, as a user presses them (the table in linreg_core/session/states.py): the state
the engine itself reports once it has handled the key (its answer to a ping sent after it, not the app's guess),
that the status shows it, whether a new run began, and that a key that does nothing is greyed out or hidden."""
import pytest

from tests.tui.conftest import finish_run, wait_until
from tests.tui.test_app import FLAT_OUT, ready

KEYS = {"space": "toggle_run", "n": "step", "N": "epoch", "x": "stop", "r": "reset", "c": "continue_run"}

# state -> key -> (state afterwards, a new run from the initial parameters?, key live in that state?)
EXPECTED = {
    "idle": {"space": ("running", False, True), "n": ("paused", False, True), "N": ("paused", False, True),
             "x": ("idle", False, False), "r": ("idle", False, False), "c": ("idle", False, False)},
    "running": {"space": ("paused", False, True), "n": ("paused", False, True), "N": ("paused", False, True),
                "x": ("stopped", False, True), "r": ("idle", True, True), "c": ("running", False, False)},
    "paused": {"space": ("running", False, True), "n": ("paused", False, True), "N": ("paused", False, True),
               "x": ("stopped", False, True), "r": ("idle", True, True), "c": ("paused", False, False)},
    "finished": {"space": ("running", True, True), "n": ("paused", True, True), "N": ("paused", True, True),
                 "x": ("finished", False, False), "r": ("idle", True, True), "c": ("running", False, True)},
    "stopped": {"space": ("running", True, True), "n": ("paused", True, True), "N": ("paused", True, True),
                "x": ("stopped", False, False), "r": ("idle", True, True), "c": ("running", False, True)},
    "diverged": {"space": ("running", True, True), "n": ("paused", True, True), "N": ("paused", True, True),
                 "x": ("diverged", False, False), "r": ("idle", True, True), "c": ("diverged", False, False)},
}


async def _reach(pilot, state):
    """From any state to `state`, with keys only."""
    app = pilot.app
    if app.main_screen.run_state != "idle":
        await pilot.press("r")
        await wait_until(pilot, lambda: app.main_screen.run_state == "idle" and app.main_screen.data.step == 0, what="idle")
    keys = {"idle": [], "running": ["space"], "paused": ["n"], "finished": ["space"], "stopped": ["n", "x"],
            "diverged": ["space"]}[state]
    if state == "stopped":
        await pilot.press("n")
        await wait_until(pilot, lambda: app.main_screen.data.step == 1, what="a step")
        keys = ["x"]
    await pilot.press(*keys)
    await wait_until(pilot, lambda: app.main_screen.run_state == state, what=state)
    if state == "running":
        await wait_until(pilot, lambda: app.main_screen.data.step > 0, what="a step")


def _app_for(app_factory, state):
    if state == "diverged":
        return app_factory(loss="mse", lr=40.0, samples=64, epochs=2)
    if state == "finished":
        return app_factory(samples=64, epochs=2)  # 4 steps an epoch, 8 in all
    return app_factory(epochs=1000)  # long enough to be caught running at 100 steps a second


@pytest.mark.parametrize("state", list(EXPECTED))
async def test_each_run_key_in_each_state(app_factory, engine, state):
    app = _app_for(app_factory, state)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        if state in ("finished", "diverged"):
            await pilot.press(*FLAT_OUT)
        for key, (after, new_run, live) in EXPECTED[state].items():
            await _reach(pilot, state)
            assert bool(app.main_screen.check_action(KEYS[key], ())) is live, f"{key} in {state}"
            setup, epoch = app.main_screen.data.setup, app.main_screen.data.epoch
            await pilot.press(key)
            if new_run:
                await wait_until(pilot, lambda: app.main_screen.data.setup is not setup, what=f"a new run after {key}")
            if state in ("finished", "diverged") and new_run and after != "idle":
                # the new run (a new Setup: from the initial parameters) ends again at once on this experiment
                await wait_until(pilot, lambda: app.main_screen.run_state in (after, state), what=f"{key} in {state}")
                continue
            if key == "c" and live:  # continued: the same run goes on past where it was (and may end again)
                await wait_until(pilot, lambda: app.main_screen.data.epoch > epoch, what="the continued run to train")
                assert app.main_screen.data.setup is setup and app.main_screen.run_state in (after, "finished")
                continue
            await engine.caught_up(pilot)  # the engine has handled the key; the app has all it said since
            assert engine.state == after, f"the engine is {engine.state} after {key} in {state}"
            assert app.main_screen.run_state == after, f"the app shows {app.main_screen.run_state} after {key} in {state}"
            if not live:
                assert app.main_screen.data.setup is setup, f"{key} did something in {state}"
            assert app.main_screen.run_state.upper() in str(app.query_one("#status").render())  # the status shows it


async def test_space_pressed_while_loading_starts_the_run_once_ready(app_factory):
    app = app_factory(epochs=1000)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.main_screen.run_state == "loading"
        await pilot.press("space")  # the first frame is up, the engine is not
        await wait_until(pilot, lambda: app.main_screen.run_state == "running" and app.main_screen.data.step > 0, what="the run")


async def test_a_finished_run_continues_for_more_epochs_in_the_same_folder(app_factory, tmp_path):
    runs = tmp_path / "runs"
    app = app_factory(runs_dir=str(runs), samples=64, epochs=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await finish_run(pilot, what="finished")
        await pilot.press("c")
        await wait_until(pilot, lambda: app.main_screen.run_state == "finished" and app.main_screen.data.epoch == 4, what="4 epochs")
        [run] = runs.iterdir()
        assert len((run / "history.csv").read_text().splitlines()) == 1 + 4
        assert "epoch 004/004" in str(app.query_one("#status").render())


async def test_keys_typed_ahead_of_the_engine_are_not_dropped(app_factory, tmp_path, engine):
    """x then c at once: c is judged on the state x leads to (STOPPED), not on the RUNNING still shown."""
    runs = tmp_path / "runs"
    app = app_factory(runs_dir=str(runs), samples=64, epochs=400)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("space")
        await wait_until(pilot, lambda: app.main_screen.data.epoch >= 2, what="training")
        for _ in range(3):
            # both through the key gate (check_action), before any report from the engine can arrive
            assert await app.run_action("stop", app.main_screen) and app.main_screen.run_state == "stopped"
            assert await app.run_action("continue_run", app.main_screen) and app.main_screen.run_state == "running"
            await engine.caught_up(pilot)  # and the engine did both
            assert engine.state == app.main_screen.run_state == "running"
        [run] = runs.iterdir()  # one run throughout: stopped and continued in its folder
        await pilot.press("x")
        await engine.caught_up(pilot)  # stopped, its epochs written
        assert engine.state == app.main_screen.run_state == "stopped"
        rows = (run / "history.csv").read_text().splitlines()[1:]
        assert [int(r.split(",")[0]) for r in rows] == list(range(app.main_screen.data.epoch))


async def test_m_shows_the_last_step_in_the_engines_numbers(app_factory, engine):
    from linreg_core.session.events import Traced
    from tui.screens.microscope import MicroscopeScreen

    app = app_factory(optimizer="momentum")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("m")  # no step yet: said, nothing opens
        await engine.caught_up(pilot)  # the engine answered the trace (no step to show) and the app took it in
        assert engine.of(Traced) and engine.of(Traced)[-1].record is None
        assert not isinstance(app.screen, MicroscopeScreen)
        await pilot.press("n", "n")
        await wait_until(pilot, lambda: app.main_screen.data.step == 2, what="two steps")
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, MicroscopeScreen), what="the microscope")
        record = app.screen.record
        assert record["step"] == 2 and record["optimizer"] == "momentum"  # the second step: counted from 1
        assert [p["after"] for p in record["parameters"]] == [*app.main_screen.data.weights, app.main_screen.data.bias]  # data units
        await pilot.press("escape")
        assert not isinstance(app.screen, MicroscopeScreen)


async def test_n_inside_the_microscope_takes_the_next_step_and_shows_it(app_factory):
    from tui.screens.microscope import MicroscopeScreen
    from tests.tui.conftest import wait_until
    from tests.tui.test_app import ready

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: app.main_screen.data.step == 1, what="a step")
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, MicroscopeScreen), what="the microscope")
        first = app.screen.record
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen.record["step"] == 2, what="the next step in place")
        after = [p["after"] for p in first["parameters"]]
        assert [p["before"] for p in app.screen.record["parameters"]] == after
        assert isinstance(app.screen, MicroscopeScreen)
