"""The real app in a pseudo-terminal: quitting mid-run ends it and its engine process within a second;
a dropped terminal (SIGHUP) leaves no engine process behind."""
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

import pytest

pytestmark = pytest.mark.serial  # wall-clock bounds on quitting: alone, not beside another worker


def spawn_app(*args):
    pid, fd = pty.fork()
    if pid == 0:  # child: the app, as a user starts it
        os.environ["TERM"] = "xterm-256color"
        os.execv(sys.executable, [sys.executable, "-m", "tui", *args])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    return pid, fd


def read_until(fd, text: bytes | re.Pattern, timeout: float = 60.0) -> bytes:
    """What the app wrote to its terminal until `text` (bytes, or a pattern) appeared in it."""
    found = text.search if isinstance(text, re.Pattern) else lambda buf: text in buf
    buf, deadline = b"", time.monotonic() + timeout
    while not found(buf):
        if time.monotonic() > deadline:
            pytest.fail(f"{text!r} never appeared on screen")
        if select.select([fd], [], [], 0.1)[0]:
            try:
                buf += os.read(fd, 65536)
            except OSError:
                break
    return buf


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_exit(pid: int, fd: int, timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if select.select([fd], [], [], 0.02)[0]:
            try:
                os.read(fd, 65536)  # keep the terminal drained
            except OSError:
                pass
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
    return None


def wait_gone(pids, what: str, timeout: float = 3.0) -> None:
    """Wait until none of pids runs (zombies count as gone); fail naming `what` if one still does."""
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in pids):
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: still running {timeout:.0f} s after the app ended")
        time.sleep(0.02)


def history_rows(runs) -> int:
    """Whole rows in the (one) run's history.csv under runs, 0 before it exists."""
    files = list(runs.glob("*/history.csv"))
    return max(0, files[0].read_bytes().count(b"\n") - 1) if files else 0


def _cleanup(pid: int, fd: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
    os.close(fd)


def test_quit_mid_run_is_immediate_and_leaves_no_process():
    pid, fd = spawn_app("--epochs", "100000")
    try:
        read_until(fd, b"IDLE")
        engines = children_of(pid) - {pid}
        assert engines, "the engine runs in a child process"
        os.write(fd, b" ")
        read_until(fd, re.compile(rb"step [1-9][0-9]"))  # the status line: ten steps and more taken
        start = time.monotonic()
        os.write(fd, b"q")
        status = wait_exit(pid, fd, timeout=10)
        took = time.monotonic() - start
        # about 0.1 s here; the bound is loose so that a busy machine cannot fail it (a hang still does)
        assert status is not None and took < 5.0, f"quit took {took:.2f} s"
        wait_gone(engines, "engine process left behind")
    finally:
        _cleanup(pid, fd)


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM])
def test_hangup_and_terminate_keep_the_run_and_leave_no_process(sig, private_data_home):
    """The SSH session drops (SIGHUP) or the app is told to stop (SIGTERM) in the middle of a long run:
    every finished epoch is in the runs folder, the run's end is written, nothing is left running."""
    pid, fd = spawn_app("--epochs", "100000")
    try:
        read_until(fd, b"IDLE")
        engines = children_of(pid) - {pid}
        os.write(fd, b"+++ ")  # flat out
        read_until(fd, b"RUNNING")
        runs = private_data_home / "linreg" / "runs"
        deadline = time.monotonic() + 60
        while history_rows(runs) < 10:  # the signal lands in the middle of a run with epochs on disk
            if time.monotonic() > deadline:
                pytest.fail(f"the run wrote {history_rows(runs)} epochs in 60 s, not 10")
            if select.select([fd], [], [], 0.02)[0]:
                try:
                    os.read(fd, 65536)  # keep the terminal drained
                except OSError:
                    pass
        start = time.monotonic()
        os.kill(pid, sig)
        status = wait_exit(pid, fd, timeout=10)
        assert status is not None and time.monotonic() - start < 5.0  # loose: a busy machine, not a hang
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 128 + sig
        wait_gone(engines, f"engine process orphaned after {sig.name}")
        if sig == signal.SIGHUP:  # the terminal still exists here (kill -HUP): it is given back sane
            lflag = termios.tcgetattr(fd)[3]
            assert lflag & termios.ECHO and lflag & termios.ICANON, "terminal left in raw mode"
        [run] = runs.iterdir()
        rows = (run / "history.csv").read_text().splitlines()[1:]
        summary = json.loads((run / "summary.json").read_text())
        assert summary["status"] == "interrupted" and len(rows) == summary["epochs"] >= 10
        assert [int(r.split(",")[0]) for r in rows] == list(range(len(rows)))
        assert (run / "params.json").exists() and (run / "config.toml").exists()
    finally:
        _cleanup(pid, fd)
