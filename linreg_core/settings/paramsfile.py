"""Parameter files to start a run from (`--init-params`): never code, only numbers.

Accepted:
- JSON: linreg's own (`--save-params`, a run's params.json: {"weights": [...], "bias": b}) or a state dict of
  torch.nn.Linear(d, 1) as lists ({"weight": [[...]], "bias": [b]}).
- A torch file written by `torch.save(model.state_dict())` (a zip archive), read with `weights_only=True`:
  torch's restricted unpickler, which refuses any object other than tensors and plain containers.
Refused without being opened as a pickle: a bare pickle (`pickle.dump`, or torch's legacy format) and
anything else. Parameters are in the data's units, as linreg writes them.
"""
from __future__ import annotations

import io
import json
import math
import re
import zipfile
from typing import Any

from .files import read_bytes
from .errors import DataError

ZIP_MAGIC = b"PK\x03\x04"  # torch.save's format since torch 1.6
PICKLE_START = (b"\x80", b"(", b"]", b"}", b"c")  # protocol 2+ header; protocol 0/1 opcodes
FIELD = "init_params"
HOW_TO_SAVE = "save parameters as JSON (linreg train --save-params) or with torch.save(model.state_dict())"
# 1000 weights (the most linreg takes) are about 25 KB as JSON and 5 KB as a torch file: anything larger is
# refused by its size on disk, and a torch archive by the sizes it declares, before it is read or expanded.
MAX_FILE_BYTES = 4 << 20
MAX_EXPANDED_BYTES = 16 << 20
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def load_params(path: str, n_features: int) -> tuple[tuple[float, ...], float]:
    """(weights, bias) from a parameter file. Raises DataError naming the file (and line for JSON)."""
    try:
        _, raw = read_bytes(path, expected="a parameter file (JSON or torch.save)", max_bytes=MAX_FILE_BYTES)
    except DataError as e:
        e.field = FIELD  # missing, a folder, unreadable: about this option's file, not the CSV's
        raise
    shown = str(path)
    head = raw.lstrip()[:1]
    if not head:
        raise DataError(f"is empty; {HOW_TO_SAVE}", shown, field=FIELD)
    if head in (b"{", b"["):
        obj = _read_json(raw, shown)
    elif raw.startswith(ZIP_MAGIC):
        obj = _read_torch(raw, shown)
    elif raw[:1] in PICKLE_START:
        raise DataError(f"is a pickle, which can run code when read; linreg never unpickles files. {HOW_TO_SAVE}",
                        shown, field=FIELD)
    else:
        raise DataError(f"is neither JSON nor a torch.save file; {HOW_TO_SAVE}", shown, field=FIELD)
    weights, bias = _interpret(obj, shown)
    if len(weights) != n_features:
        raise DataError(f"holds {len(weights)} weight{'s' if len(weights) != 1 else ''}, but the data has "
                        f"{n_features} feature{'s' if n_features != 1 else ''}", shown, field=FIELD)
    return weights, bias


def _read_json(raw: bytes, shown: str) -> Any:
    def refuse_constant(name):
        raise ValueError(f"{name} is not a number JSON allows")
    def refuse_duplicates(pairs):
        keys = [k for k, _ in pairs]
        dup = next((k for k in keys if keys.count(k) > 1), None)
        if dup is not None:
            raise ValueError(f"the key {dup!r} appears twice in one object")
        return dict(pairs)

    try:
        return json.loads(raw.decode("utf-8-sig"), parse_constant=refuse_constant,
                          object_pairs_hook=refuse_duplicates)
    except UnicodeDecodeError:
        raise DataError("is not UTF-8 text", shown, field=FIELD) from None
    except json.JSONDecodeError as e:
        raise DataError(f"is not valid JSON: {e.msg} (column {e.colno})", shown, e.lineno, field=FIELD) from None
    except ValueError as e:
        if "digits" in str(e):  # Python's limit on integer digits (4300), whose message names sys internals
            raise DataError("holds a number with thousands of digits; expected numbers of at most 1e30", shown,
                            field=FIELD) from None
        raise DataError(f"is not valid JSON: {e}", shown, field=FIELD) from None
    except RecursionError:
        raise DataError("nests lists or objects too deeply to hold parameters", shown, field=FIELD) from None


def _read_torch(raw: bytes, shown: str) -> Any:
    import pickle

    import torch

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise DataError(f"is a damaged zip archive ({e})", shown, field=FIELD) from None
    if declared > MAX_EXPANDED_BYTES:
        raise DataError(f"expands to {declared / 2**20:.0f} MiB; a parameter file holds at most 1000 weights "
                        f"(refused before expanding it)", shown, field=FIELD)
    try:
        return torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, ValueError, TypeError, EOFError, AttributeError,
            ImportError, KeyError) as e:
        text = ANSI.sub("", str(e)).strip()  # torch colours some messages for terminals
        first = text.splitlines()[0] if text else type(e).__name__
        raise DataError(f"was refused: torch could not read it as plain tensors with weights_only=True "
                        f"({first[:160]})", shown, field=FIELD) from None


def _interpret(obj: Any, shown: str) -> tuple[tuple[float, ...], float]:
    if not isinstance(obj, dict):
        raise DataError('expected an object with "weights" and "bias" (or a state dict with "weight" and "bias")',
                        shown, field=FIELD)
    if "weights" in obj:  # linreg's format
        weights, bias = obj["weights"], obj.get("bias")
    else:  # a state dict; keys may carry a module prefix such as "linear.weight"
        w_keys = [k for k in obj if isinstance(k, str) and (k == "weight" or k.endswith(".weight"))]
        b_keys = [k for k in obj if isinstance(k, str) and (k == "bias" or k.endswith(".bias"))]
        if len(w_keys) != 1 or len(b_keys) != 1:
            raise DataError('expected "weights" and "bias" (linreg) or one "weight" and one "bias" '
                            f"(a Linear layer's state dict); found keys {', '.join(map(str, list(obj)[:8]))}",
                            shown, field=FIELD)
        weights, bias = obj[w_keys[0]], obj[b_keys[0]]
    w = _numbers(weights, "weights", shown)
    b = _numbers(bias, "bias", shown)
    if len(b) != 1:
        raise DataError(f"bias: expected one number, got {len(b)}", shown, field=FIELD)
    return w, b[0]


def _numbers(value: Any, what: str, shown: str) -> tuple[float, ...]:
    """A number, a (nested) list or a tensor -> a flat tuple of finite floats."""
    if hasattr(value, "tolist") and callable(value.tolist):  # a tensor
        value = value.tolist()
    flat: list[Any] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(reversed(v))
        else:
            flat.append(v)
    out = []
    for v in flat:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            got = json.dumps(v)[:40] if v is None or isinstance(v, (str, bool)) else type(v).__name__
            raise DataError(f"{what}: expected numbers, got {got}", shown, field=FIELD)
        if isinstance(v, int) and abs(v) > 10**30 or not math.isfinite(v) or abs(v) > 1e30:  # ints first: a
            shown_v = repr(v) if len(repr(v)) <= 40 else repr(v)[:37] + "..."   # 400-digit int overflows float
            raise DataError(f"{what}: expected finite numbers of at most 1e30, got {shown_v}", shown, field=FIELD)
        out.append(float(v))
    if not out:
        raise DataError(f"{what}: expected numbers, got none", shown, field=FIELD)
    return tuple(out)
