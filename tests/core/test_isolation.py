"""The core never imports the UI side, and importing linreg_core alone does not load torch."""
import subprocess
import sys


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout
    return {m.split(".")[0] for m in out.split()}


def test_core_imports_nothing_of_the_ui():
    loaded = _loaded_after("import linreg_core.training.trainer, linreg_core.analysis.summary, linreg_core.storage.export, "
                           "linreg_core.data.csvdata, linreg_core.model.reference, "
                           "linreg_core.session.controller, linreg_core.storage.runs, linreg_core.training.race, linreg_core.analysis.compare, "
                           "linreg_core.session.race_controller, linreg_core.settings.presets")
    assert "torch" in loaded
    assert not loaded & {"textual", "textual_plotext", "plotext", "rich", "tui"}


def test_config_and_cli_parsing_do_not_load_torch():
    loaded = _loaded_after("import linreg_core.settings.config, tui.cli")
    assert not loaded & {"torch", "textual"}


def test_what_the_app_unpickles_from_the_engine_does_not_load_torch():
    """The app never imports torch (its first frame comes fast): the engine's events are made of these."""
    loaded = _loaded_after("import linreg_core.session.states, linreg_core.session.events, linreg_core.model.results, tui.app, "
                           "linreg_core.session.race_controller, tui.screens.race, tui.screens.race_presets, "
                           "tui.screens.overlay, tui.screens.microscope, linreg_core.storage.runs")
    assert "torch" not in loaded


PARTS = ("settings", "data", "model", "training", "analysis", "storage", "session")  # each imports only earlier ones


def _imports_of(path):
    """Every linreg_core part a module imports, at the top or inside a function (relative or absolute)."""
    import ast

    tree = ast.parse(path.read_text())
    here = path.parent.name
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                yield here
            elif node.level == 2:
                yield (node.module or "").split(".")[0] or None
            elif node.module and node.module.startswith("linreg_core."):
                yield node.module.split(".")[1]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("linreg_core."):
                    yield alias.name.split(".")[1]


def test_each_part_of_the_core_imports_only_the_parts_before_it():
    from pathlib import Path

    core = Path(__file__).resolve().parents[2] / "linreg_core"
    assert sorted(p.name for p in core.iterdir() if p.is_dir() and p.name != "__pycache__") == sorted(PARTS)
    assert [p.name for p in core.glob("*.py")] == ["__init__.py"]  # nothing left outside the parts
    wrong = []
    for part in PARTS:
        for module in (core / part).glob("*.py"):
            for used in _imports_of(module):
                if used is not None and PARTS.index(used) > PARTS.index(part):
                    wrong.append(f"{part}/{module.name} imports {used}")
    assert not wrong, wrong
    for part in PARTS:  # each part says what it owns
        doc = (core / part / "__init__.py").read_text()
        assert doc.startswith('"""') and len(doc) > 120, part
