"""A strict CSV reader: a header row, numbers in every column that is used. Refusals name the file, the
1-based line and the column; nothing is half-loaded (the caller gets a table or an error, never part of
one). Columns are chosen from the header before any row is read, so a wrong column name is reported before
a bad cell, and columns that are not used may hold anything (names, dates, ids)."""
from __future__ import annotations

import csv
import math
import os
from array import array
from dataclasses import dataclass
from typing import Callable

from ..settings.errors import DataError
from ..settings.files import Lines, open_regular
from ..settings.parse import parse_number

MAX_FIELD = 1000  # characters; a number never needs more


@dataclass(frozen=True)
class Table:
    """Numeric columns read from a CSV file: the chosen columns, in the chosen order, each an array of
    float64 (8 bytes a cell, not a Python float's 24 plus a tuple's share)."""

    names: tuple[str, ...]
    columns: list[array]
    path: str
    lines: list[int]  # the 1-based line of each row (blank lines are skipped), for messages

    @property
    def n_rows(self) -> int:
        return len(self.lines)

    @property
    def rows(self) -> list[tuple[float, ...]]:
        """Row-major view (for small tables and tests)."""
        return list(zip(*self.columns))


def read_csv(path: str, choose: Callable[[tuple[str, ...]], tuple[str, ...]] | None = None,
             check_rows: Callable[[int, int], None] | None = None) -> Table:
    """Parse a comma-separated file with a header row into a Table of finite floats, streaming it (the file
    is never held in memory whole). choose(header) names the columns to read, in order (all by default); it
    may raise DataError for a column that is not there. check_rows(rows, columns) is called with the number
    of rows the whole file will hold, projected from what was read so far (every ROWS_PER_CHECK rows and at
    the end), and may raise to refuse a file too large for memory before it is read to its end."""
    shown = str(path)
    resolved, raw = open_regular(path)
    size = os.fstat(raw.fileno()).st_size
    old_limit = csv.field_size_limit(10 * MAX_FIELD)
    lines = Lines(raw, shown, MAX_LINE, "not a CSV file of numbers")
    reader = csv.reader(lines, strict=True)
    record_start = 1
    try:
        header = _header(reader, shown)
        names = choose(header) if choose is not None else header
        picks = [header.index(n) for n in names]
        columns = [array("d") for _ in picks]
        row_lines: list[int] = []
        while True:
            record_start = lines.count + 1
            record = next(reader, None)
            if record is None:
                break
            if not record or all(not c.strip() for c in record):
                continue  # blank line
            _row(record, header, picks, columns, reader.line_num, shown)
            row_lines.append(reader.line_num)
            if check_rows is not None and len(row_lines) % ROWS_PER_CHECK == 0:
                check_rows(_projected(len(row_lines), raw.tell(), size), len(names))
    except csv.Error as e:
        if "field limit" in str(e):
            raise DataError(f"a field is longer than {10 * MAX_FIELD:,} characters; expected numbers",
                            shown, reader.line_num) from None
        if "unexpected end of data" in str(e):
            raise DataError("a quoted field opened here is never closed", shown, record_start) from None
        raise DataError(f"malformed CSV ({e})", shown, reader.line_num) from None
    finally:
        csv.field_size_limit(old_limit)
        raw.close()
    if not row_lines:
        raise DataError("has a header but no rows of data", shown)
    if check_rows is not None:
        check_rows(len(row_lines), len(names))
    return Table(tuple(names), columns, resolved, row_lines)


ROWS_PER_CHECK = 65_536
MAX_LINE = 1 << 20  # bytes in one line; longer is not a CSV of numbers (a file of NUL bytes, a blob)


def _projected(rows: int, read: int, size: int) -> int:
    """The rows a file of `size` bytes will hold, from `rows` in its first `read` bytes."""
    return rows if read <= 0 or read >= size else int(rows * size / read) + 1


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


def _row(record: list[str], header: tuple[str, ...], picks: list[int], columns: list[array], line: int,
         shown: str) -> None:
    """Parse the chosen cells of one record and append them to their columns (all or none)."""
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
    for column, value in zip(columns, values):
        column.append(value)


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(parse_number(text))
    except ValueError:
        return False
