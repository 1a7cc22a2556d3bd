"""Strict text -> value parsers shared by the CLI, the app and config files.

Each parser takes the raw text and returns a value or raises ValueError with a message that says what is
expected (the caller adds the field's name). Python's own float()/int() are too lenient for user input:
they take '1_000', 'nan', 'inf' and '  1e3\n'; these parsers take plain decimal numbers only.
"""
from __future__ import annotations

import math
import re

# re.ASCII: \d would also take other scripts' digits ('٣', '３'), which the README's "plain decimals" exclude
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
MAX_TEXT = 64  # longer than any sensible number; keeps int('9' * 10**6) out


def parse_number(text: str) -> float:
    """A finite decimal number such as 0.03, -2, 1e-4."""
    s = str(text).strip()
    if len(s) > MAX_TEXT or not _NUMBER.fullmatch(s):
        raise ValueError(f"{_show(text)} is not a number (write it like 0.03 or 1e-4)")
    value = float(s)
    if not math.isfinite(value):
        raise ValueError(f"{_show(text)} is too large for a number")
    if value == 0.0 and any(c in "123456789" for c in s.split("e")[0].split("E")[0]):
        raise ValueError(f"{_show(text)} is too small: it rounds to 0")
    return value


def parse_int(text: str) -> int:
    """A whole number written with digits only: 16, 500."""
    s = str(text).strip()
    if len(s) <= MAX_TEXT and _INTEGER.fullmatch(s):
        return int(s)
    raise ValueError(f"{_show(text)} is not a whole number")


def parse_numbers(text: str, max_count: int) -> tuple[float, ...]:
    """Comma-separated numbers: '8.1, 2, 2, 4'."""
    s = str(text).strip()
    example = "comma-separated numbers such as 8.1,2,2,4"
    if not s:
        raise ValueError(f"expected {example}, got nothing")
    parts = s.split(",")
    if len(parts) > max_count:
        raise ValueError(f"at most {max_count} values, got {len(parts)}")
    values = []
    for i, part in enumerate(parts, 1):
        try:
            values.append(parse_number(part))
        except ValueError:
            raise ValueError(f"value {i} ({_show(part.strip())}) is not a number; expected {example}") from None
    return tuple(values)


def parse_names(text: str) -> tuple[str, ...]:
    """Comma-separated column names: 'a,b,c'."""
    names = tuple(p.strip() for p in str(text).split(","))
    if not any(names):
        raise ValueError("expected comma-separated column names such as x1,x2")
    if any(not n for n in names):
        raise ValueError(f"empty column name in {_show(text)}; expected names such as x1,x2")
    if len(set(names)) != len(names):
        raise ValueError(f"a column is named twice in {_show(text)}")
    return names


def parse_bool(text: str) -> bool:
    s = str(text).strip().lower()
    if s in ("1", "true", "yes", "on"):
        return True
    if s in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected yes or no, got {_show(text)}")


def _show(text: object) -> str:
    s = str(text)
    return repr(s if len(s) <= 40 else s[:37] + "...")
