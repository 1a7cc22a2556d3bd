"""User text is shown literally: file names, column names, runs folders, save paths and the messages that
quote them go through no markup parser (a `[/x]` in any of them once crashed the app with MarkupError)."""
from textual.widgets import Input, Label, OptionList

from tui.screens.runs import RunsScreen
from tui.screens.save import SaveConfigScreen
from tui.widgets.form import ParameterForm
from tests.tui.conftest import app_settled, finish_run, notices, wait_until
from tests.tui.test_app import ready

MARKUP = "x[/red]y[b]"


async def _type_field(pilot, name, text):
    field = pilot.app.query_one(f"#field-{name}", Input)
    field.focus()
    field.value = text
    await pilot.press("enter", "escape")


async def test_markup_in_a_csv_path_and_a_column_name_is_shown_as_typed(app_factory, tmp_path):
    folder = tmp_path / MARKUP
    folder.mkdir(parents=True)
    missing = folder / "nope.csv"
    bad = folder / "bad[/b].csv"
    bad.parent.mkdir()
    bad.write_text("a[/b],[i]y\n1,2\n3,x\n")  # a bad cell under a column named [i]y
    good = bad.parent / "good[b].csv"
    good.write_text("a[/b],[i]y\n1,2\n3,4.1\n5,6\n")
    app = app_factory()
    async with app.run_test(size=(100, 30), notifications=True) as pilot:  # the refusals' notices are drawn too
        await ready(pilot)
        form = app.query_one(ParameterForm)
        await _type_field(pilot, "csv", str(missing))
        await wait_until(pilot, lambda: "csv" in form.errors, what="the missing file")
        assert str(missing) in form.errors["csv"] and app.is_running
        await _type_field(pilot, "csv", str(good))
        await wait_until(pilot, lambda: app.main_screen.data.setup.source == str(good), what="the good file")
        assert app.main_screen.data.setup.feature_names == ("a[/b]",)
        await _type_field(pilot, "target", "[/nope]")
        await wait_until(pilot, lambda: "[/nope]" in form.errors.get("target", ""), what="the unknown column")
        await _type_field(pilot, "target", "[i]y")
        await _type_field(pilot, "csv", str(bad))  # a bad cell under the column named [i]y
        await wait_until(pilot, lambda: "bad[/b].csv" in form.errors.get("csv", ""), what="the bad cell")
        shown = str(app.query_one("#error-csv", Label).render())
        assert "'[i]y'" in shown and "bad[/b].csv" in shown
        await wait_until(pilot, lambda: "bad[/b].csv" in notices(app), what="the bad cell's notice on screen")
        assert "'[i]y'" in notices(app)  # the notice quotes the column as typed too
        await app_settled(pilot)
        assert app.is_running


async def test_markup_in_a_save_path_and_a_runs_folder(app_factory, tmp_path):
    runs = tmp_path / "runs[/x]"
    app = app_factory(runs_dir=str(runs), samples=64, epochs=1)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await finish_run(pilot, what="a run")
        await pilot.press("p")
        assert isinstance(app.screen, RunsScreen)
        assert "runs[/x]" in str(app.screen.query_one("#runs-title", Label).render())
        assert "finished" in str(app.screen.query_one(OptionList).get_option_at_index(0).prompt)
        await pilot.press("escape")
        await pilot.press("s")
        assert isinstance(app.screen, SaveConfigScreen)
        app.screen.query_one("#save-path", Input).value = str(tmp_path / "no[/x]dir" / "y.toml")
        await pilot.press("enter")
        shown = str(app.screen.query_one("#save-error", Label).render())
        assert "no[/x]dir" in shown and "Could not write" in shown
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main_screen, what="the dialog to close")
        await app_settled(pilot)
        assert app.is_running
