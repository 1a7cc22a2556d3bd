"""A strict CSV reader: a header row, numbers in every column that is used. Refusals name the file, the
1-based line and the column; nothing is half-loaded (the caller gets a table or an error, never part of
one). Columns are chosen from the header before any row is read, so a wrong column name is reported before
a bad cell, and columns that are not used may hold anything (names, dates, ids)."""
from __future__ import annotations

import csv
import io
import math
import os
import stat
from dataclasses import dataclass
from typing import Callable

from .errors import DataError
from .parse import parse_number

MAX_FIELD = 1000  # characters; a number never needs more
MAX_BYTES = 2 * 2**30


@dataclass(frozen=True)
class Table:
    """Numeric columns read from a CSV file, row-major. rows: n tuples of len(names) floats (the chosen
    columns, in the chosen order)."""

    names: tuple[str, ...]
    rows: list[tuple[float, ...]]
    path: str
    lines: list[int]  # the 1-based line of each row (blank lines are skipped), for messages


def read_bytes(path: str, expected: str = "a CSV file") -> tuple[str, bytes]:
    """Expand ~, refuse anything but a readable regular file. Returns (resolved path, contents)."""
    shown = path
    path = os.path.expanduser(str(path))
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise DataError("no such file", shown) from None
    except OSError as e:
        raise DataError(f"cannot be read ({e.strerror})", shown) from None
    if stat.S_ISDIR(st.st_mode):
        raise DataError(f"is a directory; expected {expected}", shown)
    if not stat.S_ISREG(st.st_mode):
        raise DataError(f"is not a regular file (a pipe or device?); expected {expected}", shown)
    if st.st_size > MAX_BYTES:
        raise DataError(f"is {st.st_size / 2**30:.1f} GiB; at most {MAX_BYTES // 2**30} GiB is read", shown)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise DataError(f"cannot be read ({e.strerror})", shown) from None
    return path, raw


def read_text(path: str, expected: str = "a CSV file") -> tuple[str, str]:
    """read_bytes, decoded as UTF-8 (a byte-order mark is dropped). Returns (resolved path, text)."""
    shown = path
    path, raw = read_bytes(path, expected)
    try:
        return path, raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DataError(f"is not UTF-8 text (byte 0x{raw[e.start]:02x}); save it as UTF-8", shown, line) from None


def read_csv(path: str, choose: Callable[[tuple[str, ...]], tuple[str, ...]] | None = None) -> Table:
    """Parse a comma-separated file with a header row into a Table of finite floats. choose(header) names
    the columns to read, in order (all by default); it may raise DataError for a column that is not there."""
    resolved, text = read_text(path)
    shown = str(path)
    if not text.strip():
        raise DataError("is empty; expected a header row and rows of numbers", shown)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    old_limit = csv.field_size_limit(10 * MAX_FIELD)
    try:
        header = _header(reader, shown)
        names = choose(header) if choose is not None else header
        picks = [header.index(n) for n in names]
        rows, lines = [], []
        for record in reader:
            if not record or all(not c.strip() for c in record):
                continue  # blank line
            rows.append(_row(record, header, picks, reader.line_num, shown))
            lines.append(reader.line_num)
    except csv.Error as e:
        if "field limit" in str(e):
            raise DataError(f"a field is longer than {10 * MAX_FIELD:,} characters; expected numbers",
                            shown, reader.line_num) from None
        raise DataError(f"malformed CSV ({e})", shown, reader.line_num) from None
    finally:
        csv.field_size_limit(old_limit)
    if not rows:
        raise DataError("has a header but no rows of data", shown)
    return Table(tuple(names), rows, resolved, lines)


def _header(reader, shown: str) -> tuple[str, ...]:
    header = next(reader, None)
    if header is None:
        raise DataError("is empty; expected a header row", shown)
    names = tuple(h.strip() for h in header)
    if len(names) == 1 and ";" in names[0]:
        raise DataError("looks ';'-separated; linreg reads comma-separated files", shown, 1)
    if len(names) < 2:
        raise DataError("has one column; expected at least one feature column and a target column", shown, 1)
    if all(_is_number(n) for n in names):
        raise DataError("the first row holds numbers; expected a header row of column names", shown, 1)
    for i, name in enumerate(names, 1):
        if not name:
            raise DataError(f"header column {i} has no name", shown, 1)
        if len(name) > MAX_FIELD:
            raise DataError(f"header column {i} is {len(name)} characters long", shown, 1)
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise DataError("column name appears twice in the header", shown, 1, dup)
    return names


def _row(record: list[str], header: tuple[str, ...], picks: list[int], line: int, shown: str) -> tuple[float, ...]:
    if len(record) != len(header):
        raise DataError(f"has {len(record)} fields; the header has {len(header)}", shown, line)
    values = []
    for name, cell in ((header[i], record[i]) for i in picks):
        if not cell.strip():
            raise DataError("is empty; every cell must hold a number", shown, line, name)
        if len(cell) > MAX_FIELD:
            raise DataError(f"holds {len(cell):,} characters; expected a number", shown, line, name)
        try:
            value = parse_number(cell)
        except ValueError as e:
            raise DataError(str(e), shown, line, name) from None
        values.append(value)
    return tuple(values)


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(parse_number(text))
    except ValueError:
        return False
