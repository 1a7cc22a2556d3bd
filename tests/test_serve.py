"""`linreg serve`: options checked before serving, a warning off this machine, and the app in a real browser
(Debian's chromium, driven by playwright): the page loads, space trains, the status reaches FINISHED, the log
shows the epochs, a screenshot is taken, and closing the tab leaves no process behind."""
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from tests.test_cli import LINREG, linreg

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MARK_SEED = "48611"  # an option value only this test's app processes carry (to find them afterwards)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing listens on port {port}")


def descendants(pid: int) -> set[int]:
    """Every process under pid (the tab's shell, its app, the app's training process)."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    found = {int(p) for p in out}
    for child in list(found):
        found |= descendants(child)
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return False


def app_processes() -> list[str]:
    out = subprocess.run(["pgrep", "-af", f"tui tui.*--seed {MARK_SEED}"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "pgrep" not in line]


@pytest.mark.parametrize("args,words", [(["--lr", "abc"], "--lr"), (["--port", "99999"], "--port"),
                                        (["--csv", "/no/such.csv"], "/no/such.csv"), (["--host"], "--host"),
                                        (["--host", "999.1.1.1"], "--host 999.1.1.1"),
                                        (["--host", "::1"], "IPv6")])
def test_bad_options_are_refused_before_serving(args, words):
    out = linreg("serve", *args)
    assert out.returncode == 2 and words in out.stderr and "Traceback" not in out.stderr


def test_serving_beyond_this_machine_warns_of_the_risk():
    port = free_port()
    proc = subprocess.Popen([*LINREG, "serve", "--host", "0.0.0.0", "--port", str(port), "--no-save"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        first = proc.stderr.readline()
        assert "warning: serving on 0.0.0.0" in first and "reads and writes files as you" in first
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(10)


def test_the_app_runs_in_a_real_browser_and_closing_the_tab_ends_it(tmp_path):
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium where apt can reach it)")
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install "
                                                                   "-e '.[test]')")
    port = free_port()
    server = subprocess.Popen([*LINREG, "serve", "--port", str(port), "--no-save", "--epochs", "3", "--seed",
                               MARK_SEED], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    frames: list[str] = []
    try:
        wait_for_port(port)
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("websocket", lambda ws: ws.on(
                "framereceived", lambda f: frames.append(f if isinstance(f, str) else f.decode("utf-8", "replace"))))

            def seen(text: str, timeout: float = 60.0) -> float:
                start = time.monotonic()
                while text not in "".join(frames):
                    if time.monotonic() - start > timeout:
                        pytest.fail(f"{text!r} never reached the browser")
                    page.wait_for_timeout(20)
                return time.monotonic() - start

            t0 = time.monotonic()
            page.goto(f"http://127.0.0.1:{port}")
            seen("IDLE")
            first_frame = time.monotonic() - t0
            page.mouse.click(640, 400)
            for key in "+++++":
                page.keyboard.press(key)
            page.keyboard.press(" ")
            seen("FINISHED")
            frames.clear()
            page.keyboard.press("5")  # the epoch log
            key_to_screen = seen("epoch 002: loss")
            shot = tmp_path / "browser.png"
            page.screenshot(path=str(shot))
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
            print(f"\nbrowser: page load to first frame {first_frame:.2f} s; key 5 to the log on screen "
                  f"{key_to_screen * 1000:.0f} ms")
            assert app_processes(), "the tab's app should be running while the tab is open"
            tab = descendants(server.pid)  # the tab's app and its training process (and a shell, if any)
            assert len(tab) >= 2, tab
            page.close()
            browser.close()
        end = time.monotonic() + 15
        while any(alive(pid) for pid in tab) and time.monotonic() < end:
            time.sleep(0.2)
        assert not [pid for pid in tab if alive(pid)], "closing the tab must end its app and its engine"
    finally:
        os.killpg(server.pid, 15)
        server.wait(10)


def test_a_port_in_use_is_one_line_not_a_traceback():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = linreg("serve", "--port", str(port), "--no-save")
    assert out.returncode == 2 and f"--port {port}: address already in use" in out.stderr
    assert "Traceback" not in out.stderr and "open http" not in out.stderr


def test_help_survives_a_reader_that_goes_away():
    out = subprocess.run(" ".join([*LINREG, "serve", "--help"]) + " | head -1", shell=True, capture_output=True,
                         text=True, timeout=60)
    assert out.stdout.startswith("usage: linreg serve") and "Traceback" not in out.stderr
