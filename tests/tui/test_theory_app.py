"""The theory in the app, as a user meets it: with MSE the loss chart shows the predicted curve before space is
pressed and 7 opens the theory panel (the spectrum, lr against the stable and best rates); with the tutorial's
MAE the panel says why there is none and what to press; a race's lanes each get their prediction."""
from tests.tui.conftest import wait_until
from tui.widgets.theory_panel import TheoryPanel


def panel_text(app) -> str:
    return str(app.main_screen.query_one(TheoryPanel).render())


async def test_mse_shows_the_prediction_before_the_run_and_7_opens_the_theory(app_factory):
    app = app_factory(loss="mse")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.main_screen.data.theory is not None, what="the theory")
        main = app.main_screen
        assert main.data.step == 0 and main.data.theory.theory is not None  # before any step
        await pilot.press("2")
        await wait_until(pilot, lambda: main.views_settled, what="the loss chart drawn")
        assert "theory" in str(main.loss_chart.render())  # its curve, named in the legend
        await pilot.press("7")
        await wait_until(pilot, lambda: main.views_settled and main.panels.current == "theory", what="the panel")
        text = panel_text(app)
        assert "stable" in text and "best" in text and "condition" in text
        assert main.query_one(TheoryPanel).region.width > 0  # on screen


async def test_the_tutorials_mae_says_why_there_is_no_theory_and_what_to_press(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.main_screen.data.theory is not None, what="the engine's answer")
        await pilot.press("7")
        await wait_until(pilot, lambda: app.main_screen.views_settled, what="the panel")
        text = panel_text(app)
        assert "does not apply" in text and "press l until loss: mse" in text
        await pilot.press("l")  # mae -> mse: the theory comes with the new experiment
        await wait_until(pilot, lambda: app.main_screen.data.theory is not None
                         and app.main_screen.data.theory.theory is not None, what="the MSE theory")
        await wait_until(pilot, lambda: app.main_screen.views_settled, what="the panel redrawn")
        assert "stable" in panel_text(app)


async def test_7_on_a_large_terminal_zooms_the_theory_and_7_again_goes_back_to_the_grid(app_factory):
    app = app_factory(loss="mse")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: app.main_screen.data.theory is not None, what="the theory")
        panel = app.main_screen.query_one(TheoryPanel)
        assert not panel.display or panel.region.width == 0  # not in the grid
        await pilot.press("7")
        await wait_until(pilot, lambda: panel.region.width > 100, what="the theory zoomed")
        await pilot.press("7")
        await wait_until(pilot, lambda: panel.region.width == 0, what="back to the grid")


async def test_a_races_lanes_each_get_their_prediction(app_factory):
    app = app_factory(loss="mse")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.main_screen.run_state == "idle", what="ready")
        await pilot.press("R", "enter")  # the first preset: learning rates
        race = app.main_screen.racing
        await wait_until(pilot, lambda: race.data.lanes and all(l.theory is not None for l in race.data.lanes),
                         what="every lane's theory")
        assert all(l.theory.theory is not None for l in race.data.lanes)
        rates = {round(l.theory.theory.lr, 12) for l in race.data.lanes}
        assert len(rates) == len(race.data.lanes)  # each lane's own rate
