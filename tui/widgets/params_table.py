"""Learned against true: true, learned and least-squares values of every parameter, and the errors."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from tui.text import num, param_names

MAX_ROWS = 200


class ParamsTable(DataTable):
    def on_mount(self) -> None:
        self.cursor_type = "row"
        self._columns = self.add_columns("param", "true", "learned", "lstsq", "|Δtrue|", "|Δlstsq|")
        self._rows_for = None  # (setup, names) the rows were built for

    def show(self, data) -> None:
        setup = data.setup
        if setup is None:
            return
        names = param_names(setup.feature_names)[:MAX_ROWS]
        learned = list(data.weights) + [data.bias]
        ls = list(setup.ls_weights) + [setup.ls_bias]
        true = list(setup.true_weights) + [setup.true_bias] if setup.true_weights is not None else [None] * len(ls)
        rows = [(num(t), num(l), num(o), _err(None if t is None else abs(l - t)), _err(abs(l - o)))
                for t, l, o in zip(true, learned, ls)][:MAX_ROWS]
        if self._rows_for is not setup:  # a new experiment: new rows
            self.clear()
            for i, (name, cells) in enumerate(zip(names, rows)):
                # Text: "w[x0]" is no markup
                self.add_row(Text(name), *(Text(c, justify="right") for c in cells), key=str(i))
            self._rows_for = setup
            return
        # while training only learned values and errors change: update those cells, not the whole table
        # (clearing and refilling it every tick was a tenth of the UI thread's time on a large terminal)
        for i, cells in enumerate(rows):
            for column in (2, 4, 5):
                self.update_cell(str(i), self._columns[column], Text(cells[column - 1], justify="right"),
                                 update_width=True)


def _err(x: float | None) -> str:
    return "—" if x is None else f"{x:.1e}"
