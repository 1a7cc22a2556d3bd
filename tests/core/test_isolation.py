"""The core never imports the UI side, and importing linreg_core alone does not load torch."""
import subprocess
import sys


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout
    return {m.split(".")[0] for m in out.split()}


def test_core_imports_nothing_of_the_ui():
    loaded = _loaded_after("import linreg_core.trainer, linreg_core.summary, linreg_core.export, "
                           "linreg_core.csvdata, linreg_core.reference, "
                           "linreg_core.controller, linreg_core.runs, linreg_core.race, linreg_core.compare, "
                           "linreg_core.race_controller, linreg_core.presets")
    assert "torch" in loaded
    assert not loaded & {"textual", "textual_plotext", "plotext", "rich", "tui"}


def test_config_and_cli_parsing_do_not_load_torch():
    loaded = _loaded_after("import linreg_core.config, tui.cli")
    assert not loaded & {"torch", "textual"}


def test_what_the_app_unpickles_from_the_engine_does_not_load_torch():
    """The app never imports torch (its first frame comes fast): the engine's events are made of these."""
    loaded = _loaded_after("import linreg_core.states, linreg_core.events, linreg_core.results, tui.app, "
                           "linreg_core.race_controller, tui.screens.race, tui.screens.race_presets, "
                           "tui.screens.overlay, tui.screens.microscope, linreg_core.runs")
    assert "torch" not in loaded
