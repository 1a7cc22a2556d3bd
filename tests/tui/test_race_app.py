"""The race in the app: R, a preset, space; every lane's curve and row; Escape back to the single run."""
import csv

from textual.widgets import DataTable, OptionList

from tests.tui.conftest import wait_until
from tests.tui.test_app import ready
from tui.race_data import lane_view
from tui.screens.race import RaceScreen
from tui.screens.race_presets import RacePresetsScreen


def table_rows(screen) -> list[list[str]]:
    t = screen.query_one(DataTable)
    return [[str(c) for c in t.get_row_at(i)] for i in range(t.row_count)]


async def test_a_learning_rate_race_runs_to_the_end_and_leaves_back_to_the_run(app_factory, tmp_path):
    app = app_factory(runs_dir=str(tmp_path), epochs=5)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("R")
        assert isinstance(app.screen, RacePresetsScreen)
        first = str(app.screen.query_one(OptionList).get_option_at_index(0).prompt)
        assert first.startswith("1  learning rates") and "(7 lanes)" in first
        await pilot.press("enter")
        race = app.screen
        assert isinstance(race, RaceScreen)
        await wait_until(pilot, lambda: race.state == "idle" and race.data.setup is not None, what="the race ready")
        assert [r[1] for r in table_rows(race)] == ["0.003", "0.00646", "0.0139", "0.03", "0.0646", "0.139", "0.3"]
        await pilot.press("plus", "plus", "plus", "plus", "space")
        await wait_until(pilot, lambda: race.state == "finished", what="the race to finish")
        await wait_until(pilot, lambda: race.data.results is not None, what="the lanes' results")
        rows = table_rows(race)
        header = [str(c.label) for c in race.query_one(DataTable).columns.values()]
        assert header[:5] == ["#", "lr", "status", "MSE", "R²"]
        assert [r[0] for r in rows] == list("1234567") and all(r[2] == "finished" or "not conv" in r[2] for r in rows)
        assert all(len(lane.losses) == 5 for lane in race.data.lanes)  # every lane's every epoch on the chart
        status = race.query_one("#race-status")
        await wait_until(pilot, lambda: "best: lane" in str(status.render()), what="the best lane named")
        line = str(status.render()).rstrip()  # at 80 columns in fewer words, the best lane's name whole
        assert line.startswith("RACE FINISHED") and line.endswith(f"({race.note.split('(', 1)[1]}")
        assert len(line) <= 80
        [folder] = [p for p in tmp_path.iterdir() if "race-7lanes" in p.name]
        assert len(list(csv.DictReader(open(folder / "lanes.csv")))) == 7

        await pilot.press("down", "down", "2")  # the chosen lane's fit
        await wait_until(pilot, lambda: race.fit.title_prefix.startswith("lane 3 (lr 0.0139)"), what="lane 3's fit")
        await pilot.press("4")  # the surface: every lane's path, lane numbers as marks
        await wait_until(pilot, lambda: race.surface.view is not None and len(race.surface.view.lanes) == 7,
                         what="the race's surface")
        assert all(len(path) > 1 for _, path, _ in race.surface.view.lanes)
        assert race.surface.view.names == ("w[x0]", "b")
        await pilot.press("3")  # its parameters by epoch: the chosen lane's, to its last step
        assert race.params.display and not race.fit.display
        await wait_until(pilot, lambda: not race.params.dirty and
                         "lane 3 (lr 0.0139) · parameters" in str(race.params.render()),
                         what="lane 3's parameters drawn")
        view = lane_view(race.data, 2)  # what the chart of lane 3 draws from
        assert len(view.history.epochs) == 5 and view.step == race.data.lanes[2].now.steps
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.main_screen.racing is None and app.main_screen.run_state == "idle", what="back to the run")
        assert not isinstance(app.screen, RaceScreen)
        await pilot.press("R")
        presets = app.screen.query_one(OptionList)
        labels = [str(presets.get_option_at_index(i).prompt) for i in range(presets.option_count)]
        assert "6  the last race again (7 lanes)" in labels
        assert "7  the last race plus the form's settings as lane 8" in labels
        await pilot.press("2")  # a number chooses at once: the six optimizers
        await wait_until(pilot, lambda: isinstance(app.screen, RaceScreen) and app.screen.data.setup is not None
                         and len(app.screen.data.lanes) == 6, what="the optimizer race")


