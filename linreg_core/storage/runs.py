"""The runs folder: every run, in the app or headless, kept on disk as it happens.

    <runs dir>/20261126-193012-mae-sgd-seed0/
        config.toml    the experiment, written when the run starts (reopen: linreg --config …/config.toml)
        history.csv    one row per finished epoch, appended and flushed as the epoch ends
        params.json    the last parameters, written (temporary file + rename) when the run ends
        summary.json   status, metrics, learned against true, written with params.json

A kill loses at most the epoch in progress: each row goes to the file in one write() of a whole line (no
buffer in between), so the file never holds a torn row; a write that fails part-way (a full disk) is cut
back at once to the end of the last whole row. A run cut off before its end has no summary.json.
A failed write (read-only folder, full disk) never stops training: the recorder remembers the error and the
rows not yet written, and tries again at the next epoch and at the end (`retry()` forces it).
"""
from __future__ import annotations

import csv
import errno
import io
from collections import deque
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG

from ..settings import configfile
from ..settings.config import Config
from ..settings.errors import DataError
from .export import dumps, history_header, history_row, params_dict, safe_cell, write_atomic
from ..settings.files import MAX_HISTORY_BYTES, Lines, open_regular, read_json
from ..model.results import EpochResult

CONFIG, HISTORY, PARAMS, SUMMARY = "config.toml", "history.csv", "params.json", "summary.json"
LANES = "lanes.csv"  # a race's table of lanes (RaceRecorder)


def default_runs_dir() -> Path:
    """$XDG_DATA_HOME/linreg/runs (~/.local/share/linreg/runs); the platform's data folder elsewhere."""
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "linreg" / "runs"
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / "linreg" / "runs"
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(xdg) if xdg and os.path.isabs(xdg) else home / ".local" / "share"  # the spec: ignore relative
    return base / "linreg" / "runs"


