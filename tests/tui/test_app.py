"""The app as a user drives it: each key, each run state, refused values, failures."""
import functools

from textual.widgets import Input, Log

from tui.screens.help import HelpScreen
from tui.widgets.fit_chart import FitChart
from tui.widgets.form import ParameterForm
from tui.widgets.loss_chart import LossChart
from tui.widgets.params_chart import ParamsChart
from tui.widgets.params_table import ParamsTable
from linreg_core.settings.config import Config
from linreg_core.training.trainer import trainer_for
from tui.text import num
from tests.tui.conftest import app_settled, finish_run, notices, wait_until
from tests.tutorial_oracle import run_tutorial


@functools.cache
def tutorial(epochs: int = 50):
    """The tutorial's (log, w, b), computed here by its own loop on the device the app's engine (in this
    process) trains the default settings on (`auto`): the digits depend on the kernels, the engine's equality
    with the loop does not."""
    return run_tutorial(0, epochs=epochs, device=trainer_for(Config()).device)


def first_line() -> str:
    return f"epoch 000: loss: {tutorial(1)[0][0]:f}"

FLAT_OUT = ["plus"] * 4  # 100 → 250 → 1000 → max steps/s


def log_text(app) -> str:
    """The epoch log as it reads once shown (lines reach the Log widget while it is on screen)."""
    app.main_screen.flush_log()
    return "\n".join(str(line) for line in app.query_one(Log).lines)


async def ready(pilot):
    await wait_until(pilot, lambda: pilot.app.main_screen.run_state == "idle", what="engine ready")


