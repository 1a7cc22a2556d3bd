"""Files that pandas and spreadsheets read: strict JSON and safe CSV, written atomically.

- JSON never holds NaN or Infinity (not JSON): such a number becomes null and its path is listed under
  "non_finite".
- CSV text cells that a spreadsheet would run as a formula (=, +, -, @ and tab/CR first) get a leading '.
- Files are written to a temporary file beside the target and renamed over it, so a failure (full disk,
  read-only folder) never leaves a torn file; the caller keeps everything in memory to retry.
- A path the user names (write_file) is checked by outputs.py: a FIFO, a device, a hard link or another
  user's file is refused; standard output and /dev/null are written in place.
"""
from __future__ import annotations

import csv
import errno
import io
import json
import math
import os
import stat
import tempfile
from typing import Any, Iterable

from ..model.results import EpochResult

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def strict_json(value: Any) -> dict:
    """A copy of a dict with non-finite floats replaced by None, and "non_finite": [paths] when any were."""
    found: list[str] = []

    def clean(v, path):
        if isinstance(v, float) and not math.isfinite(v):
            found.append(path)
            return None
        if isinstance(v, dict):
            return {k: clean(x, f"{path}.{k}" if path else k) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x, f"{path}[{i}]") for i, x in enumerate(v)]
        return v

    out = clean(value, "")
    if found:
        out["non_finite"] = found
    return out


def dumps(value: dict) -> str:
    return json.dumps(strict_json(value), allow_nan=False)


def safe_cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def write_file(path: str, text: str) -> str:
    """Write text to a path a user named, which outputs.check_outputs has accepted (checked again here, as
    the file may have changed since): a regular file (or a new one) is replaced atomically, keeping its
    permissions (through a symlink the target is replaced, the link stays); standard output/error and
    /dev/null are written in place. Returns the expanded path; raises OSError (its strerror says why)."""
    from ..settings.outputs import output_problem, written_through

    shown = os.path.expanduser(path)
    problem = output_problem(path)
    if problem:
        raise OSError(errno.EINVAL, problem.removeprefix(f"{path} ").removeprefix(f"{path}: "), shown)
    if written_through(path):
        with open(shown, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return shown
    try:
        mode = stat.S_IMODE(os.stat(shown).st_mode)
    except FileNotFoundError:
        mode = None  # a new file (through a dangling link: at its target)
    write_atomic(os.path.realpath(shown), text, mode=mode)
    return shown


class AtomicFile:
    """A file written line by line to a temporary file beside its target, which replaces the target only
    on commit() (at the end, or when the program is interrupted: what was written is whole lines); abort()
    leaves the target as it was. For outputs written as they go (--trace)."""

    def __init__(self, path: str):
        self.path = os.path.realpath(os.path.expanduser(path))
        try:
            self.mode = stat.S_IMODE(os.stat(self.path).st_mode)
        except FileNotFoundError:
            self.mode = 0o666 & ~_umask()
        fd, self.tmp = tempfile.mkstemp(prefix=".linreg-", suffix=".tmp", dir=os.path.dirname(self.path))
        os.fchmod(fd, self.mode)
        self.file = os.fdopen(fd, "w", encoding="utf-8", newline="")

    def write(self, text: str) -> None:
        self.file.write(text)

    def commit(self) -> None:
        if self.file.closed:
            return
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            os.replace(self.tmp, self.path)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        try:
            self.file.close()
        except OSError:
            pass
        try:
            os.unlink(self.tmp)
        except OSError:
            pass


def write_atomic(path: str, text: str, mode: int | None = None) -> str:
    """Write text to path via a temporary file and a rename (for regular files this program owns; a path
    a user named goes through write_file). Returns the expanded path; raises OSError."""
    path = os.path.expanduser(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".linreg-", suffix=".tmp", dir=folder)
    try:
        # mkstemp makes 0600; a saved file gets the usual permissions, a replaced one keeps its own
        os.fchmod(fd, mode if mode is not None else 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def history_header(feature_names: Iterable[str]) -> list[str]:
    return ["epoch", "loss_sum", "loss_mean", "test_loss", "lr", *(f"w_{n}" for n in feature_names), "bias"]


def history_row(e: EpochResult) -> list[str]:
    """One epoch as CSV cells; a non-finite number is written as an empty cell (pandas reads NaN)."""
    def num(x):
        return "" if x is None or not math.isfinite(x) else repr(float(x))
    return [str(e.epoch), num(e.loss_sum), num(e.loss_mean), num(e.test_loss), num(e.lr),
            *(num(w) for w in e.weights), num(e.bias)]


def history_csv(epochs: list[EpochResult], feature_names: Iterable[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([safe_cell(h) for h in history_header(feature_names)])
    writer.writerows(history_row(e) for e in epochs)
    return buf.getvalue()


def params_dict(weights, bias, feature_names, target_name) -> dict:
    """Learned parameters in data units, also as a torch.nn.Linear(d, 1) state dict (nested lists)."""
    return {
        "format": "linreg-params", "version": 1,
        "feature_names": list(feature_names), "target_name": target_name,
        "weights": list(weights), "bias": bias,
        "state_dict": {"weight": [list(weights)], "bias": [bias]},
    }