def _csv_line(cells: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue()


class RunRecorder:
    """Writes one run's folder. Never raises for a failed write: see `error` and `retry()`."""

    def __init__(self, runs_dir: str | os.PathLike, config: Config, feature_names, target_name: str,
                 label: str = ""):
        self.runs_dir = Path(os.path.expanduser(str(runs_dir)))
        self.config = config
        self.feature_names = tuple(feature_names)
        self.target_name = target_name
        stamp = time.strftime("%Y%m%d-%H%M%S")
        t = config.train
        self.name = f"{stamp}-{t.loss}-{t.optimizer}-seed{config.seed}{'-' + label if label else ''}"
        self.folder: Path | None = None  # set once created
        self.error: str | None = None  # the last write failure, None when everything is on disk
        self._unwritten: deque[str] = deque()  # CSV lines not yet on disk (header first, when it is not)
        self._history: int | None = None  # history.csv's file descriptor, opened for appending
        self._final: tuple[str, str] | None = None  # params and summary JSON waiting to be written
        self._config_written = False
        self._unwritten.append(_csv_line([safe_cell(h) for h in history_header(self.feature_names)]))
        self._write()

    def add_epoch(self, e: EpochResult) -> None:
        self._unwritten.append(_csv_line(history_row(e)))
        self._write()

    def finish(self, weights, bias, summary: dict | None = None) -> None:
        """The run ended (finished, diverged, stopped, or the program is going away): write the results."""
        params = dumps(params_dict(weights, bias, self.feature_names, self.target_name)) + "\n"
        self._final = (params, dumps(summary) + "\n" if summary is not None else "")
        self._write()
        if self.error is None:
            self.close()

    def retry(self) -> bool:
        """Try the writes that failed again; True when the whole run is on disk."""
        self._write()
        return self.error is None

    def close(self) -> None:
        """Close history.csv (finish() does it once everything is on disk); safe to call twice."""
        if self._history is not None:
            try:
                os.close(self._history)
            except OSError:
                pass
            self._history = None

    # ---------------------------------------------------------------- writing
    def _write(self) -> None:
        try:
            if self.folder is None:
                self.folder = self._create_folder()
            if not self._config_written:
                write_atomic(str(self.folder / CONFIG), configfile.dumps(self.config, f"linreg run {self.name}"))
                self._config_written = True
            if self._history is None and self._unwritten:
                self._history = _open_history(self.folder / HISTORY)
            while self._unwritten:
                _append_whole(self._history, self._unwritten[0].encode("utf-8"))
                self._unwritten.popleft()
            if self._final is not None:
                params, summary = self._final
                write_atomic(str(self.folder / PARAMS), params)
                if summary:
                    write_atomic(str(self.folder / SUMMARY), summary)
                self._final = None
            self.error = None
        except OSError as e:
            self.error = f"could not write the run to {self.folder or self.runs_dir}: {e.strerror or e}"
            self.close()  # reopened next time (a folder that came back, a disk with room again)

    def _create_folder(self) -> Path:
        if os.path.lexists(self.runs_dir) and not self.runs_dir.is_dir():  # a file, a FIFO, /dev/null, a loop
            raise NotADirectoryError(errno.ENOTDIR, "it is not a folder")
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        for i in range(1000):
            folder = self.runs_dir / (self.name if i == 0 else f"{self.name}-{i + 1}")
            try:
                folder.mkdir()
                self.name = folder.name
                return folder
            except FileExistsError:
                continue
        raise OSError(f"too many runs named {self.name}")


def _open_history(path: Path) -> int:
    """history.csv for appending, as a raw descriptor. A kill during an earlier write may have left part of a
    row: cut the file back to its last whole line first, so the next row is never glued to a torn one."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            os.ftruncate(fd, _last_newline_end(fd, size))
    except OSError:
        os.close(fd)
        raise
    return fd


def _last_newline_end(fd: int, size: int) -> int:
    """The offset just past the last newline (0 when there is none), read backwards 64 KiB at a time."""
    pos = size
    while pos > 0:
        start = max(0, pos - (1 << 16))
        chunk = os.pread(fd, pos - start, start)
        cut = chunk.rfind(b"\n")
        if cut >= 0:
            return start + cut + 1
        pos = start
    return 0


def _append_whole(fd: int, line: bytes) -> None:
    """Append one line with write() calls straight to the file (a disk nearly full may take part of it);
    if the line cannot be written whole, cut the file back to where it was and raise."""
    start = os.lseek(fd, 0, os.SEEK_END)
    done = 0
    try:
        while done < len(line):
            done += os.write(fd, line[done:])
    except OSError:
        try:
            os.ftruncate(fd, start)
        except OSError:
            pass
        raise


@dataclass(frozen=True)
class RunInfo:
    """One past run, as the runs browser lists it."""

    folder: Path
    name: str
    started: float  # the folder's modification time of config.toml (seconds since the epoch)
    status: str  # finished, diverged, … from summary.json; "cut off" when there is none
    epochs: int  # rows in history.csv
    last_loss: float | None  # the last row's loss_mean
    damaged: str = ""  # why a file of the folder could not be read ("" when nothing is wrong)


def list_runs(runs_dir: str | os.PathLike, limit: int = 500) -> list[RunInfo]:
    """Past runs, newest first: every folder with a config.toml (of any kind: one that is not a regular file
    is listed as damaged). Nothing here raises OSError or blocks; a damaged file is read as far as it can be
    and its reason kept in `damaged`."""
    root = Path(os.path.expanduser(str(runs_dir)))
    try:
        entries = [p for p in root.iterdir() if os.path.lexists(p / CONFIG)]
    except OSError:
        return []
    return [_info(folder) for folder in sorted(entries, key=lambda p: p.name, reverse=True)[:limit]]


def _info(folder: Path) -> RunInfo:
    problems: list[str] = []
    try:
        st = os.stat(folder / CONFIG)  # stat never opens: a FIFO here cannot block
        started = st.st_mtime
        if not S_ISREG(st.st_mode):
            problems.append(f"{CONFIG} is not a regular file")
    except OSError as e:
        started = 0.0
        problems.append(f"{CONFIG}: {e.strerror or e}")
    lanes = race_lanes(folder)
    if lanes or os.path.lexists(folder / LANES):
        done = "" if os.path.lexists(folder / LANES) else ", cut off"
        status = f"race of {len(lanes)} lane{'s' if len(lanes) != 1 else ''}{done}"
        return RunInfo(folder, folder.name, started, status, 0, None, "; ".join(problems))
    summary, problem = read_summary(folder)
    if problem:
        problems.append(problem)
    status = summary.get("status", "cut off") if summary is not None else "cut off"
    epochs, last_loss, problem = _history_tail(folder / HISTORY)
    if problem:
        problems.append(problem)
    return RunInfo(folder, folder.name, started, status, epochs, last_loss, "; ".join(problems))


def _history_tail(path: Path) -> tuple[int, float | None, str]:
    """(epochs in history.csv, the last row's loss_mean, why it could not be read: "" when it could). Read
    in constant time whatever its size (the list reads up to 500 histories on the app's thread): the header,
    and the last 64 KiB, whose last whole row numbers its epoch (rows are written whole, in order, from 0)."""
    try:
        _, f = open_regular(str(path), "a run's history", MAX_HISTORY_BYTES)
    except DataError as e:
        return 0, None, "" if e.message == "no such file" else f"{HISTORY} {e.message}"
    with f:
        try:
            header = f.readline(1 << 16)
            if not (header.startswith(b"epoch,") and header.endswith(b"\n")):
                return 0, None, f"{HISTORY} has no history header"
            start = f.tell()
            end = os.fstat(f.fileno()).st_size
            f.seek(max(start, end - 65536))
            tail = f.read(65536).split(b"\n")
        except OSError as e:
            return 0, None, f"{HISTORY} cannot be read ({e.strerror or e})"
    last = tail[-2] if len(tail) >= 2 else b""  # the last whole line (a torn row after it is ignored)
    if not last:
        return 0, None, ""
    try:
        cells = next(csv.reader([last.decode("utf-8")]))
        return max(0, int(cells[0]) + 1), float(cells[2]) if len(cells) > 2 and cells[2] else None, ""
    except (ValueError, csv.Error, IndexError, StopIteration):
        return 0, None, f"{HISTORY}: its last row is not a history row"


MAX_SUMMARY_BYTES = 1 << 20  # a summary is a few KiB; the list reads up to 500 of them on the app's thread


def read_summary(folder: Path) -> tuple[dict | None, str]:
    """(summary.json's object with its status checked, why it could not be read: "" when it could). None and
    "" when there is none (a run cut off before its end)."""
    try:
        summary = read_json(str(folder / SUMMARY), "a run summary", MAX_SUMMARY_BYTES)
    except DataError as e:
        return None, "" if e.message == "no such file" else f"{SUMMARY} {e.message}"
    if not isinstance(summary, dict):
        return None, f"{SUMMARY} is not a JSON object"
    if not isinstance(summary.get("status", ""), str):
        return {k: v for k, v in summary.items() if k != "status"}, f"{SUMMARY}: its status is not text"
    return summary, ""


def race_lanes(folder: Path) -> list[Path]:
    """A race folder's lane folders (…-lane01, …) in lane order: real folders with a config.toml. A link is
    never a lane (a `lane03 -> .` would make the race its own lane)."""
    def lane_number(p: Path) -> tuple[int, str]:
        number = re.search(r"-lane(\d+)$", p.name)  # RaceRecorder names them …-lane01, …-lane02
        return (int(number.group(1)), p.name)

    try:
        found = [p for p in folder.iterdir() if re.search(r"-lane\d+$", p.name)
                 and not p.is_symlink() and p.is_dir() and os.path.lexists(p / CONFIG)]
    except OSError:
        return []
    return sorted(found, key=lane_number)

class RaceRecorder:
    """A race's folder in the runs folder:

        <runs dir>/20261127-104500-race-16lanes-seed0/
            config.toml       lane 1's experiment (the race reopens like a run, on lane 1's settings)
            lanes.csv         one row per lane: its varied settings, status and results, written at the end
            <…>-lane01/ …     a run folder per lane (config, history, params, summary), as RunRecorder writes

    Failed writes never stop the race: `error` holds the last one (the lanes' recorders keep retrying)."""

    def __init__(self, runs_dir: str | os.PathLike, configs: list[Config], feature_names, target_name: str):
        root = Path(os.path.expanduser(str(runs_dir)))
        stamp = time.strftime("%Y%m%d-%H%M%S")
        name = f"{stamp}-race-{len(configs)}lanes-seed{configs[0].seed}"
        self.folder = root / name
        for i in range(2, 1000):
            if not self.folder.exists():
                break
            self.folder = root / f"{name}-{i}"
        self.error: str | None = None
        self._guard(lambda: (self.folder.mkdir(parents=True, exist_ok=True),
                             write_atomic(str(self.folder / CONFIG),
                                          configfile.dumps(configs[0], f"linreg race {self.folder.name}, lane 1"))))
        self.lanes = [RunRecorder(self.folder, c, feature_names, target_name, label=f"lane{i:02d}")
                      for i, c in enumerate(configs, start=1)]

    def finish(self, header: list[str], rows: list[list[str]]) -> None:
        """The race ended: write the lanes' table."""
        text = _csv_line([safe_cell(h) for h in header]) + "".join(_csv_line(r) for r in rows)
        self._guard(lambda: write_atomic(str(self.folder / LANES), text))

    @property
    def errors(self) -> list[str]:
        return [e for e in [self.error, *(lane.error for lane in self.lanes)] if e]

    def _guard(self, write) -> None:
        try:
            write()
        except OSError as e:
            self.error = f"could not write the race to {self.folder}: {e.strerror or e}"


@dataclass(frozen=True)
class PastRun:
    """A kept run read back for comparison: its settings, its epochs' mean losses and its summary."""

    folder: Path
    name: str
    settings: dict  # config.toml's values ({} when it cannot be read)
    epochs: list[int]
    steps: list[int]
    losses: list[float]  # each epoch's mean batch loss (the loss_mean column)
    summary: dict | None  # summary.json (None: cut off before its end, or unreadable)
    damaged: str = ""  # why a file could not be read ("" when nothing is wrong)


MAX_POINTS_READ = 20_000  # epochs kept per past run (every other one dropped past it): memory stays flat
SAMPLED_ABOVE = 16 * 2**20  # a history larger than this is read at SAMPLES evenly spaced places, not whole
SAMPLES, SAMPLE_BYTES = 512, 16384  # 8 MiB read at most: the overlay opens in about a second whatever the size


def _sampled_rows(raw):
    """Rows of a large history.csv read at evenly spaced places (its curve, thinned, in constant time):
    the whole lines inside each sampled stretch, as dicts keyed by the header."""
    header = next(csv.reader([raw.readline(1 << 16).decode("utf-8")]))
    start, size = raw.tell(), os.fstat(raw.fileno()).st_size
    for k in range(SAMPLES):
        raw.seek(start + (size - start) * k // SAMPLES)
        lines = raw.read(SAMPLE_BYTES).split(b"\n")[1:-1]  # the first and last may be cut
        for row in csv.reader(line.decode("utf-8", "replace") for line in lines):
            yield dict(zip(header, row))


def lane_folders(folder: Path) -> list[Path]:
    """A race folder's lane folders in lane order; a run folder is its own only lane."""
    return race_lanes(folder) or [folder]


def read_run(folder: Path) -> PastRun:
    """Never raises or blocks for a missing or damaged file: what can be read is returned, with the reason."""
    problems: list[str] = []
    settings: dict = {}
    try:
        settings = configfile.load(str(folder / CONFIG)).to_values()
    except Exception as e:  # noqa: BLE001 - a damaged config.toml leaves the settings unknown, nothing more
        problems.append(f"{CONFIG}: {getattr(e, 'message', None) or e}")
    epochs, losses = [], []
    try:
        _, raw = open_regular(str(folder / HISTORY), "a run's history", MAX_HISTORY_BYTES)
        with raw:
            rows = (csv.DictReader(Lines(raw, str(folder / HISTORY), 1 << 16, "not a history row"))
                    if os.fstat(raw.fileno()).st_size <= SAMPLED_ABOVE else _sampled_rows(raw))
            for row in rows:
                try:
                    epochs.append(int(row["epoch"]))
                    losses.append(float(row["loss_mean"]) if row.get("loss_mean") else float("nan"))
                except (KeyError, TypeError, ValueError):
                    continue
                if len(epochs) > MAX_POINTS_READ:
                    epochs, losses = epochs[::2], losses[::2]
    except DataError as e:
        if e.message != "no such file":
            problems.append(f"{HISTORY} {e.message}")
    except (OSError, csv.Error, UnicodeDecodeError) as e:
        problems.append(f"{HISTORY} could not be read to its end ({e})")
    summary, problem = read_summary(folder)
    if problem:
        problems.append(problem)
    counts = [_whole((summary or {}).get(k)) for k in ("steps", "epochs")]
    per_epoch = counts[0] / counts[1] if counts[0] and counts[1] else 0
    steps = [round((e + 1) * per_epoch) for e in epochs] if per_epoch else list(epochs)
    return PastRun(folder, folder.name, settings, epochs, steps, losses, summary, "; ".join(problems))


def _whole(value) -> int:
    """A count from a summary: a non-negative whole number, or 0 for anything else (a damaged file)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**62 else 0