async def test_opens_on_the_tutorial_experiment(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        values = app.query_one(ParameterForm).values()
        assert values["weights"] == "8.1,2,2,4" and values["lr"] == "0.03" and values["loss"] == "mae"
        assert values["batch_size"] == "16" and values["epochs"] == "50" and values["samples"] == "500"
        assert "IDLE" in str(app.query_one("#status").render())
        assert app.main_screen.data.setup.n_train == 500 and app.main_screen.data.setup.batches_per_epoch == 32


async def test_space_trains_to_epoch_049_with_the_tutorials_numbers(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await finish_run(pilot, what="the run to finish")
        lines = log_text(app).splitlines()
        log, w, b = tutorial()
        assert first_line() in lines and f"epoch 049: loss: {log[-1]:f}" in lines
        assert app.main_screen.data.step == 1600
        assert list(app.main_screen.data.weights) == w and app.main_screen.data.bias == b  # bit for bit
        await pilot.press("4")
        table = app.query_one(ParamsTable)
        await wait_until(pilot, lambda: table.row_count == 5, what="the parameters table")
        assert str(table.get_row_at(0)[2]).strip() == f"{w[0]:.4f}"


async def test_pause_resume_step_and_epoch_keys(app_factory, engine):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: app.main_screen.run_state == "paused" and app.main_screen.data.step == 1, what="one step")
        await pilot.press("N")  # the rest of the epoch
        await wait_until(pilot, lambda: app.main_screen.data.step == 32, what="one epoch")
        assert first_line() in log_text(app)
        await pilot.press("space")
        await wait_until(pilot, lambda: app.main_screen.run_state == "running" and app.main_screen.data.step > 32, what="running")
        await pilot.press("space")
        await engine.caught_up(pilot)  # the engine has handled the pause, and the app took in all it said
        held = engine.step
        assert engine.state == "paused" and app.main_screen.run_state == "paused" and app.main_screen.data.step == held < 1600
        await pilot.press("g")  # any key the engine does not act on; then its answer to everything since
        await engine.caught_up(pilot)
        assert engine.step == app.main_screen.data.step == held  # paused means no more steps


async def test_stop_keeps_finished_epochs_and_reset_starts_over(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("N", "N")
        await wait_until(pilot, lambda: app.main_screen.data.step == 64, what="two epochs")
        await pilot.press("x")
        await wait_until(pilot, lambda: app.main_screen.run_state == "stopped", what="stop")
        assert "epoch 001: loss:" in log_text(app) and "# stopped after 2 epochs" in log_text(app)
        assert app.main_screen.check_action("stop", ()) is None  # greyed out once stopped
        assert "STOPPED" in str(app.query_one("#status").render())
        await pilot.press("r")
        await wait_until(pilot, lambda: app.main_screen.run_state == "idle" and app.main_screen.data.step == 0, what="reset")
        assert "epoch 000" not in log_text(app)


async def test_learning_rate_keys_change_the_running_run(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: app.main_screen.data.step == 1)
        await pilot.press("asterisk")
        assert app.query_one("#field-lr", Input).value == "0.06" and app.main_screen.config.train.lr == 0.06
        await pilot.press("n")
        await wait_until(pilot, lambda: app.main_screen.data.step == 2 and app.main_screen.data.lr == 0.06, what="new lr at next step")
        await pilot.press("slash", "slash")
        assert app.query_one("#field-lr", Input).value == "0.015"


async def test_loss_optimizer_feature_view_and_log_keys(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("l", "o")
        assert app.main_screen.config.train.loss == "mse" and app.main_screen.config.train.optimizer == "momentum"
        assert app.query_one("#field-loss", Input).value == "mse"
        await pilot.press("right_square_bracket", "v")
        fit = app.query_one(FitChart)
        assert fit.feature == 1 and fit.view == "partial"
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert fit.feature == 3
        await pilot.press("g")
        assert app.query_one(LossChart).log_scale
        await pilot.press("d")
        assert app.main_screen.config.seed == 1
        await wait_until(pilot, lambda: app.main_screen.run_state == "idle" and app.main_screen.data.setup.sample_y != [], what="new data")


async def test_refused_value_says_why_escape_restores_and_a_bad_value_left_behind_blocks_start(app_factory, engine):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        field = app.query_one("#field-lr", Input)
        field.focus()
        await pilot.pause()
        field.value = ""
        await pilot.press(*"abc", "enter")
        error = str(app.query_one("#error-lr").render())
        assert "greater than 0" in error and "'abc' is not a number" in error
        assert app.main_screen.config.train.lr == 0.03
        await pilot.press("escape")  # the value the field had comes back, and the keys go back to the app
        assert field.value == "0.03" and "lr" not in app.main_screen.form.errors and app.focused is None
        field.focus()
        await pilot.pause()
        field.value = "abc"
        app.set_focus(None)  # left by a click elsewhere: the refused text stays, and blocks starting
        await pilot.pause()
        assert app.main_screen.check_action("toggle_run", ()) is None
        await pilot.press("space")
        await engine.caught_up(pilot)  # had space reached the engine, it would be running by now
        assert engine.state == app.main_screen.run_state == "idle" and engine.step == 0 and app.main_screen.config.train.lr == 0.03
        field.focus()
        await pilot.pause()
        field.value = "0.1"
        await pilot.press("enter", "escape")  # Enter applied it: Escape keeps it
        assert field.value == "0.1" and app.main_screen.check_action("toggle_run", ()) is True and app.main_screen.config.train.lr == 0.1


async def test_keys_typed_after_tab_are_announced_and_never_replace_the_value(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("e")  # the first field: the CSV path (empty for the tutorial)
        await wait_until(pilot, lambda: "keys now type into the form" in notices(app), what="the notice")
        field = app.focused
        await pilot.press("tab")
        await pilot.pause()
        lr_like = app.focused
        before = lr_like.value
        await pilot.press("r")  # the reset key, typed into a field: added to the value, not over it
        assert lr_like.value == before + "r" and app.main_screen.run_state == "idle"
        shown = {ab.binding.action for ab in app.screen.active_bindings.values() if ab.binding.show}
        assert shown == {"leave_form", "help_in_field"}  # the footer in a field: only keys that work there
        await pilot.press("escape")
        assert lr_like.value == before and field is not lr_like


async def test_bad_csv_keeps_the_previous_data(app_factory, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,y\n1,2\n3,x\n")
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        field = app.query_one("#field-csv", Input)
        field.focus()
        field.value = str(bad)
        await pilot.press("enter", "escape")
        await wait_until(pilot, lambda: "csv" in app.query_one(ParameterForm).errors, what="csv refusal")
        assert "line 3" in app.query_one(ParameterForm).errors["csv"]
        assert app.main_screen.data.setup.source == "synthetic" and len(app.main_screen.data.setup.sample_y) == 500


async def test_diverged_run_says_where_and_suggests_a_rate_from_the_data(app_factory):
    app = app_factory(loss="mse", lr=10)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("space")
        await wait_until(pilot, lambda: app.main_screen.run_state == "diverged", what="divergence")
        text = " ".join(log_text(app).split())  # (long lines are wrapped)
        # one count: the status line's step is the last one taken, the next one diverged
        assert f"diverged at step {app.main_screen.data.step + 1} (batch {app.main_screen.data.step + 1} of epoch 000)" in text
        assert "lr 10 is too large" in text and "set learning rate: 0." in text and "y follows the first advice" in text
        for panel, chart in (("1", FitChart), ("2", LossChart), ("3", ParamsChart)):
            await pilot.press(panel)
            await wait_until(pilot, lambda: app.main_screen.views_settled, what="the charts to catch up")
            assert "chart unavailable" not in str(app.query_one(chart).render()), chart.__name__
        assert "DIVERGED" in str(app.query_one("#status").render())


async def test_help_screen_lists_the_keys(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert ("space", "Start/Pause") in app.screen.keys and ("*", "lr×2") in app.screen.keys
        scroller = app.screen.query_one("#help")
        await pilot.press("end")  # at 80×24 the help is longer than the screen: the keyboard scrolls it
        await wait_until(pilot, lambda: scroller.max_scroll_y > 0 and scroller.scroll_y == scroller.max_scroll_y,
                         what="the help scrolled to its end")
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_f1_in_a_field_opens_the_help_where_question_mark_types(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e", "question_mark")  # ? is typed into the field (and refused there)
        field = app.focused
        assert isinstance(field, Input) and field.value.endswith("?") and not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help")
        keys = dict((d, k) for k, d in app.screen.keys)
        assert keys["Faster"] == "+ =" and keys["Screenshot (SVG)"] == "P" and keys["Quit"] == "q ctrl+c"


async def test_too_small_terminal_shows_a_notice(app_factory):
    app = app_factory()
    async with app.run_test(size=(40, 12)) as pilot:
        await wait_until(pilot, lambda: app.screen.has_class("too-small"), what="the notice")
        assert "Terminal too small" in str(app.query_one("#too-small").render())
        await pilot.resize_terminal(160, 48)
        await wait_until(pilot, lambda: not app.screen.has_class("too-small") and app.screen.has_class("wide"),
                         what="the wide layout")


async def test_the_log_panel_shows_the_epochs_when_opened(app_factory):
    app = app_factory(epochs=3)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await finish_run(pilot, what="the run to finish")
        await pilot.press("5")
        await wait_until(pilot, lambda: any("epoch 002: loss:" in str(l) for l in app.query_one(Log).lines),
                         what="the log to show the last epoch")
        epochs = [str(l)[:9] for l in app.query_one(Log).lines if str(l).startswith("epoch ")]
        assert epochs == ["epoch 000", "epoch 001", "epoch 002"]  # each once, in order


async def test_resizing_again_and_again_while_training_breaks_nothing(app_factory):
    app = app_factory(epochs=400)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press(*FLAT_OUT, "space")
        for size in [(20, 10), (160, 48), (61, 18), (12, 5), (100, 30), (150, 40), (80, 24)] * 2:
            await pilot.resize_terminal(*size)
            await pilot.pause()  # (each size handled before the next, while the engine trains on)
        assert app.main_screen.run_state in ("running", "finished")
        await wait_until(pilot, lambda: app.main_screen.run_state == "finished", what="the run to finish")
        await wait_until(pilot, lambda: app.main_screen.views_settled, what="the charts to catch up")
        assert not app.screen.has_class("too-small")
        assert "epoch 399: loss:" in log_text(app)
        assert "chart unavailable" not in str(app.query_one(LossChart).render())


async def test_a_second_close_of_a_modal_is_harmless(app_factory):
    """Ctrl+P then Enter twice fast: the second Enter asked to pop the main screen (ScreenStackError)."""
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        await app.pop_screen()
        await app.pop_screen()  # nothing left to close
        await app_settled(pilot)
        assert app.is_running and not isinstance(app.screen, HelpScreen)


async def test_a_failing_engine_is_restarted_once_and_the_app_stays_up(app_factory, monkeypatch, engine):
    """An exception in training: the app stays up with its settings, restarts the engine once; failing again
    on the same settings, it is not restarted forever (it was, 23 times in 20 s) until a setting changes."""
    from linreg_core.training.trainer import Trainer

    def boom(self, n):
        raise RuntimeError("boom")

    monkeypatch.setattr(Trainer, "advance", boom)
    app = app_factory(lr=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("space")
        await wait_until(pilot, lambda: "training failed: RuntimeError: boom" in log_text(app), what="a failure")
        assert app.is_running and app.query_one("#field-lr", Input).value == "0.05"  # the settings are kept
        await ready(pilot)  # restarted once
        await pilot.press("space")
        await wait_until(pilot, lambda: app.engine is None and app.main_screen.run_state == "idle", what="given up")
        await app_settled(pilot)  # whatever the failure set in motion has been handled
        assert app.engine is None and log_text(app).count("training failed") == 2
        assert engine.started == 2  # started, restarted once, no third start
        assert app.main_screen.check_action("toggle_run", ()) is None and "engine failed" in str(app.query_one("#status").render())
        monkeypatch.undo()
        await pilot.press("asterisk")  # a changed setting tries again
        await ready(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: app.main_screen.data.step == 1, what="training again")


async def test_panel_keys_zoom_a_panel_on_a_large_terminal(app_factory):
    app = app_factory()
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await pilot.press("2")
        loss, fit = app.query_one(LossChart), app.query_one(FitChart)
        await wait_until(pilot, lambda: app.screen.has_class("zoomed") and loss.size.width > 100, what="zoomed")
        assert loss.display and not fit.display  # the whole area, not a third of it
        await pilot.press("2")
        await wait_until(pilot, lambda: not app.screen.has_class("zoomed") and fit.size.width > 0, what="unzoomed")
        assert loss.display and fit.display and loss.size.width < 100


async def test_every_chart_keeps_its_title_on_a_large_terminal_after_a_run(app_factory):
    """plotext leaves out a title wider than its plot: at 160×48 the loss and params titles vanished."""
    from tui.widgets.params_chart import ParamsChart

    app = app_factory(epochs=3)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await finish_run(pilot, what="the run")
        await wait_until(pilot, lambda: app.main_screen.views_settled, what="the charts")
        for chart, words in ((LossChart, "batch loss"), (ParamsChart, "parameters"), (FitChart, "vs x0")):
            assert words in str(app.query_one(chart).render()), chart.__name__


async def test_keys_that_set_a_field_say_what_they_set(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("l", "o", "d")
        said = ("loss: mse (the run starts over)", "optimizer: momentum (the run starts over)", "seed: 1 (new data)")
        await wait_until(pilot, lambda: all(text in notices(app) for text in said), what="the three notices")


async def test_a_stalled_run_is_named_in_the_status_the_log_and_a_notice(app_factory):
    app = app_factory(lr=5)  # MAE at lr 5 on the tutorial: the loss sits near 75 instead of falling
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        await finish_run(pilot)
        await wait_until(pilot, lambda: "FINISHED · stalled" in str(app.query_one("#status").render()),
                         what="the status to name the stall")
        text = " ".join(log_text(app).split())
        assert "⚠ stalled by epoch" in text and "y follows the first advice" in text and "learning rate: " in text
        await wait_until(pilot, lambda: "stalled" in notices(app).split("\n"), what="a notice titled stalled")


async def test_a_long_status_line_keeps_every_number_at_80_columns(app_factory):
    """A schedule's rate in use and a diagnosis word made the line longer than 80 columns, and its end, the
    speed, was cut off (a README audit at 80×24): it says the same numbers in fewer words instead."""
    app = app_factory(lr=5, schedule="step")  # ends not converged; the step schedule moves the rate in use
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await finish_run(pilot)
        await wait_until(pilot, lambda: "FINISHED · not converged" in str(app.query_one("#status").render()),
                         what="the status to say not converged")
        line = str(app.query_one("#status").render())
        data = app.main_screen.data
        assert "→" in line and line.rstrip().endswith(app.session.speed_label) and len(line.rstrip()) <= 80
        assert f"step {data.step}" in line and f"{data.epoch:03d}/050" in line


async def test_the_form_shows_the_data_sources_own_fields(app_factory, tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{2 * i + 1}\n" for i in range(20)))
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        form = app.query_one(ParameterForm)
        shown = lambda name: form.query_one(f"#field-{name}").display and form.query_one(f"#field-{name}").styles.display != "none"
        assert shown("weights") and shown("csv") and not shown("target")
        field = form.query_one("#field-csv", Input)
        field.focus()
        await pilot.pause()
        field.value = str(csv)
        await pilot.press("enter", "escape")
        await wait_until(pilot, lambda: app.main_screen.data.setup.source != "synthetic", what="the CSV data")
        assert shown("target") and shown("features") and not shown("weights") and not shown("noise")
        assert app.main_screen.fit_chart.view == "partial"  # the honest view for real data: the line fits the points
        await pilot.press("4")
        table = app.query_one(ParamsTable)
        labels = lambda: [str(c.label) for c in table.columns.values()]
        await wait_until(pilot, lambda: "|Δopt|" in labels(), what="the table for real data")
        assert "true" not in labels()


async def test_f_hides_the_form_and_the_page_keys_scroll_the_log(app_factory):
    app = app_factory(epochs=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        form = app.query_one(ParameterForm)
        width = app.main_screen.fit_chart.size.width
        await pilot.press("f")
        await pilot.pause()
        assert not form.display and app.main_screen.fit_chart.size.width > width + 20
        await finish_run(pilot)
        await pilot.press("5")
        log = app.query_one(Log)
        await wait_until(pilot, lambda: log.line_count > 60 and log.max_scroll_y > 0, what="the log lines")
        await pilot.press("home")
        await pilot.pause()
        assert log.scroll_y == 0
        await pilot.press("pagedown")
        await pilot.pause()
        assert log.scroll_y > 0
        await pilot.press("end")
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y
        await pilot.press("e")  # editing brings the form back
        await pilot.pause()
        assert form.display


def test_the_params_chart_draws_distances_for_many_or_mixed_scale_parameters():
    from tui.widgets.params_chart import _needs_relative

    assert not _needs_relative([8.1, 2, 2, 4, 1.1])  # the tutorial: values
    assert _needs_relative([0.001, 10.7, 1.0, -399])  # a bias on its own scale
    assert _needs_relative([1.0] * 11)  # 11 series: the farthest six, as distances


async def test_the_surface_panel_draws_the_loss_over_two_parameters_and_its_keys_change_them(app_factory, engine):
    from tui.widgets.surface import SurfaceView

    app = app_factory(epochs=3)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("6")
        surface = app.query_one(SurfaceView)
        await wait_until(pilot, lambda: surface.view is not None, what="the first grid")
        assert surface.view.names == ("w[x0]", "b")
        nx, ny = surface.grid_size()
        assert (len(surface.view.xs), len(surface.view.ys)) == (nx, ny)  # one grid point a character
        plot = str(surface.render()).splitlines()[1:-2]  # the rows of the grid
        assert any("@" in row for row in plot) and any("O" in row for row in plot)  # now, least squares
        await pilot.press("a")
        await wait_until(pilot, lambda: surface.view.names == ("w[x1]", "b"), what="the next x parameter")
        await pilot.press("A")
        await wait_until(pilot, lambda: surface.view.names == ("w[x1]", "w[x0]"), what="the next y parameter")
        await pilot.press("t")
        await wait_until(pilot, lambda: surface.view.held == "optimum", what="others at the optimum")
        from linreg_core.analysis.landscape_view import LandscapeView

        await engine.caught_up(pilot)
        grids = len(engine.of(LandscapeView))
        await pilot.press("n")  # while shown, a step brings a new grid at the new parameters
        await engine.caught_up(pilot)
        assert engine.step == 1 and len(engine.of(LandscapeView)) > grids
        await pilot.press("1")  # hidden: the engine is told to stop
        await engine.caught_up(pilot)
        grids = len(engine.of(LandscapeView))
        await pilot.press("n")
        await engine.caught_up(pilot)
        assert engine.step == 2 and len(engine.of(LandscapeView)) == grids  # no grid computed for a hidden panel


async def test_y_follows_the_advice_shown_and_the_run_then_trains(app_factory):
    app = app_factory(loss="mse", lr=10, epochs=5)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("space")
        await wait_until(pilot, lambda: app.main_screen.run_state == "diverged", what="divergence")
        await wait_until(pilot, lambda: "diverged" in notices(app), what="the divergence's notice")
        advice = next(c for c in app.main_screen.data.diagnosis["causes"] if c["changes"])
        await pilot.press("y")
        await wait_until(pilot, lambda: app.main_screen.config.train.lr == advice["changes"]["lr"], what="the advised lr set")
        await wait_until(pilot, lambda: "followed the advice" in notices(app), what="y's notice")
        assert "Why, and what to try" not in notices(app)  # the old run's notice went with it
        assert "followed the advice: learning rate: " in " ".join(log_text(app).split())
        await wait_until(pilot, lambda: app.main_screen.run_state in ("idle", "diverged"), what="the engine's answer")
        await pilot.press("space")  # a new run on the advised settings
        await wait_until(pilot, lambda: app.main_screen.run_state == "finished", what="the advised run's end")
        assert app.main_screen.data.summary["config"]["lr"] == advice["changes"]["lr"]


async def test_the_status_line_shows_the_newest_steps_batch_loss_on_a_long_run(app_factory, engine):
    """A run of 2M steps reports every 100th step's loss (the thinning keeps memory flat); the status line's
    batch loss is still the loss of the step just taken (it showed one up to a stride of steps old)."""
    options = dict(samples=64, batch_size=1, epochs=31_250, lr=0.01)  # 2,000,000 steps: a stride of 100
    oracle = trainer_for(Config().replace(**options))
    losses = [r.loss for r in oracle.advance(7)]
    app = app_factory(**options)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.main_screen.run_state == "idle", what="ready")
        for _ in range(7):
            await pilot.press("n")
        await engine.caught_up(pilot)
        assert engine.step == 7
        await wait_until(pilot, lambda: f"batch loss {num(losses[-1])}" in str(app.query_one("#status").render()),
                         what="the 7th step's loss on the status line")
