"""Experiments as TOML files: what every run folder keeps, what `--config FILE.toml` reads.

    # linreg experiment
    [data]
    weights = [8.1, 2, 2, 4]
    samples = 500
    [training]
    lr = 0.03
    [run]
    seed = 0

Keys are the fields' names (as in `linreg train --help`, with `_` for `-`); a key may also stand at the
top level. Every value goes through the same Field.parse as an option typed on the command line or in the
app, so files accept and refuse exactly what they do; a refusal names the file and the key's 1-based line.
Keys that are left out keep their defaults (or the base config's values). Relative paths (csv,
init_params) are read relative to the file's folder, so a run folder can be moved or copied as a whole.
"""
from __future__ import annotations

import os
import re
import tomllib
from typing import Any

from .config import DATA_NAMES, TRAIN_NAMES, FIELDS, Config, format_number
from .files import read_text
from .errors import ConfigError, DataError

SECTIONS = {
    "data": [n for n in FIELDS if n in DATA_NAMES],
    "training": [n for n in FIELDS if n in TRAIN_NAMES],
    "run": [n for n in FIELDS if n not in DATA_NAMES and n not in TRAIN_NAMES],
}
SECTION_OF = {name: section for section, names in SECTIONS.items() for name in names}
PATH_FIELDS = ("csv", "init_params")
_KEY_LINE = re.compile(r"\s*([A-Za-z0-9_-]+|\"[^\"]*\")\s*=")
_SECTION_LINE = re.compile(r"\s*\[\s*([A-Za-z0-9_-]+)\s*\]")
# A key of a linreg config has at most two parts ([data] weights, or data.weights). tomllib's time and memory
# grow with the square of a dotted key's parts (a 120 KB line `a.b.b.b… = 1` took 14 GB and a minute), so a
# key of more parts is refused before it is parsed. Tokens outside strings and comments: a dot adds a part,
# a key's characters, quoted parts and blanks continue the key, anything else ends it.
MAX_KEY_DOTS = 16
_KEY_TOKENS = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|\.'
                         r"|[^A-Za-z0-9_\- \t.]")


def dumps(config: Config, header: str = "linreg experiment") -> str:
    """The whole config as TOML; fields that are unset (no CSV file, no parameter file) are left out.
    Paths are written absolute: the file means the same thing wherever it is read from."""
    lines = [f"# {header}", "# reopen with: linreg --config THIS_FILE   (or linreg train --config THIS_FILE)"]
    for section, names in SECTIONS.items():
        lines += ["", f"[{section}]"]
        for name in names:
            value = config.get(name)
            if value is None:
                continue
            if name in PATH_FIELDS:
                value = os.path.abspath(os.path.expanduser(value))
            lines.append(f"{name} = {_toml_value(FIELDS[name].kind, value)}")
    return "\n".join(lines) + "\n"


def _toml_value(kind: str, value: Any) -> str:
    if kind == "bool":
        return "true" if value else "false"
    if kind in ("number", "int"):
        return format_number(value)  # the shortest text that reads back as the same number
    if kind in ("numbers", "names"):
        return "[" + ", ".join(format_number(v) if kind == "numbers" else _toml_string(v) for v in value) + "]"
    return _toml_string(str(value))


def _toml_string(s: str) -> str:
    """A TOML basic string: backslash, quote and control characters escaped."""
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


MAX_CONFIG_BYTES = 1 << 20  # a config is a few hundred bytes; 1 MiB leaves room for 1000 weights and comments


def load(path: str, base: Config | None = None) -> Config:
    """Read a config file. Raises DataError naming the file and line (a bad value, an unknown key, bad TOML);
    its field is "config" (the --config option), whatever setting inside the file was refused."""
    try:
        return _load(path, base)
    except DataError as e:
        e.field = "config"
        raise


