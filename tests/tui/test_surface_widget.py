"""The surface panel's drawing: a point outside the window (a diverged run's last parameters) is drawn at
the window's edge and said in the title; the optimum is named for the run's loss."""
from textual.app import App

from tests.core.test_landscape import _surface
from linreg_core.settings.config import Config
from tui.widgets.surface import SurfaceView


class _Host(App):
    def compose(self):
        yield SurfaceView()


async def _drawn(view, size=(80, 24)) -> list[str]:
    app = _Host()
    async with app.run_test(size=size) as pilot:
        widget = app.query_one(SurfaceView)
        widget.show(view)
        await pilot.pause()
        return [line.plain for line in widget.render().split("\n")]


async def test_a_diverged_runs_point_is_drawn_at_the_edge_and_said():
    trainer, view = _surface(Config().replace(loss="mse", lr=10.0, epochs=5))
    assert trainer.status == "diverged"
    lines = await _drawn(view, size=(120, 30))
    assert "@ outside: at edge" in lines[0] and "O optimum" in lines[0]
    assert "others at optimum" in lines[0]  # at the diverged run's values the grid would be one band
    grid = [row.split("│", 1)[1] for row in lines[1:-2]]  # the cells, without the y labels
    assert any("O" in row for row in grid)  # the optimum inside
    [(r, c)] = [(r, row.index("@")) for r, row in enumerate(grid) if "@" in row]
    assert r in (0, len(grid) - 1) or c in (0, len(grid[r]) - 1)  # on the window's edge


async def test_a_run_in_the_window_has_no_edge_note():
    _, view = _surface(Config().replace(epochs=3))
    lines = await _drawn(view)
    assert "off the window" not in lines[0] and "@" in "".join(lines[1:])


async def test_a_narrow_panel_keeps_the_legend_and_drops_words_first():
    """At 80 columns beside the form the title was cut after "T true": "@ outside: at edge" was lost."""
    trainer, view = _surface(Config().replace(loss="mse", lr=10.0, epochs=5))
    lines = await _drawn(view, size=(50, 24))
    assert lines[0].rstrip().endswith("@ outside: at edge") and "O opt" in lines[0] and "…" not in lines[0]
