"""The loss surface over two parameters as contour bands of characters (they read without colour; colour adds
to them), with the run's path, its current point, the optimum of its loss and the true parameters. The
engine computes the grid (linreg_core/analysis/landscape.py) at this widget's size; this only lays it out. A point
outside the window (a diverged run's last parameters: the engine leaves them out of it) is drawn at the
window's edge, in the direction it lies."""
from __future__ import annotations

import math

from rich.text import Text
from textual.message import Message
from textual.widgets import Static

from tui.text import num
from tui.widgets.compare_chart import lane_mark

BANDS = " .:-=+*#%&"  # low loss → high (the marks below use none of these)
BAND_COLOURS = ("#0d2b45", "#123e5c", "#17527a", "#1f6a8f", "#2e8a8f", "#5aa469", "#a2b447", "#d8a23a",
                "#e0712f", "#d13c2f")
MARKS = {"path": "•", "true": "T", "optimum": "O", "current": "@"}
LABEL_WIDTH = 9  # the y axis's labels


def short(x: float, width: int = LABEL_WIDTH - 1) -> str:
    """A number in at most `width` characters: num()'s when it fits, else fewer significant digits."""
    text = num(x)
    for digits in (3, 2, 1):
        if len(text) <= width:
            return text
        text = f"{x:.{digits}g}"
    return text[:width]


def band_of(value: float, lo: float, hi: float, bands: int = len(BANDS)) -> int:
    """Bands spaced on a log scale above the minimum: the valley floor gets as many bands as the walls."""
    if not math.isfinite(value):
        return bands - 1
    span = hi - lo
    if span <= 0:
        return 0
    t = math.log1p(1000 * (value - lo) / span) / math.log1p(1000)
    return max(0, min(bands - 1, int(t * bands)))


