"""`linreg serve`: the app in a browser (textual-serve), for a classroom or anyone without a terminal.

Every browser tab gets its own app process (and so its own engine); closing the tab ends both. The options
are the app's, checked here before serving (exit 2 with the usual one-line message), then handed to each
tab's `linreg tui` as given.
"""
from __future__ import annotations

import errno
import logging
import os
import shlex
import socket
import sys

from linreg_core.errors import LinregError
from tui.options import EXIT_OK, build_parser, fail, parse_config, refusal

PROG = "linreg serve"
LOCAL = ("127.0.0.1", "localhost", "::1")


def split_serve_args(argv: list[str]) -> tuple[str, int, list[str]]:
    """(--host, --port, the app's own options) from the command line."""
    host, port, rest, i = "127.0.0.1", 8000, [], 0
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition("=")
        if name in ("--host", "--port"):
            if not eq:
                if i + 1 >= len(argv):
                    raise ValueError(f"{name} needs a value")
                value, i = argv[i + 1], i + 1
            if name == "--host":
                host = value.strip()
                if not host:
                    raise ValueError("--host is empty; expected an address such as 127.0.0.1")
            else:
                if not value.isdigit() or not 1 <= int(value) <= 65535:
                    raise ValueError(f"--port: expected a whole number from 1 to 65535, got {value!r}")
                port = int(value)
        else:
            rest.append(arg)
        i += 1
    return host, port, rest


def serve_main(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        try:
            print(f"usage: {PROG} [--host ADDRESS] [--port PORT] [linreg options]\n\n"
                  "Serve the app to a browser: every tab gets its own app and training process.\n"
                  "  --host ADDRESS   default 127.0.0.1 (this machine only); another address lets others in\n"
                  "  --port PORT      default 8000\n"
                  "The linreg options (see linreg --help) set up each tab's experiment.", flush=True)
        except BrokenPipeError:  # `linreg serve --help | head -1`: the reader went away
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 141
        return EXIT_OK
    try:
        host, port, rest = split_serve_args(argv)
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
        print(f"{PROG}: warning: serving on {host}: anyone who can reach port {port} there gets a linreg that "
              "reads and writes files as you (CSV paths, the runs folder); use 127.0.0.1 (the default) "
              "unless you mean it", file=sys.stderr)
    from textual_serve.server import Server

    class QuietServer(Server):
        def initialize_logging(self) -> None:
            super().initialize_logging()  # textual-serve's own lines stay; every request's line goes
            logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

    command = shlex.join([sys.executable, "-m", "tui", "tui", *rest])
    print(f"{PROG}: open http://{host}:{port} (Ctrl+C stops serving)", file=sys.stderr, flush=True)
    QuietServer(command, host=host, port=port, title="linreg").serve()
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
