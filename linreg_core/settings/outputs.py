"""Output paths, checked before any training: nothing is written over what is not the user's output.

An output (--history, --save-params, --trace, a saved config) may be
- a new file in an existing folder, or a regular file of this user's with one name: replaced atomically;
- this process's standard output (/dev/stdout, or the file stdout was redirected to) or /dev/stderr:
  written through, in order; /dev/null: written to nowhere.
Everything else is refused with one line naming the option: a folder, a missing folder, a FIFO or a device
(a write could block forever, or feed a terminal or a disk), a file with several names (a hard link:
replacing it would leave the other name with the old content), a file of another user (replacing it would
make it ours), a link loop, any input of any lane (the CSV, the config, a parameter file), and another
output naming the same file (the second write would destroy the first).
"""
from __future__ import annotations

import errno
import os
import stat
from typing import Iterable

from .errors import ConfigError

SINKS = ("/dev/null", "/dev/stdout", "/dev/stderr")


def is_stdout(path: str) -> bool:
    """Whether a path names this process's standard output (`--history /dev/stdout`, or the file stdout was
    redirected to): such output must go through the stdout stream, in order, not replace the file."""
    import sys

    return _is_stream(path, sys.stdout)


def _is_stream(path: str, stream) -> bool:
    try:
        st, out = os.stat(os.path.expanduser(path)), os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return (st.st_dev, st.st_ino) == (out.st_dev, out.st_ino)


def written_through(path: str) -> bool:
    """An output written through in place, never replaced: standard output or error (by any name: /dev/stdout,
    /proc/self/fd/2, the file either is redirected to), or /dev/null."""
    import sys

    return os.path.expanduser(path) in SINKS or is_stdout(path) or _is_stream(path, sys.stderr)


def same_file(a: str, b: str) -> bool:
    """Whether two paths name the same file (through ~, links and relative parts)."""
    a, b = os.path.expanduser(a), os.path.expanduser(b)
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def output_problem(path: str) -> str | None:
    """Why path cannot be one of our outputs (one line, without the option's name), or None."""
    if not path.strip():
        return "is empty; expected a file name"
    if path.endswith(("/", os.sep)):
        return f"{path} names a folder (it ends with {path[-1]}); expected a file name"
    if written_through(path):
        return None
    full = os.path.expanduser(path)
    try:
        st = os.stat(full)  # follows links: what the name finally is
    except FileNotFoundError:
        st = None  # a new file (through a dangling link: at the link's target)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return f"{path} is a link that loops back on itself"
        return f"{path}: {e.strerror or e}"
    if st is None:
        folder = os.path.dirname(os.path.abspath(os.path.realpath(full)))
        if os.path.exists(folder) and not os.path.isdir(folder):
            return f"{path}: {folder} is a file, not a folder"
        if not os.path.isdir(folder):
            return f"{path}: the folder {folder} does not exist"
        return None
    if stat.S_ISDIR(st.st_mode):
        return f"{path} is a folder; expected a file name"
    if not stat.S_ISREG(st.st_mode):
        what = "a pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "a device"
        return (f"{path} is {what}, not a file: linreg writes files (or /dev/stdout); give a file name, or pipe "
                "standard output")
    if st.st_nlink > 1:
        return (f"{path} has {st.st_nlink} names (a hard link): replacing it would leave the other names with "
                "the old content; give another file name")
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        return f"{path} belongs to another user (uid {st.st_uid}); linreg replaces only your own files"
    return None


def check_outputs(outputs: Iterable[tuple[str, str | None]], inputs: Iterable[tuple[str, str | None]]) -> None:
    """Refuse (ConfigError naming the option) any output that output_problem refuses, that is one of the
    inputs, or that names the same file as an earlier output. outputs and inputs: (option, path or None)."""
    outputs = [(flag, path) for flag, path in outputs if path is not None]
    inputs = [(flag, path) for flag, path in inputs if path]
    for i, (flag, path) in enumerate(outputs):
        problem = output_problem(path)
        if problem:
            raise ConfigError({flag: problem})
        if written_through(path):  # several outputs may go to standard output, in order
            continue
        for in_flag, in_path in inputs:
            if same_file(path, in_path):
                raise ConfigError({flag: f"{path} is the {in_flag} input file; writing it would overwrite it: "
                                         "choose another file"})
        for other_flag, other in outputs[:i]:
            if same_file(path, other):
                raise ConfigError({flag: f"is the same file as {other_flag}; choose another file"})