class SurfaceView(Static):
    """The loss surface over two parameters, drawn from the engine's grid. It owns what it shows (settings: the
    pair, the others held at now or at the optimum, the zoom) and its keys' effects on them; its screen sends
    want() to the engine whenever it changes (Resized says the grid's size changed)."""

    class Resized(Message):
        """The panel's size changed: its screen asks the engine for a grid of the new size."""

    def __init__(self, **kwargs):
        super().__init__("", **kwargs)
        self.view = None  # events.LandscapeView
        self.settings = {"i": 0, "j": -1, "held": "current", "zoom": 1.0}  # i, j: parameter indices (-1: b)

    def on_resize(self, _event) -> None:
        self.post_message(self.Resized())

    def grid_size(self) -> tuple[int, int]:
        """The grid the engine should compute: one point per character cell of the plot."""
        return max(8, self.size.width - LABEL_WIDTH - 1), max(4, self.size.height - 3)

    def want(self, **extra) -> dict:
        """What the engine is asked to draw: the settings at the panel's size (extra: a race's lane)."""
        nx, ny = self.grid_size()
        return {**self.settings, "nx": nx, "ny": ny, **extra}

    def next_axis(self, which: int, parameters: int) -> None:
        """a / A: the next parameter on the x (which 0) or y (1) axis, never the other axis' one."""
        key, other = ("i", "j") if which == 0 else ("j", "i")
        value = (self.settings[key] % parameters + 1) % parameters
        if value == self.settings[other] % parameters:
            value = (value + 1) % parameters
        self.settings[key] = value

    def zoom(self, factor: float) -> None:
        self.settings["zoom"] = max(0.05, min(1000.0, self.settings["zoom"] * factor))

    def toggle_hold(self) -> None:
        self.settings["held"] = "optimum" if self.settings["held"] == "current" else "current"

    def whole(self) -> bool:
        """A new run's (or race's) window holds its path and optimum again; True when that changed it."""
        changed = self.settings["zoom"] != 1.0
        self.settings["zoom"] = 1.0
        return changed

    def show(self, view) -> None:
        self.view = view
        self.refresh()

    def render(self):
        v = self.view
        width = self.size.width
        if v is None:
            return Text("the loss surface: waiting for the engine's grid…")
        finite = [x for row in v.loss for x in row if math.isfinite(x)]
        if not finite:
            return Text("no finite loss on this window: z zooms out")
        lo, hi = min(finite), max(finite)
        nx, ny = len(v.xs), len(v.ys)
        cells = [[BANDS[band_of(x, lo, hi)] for x in row] for row in v.loss]  # cells[r][c], r: ys index
        colours = [[BAND_COLOURS[band_of(x, lo, hi)] for x in row] for row in v.loss]
        (x0, x1), (y0, y1) = (v.xs[0], v.xs[-1]), (v.ys[0], v.ys[-1])

        off_window = []  # what was drawn at the edge

        def cell(x: float, y: float, at_edge: str = ""):
            """(row, column) of a point; None outside the window, unless at_edge names it: then it is drawn
            at the nearest edge cell (an infinite coordinate: at that side)."""
            if math.isnan(x) or math.isnan(y):
                return None
            inside = x0 <= x <= x1 and y0 <= y <= y1
            if not inside and not at_edge:
                return None
            if not inside:
                off_window.append(at_edge)
            c = round((min(max(x, x0), x1) - x0) / ((x1 - x0) or 1) * (nx - 1))
            r = round((min(max(y, y0), y1) - y0) / ((y1 - y0) or 1) * (ny - 1))
            return r, c

        marks: dict[tuple[int, int], str] = {}
        now_cells = set()
        if v.lanes:  # a race: each lane's path and point drawn with its own number
            for number, path, now in v.lanes:
                for point in path:
                    if (rc := cell(*point)) is not None:
                        marks[rc] = lane_mark(number)
            for name, point in (("true", v.true), ("optimum", v.optimum)):
                if point is not None and (rc := cell(*point)) is not None:
                    marks[rc] = MARKS[name]
            for number, path, now in v.lanes:
                if (rc := cell(*now, at_edge=lane_mark(number))) is not None:
                    marks[rc] = lane_mark(number)
                    now_cells.add(rc)
        else:
            for point in v.path:
                rc = cell(*point)
                if rc is not None:
                    marks[rc] = MARKS["path"]
            for name, point in (("true", v.true), ("optimum", v.optimum)):
                if point is not None and (rc := cell(*point)) is not None:
                    marks[rc] = MARKS[name]
            if (rc := cell(*v.current, at_edge=MARKS["current"])) is not None:
                marks[rc] = MARKS["current"]
                now_cells.add(rc)
        text = Text()
        held = "now" if v.held == "current" else "optimum"
        if v.lanes:
            now_mark = "lane numbers: paths, now reversed"
            if off_window:
                now_mark += f"; {','.join(dict.fromkeys(off_window))} outside: at edge"
        else:
            now_mark = "@ outside: at edge" if off_window else "@ now  • path"
        true = "  T true" if v.true is not None else ""
        # the legend must survive a narrow panel (80 columns with the form: "@ outside: at edge" was cut off):
        # fewer words first, then the legend alone, and only then a cut
        titles = (f"{v.loss_name} over {v.names[0]} × {v.names[1]}, others at {held}: O optimum{true}  {now_mark}",
                  f"{v.loss_name} over {v.names[0]} × {v.names[1]}: O optimum{true}  {now_mark}",
                  f"{v.names[0]} × {v.names[1]}: O opt{true}  {now_mark}", f"O opt{true}  {now_mark}")
        title = next((t for t in titles if len(t) <= width), titles[-1][:width])
        text.append(title + "\n", style="bold")
        for r in range(ny - 1, -1, -1):  # the largest y at the top
            label = short(v.ys[r]) if r in (ny - 1, ny // 2, 0) else ""
            text.append(f"{label:>{LABEL_WIDTH - 1}} │")
            for c in range(nx):
                mark = marks.get((r, c))
                if mark is not None:
                    strong = (r, c) in now_cells or mark in "OT"
                    text.append(mark, style="bold reverse" if strong else "bold #ffffff")
                else:
                    text.append(cells[r][c], style=f"on {colours[r][c]}")
            text.append("\n")
        left, mid, right = short(v.xs[0]), short(v.xs[nx // 2]), short(v.xs[-1])
        axis = " " * LABEL_WIDTH + left
        axis += " " * max(1, LABEL_WIDTH + nx // 2 - len(axis) - len(mid) // 2) + mid
        axis += " " * max(1, LABEL_WIDTH + nx - len(axis) - len(right)) + right
        text.append(axis + "\n")
        sample = "" if v.exact else f"; {v.rows:,} rows sampled"
        units = ", standardized units" if v.units == "standardized" else ""
        bands = f"bands ' ' {num(lo)} … '&' {num(hi)}"
        # whole pieces only: a cut number reads as another number ('&' 83.7 for 83.7348: a hostile pass)
        feet = (f"{v.names[0]} → {v.names[1]} ↑{units}  {bands}{sample}  a/A pair z/Z zoom t others",
                f"{v.names[0]} → {v.names[1]} ↑{units}  {bands}{sample}", f"{bands}{sample}", bands)
        text.append(next((f for f in feet if len(f) <= width), bands[:width]))
        return text
