"""The main screen's panels (fit, loss, params, table, log, surface) and when each is drawn.

One panel is shown at a time on a small terminal (keys 1–7 choose it); on a large one (the screen's class
`wide`) the first six are shown in a grid, and `zoomed` shows the chosen one alone (the theory panel, 7, is
shown zoomed). Panels are marked dirty when
the data changes and drawn on the app's view tick, at most one a tick and each at most CHART_HZ times a second:
on a large terminal the charts and the table take turns, so a frame costs one chart's rendering, not four
(measured at 160×48 while training flat out, keys showed after 150–175 ms, median, when every panel was
redrawn in the same frame).
"""
from __future__ import annotations

import time

from textual.containers import Container
from textual.widgets import Log

from tui.run_log import RunLog, wrap_lines
from tui.widgets.chart import Chart
from tui.widgets.params_table import ParamsTable
from tui.widgets.theory_panel import TheoryPanel

CHART_HZ = 4  # redraws a second of one chart at most: live enough to watch
# the panels of the large terminal's grid (3×2); the theory panel is shown by its key (7), zoomed
GRID = ("fit", "loss", "params", "table", "log", "surface")


class Panels(Container):
    def __init__(self, *children, **kwargs):
        super().__init__(*children, **kwargs)
        self.current = "fit"  # the chosen panel's id
        self._drawn_at: dict[str, float] = {}  # panel id -> when it was last drawn (monotonic seconds)

    @property
    def all_shown(self) -> bool:
        """Every panel on screen at once (a large terminal, none zoomed)."""
        if not self.is_attached:  # (the app is closing: a queued request asks after the screen is gone)
            return False
        return self.screen.has_class("wide") and not self.screen.has_class("zoomed")

    def on_screen(self, name: str) -> bool:
        return (self.all_shown and name in GRID) or self.current == name

    def show(self, name: str) -> None:
        self.current = name
        for panel in self.children:
            panel.set_class(panel.id == name, "current")
        self.mark_dirty()

    def zoom(self, name: str) -> None:
        """1–7 on a large terminal: that panel zoomed to the whole area (the same key again goes back to every
        panel); the caller then shows it (on a small terminal, that alone)."""
        screen = self.screen
        if screen.has_class("wide"):
            screen.set_class(not (screen.has_class("zoomed") and self.current == name), "zoomed")

    def mark_dirty(self) -> None:
        for panel in self.children:
            panel.dirty = True

    def _due(self) -> list:
        return [p for p in self.children if getattr(p, "dirty", False)
                and isinstance(p, (Chart, ParamsTable, TheoryPanel)) and self.on_screen(p.id)]

    @property
    def settled(self) -> bool:
        """Every panel on screen shows the latest data (for tests and snapshots: no timing guesses)."""
        return not self._due()

    def tick(self, data, run_log: RunLog) -> None:
        """One view tick: the log's new lines (while it is on screen), and at most one panel, the one that has
        waited longest, if it was last drawn 1/CHART_HZ ago or more."""
        now = time.monotonic()
        if self.on_screen("log") and now - self._drawn_at.get("log", 0.0) >= 1 / CHART_HZ:
            self._drawn_at["log"] = now
            self.write_log(run_log)
        due = [p for p in self._due() if now - self._drawn_at.get(p.id, 0.0) >= 1 / CHART_HZ]
        if due:
            panel = min(due, key=lambda p: self._drawn_at.get(p.id, 0.0))
            self._drawn_at[panel.id] = now
            if isinstance(panel, Chart):
                panel.redraw(data)
            else:
                panel.show(data)
                panel.dirty = False

    def write_log(self, run_log: RunLog) -> None:
        """The log's pending lines into the Log, wrapped at its width (cleared first for a new run)."""
        log = self.query_one(Log)
        if run_log.clear_view:
            run_log.clear_view = False
            log.clear()
        lines = run_log.take()
        if lines:
            shown = log.scrollable_content_region.width
            log.write_lines(wrap_lines(lines, shown - 1 if shown > 20 else 78))  # (a log not on screen: tests)

    def scroll(self, how: str) -> None:
        """Page Up/Down, Home, End: scroll the log (or the table) shown."""
        target = self.query_one(Log) if self.on_screen("log") else \
            self.query_one(ParamsTable) if self.current == "table" else None
        if target is not None:
            getattr(target, f"scroll_{how}")(animate=False)
