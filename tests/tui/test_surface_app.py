"""The surface panel's window in the app: a zoom lasts for one run (a reset or a new experiment shows the whole
path and optimum again), and a race's surface has its own window, which never leaks back to the run's."""
from tests.tui.conftest import wait_until
from tests.tui.test_app import ready


def width(app) -> float:
    v = app.main_screen.surface_view.view
    return v.xs[-1] - v.xs[0]


async def test_a_zoom_lasts_for_one_run(app_factory):
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("6")
        await wait_until(pilot, lambda: app.main_screen.surface_view.view is not None, what="the first grid")
        whole = width(app)
        await pilot.press("n", "z", "z")  # a step taken, then zoomed in
        await wait_until(pilot, lambda: width(app) < whole / 3, what="the zoomed grid")
        await pilot.press("r")  # the run reset: a new run of the same experiment
        await wait_until(pilot, lambda: abs(width(app) - whole) < 1e-9 * whole, what="the whole window again")


async def test_the_race_surface_has_its_own_window(app_factory):
    from tui.screens.race import RaceScreen

    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("6", "z", "z")
        zoom = app.main_screen.surface_view.settings["zoom"]
        await pilot.press("R", "1")  # the learning-rate race
        await wait_until(pilot, lambda: isinstance(app.screen, RaceScreen) and app.screen.data.setup is not None,
                         what="the race")
        race = app.screen
        assert race.surface.settings["zoom"] == 1.0  # the run's zoom does not follow into the race
        await pilot.press("4", "z", "z", "z")
        assert race.surface.settings["zoom"] == 8.0 and app.main_screen.surface_view.settings["zoom"] in (zoom, 1.0)  # nor back
