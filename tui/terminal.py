"""The terminal's modes, saved before Textual makes it raw and put back when the app must leave without
Textual's own clean-up (SIGHUP: the app exits at once)."""
from __future__ import annotations

import os
import sys

try:
    import termios
except ImportError:  # Windows: no termios, no SIGHUP
    termios = None


def terminal_attrs():
    if termios is None:
        return None
    try:
        return termios.tcgetattr(sys.__stdin__.fileno())
    except (termios.error, OSError, ValueError, AttributeError):
        return None  # not a terminal (tests, pipes)


def restore_terminal(attrs) -> None:
    """Leave the alternate screen and mouse modes, show the cursor, and put the terminal's modes back; every
    step may fail on a terminal that hung up, and none may stop the exit."""
    try:
        os.write(sys.__stdout__.fileno(), b"\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?25h\x1b[?1049l")
    except (OSError, ValueError, AttributeError):
        pass
    if attrs is not None:
        try:
            termios.tcsetattr(sys.__stdin__.fileno(), termios.TCSANOW, attrs)
        except (termios.error, OSError, ValueError):
            pass
