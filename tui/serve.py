"""`linreg serve`: the app in a browser (textual-serve), for a classroom or anyone without a terminal.

Every browser tab gets its own app process (and so its own engine); closing the tab ends both. The options
are the app's, checked here before serving (exit 2 with the usual one-line message), then handed to each
tab's `linreg tui` as given. Who may open a tab (the token, Origin and Host, the tab limit) is serve_guard's.
"""
from __future__ import annotations

import errno
import os
import re
import secrets
import shlex
import socket
import sys

from linreg_core.settings.errors import LinregError
from tui.options import EXIT_OK, build_parser, fail, parse_config, refusal

PROG = "linreg serve"
LOCAL = ("127.0.0.1", "localhost", "::1")
SERVER_OPTIONS = ("--host", "--port", "--token", "--max-tabs")
TOKEN_ENV = "LINREG_SERVE_TOKEN"
MAX_TABS = 8  # each tab is an app and a training process: a room's worth on one machine


def split_serve_args(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """The server's own options ({"--host": ..., "--port": ..., "--token": ..., "--max-tabs": ...}, as given)
    and the app's options, from the command line."""
    given, rest, i = {}, [], 0
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition("=")
        if name in SERVER_OPTIONS:
            if not eq:
                if i + 1 >= len(argv):
                    raise ValueError(f"{name} needs a value")
                value, i = argv[i + 1], i + 1
            given[name] = value
        else:
            rest.append(arg)
        i += 1
    return given, rest


def server_settings(given: dict[str, str]) -> tuple[str, int, str, int]:
    """(host, port, token, max_tabs), each checked; ValueError names the option. The token comes from --token,
    else LINREG_SERVE_TOKEN, else a fresh random one: there is no way to serve without one."""
    host = given.get("--host", "127.0.0.1").strip()
    if not host:
        raise ValueError("--host is empty; expected an address such as 127.0.0.1")
    port = whole(given.get("--port", "8000"), "--port", 1, 65535)
    max_tabs = whole(given.get("--max-tabs", str(MAX_TABS)), "--max-tabs", 1, 1000)
    token = given.get("--token", os.environ.pop(TOKEN_ENV, None))  # popped: the tabs' apps need not carry it
    if token is None:
        token = secrets.token_urlsafe(32)
    elif not re.fullmatch(r"[A-Za-z0-9._~-]{16,256}", token):
        source = "--token" if "--token" in given else TOKEN_ENV
        raise ValueError(f"{source}: expected 16 to 256 characters from A-Z a-z 0-9 . _ ~ - (got {len(token)} "
                         "characters); python -c 'import secrets; print(secrets.token_urlsafe())' makes one")
    return host, port, token, max_tabs


def whole(value: str, name: str, low: int, high: int) -> int:
    if not value.isdigit() or not low <= int(value) <= high:
        raise ValueError(f"{name}: expected a whole number from {low} to {high}, got {value!r}")
    return int(value)


def serve_main(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        try:
            print(f"usage: {PROG} [--host ADDRESS] [--port PORT] [--token TOKEN] [--max-tabs N] [linreg options]\n\n"
                  "Serve the app to a browser: every tab gets its own app and training process, which reads and\n"
                  "writes files as you. Only the printed link (it carries a random token) opens it.\n"
                  "  --host ADDRESS   default 127.0.0.1 (this machine only); another address lets others in\n"
                  "  --port PORT      default 8000\n"
                  f"  --token TOKEN    the link's token (16+ characters of A-Z a-z 0-9 . _ ~ -), also from\n"
                  f"                   {TOKEN_ENV} (not shown to other users by ps); default random\n"
                  f"  --max-tabs N     tabs open at once, default {MAX_TABS}; past it the page says so\n"
                  "The linreg options (see linreg --help) set up each tab's experiment.", flush=True)
        except BrokenPipeError:  # `linreg serve --help | head -1`: the reader went away
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 141
        return EXIT_OK
    try:
        given, rest = split_serve_args(argv)
        host, port, token, max_tabs = server_settings(given)
    except ValueError as e:
        return fail(PROG, str(e))
    ns = build_parser(PROG, headless=False).parse_args(rest)
    try:
        config = parse_config(ns)  # refused here, once, rather than in every tab
    except LinregError as e:
        return fail(PROG, refusal(e))
    for flag, path in (("--csv", config.data.csv), ("--init-params", config.init_params)):
        if path is not None and not os.path.isfile(os.path.expanduser(path)):
            return fail(PROG, f"{flag}: {path}: no such file (each tab would fail to start)")
    problem = bind_problem(host, port)
    if problem:
        return fail(PROG, problem)
    if host not in LOCAL:
        print(f"{PROG}: warning: serving on {host}: anyone who can reach port {port} there and has the link gets "
              "a linreg that reads and writes files as you (CSV paths, the runs folder), and plain http shows the "
              "link's token to the network; use 127.0.0.1 (the default) unless you mean it", file=sys.stderr)
    from tui.serve_guard import WILDCARD, GuardedServer

    command = shlex.join([sys.executable, "-m", "tui", "tui", *rest])
    shown = "127.0.0.1" if host in WILDCARD else host  # other machines: this machine's address instead
    print(f"{PROG}: open http://{shown}:{port}/?token={token} (Ctrl+C stops serving)", file=sys.stderr, flush=True)
    GuardedServer(command, host=host, port=port, token=token, max_tabs=max_tabs, title="linreg").serve()
    return EXIT_OK


def bind_problem(host: str, port: int) -> str | None:
    """Why the server could not listen there, in one line (before it prints that it serves), or None."""
    if ":" in host:
        return (f"--host {host}: IPv6 addresses are not served (the page's websocket address would be "
                "malformed); use 127.0.0.1, 0.0.0.0 or a host name")
    try:
        infos = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        return f"--host {host}: not an address or a known host name ({getattr(e, 'strerror', None) or e})"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            sock.bind(infos[0][4])
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return f"--port {port}: address already in use (another server listens there; try another port)"
            return f"--host {host}: cannot listen there ({e.strerror or e})"
    return None
