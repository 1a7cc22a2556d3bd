"""The lanes' table as text cells (no torch: the app and the sweep share it; the race folder's lanes.csv is
this table with exact numbers)."""
from __future__ import annotations

from typing import Callable


def _text(name: str, value) -> str:
    """A setting as typed ("0.1", "yes"), from a LaneResult (text) or its JSON (a value)."""
    from .config import FIELDS
    return value if isinstance(value, str) else FIELDS[name].format(value)


def exact(x: float) -> str:
    return repr(float(x))


def lanes_table(results, varied: list[str], fmt: Callable[[float], str] | None = None
                ) -> tuple[list[str], list[list[str]]]:
    """Header and rows: lane, its varied settings, status, final loss, test loss (with a test split),
    |learned − lstsq| (the largest over the parameters), steps until near the optimum, epochs.
    results: compare.LaneResult or their as_dict(); fmt: how numbers are written (default: exactly)."""
    fmt = fmt or exact
    rows_in = [r if isinstance(r, dict) else r.as_dict() for r in results]
    has_test = any(r["test_loss"] is not None for r in rows_in)
    header = ["lane", *varied, "status", "final loss", *(["test loss"] if has_test else []),
              "max |Δlstsq|", "steps to 2×opt", "epochs"]
    rows = []
    for r in rows_in:
        kind = r["diagnosis"]
        state = r["status"] if kind in (None, "diverged") else f"{r['status']} · {kind.replace('_', ' ')}"
        test = [("" if r["test_loss"] is None else fmt(r["test_loss"]))] if has_test else []
        rows.append([str(r["lane"]), *(_text(n, r["settings"][n]) for n in varied), state, fmt(r["final_loss"]), *test,
                     fmt(r["lstsq_gap"]), "never" if r["steps_to_near"] is None else str(r["steps_to_near"]),
                     str(r["epochs"])])
    return header, rows