def _load(path: str, base: Config | None) -> Config:
    resolved, text = read_text(path, expected="a TOML config file", max_bytes=MAX_CONFIG_BYTES)
    shown = str(path)
    if _key_too_long(text):
        raise DataError(f"has a dotted key of more than {MAX_KEY_DOTS + 1} parts; a linreg config's keys have at "
                        "most two (training.lr, or lr under [training])", shown)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        line = getattr(e, "lineno", None) or _line_from_message(str(e))
        raise DataError(f"is not valid TOML: {str(e).split(' (at ')[0]}", shown, line) from None
    except RecursionError:  # arrays or tables nested hundreds deep: no config needs more than two levels
        raise DataError("nests arrays or tables too deeply to be a linreg config", shown) from None
    lines = _key_lines(text)
    options: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            if key not in SECTIONS:
                raise DataError(f"unknown section [{key}]; expected {', '.join(f'[{s}]' for s in SECTIONS)}",
                                shown, lines.get((key, None)))
            for name, v in value.items():
                _take(options, name, v, key, shown, lines)
        else:
            _take(options, key, value, None, shown, lines)
    folder = os.path.dirname(os.path.abspath(resolved))
    for name in PATH_FIELDS:
        v = options.get(name)
        if isinstance(v, str) and v.strip() and not os.path.isabs(os.path.expanduser(v.strip())):
            options[name] = os.path.join(folder, v.strip())
    try:
        return Config.from_options(options, base=base)
    except ConfigError as e:
        name, message = next(iter(e.errors.items()))
        line = lines.get((SECTION_OF.get(name), name)) or lines.get((None, name))
        raise DataError(f"{FIELDS[name].label} ({name}): {message}" if name in FIELDS else message,
                        shown, line) from None


def _take(options: dict, name: str, value: Any, section: str | None, shown: str, lines: dict) -> None:
    line = lines.get((section, name))
    if name not in FIELDS:
        hint = f"; did you mean {name.replace('-', '_')}?" if name.replace("-", "_") in FIELDS else \
            f"; known keys: {', '.join(FIELDS)}"
        raise DataError(f"unknown key {name!r}{hint}", shown, line)
    if section is not None and SECTION_OF[name] != section:
        raise DataError(f"{name} belongs in [{SECTION_OF[name]}], not [{section}]", shown, line)
    if name in options:
        raise DataError(f"{name} is given twice", shown, line)
    if isinstance(value, (dict, list)) and FIELDS[name].kind not in ("numbers", "names"):
        raise DataError(f"{FIELDS[name].label} ({name}): expected a single value, got a "
                        f"{'table' if isinstance(value, dict) else 'list'}", shown, line)
    if isinstance(value, list) and any(isinstance(v, (list, dict)) for v in value):
        raise DataError(f"{FIELDS[name].label} ({name}): expected a flat list such as [8.1, 2, 2, 4]", shown, line)
    if isinstance(value, float) and value != value:  # nan: say so here, str(nan) would read as text
        raise DataError(f"{FIELDS[name].label} ({name}): expected {FIELDS[name].expected()}, got nan", shown, line)
    options[name] = value


def _key_too_long(text: str) -> bool:
    """Whether a dotted key (or table header) outside strings and comments has more than MAX_KEY_DOTS dots.
    Linear in the text."""
    dots = 0
    for m in _KEY_TOKENS.finditer(text):
        c = m.group()
        if c == ".":
            dots += 1
            if dots > MAX_KEY_DOTS:
                return True
        elif c[0] not in "\"'":
            dots = 0  # '=', a bracket, a newline, a comment…: the key ended
    return False


def _key_lines(text: str) -> dict[tuple[str | None, str], int]:
    """{(section or None, key): 1-based line} for `key = value` lines, for messages."""
    found: dict[tuple[str | None, str], int] = {}
    section = None
    for i, raw in enumerate(text.splitlines(), start=1):
        m = _SECTION_LINE.match(raw)
        if m:
            section = m.group(1)
            found.setdefault((section, None), i)
            continue
        m = _KEY_LINE.match(raw)
        if m:
            found.setdefault((section, m.group(1).strip('"')), i)
    return found


def _line_from_message(message: str) -> int | None:
    m = re.search(r"at line (\d+)", message)
    return int(m.group(1)) if m else None
