"""What the user sees, pinned: main screen at 80×24 (idle) and 160×48 (finished), help, diverged.
Update deliberately with `pytest --snapshot-update` and look at the report before committing.

Screens after training use MSE in float64. In float32 the last printed digits of the log and the table
depend on the CPU's summation order (another machine, or ATEN_CPU_CAPABILITY=default, prints 227.864025
where this one prints 227.864024). Under MAE even float64 is not enough: its gradient is the sign of each
residual, so a difference in the 16th digit flips a residual near zero and the runs part at the 6th digit
(seen: epoch 035 0.546572 against 0.546571). MSE's gradient is smooth, and float64 keeps its differences
ten digits below anything on screen."""
from linreg_core.config import Config
from tui.app import make_app
from tests.tui.conftest import wait_until


def _app(**options):
    return make_app(Config().replace(**options) if options else Config(), in_thread=True)


async def _idle(pilot):
    await wait_until(pilot, lambda: pilot.app.run_state == "idle", what="engine ready")
    await settled(pilot)


async def settled(pilot):
    await wait_until(pilot, lambda: pilot.app.views_settled, what="the charts to be drawn")
    await pilot.pause(0.1)


def test_main_screen_80x24(snap_compare):
    assert snap_compare(_app(), terminal_size=(80, 24), run_before=_idle)


def test_finished_run_160x48(snap_compare):
    async def run(pilot):
        await _idle(pilot)
        await pilot.press("plus", "plus", "plus", "plus", "space")
        await wait_until(pilot, lambda: pilot.app.run_state == "finished", what="finished")
        await settled(pilot)

        await surface_caught_up(pilot)

    assert snap_compare(_app(dtype="float64", loss="mse"), terminal_size=(160, 48), run_before=run)


async def surface_caught_up(pilot):
    """The surface panel's grid is the engine's last one: drawn at the run's final parameters."""
    from tui.widgets.surface import SurfaceView

    surface, data = pilot.app.query_one(SurfaceView), pilot.app.data
    await wait_until(pilot, lambda: surface.view is not None and surface.view.current[0] == data.weights[0],
                     what="the surface at the run's end")
    await pilot.pause(0.1)


def test_surface_80x24(snap_compare):
    async def run(pilot):
        await _idle(pilot)
        await pilot.press("f", "6", "plus", "plus", "plus", "plus", "space")
        await wait_until(pilot, lambda: pilot.app.run_state == "finished", what="finished")
        await settled(pilot)
        await surface_caught_up(pilot)

    assert snap_compare(_app(dtype="float64", loss="mse", lr=0.01), terminal_size=(80, 24), run_before=run)


def test_microscope_80x24(snap_compare):
    async def run(pilot):
        from tui.screens.microscope import MicroscopeScreen

        await _idle(pilot)
        await pilot.press("n", "n", "n")
        await wait_until(pilot, lambda: pilot.app.data.step == 3, what="three steps")
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MicroscopeScreen), what="the microscope")
        await pilot.pause(0.3)

    assert snap_compare(_app(dtype="float64", loss="mse", optimizer="adam"), terminal_size=(80, 24),
                        run_before=run)


def test_help_screen(snap_compare):
    async def run(pilot):
        await _idle(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.3)

    assert snap_compare(_app(), terminal_size=(80, 24), run_before=run)


def test_diverged_80x24(snap_compare):
    async def run(pilot):
        await _idle(pilot)
        await pilot.press("space")
        await wait_until(pilot, lambda: pilot.app.run_state == "diverged", what="diverged")
        await pilot.press("2")
        await settled(pilot)

    assert snap_compare(_app(loss="mse", lr=10, dtype="float64"), terminal_size=(80, 24), run_before=run)
