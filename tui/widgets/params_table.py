"""Learned against true: true, learned and the optimum of the run's loss (least squares for MSE, LAD for MAE,
Huber's own) for every parameter, and the errors."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from tui.text import num, param_names

MAX_ROWS = 200


class ParamsTable(DataTable):
    def on_mount(self) -> None:
        self.cursor_type = "row"
        self._rows_for = None  # the setup the rows were built for
        self._with_true = None  # the columns have true values (synthetic data); CSV data has none
        self._optimum_known = None  # the setup carries the loss's optimum (else least squares stands in)

    def _columns_for(self, with_true: bool, optimum_known: bool) -> None:
        """True and |Δtrue| only when the data have true values: a CSV table keeps its width for the rest."""
        if (with_true, optimum_known) == (self._with_true, self._optimum_known):
            return
        self._optimum_known = optimum_known
        self.clear(columns=True)
        opt = "opt" if self._optimum_known else "lstsq"  # (large MAE/Huber data: least squares stands in)
        names = ("param", "true", "learned", opt, "|Δtrue|", f"|Δ{opt}|") if with_true else \
            ("param", "learned", opt, f"|Δ{opt}|")
        self._columns = self.add_columns(*names)
        self._with_true = with_true

    def show(self, data) -> None:
        setup = data.setup
        if setup is None:
            return
        names = param_names(setup.feature_names)[:MAX_ROWS]
        learned = list(data.weights) + [data.bias]
        ls = optimum_of(setup)
        with_true = setup.true_weights is not None
        true = list(setup.true_weights) + [setup.true_bias] if with_true else [None] * len(ls)
        if with_true:
            rows = [(num(t), num(l), num(o), _err(abs(l - t)), _err(abs(l - o))) for t, l, o in zip(true, learned, ls)]
            changing = (2, 4, 5)  # learned and the errors
        else:
            rows = [(num(l), num(o), _err(abs(l - o))) for l, o in zip(learned, ls)]
            changing = (1, 3)
        rows = rows[:MAX_ROWS]
        if self._rows_for is not setup:  # a new experiment: new rows
            self._columns_for(with_true, bool(setup.optimum_weights))
            self.clear()
            for i, (name, cells) in enumerate(zip(names, rows)):
                # Text: "w[x0]" is no markup
                self.add_row(Text(name), *(Text(c, justify="right") for c in cells), key=str(i))
            self._rows_for = setup
            return
        # while training only learned values and errors change: update those cells, not the whole table
        # (clearing and refilling it every tick was a tenth of the UI thread's time on a large terminal)
        for i, cells in enumerate(rows):
            for column in changing:
                self.update_cell(str(i), self._columns[column], Text(cells[column - 1], justify="right"),
                                 update_width=True)


def optimum_of(setup) -> list[float]:
    """The optimum of the run's loss, [w..., b] (least squares where a setup carries no other)."""
    if setup.optimum_weights:
        return list(setup.optimum_weights) + [setup.optimum_bias]
    return list(setup.ls_weights) + [setup.ls_bias]


def _err(x: float | None) -> str:
    return "—" if x is None else f"{x:.1e}"
