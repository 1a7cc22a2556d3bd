"""Runs in the app: each run is kept on disk as it goes, a past run's settings reopen from the runs
folder, the settings save as a config file, and a failed write is reported and retried."""
import json

from textual.widgets import Input, Label, OptionList

from linreg_core.settings import configfile
from linreg_core.settings.config import Config
from tui.screens.runs import RunsScreen
from tui.screens.save import SaveConfigScreen
from tui.widgets.form import ParameterForm
from tests.tui.conftest import finish_run, notices, wait_until
from tests.tui.test_app import log_text, ready


async def test_a_run_is_kept_and_its_settings_reopen(app_factory, tmp_path):
    runs = tmp_path / "runs"
    app = app_factory(runs_dir=str(runs))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await finish_run(pilot, what="the run to finish")
        [run] = runs.iterdir()
        await wait_until(pilot, lambda: (run / "summary.json").exists(), what="the summary on disk")
        words = " ".join(w for w in log_text(app).split() if w != "#")  # long lines wrap, each part a comment
        assert f"run kept in {run}" in words
        assert len((run / "history.csv").read_text().splitlines()) == 51
        assert json.loads((run / "summary.json").read_text())["status"] == "finished"

        await pilot.press("asterisk", "l")  # lr 0.06, loss mse: settings differ from the kept run's
        assert app.main_screen.config.train.lr == 0.06 and app.main_screen.config.train.loss == "mse"
        await pilot.press("p")
        assert isinstance(app.screen, RunsScreen)
        assert "finished" in str(app.screen.query_one(OptionList).get_option_at_index(0).prompt)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.main_screen.run_state == "idle", what="the reopened settings to load")
        assert app.main_screen.config == Config()
        values = app.query_one(ParameterForm).values()
        assert values["lr"] == "0.03" and values["loss"] == "mae"


async def test_past_runs_says_when_there_are_none(app_factory, tmp_path):
    app = app_factory(runs_dir=str(tmp_path / "empty"))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("p")
        assert "No runs yet" in str(app.screen.query_one("#runs-title", Label).render())
        await pilot.press("escape")
        assert not isinstance(app.screen, RunsScreen)


async def test_save_config_writes_a_file_that_reopens_and_refuses_a_folder(app_factory, tmp_path):
    app = app_factory(lr=0.1, epochs=7)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("s")
        assert isinstance(app.screen, SaveConfigScreen)
        box = app.screen.query_one("#save-path", Input)
        box.value = str(tmp_path)  # a folder: refused, the screen stays open to try again
        await pilot.press("enter")
        assert "is a folder" in str(app.screen.query_one("#save-error", Label).render())
        box.value = str(tmp_path / "mine.toml")
        await pilot.press("enter")
        assert not isinstance(app.screen, SaveConfigScreen)
        assert configfile.load(str(tmp_path / "mine.toml")) == app.main_screen.config == Config().replace(lr=0.1, epochs=7)


async def test_an_unwritable_runs_folder_is_reported_and_retried(app_factory, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the runs folder should be")
    app = app_factory(runs_dir=str(blocker), epochs=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert app.main_screen.check_action("retry_save", ()) is False  # hidden while nothing failed
        await finish_run(pilot, what="the run to finish")
        assert app.main_screen.save_error and str(blocker) in app.main_screen.save_error
        assert app.main_screen.check_action("retry_save", ()) is True
        assert "could not write the run" in log_text(app)
        blocker.unlink()
        await pilot.press("w")
        await wait_until(pilot, lambda: app.main_screen.save_error is None, what="the retry to succeed")
        [run] = blocker.iterdir()
        assert len((run / "history.csv").read_text().splitlines()) == 3 and (run / "params.json").exists()


async def test_a_refused_parameter_file_says_why_under_its_field(app_factory, tmp_path):
    bad = tmp_path / "p.json"
    bad.write_text('{"weights": [1, 2], "bias": 0}')
    app = app_factory()
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        form = app.query_one(ParameterForm)
        box = form.query_one("#field-init_params", Input)
        box.focus()
        box.value = str(bad)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "init_params" in form.errors, what="the refusal")
        assert "holds 2 weights, but the data has 4 features" in form.errors["init_params"]
        assert app.main_screen.config.init_params is None  # the previous settings stay


async def test_save_config_asks_before_replacing_a_file(app_factory, tmp_path):
    target = tmp_path / "kept.toml"
    target.write_text("# the user's own notes\n")
    app = app_factory(lr=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("s")
        app.screen.query_one("#save-path", Input).value = str(target)
        await pilot.press("enter")
        assert "exists. Press Enter again to replace it" in str(app.screen.query_one("#save-error", Label).render())
        assert target.read_text() == "# the user's own notes\n"  # nothing replaced yet
        await pilot.press("enter")
        assert not isinstance(app.screen, SaveConfigScreen)
        assert configfile.load(str(target)) == Config().replace(lr=0.1)


async def test_shift_p_saves_the_screen_as_svg_in_the_runs_folder(app_factory, tmp_path):
    app = app_factory(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("P")
        await wait_until(pilot, lambda: list((tmp_path / "screenshots").glob("linreg-*.svg")), what="the svg")
        [svg] = (tmp_path / "screenshots").glob("linreg-*.svg")
        text = svg.read_text()
        assert text.startswith("<svg") and "IDLE" in text.replace("&#160;", " ")


async def test_damaged_past_runs_are_listed_as_damaged_and_stop_nothing(app_factory, tmp_path):
    """A FIFO where config.toml should be, a summary of the wrong types, a history linked to /dev/zero: the
    list says which is damaged and why, the overlay opens over them, reopening the FIFO's run is refused in
    a notice, and a double Enter closes the list once (no crash)."""
    import os

    from tests.core.test_damaged_runs import good_run
    from tui.screens.overlay import OverlayScreen

    runs = tmp_path / "runs"
    fifo_run, typed_run, zero_run = (runs / f"20261130-12000{i}-mae-sgd-seed{i}" for i in (3, 2, 1))
    for folder in (fifo_run, typed_run, zero_run):
        good_run(folder)
    (fifo_run / "config.toml").unlink()
    os.mkfifo(fifo_run / "config.toml")
    (typed_run / "summary.json").write_text('{"status": {"a": 1}, "steps": "x", "metrics": "none"}')
    (zero_run / "history.csv").unlink()
    (zero_run / "history.csv").symlink_to("/dev/zero")
    app = app_factory(runs_dir=str(runs))
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, RunsScreen), what="the list")
        options = app.screen.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert len(prompts) == 3 and all("damaged" in p for p in prompts)
        assert "config.toml is not a regular file" in prompts[0]
        assert "summary.json: its status is not text" in prompts[1]
        assert "history.csv is not a regular file" in prompts[2]
        await pilot.press("space", "down", "space", "down", "space", "o")
        await wait_until(pilot, lambda: isinstance(app.screen, OverlayScreen), what="the overlay")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, RunsScreen), what="the list again")
        await pilot.press("home", "enter", "enter")  # the FIFO run: refused, said in a notice
        await wait_until(pilot, lambda: not isinstance(app.screen, RunsScreen), what="the list to close")
        await wait_until(pilot, lambda: "could not reopen" in notices(app), what="the refusal, on screen")
        assert app.is_running and app.main_screen.config == Config()