async def test_a_diverging_lane_is_marked_and_the_others_finish(app_factory):
    app = app_factory(epochs=3, loss="mse", lr=0.3)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("R", "enter")  # lr ×1/10 … ×10 around 0.3: 3 diverges on mse
        race = app.screen
        await wait_until(pilot, lambda: race.state == "idle" and race.data.setup is not None, what="the race ready")
        await pilot.press("plus", "plus", "plus", "plus", "space")
        await wait_until(pilot, lambda: race.state in ("finished", "diverged") and race.data.results, what="the end")
        status = {r[1]: r[2] for r in table_rows(race)}
        assert status["3"] == "diverged" and status["0.03"] != "diverged"


async def test_marked_past_runs_overlay_their_curves_and_ends(app_factory, tmp_path):
    from tui.screens.overlay import OverlayScreen
    from tui.screens.runs import RunsScreen
    from tests.tui.conftest import finish_run

    app = app_factory(runs_dir=str(tmp_path), epochs=3)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await finish_run(pilot)
        await pilot.press("l")  # mse: a second run with other settings
        await wait_until(pilot, lambda: app.main_screen.run_state == "idle", what="mse ready")
        await finish_run(pilot, what="the second run")
        await wait_until(pilot, lambda: len(list(tmp_path.glob("*/summary.json"))) == 2, what="both on disk")
        await pilot.press("p")
        assert isinstance(app.screen, RunsScreen)
        await pilot.press("o")  # nothing marked: told how, nothing happens
        assert isinstance(app.screen, RunsScreen)
        await pilot.press("space", "down", "space", "o")
        overlay = app.screen
        assert isinstance(overlay, OverlayScreen)
        rows = table_rows(overlay)
        assert sorted(r[5] for r in rows) == ["mae", "mse"] and all(r[7] == "finished" and r[8] == "3" for r in rows)
        assert [len(c.losses) for c in overlay.curves.lanes] == [3, 3]
        heading = overlay.query_one("#race-status")  # 80 columns: the last columns are past the edge, and said
        await wait_until(pilot, lambda: "← →" in str(heading.render()), what="the wide table's hint")
        await pilot.resize_terminal(200, 50)
        await wait_until(pilot, lambda: "← →" not in str(heading.render()), what="no hint where it fits")
        await pilot.resize_terminal(80, 24)
        await pilot.press("space")  # the run keys do not act under the overlay
        assert app.main_screen.run_state == "finished"
        await pilot.press("escape")  # back to the list, marks kept
        assert isinstance(app.screen, RunsScreen) and app.screen.marked == [0, 1]


async def test_a_kept_race_reopens_as_a_race(app_factory, tmp_path):
    from tui.screens.runs import RunsScreen

    app = app_factory(runs_dir=str(tmp_path), epochs=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("R", "2")  # the six optimizers
        race = app.screen
        await wait_until(pilot, lambda: race.data.setup is not None, what="the race ready")
        await pilot.press("plus", "plus", "plus", "plus", "space")
        await wait_until(pilot, lambda: race.data.results is not None, what="the race's end")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.main_screen.racing is None and app.main_screen.run_state == "idle", what="back to the run")
        app.main_screen.race_lanes = []  # as after a restart of the app
        await pilot.press("p")
        assert isinstance(app.screen, RunsScreen)
        assert "race of 6 lanes" in str(app.screen.query_one(OptionList).get_option_at_index(0).prompt)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.main_screen.race_lanes) == 6, what="the race's lanes back")
        assert [c.train.optimizer for c in app.main_screen.race_lanes] == ["sgd", "momentum", "nesterov", "adagrad", "rmsprop",
                                                                "adam"]
