"""`linreg serve`: options checked before serving, a warning off this machine, the door (only the printed
link opens the page and its websocket: a raw websocket client from a foreign Origin, without the token or
with a wrong Host is refused; past --max-tabs no app starts; a bad request is one line), and the app in a
real browser (Debian's chromium, driven by playwright): the page loads from the printed link and fetches
nothing from elsewhere, space trains, the status reaches FINISHED, the log shows the epochs, a screenshot is
taken, and closing the tab leaves no process behind."""
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import time

import pytest

from tests.test_cli import LINREG, linreg, wait_for
from tui.serve_guard import LINK, host_allowed, host_names, origin_allowed, token_matches

pytestmark = pytest.mark.serial  # a real browser, a wall-clock first frame: alone, not beside another worker


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


class Served:
    """A `linreg serve` in its own process group; its stderr goes to a file, read while it runs."""

    def __init__(self, tmp_path, *args: str, **env: str) -> None:
        self.port, self.err = free_port(), tmp_path / f"serve-{len(list(tmp_path.iterdir()))}.err"
        with open(self.err, "w") as err:
            self.proc = subprocess.Popen([*LINREG, "serve", "--port", str(self.port), "--no-save", "--seed",
                                          MARK_SEED, *args], stdout=subprocess.DEVNULL, stderr=err,
                                         start_new_session=True, env={**os.environ, **env})
        self.origin = f"http://127.0.0.1:{self.port}"
        self.link = wait_for(lambda: re.search(r"open (http://\S+)", self.stderr()), "the printed link")[1]
        self.token = self.link.partition("?token=")[2]
        self.cookie = {"Cookie": f"linreg-serve-{self.port}={self.token}"}
        wait_for_port(self.port)

    def stderr(self) -> str:
        return self.err.read_text()

    def apps(self) -> list[int]:
        """The tabs' app processes (`python -m tui tui ...`; not their shells nor their training processes)."""
        def argv(pid: int) -> list[str]:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    return f.read().decode().split("\0")
            except OSError:
                return []
        return [pid for pid in descendants(self.proc.pid) if argv(pid)[1:4] == ["-m", "tui", "tui"] and alive(pid)]

    def stop(self) -> None:
        os.killpg(self.proc.pid, 15)
        self.proc.wait(10)


@pytest.fixture
def serve(tmp_path):
    started: list[Served] = []

    def start(*args: str, **env: str) -> Served:
        started.append(Served(tmp_path, *args, **env))
        return started[-1]
    try:
        yield start
    finally:
        for server in started:
            server.stop()


async def handshake(server: Served, path: str = "/ws", **kw) -> int:
    """The HTTP status of a websocket handshake (101: accepted, and closed at once)."""
    import aiohttp
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(server.origin + path, **kw):
                return 101
        except aiohttp.WSServerHandshakeError as e:
            return e.status


async def get(server: Served, path: str = "/", **kw) -> tuple[int, str, object]:
    import aiohttp
    async with aiohttp.ClientSession() as session:
        async with session.get(server.origin + path, allow_redirects=False, **kw) as response:
            return response.status, await response.text(), response


@pytest.mark.parametrize("args,words", [(["--lr", "abc"], "--lr"), (["--port", "99999"], "--port"),
                                        (["--csv", "/no/such.csv"], "/no/such.csv"), (["--host"], "--host"),
                                        (["--host", "999.1.1.1"], "--host 999.1.1.1"),
                                        (["--host", "::1"], "IPv6"), (["--max-tabs", "0"], "--max-tabs"),
                                        (["--token", "short"], "--token: expected 16 to 256 characters"),
                                        (["--token", "not/url safe but long enough"], "--token")])
def test_bad_options_are_refused_before_serving(args, words):
    out = linreg("serve", *args)
    assert out.returncode == 2 and words in out.stderr and "Traceback" not in out.stderr


