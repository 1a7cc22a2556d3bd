"""Files that pandas and spreadsheets read: strict JSON and safe CSV, written atomically.

- JSON never holds NaN or Infinity (not JSON): such a number becomes null and its path is listed under
  "non_finite".
- CSV text cells that a spreadsheet would run as a formula (=, +, -, @ and tab/CR first) get a leading '.
- Files are written to a temporary file beside the target and renamed over it, so a failure (full disk,
  read-only folder) never leaves a torn file; the caller keeps everything in memory to retry.
- A path the user names (write_file) is never replaced when it is not a regular file: a symlink is written
  through (the link stays), a FIFO or a device is written in place.
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

from .results import EpochResult

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
    """Write text to a path a user named. A regular file (or a new one) is replaced atomically, keeping its
    permissions; through a symlink the target is written (the link stays); a FIFO or a character device is
    written in place, by the name given (/dev/stdout on a pipe resolves to no openable path); a FIFO without
    a reader is refused at once rather than waited on; a folder is refused. Returns the expanded path;
    raises OSError."""
    shown = os.path.expanduser(path)
    try:
        st = os.stat(shown)  # follows links: what the name finally is
    except FileNotFoundError:
        write_atomic(os.path.realpath(shown), text)  # a new file (through a dangling link: at its target)
        return shown
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder", shown)
    if stat.S_ISREG(st.st_mode):
        write_atomic(os.path.realpath(shown), text, mode=stat.S_IMODE(st.st_mode))
        return shown
    try:  # FIFO, device: in place
        fd = os.open(shown, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as e:
        if e.errno == errno.ENXIO:
            raise OSError(errno.ENXIO, "a pipe with no reader", shown) from None
        raise
    os.set_blocking(fd, True)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return shown


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


def is_stdout(path: str) -> bool:
    """Whether a path names this process's standard output (`--history /dev/stdout`, or the file stdout was
    redirected to): such output must go through the stdout stream, in order, not replace the file."""
    import sys

    try:
        st, out = os.stat(os.path.expanduser(path)), os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return (st.st_dev, st.st_ino) == (out.st_dev, out.st_ino)


def same_file(a: str, b: str) -> bool:
    """Whether two paths name the same file (through ~, links and relative parts)."""
    a, b = os.path.expanduser(a), os.path.expanduser(b)
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)
