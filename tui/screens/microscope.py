"""m: the last step in numbers (linreg_core/analysis/microscope.py): the batch's first rows with ŷ, y, ŷ − y and
∂loss/∂ŷ, then each parameter's value before, gradient and penalty terms, the rule's own terms (velocity,
moments, denominator), what the rule subtracted (lr·grad only for SGD, whose step it is), the value after
and Δp = after − before. The engine's own numbers; this screen only lays them out."""
from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from tui.text import num, plural

# the rule's terms as the screen names them, in the order they build the step
TERM_NAMES = {"v": "v (velocity)", "direction": "grad + 0.9·v", "s": "s", "m": "m", "m_hat": "m̂",
              "v_hat": "v̂", "denominator": "√s + ε"}
S_NAMES = {"adagrad": "s (Σ grad²)", "rmsprop": "s (avg grad²)"}
# what each rule subtracts: after = before − this
UPDATE_NAMES = {"sgd": "lr·grad", "momentum": "lr·v", "nesterov": "lr·(grad+0.9·v)", "adagrad": "lr·grad/(√s+ε)",
                "rmsprop": "lr·grad/(√s+ε)", "adam": "lr·m̂/(√v̂+ε)"}
MAX_FEATURES_SHOWN = 2  # x columns in the rows table (all of them: linreg train --trace)
MAX_PARAMS_SHOWN = 5  # weight columns in the step's table, then b


def rows_table(record: dict) -> Table:
    d = len(record["rows"][0]["x"]) if record["rows"] else 0
    shown = min(d, MAX_FEATURES_SHOWN)
    t = Table(box=box.SIMPLE_HEAD, title=Text(f"batch {record['batch']} of epoch {record['epoch']:03d}: "
                                              f"{record['rows_shown']} of its {record['batch_rows']} "
                                              f"{plural(record['batch_rows'], 'row')}"),
              expand=False, pad_edge=False)
    for name in [f"x{j}" for j in range(shown)] + (["…"] if d > shown else []) + ["y", "ŷ", "ŷ − y", "∂loss/∂ŷ"]:
        t.add_column(name, justify="right")
    for r in record["rows"]:
        xs = [num(v) for v in r["x"][:shown]] + (["…"] if d > shown else [])
        t.add_row(*(Text(c) for c in [*xs, num(r["y"]), num(r["y_hat"]), num(r["residual"]), num(r["dloss_dyhat"])]))
    return t


def params_table(record: dict) -> Table:
    """One column per parameter (the first MAX_PARAMS_SHOWN weights and b), one row per quantity: it fits 80
    columns whatever the optimizer (its state adds rows, not columns)."""
    params = record["parameters"]
    shown = params[:MAX_PARAMS_SHOWN] + ([params[-1]] if len(params) > MAX_PARAMS_SHOWN else [])
    penalized = any(p["l1_term"] or p["l2_term"] for p in params)
    more = f" (the first {MAX_PARAMS_SHOWN} weights of {len(params) - 1}, and b)" if len(params) > len(shown) else ""
    t = Table(box=box.SIMPLE_HEAD, expand=False, pad_edge=False,
              title=Text(f"the step: {record['optimizer']}, lr {num(record['lr'])}"
                         + (f", t {record['t']}" if "t" in record else "") + more))
    t.add_column("")
    for p in shown:
        t.add_column(Text(p["name"]), justify="right")
    rows = [("before", "before"), ("grad", "∂loss/∂p"),
            *([("l1_term", "l1·sign(w)"), ("l2_term", "l2·w")] if penalized else [])]
    for key, label in rows:
        t.add_row(label, *(Text(num(p[key])) for p in shown))
    for key in params[0]["terms"]:
        t.add_row(term_name(record["optimizer"], key), *(Text(num(p["terms"][key])) for p in shown))
    t.add_row(UPDATE_NAMES[record["optimizer"]], *(Text(num(p["update"])) for p in shown))
    t.add_row("after", *(Text(num(p["after"])) for p in shown))
    t.add_row("Δp", *(Text(num(p["delta"])) for p in shown))
    return t


def term_name(optimizer: str, key: str) -> str:
    if optimizer == "adam":
        return {"v": "v (of grad²)", "denominator": "√v̂ + ε"}.get(key, TERM_NAMES[key])
    return S_NAMES[optimizer] if key == "s" else TERM_NAMES[key]


def explanation(record: dict) -> str:
    units = " (standardized units: the run trains on them)" if record["units"] == "standardized" else ""
    rule = {"sgd": "p ← p − lr·grad",
            "momentum": "v ← 0.9·v + grad; p ← p − lr·v",
            "nesterov": "v ← 0.9·v + grad; p ← p − lr·(grad + 0.9·v)",
            "adagrad": "s ← s + grad²; p ← p − lr·grad / (√s + 1e-10)",
            "rmsprop": "s ← 0.99·s + 0.01·grad²; p ← p − lr·grad / (√s + 1e-8)",
            "adam": "m ← 0.9·m + 0.1·grad; v ← 0.999·v + 0.001·grad²; m̂ = m / (1 − 0.9ᵗ), v̂ = v / (1 − 0.999ᵗ); "
                    "p ← p − lr·m̂ / (√v̂ + 1e-8)"}
    return (f"loss ({record['loss_name']}) of this batch before the step: {num(record['loss'])}{units}. "
            f"grad = ∂loss/∂p (+ the penalties' terms for weights); {rule[record['optimizer']]}: "
            f"after = before − {UPDATE_NAMES[record['optimizer']]}, and Δp = after − before is the step taken. "
            "n takes the next step and shows it; Escape closes.")


class MicroscopeScreen(ModalScreen):
    BINDINGS = [("escape,q,m", "app.pop_screen", "Close"), ("n", "app.microscope_step", "Next step"),
                ("P", "app.screenshot", "Screenshot")]

    def __init__(self, record: dict | None):
        """record: the step (microscope.last_step's dict), or None until the engine's answer comes."""
        super().__init__()
        self.record = record

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="microscope"):
            yield Static(id="microscope-title")
            yield Static(id="microscope-rows")
            yield Static(id="microscope-params")
            yield Static(id="microscope-note")
        yield Footer()  # its own keys (the main screen's footer below would list keys that do not act here)

    def show(self, record: dict) -> None:
        """Lay out a step (the first one, or the next after n)."""
        self.record = r = record
        self.query_one("#microscope-title", Static).update(Text(f"step {r['step']} under the microscope"))
        self.query_one("#microscope-rows", Static).update(rows_table(r))
        self.query_one("#microscope-params", Static).update(params_table(r))
        self.query_one("#microscope-note", Static).update(Text(explanation(r)))

    def on_mount(self) -> None:
        if self.record is not None:
            self.show(self.record)
        else:
            self.query_one("#microscope-title", Static).update(Text("the last step: its numbers are coming from "
                                                                      "the engine…"))
        self.query_one("#microscope").focus()  # arrows and Page Up/Down scroll a small terminal