def test_serving_beyond_this_machine_warns_of_the_risk():
    port = free_port()
    proc = subprocess.Popen([*LINREG, "serve", "--host", "0.0.0.0", "--port", str(port), "--no-save"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        first, second = proc.stderr.readline(), proc.stderr.readline()
        assert "warning: serving on 0.0.0.0" in first and "reads and writes files as you" in first
        assert re.search(rf"open http://127\.0\.0\.1:{port}/\?token=[\w-]{{40,}} ", second), second
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(10)


def test_the_door_admits_addresses_not_names_and_only_its_own_origin():
    names = host_names("127.0.0.1")
    assert host_allowed("127.0.0.1:8000", names) and host_allowed("LOCALHOST.:9000", names)  # a tunnel's port
    assert host_allowed("10.1.2.3:8000", names)  # an IP address cannot be rebound to this machine
    assert not any(host_allowed(h, names) for h in ("evil.example:8000", "localhost.evil.example", "", None,
                                                   "a:b:c", "127.0.0.1:8000@evil.example"))
    assert host_allowed("lab.example:80", host_names("lab.example"))
    assert origin_allowed(None, "127.0.0.1:8000") and origin_allowed("http://127.0.0.1:8000", "127.0.0.1:8000")
    assert not any(origin_allowed(o, "127.0.0.1:8000") for o in ("http://127.0.0.1:8001", "null",
                                                                "http://evil.example", "127.0.0.1:8000"))
    assert token_matches("abc", "abc") and not token_matches("abd", "abc") and not token_matches("é", "abc")
    assert not token_matches(None, "abc")


def test_only_the_printed_link_opens_the_page_and_its_websocket(serve):
    server = serve()
    assert server.link.startswith(f"http://127.0.0.1:{server.port}/?token=") and len(server.token) >= 40
    own = {"Origin": server.origin}

    async def visit() -> None:
        for path in ("/", "/?token=wrong", "/static/js/textual.js"):
            status, body, _ = await get(server, path)
            assert status == 403 and LINK in body, (path, status)
        status, body, response = await get(server, f"/?token={server.token}&fontsize=20")
        cookie = response.headers["Set-Cookie"]
        assert status == 200 and 'location.replace("/?fontsize=20")' in body, body
        assert cookie.startswith(f"linreg-serve-{server.port}={server.token};") and "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        status, body, response = await get(server, "/", headers=server.cookie)
        assert status == 200 and f'"ws://127.0.0.1:{server.port}/ws"' in body and "googleapis" not in body
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert (await get(server, "/static/js/textual.js", headers=server.cookie))[0] == 200
        rebound = {"Host": f"evil.example:{server.port}"}
        assert (await get(server, "/", headers={**server.cookie, **rebound}))[0] == 403
        token = {"token": server.token}
        assert await handshake(server) == 403
        assert await handshake(server, headers=own) == 403
        assert await handshake(server, headers={"Origin": "http://evil.example"}, params=token) == 403
        neighbour = {"Origin": f"http://127.0.0.1:{server.port + 1}"}  # same site, another origin
        assert await handshake(server, headers={**neighbour, **server.cookie}) == 403
        assert await handshake(server, headers={**own, **rebound}, params=token) == 403
        assert (await get(server, "/ws", params=token))[0] == 400  # `curl .../ws`: not a websocket handshake
        assert (await get(server, "/%0Aforged line"))[0] == 403  # every line below starts with linreg serve:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: x\r\n\r\n")
        assert (await reader.read(100)).startswith(b"HTTP/1.0 400")
        writer.close()

    asyncio.run(visit())
    wait_for(lambda: "malformed request" in server.stderr(), "a line for the malformed request", 10)
    lines = server.stderr().splitlines()
    assert "Traceback" not in server.stderr() and all(line.startswith("linreg serve: ") for line in lines), lines
    assert sum("refused GET /ws from 127.0.0.1: not a websocket handshake" in line for line in lines) == 1
    assert server.token not in "\n".join(lines[1:]), "the log must not repeat the token"
    assert any("Origin 'http://evil.example' is another site" in line for line in lines)
    assert any("Host 'evil.example:" in line for line in lines)
    assert not server.apps(), "a refused websocket must not start an app"


def test_a_tab_past_the_limit_starts_no_app_and_the_page_says_why(serve):
    token = "a-token-for-scripts-0123456789"
    server = serve("--max-tabs", "1", LINREG_SERVE_TOKEN=token)
    assert server.token == token

    async def visit() -> None:
        import aiohttp
        async with aiohttp.ClientSession() as session:
            first = await session.ws_connect(server.origin + "/ws", params={"token": token},
                                             headers={"Origin": server.origin})
            await asyncio.to_thread(wait_for, lambda: len(server.apps()) == 1, "the first tab's app")
            # 503, not 403: the cookie was accepted, the limit refused it
            assert await handshake(server, headers={"Origin": server.origin, **server.cookie}) == 503
            status, body, _ = await get(server, "/", headers=server.cookie)
            assert status == 503 and "--max-tabs 1" in body and "1 tab open, the most this server allows" in body
            assert len(server.apps()) == 1, "the refused tab must not start an app"
            await first.send_str("not json")  # outside the page's protocol: the tab ends, in one line
            while (await first.receive(timeout=30)).type not in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                pass
            await first.close()
        end = time.monotonic() + 30
        while (await get(server, "/", headers=server.cookie))[0] != 200:
            assert time.monotonic() < end, "a closed tab must free its place"
            await asyncio.sleep(0.1)

    asyncio.run(visit())
    wait_for(lambda: not server.apps(), "the first tab's app to end", 15)
    assert "closed a tab: a message outside the page's protocol" in server.stderr()
    assert "Traceback" not in server.stderr()


def test_the_app_runs_in_a_real_browser_and_closing_the_tab_ends_it(serve, tmp_path):
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium where apt can reach it)")
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install "
                                                                   "-e '.[test]')")
    server = serve("--epochs", "3")
    frames: list[str] = []
    requests: list[str] = []  # every address the page asks for: its HTTP requests and its websockets
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.on("request", lambda r: requests.append(r.url))
        page.on("websocket", lambda ws: requests.append(ws.url))
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
        page.goto(server.link)  # the printed link: a cookie, then the page without the token
        seen("IDLE")
        assert page.url == f"{server.origin}/", page.url
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
        own = (f"{server.origin}/", f"ws://127.0.0.1:{server.port}/")
        assert any("/static/js/textual.js" in url for url in requests), requests
        assert [url for url in requests if not url.startswith(own)] == [], "the page fetched from elsewhere"
        tab = descendants(server.proc.pid)  # the tab's app and its training process (and a shell, if any)
        assert len(tab) >= 2, tab
        page.close()
        browser.close()
    wait_for(lambda: not [pid for pid in tab if alive(pid)], "closing the tab must end its app and its engine",
               15)


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
