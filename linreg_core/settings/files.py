"""Reading files a user (or a damaged runs folder) hands us, bounded and never blocking.

Every file the lab reads goes through open_regular: it is opened only if it is a regular file (a FIFO, a
device, a socket or a folder is refused by name, before a byte is read; the open itself never waits, so a
FIFO swapped in between the check and the open cannot hang the program), links are resolved once by the
kernel (a loop is refused with its reason), and its size is checked against a limit for its kind. JSON is
also refused past a nesting depth. Every refusal is a DataError naming the file.
"""
from __future__ import annotations

import json
import os
import stat

from .errors import DataError

# The most each kind of file may hold (bytes, by its size before reading). Generous for anything the lab
# writes (a summary is a few KiB; a history row is ~100 bytes, so 512 MiB is millions of epochs).
MAX_CSV_BYTES = 2 * 2**30
MAX_JSON_BYTES = 16 * 2**20  # summary.json, a params file's JSON
MAX_HISTORY_BYTES = 512 * 2**20
MAX_JSON_DEPTH = 64  # a summary nests 4 deep; a params file 3


def open_regular(path: str, expected: str = "a CSV file", max_bytes: int = MAX_CSV_BYTES):
    """Expand ~, refuse anything but a readable regular file of at most max_bytes. Returns (the expanded
    path, the file opened for reading in binary)."""
    shown = str(path)
    path = os.path.expanduser(shown)
    try:
        # O_NONBLOCK: opening a FIFO with no writer returns at once (then refused below) instead of waiting
        # for one; for a regular file it changes nothing. O_NOCTTY: a terminal device never becomes ours.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise DataError("no such file", shown) from None
    except IsADirectoryError:
        raise DataError(f"is a directory; expected {expected}", shown) from None
    except OSError as e:
        raise DataError(f"cannot be read ({e.strerror or e})", shown) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise DataError(f"is a directory; expected {expected}", shown)
        if not stat.S_ISREG(st.st_mode):
            raise DataError(f"is not a regular file (a pipe or device?); expected {expected}", shown)
        if st.st_size > max_bytes:
            raise DataError(f"is {size_text(st.st_size)}; at most {size_text(max_bytes)} is read for {expected}",
                            shown)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return path, os.fdopen(fd, "rb")


def read_bytes(path: str, expected: str = "a CSV file", max_bytes: int = MAX_CSV_BYTES) -> tuple[str, bytes]:
    """The whole of a regular file of at most max_bytes. Returns (expanded path, contents)."""
    resolved, f = open_regular(path, expected, max_bytes)
    with f:
        try:
            raw = f.read(max_bytes + 1)  # a file that grew since its size was read is still cut at the limit
        except OSError as e:
            raise DataError(f"cannot be read ({e.strerror})", str(path)) from None
    if len(raw) > max_bytes:
        raise DataError(f"grew past {size_text(max_bytes)} while being read; expected {expected}", str(path))
    return resolved, raw


def read_text(path: str, expected: str = "a CSV file", max_bytes: int = MAX_CSV_BYTES) -> tuple[str, str]:
    """read_bytes, decoded as UTF-8 (a byte-order mark is dropped). Returns (expanded path, text)."""
    shown = str(path)
    path, raw = read_bytes(path, expected, max_bytes)
    try:
        return path, raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DataError(f"is not UTF-8 text (byte 0x{raw[e.start]:02x}); save it as UTF-8", shown, line) from None


def read_json(path: str, expected: str = "a JSON file", max_bytes: int = MAX_JSON_BYTES,
              max_depth: int = MAX_JSON_DEPTH):
    """A JSON document of at most max_bytes, nested at most max_depth deep (NaN and Infinity refused)."""
    shown = str(path)
    _, text = read_text(path, expected, max_bytes)
    return parse_json(text, shown, expected, max_depth)


def parse_json(text: str, shown: str, expected: str = "a JSON file", max_depth: int = MAX_JSON_DEPTH):
    if _depth(text) > max_depth:
        raise DataError(f"nests deeper than {max_depth} levels; expected {expected}", shown)
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as e:
        raise DataError(f"is not valid JSON ({e.msg}, column {e.colno})", shown, e.lineno) from None
    except (ValueError, RecursionError) as e:
        raise DataError(f"is not valid JSON ({e})", shown) from None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _depth(text: str) -> int:
    """The deepest nesting of [ and { outside strings (a linear scan over the brackets only, so a deep
    document is refused before the parser recurses into it)."""
    import re

    depth = deepest = 0
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', text):
        c = m.group()
        if c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
    return deepest


class Lines:
    """A binary file's lines, decoded as UTF-8 (a byte-order mark is dropped), for csv.reader: each at most
    max_line bytes (a file of NUL bytes, or a sparse one, is never held whole), counted, and a decoding
    error refused naming its line."""

    def __init__(self, raw, shown: str, max_line: int, what_not: str = "not a line of text"):
        self.raw, self.shown, self.max_line, self.what_not, self.count = raw, shown, max_line, what_not, 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.raw.readline(self.max_line + 1)
        if not line:
            raise StopIteration
        self.count += 1
        if len(line) > self.max_line:
            raise DataError(f"is longer than {self.max_line:,} bytes: {self.what_not}", self.shown, self.count)
        try:
            return line.decode("utf-8-sig" if self.count == 1 else "utf-8")
        except UnicodeDecodeError as e:
            raise DataError(f"is not UTF-8 text (byte 0x{line[e.start]:02x}); save it as UTF-8",
                            self.shown, self.count) from None


def size_text(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n:,} bytes"
