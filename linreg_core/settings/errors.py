"""Errors a user can cause. Each one names what was wrong and what is expected; none carries a traceback
meant for the user."""
from __future__ import annotations


class LinregError(Exception):
    """Base: something the user handed in was refused. str() is the one line to show."""


class ConfigError(LinregError):
    """One or more option values were refused. `errors` maps field name -> message (without the field)."""

    def __init__(self, errors: dict[str, str], labels: dict[str, str] | None = None):
        self.errors = dict(errors)
        self._labels = labels or {}
        super().__init__(self.first_line())

    def first_line(self) -> str:
        field, message = next(iter(self.errors.items()))
        label = self._labels.get(field, field)
        return f"{label}: {message}"


class DataError(LinregError):
    """A file was refused (data, config or parameters). Names the path, and the 1-based line and column
    where there is one. `field`: the setting that named the file (csv, init_params), for the app's form."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None,
                 column: str | None = None, field: str = "csv"):
        self.message, self.path, self.line, self.column, self.field = message, path, line, column, field
        where = []
        if path:
            where.append(str(path))
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
