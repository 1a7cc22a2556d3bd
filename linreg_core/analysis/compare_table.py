"""The lanes' table as text cells (no torch: the app and the sweep share it; the race folder's lanes.csv is
this table with exact numbers)."""
from __future__ import annotations

from typing import Callable

from ..model.results import Seen


def _text(name: str, value) -> str:
    """A setting as typed ("0.1", "yes"), from a LaneResult (text) or its JSON (a value)."""
    from ..settings.config import FIELDS
    return value if isinstance(value, str) else FIELDS[name].format(value)


def exact(x: float) -> str:
    return repr(float(x))


def lanes_table(results, varied: list[str], fmt: Callable[[float], str] | None = None
                ) -> tuple[list[str], list[list[str]]]:
    """Header and rows: lane, its varied settings, verdict, full-data MSE and R² (data units: the unit every
    lane shares), test MSE (with a test split), the lane's own loss, |learned − its loss' optimum| (the largest
    over the parameters), steps until near the optimum, epochs.
    results: compare.LaneResult or their as_dict(); fmt: how numbers are written (default: exactly)."""
    fmt = fmt or exact
    rows_in = [r if isinstance(r, dict) else r.as_dict() for r in results]
    has_test = any(r["test_loss"] is not None for r in rows_in)
    header = ["lane", *varied, "status", "MSE", "R²", *(["test MSE"] if has_test else []), "own loss",
              "max |Δopt|", "steps to 2×opt", "epochs"]
    rows = []
    for r in rows_in:
        kind = r["diagnosis"]
        state = r.get("verdict") or r["status"]
        if kind not in (None, Seen.DIVERGED, Seen.NOT_CONVERGED):
            state = f"{state} · {kind.replace('_', ' ')}"
        test = [("" if r.get("test_mse") is None else fmt(r["test_mse"]))] if has_test else []
        own = f"{r.get('loss', '')} {fmt(r['final_loss'])}".strip()
        rows.append([str(r["lane"]), *(_text(n, r["settings"][n]) for n in varied), state, fmt(r["mse"]),
                     fmt(r["r2"]), *test, own,
                     fmt(r["lstsq_gap"]), "never" if r["steps_to_near"] is None else str(r["steps_to_near"]),
                     str(r["epochs"])])
    return header, rows
