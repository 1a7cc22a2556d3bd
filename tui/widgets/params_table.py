"""Learned against true: true, learned and least-squares values of every parameter, and the errors."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from tui.text import num, param_names

MAX_ROWS = 200


class ParamsTable(DataTable):
    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.add_columns("param", "true", "learned", "lstsq", "|Δtrue|", "|Δlstsq|")

    def show(self, data) -> None:
        setup = data.setup
        if setup is None:
            return
        names = param_names(setup.feature_names)
        learned = list(data.weights) + [data.bias]
        ls = list(setup.ls_weights) + [setup.ls_bias]
        true = list(setup.true_weights) + [setup.true_bias] if setup.true_weights is not None else [None] * len(ls)
        self.clear()
        for name, t, l, o in list(zip(names, true, learned, ls))[:MAX_ROWS]:
            cells = (num(t), num(l), num(o), _err(None if t is None else abs(l - t)), _err(abs(l - o)))
            self.add_row(Text(name), *(Text(c, justify="right") for c in cells))  # Text: "w[x0]" is no markup


def _err(x: float | None) -> str:
    return "—" if x is None else f"{x:.1e}"
