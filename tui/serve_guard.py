"""The door of `linreg serve`: only the user who started it gets in, and only so many tabs at once.

A browser lets any web page open a websocket to 127.0.0.1, so listening on loopback is not access control
(RELIABILITY.md), and a connected tab reads and writes files as the user. Every request passes, in order:
  1. Host: an IP address or a name this server was given (DNS rebinding: evil.example re-pointed at
     127.0.0.1 still sends `Host: evil.example`, and an IP address cannot be re-pointed);
  2. Origin, when the browser sends one: this server's own (another page's websocket carries that page's);
  3. the token (Jupyter's model): `?token=` once, answered with an HttpOnly, SameSite=Strict cookie, then
     the cookie; scripts may keep sending `?token=`;
  4. a new tab (the websocket, which starts an app process): fewer than --max-tabs live ones.
A refusal is a short page and one line on stderr, never a traceback. Built on textual-serve's Server
(pinned <2 in pyproject: `_make_app` and `_process_messages` are its private hooks).
"""
from __future__ import annotations

import hmac
import html
import ipaddress
import json
import logging
import re
import socket
import sys

import aiohttp_jinja2
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from textual_serve.server import Server, to_int

from tui.text import plural

WILDCARD = ("0.0.0.0", "")
LINK = "this lab needs the link printed by `linreg serve` (it ends in ?token=...)"
# The page, its scripts and its font come from this server only; the websocket goes back to it.
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self'; connect-src 'self' {ws}; frame-ancestors 'none'; "
       "base-uri 'none'; form-action 'none'")
# textual-serve's template asks Google for Roboto Mono; the package ships the font, so it is served from here.
FONT_LINK = re.compile(r'<link[^>]*href="https?://[^"]*"[^>]*>')
LOCAL_FONT = """<style>
  @font-face { font-family: "Roboto Mono"; font-weight: 100 700;
    src: url("/static/fonts/RobotoMono-VariableFont_wght.ttf") format("truetype"); }
  @font-face { font-family: "Roboto Mono"; font-weight: 100 700; font-style: italic;
    src: url("/static/fonts/RobotoMono-Italic-VariableFont_wght.ttf") format("truetype"); }
</style>"""

log = logging.getLogger("linreg.serve")


def host_names(host: str) -> frozenset[str]:
    """The names (besides IP addresses) a Host header may carry: the one the user served on, localhost, and
    for a wildcard address this machine's own names."""
    names = {"localhost", host.lower().rstrip(".")}
    if host in WILDCARD:
        names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
    return frozenset(names - {""})


def host_allowed(header: str | None, names: frozenset[str]) -> bool:
    """Whether a Host header (`name[:port]`) is an IP address or one of names. The port is not checked:
    an SSH tunnel (`ssh -L 9000:127.0.0.1:8000`) changes it, and rebinding works by name, not port."""
    if not header:
        return False
    match = re.fullmatch(r"(\[[^\]]*\]|[^:\[\]]*)(:\d+)?", header.strip().lower())
    if match is None:
        return False
    name = match.group(1).strip("[]").rstrip(".")
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return name in names


def origin_allowed(origin: str | None, host: str) -> bool:
    """Same origin: the page's scheme://host:port names the address the browser asked for (Host). A missing
    Origin is a script, not a page: it still needs the token."""
    if origin is None:
        return True
    scheme, sep, netloc = origin.strip().lower().partition("://")
    return bool(sep) and scheme in ("http", "https") and netloc == host.strip().lower()


def token_matches(given: str | None, token: str) -> bool:
    """Constant-time comparison (bytes: compare_digest refuses non-ASCII text, which a request can carry)."""
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


class MalformedInOneLine(logging.Filter):
    """aiohttp logs a malformed request (a bad header, a broken chunk) with a traceback: one line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, HttpProcessingError):
            return True
        who = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
        log.warning("refused a malformed request from %s: %s", who, str(error.message).strip().partition("\n")[0])
        return False


def page(status: int, title: str, text: str) -> web.Response:
    body = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>linreg serve: {html.escape(title)}</title>"
            f"</head><body style='font-family: monospace; margin: 3em'><h1>{html.escape(title)}</h1>"
            f"<p>{html.escape(text)}</p></body></html>")
    return web.Response(status=status, text=body, content_type="text/html", headers={"Cache-Control": "no-store"})


class GuardedServer(Server):
    """textual-serve's Server behind the checks above; the app, the page and the protocol are its own."""

    def __init__(self, command: str, *, host: str, port: int, token: str, max_tabs: int, **kw) -> None:
        super().__init__(command, host=host, port=port, **kw)
        self.token, self.max_tabs, self.tabs = token, max_tabs, 0
        self.names = host_names(host)
        self.cookie = f"linreg-serve-{port}"  # one per port: cookies ignore ports, two servers must not clash

    def initialize_logging(self) -> None:
        super().initialize_logging()  # textual-serve's own lines stay; every request's line goes
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
        if not log.handlers:  # refusals: one plain line on stderr, outside textual-serve's rich console
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("linreg serve: %(message)s"))
            log.addHandler(handler)
            log.propagate = False
            logging.getLogger("aiohttp.server").addFilter(MalformedInOneLine())

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self.guard)
        return app

    async def on_startup(self, app: web.Application) -> None:
        """Nothing: textual-serve would print its address without the token (serve_main prints the link)."""

    def refuse(self, request: web.Request, status: int, why: str, title: str, text: str) -> web.Response:
        # the path still percent-encoded (a %0A cannot forge a second line) and without its query (the token)
        log.warning("refused %s %s from %s: %s", request.method, request.rel_url.raw_path[:200], request.remote, why)
        return page(status, title, text)

    @web.middleware
    async def guard(self, request: web.Request, handler) -> web.StreamResponse:
        host = request.headers.get("Host")
        if not host_allowed(host, self.names):
            return self.refuse(request, 403, f"Host {host!r} is not this server's", "Wrong address",
                               f"this server answers to its IP address or {', '.join(sorted(self.names))}; {LINK}")
        origin = request.headers.get("Origin")
        if not origin_allowed(origin, host):
            return self.refuse(request, 403, f"Origin {origin!r} is another site", "Another site's request",
                               f"a page from {origin} may not use this lab; {LINK}")
        if token_matches(request.query.get("token"), self.token):
            if request.path == "/":  # the printed link: a cookie, then the same page without the token
                return self.sign_in(request)
        elif not token_matches(request.cookies.get(self.cookie), self.token):
            why = "wrong token" if "token" in request.query else "no token"
            return self.refuse(request, 403, why, "Not signed in", LINK)
        return await handler(request)

    def sign_in(self, request: web.Request) -> web.Response:
        """The cookie, and a page that moves on to the address without the token. A script moves on, not a
        303: after a link clicked on another site, a redirect still counts as that site's, and a Strict
        cookie would not be sent with it; a navigation started by this page is this site's."""
        target = str(request.rel_url.with_query({k: v for k, v in request.query.items() if k != "token"}))
        script = json.dumps(target).replace("<", "\\u003c")
        response = web.Response(content_type="text/html", text=(
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>linreg</title></head><body>"
            f"<script>location.replace({script})</script><a href='{html.escape(target)}'>open the lab</a>"
            "</body></html>"), headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
        response.set_cookie(self.cookie, self.token, httponly=True, samesite="Strict", path="/")
        return response

    def tabs_full(self, request: web.Request) -> web.Response | None:
        if self.tabs < self.max_tabs:
            return None
        tabs = f"{self.tabs} {plural(self.tabs, 'tab')}"
        return self.refuse(request, 503, f"{tabs} open, the limit", "Too many tabs",
                           f"{tabs} open, the most this server allows (--max-tabs {self.max_tabs}): "
                           "close one and reload this page, or restart `linreg serve` with a larger --max-tabs")

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """textual-serve's page, with its addresses taken from the request (the Host checked above: a tunnel
        or another machine reaches the websocket the way it reached the page) and the font served here."""
        full = self.tabs_full(request)
        if full is not None:
            return full
        ws = f"{'wss' if request.secure else 'ws'}://{request.host}"
        context = {"font_size": to_int(request.query.get("fontsize", "16"), 16), "app_websocket_url": f"{ws}/ws",
                   "config": {"static": {"url": "/static/"}}, "application": {"name": self.title}}
        text = aiohttp_jinja2.render_string("app_index.html", request, context)
        return web.Response(text=FONT_LINK.sub(LOCAL_FONT, text), content_type="text/html",
                            headers={"Content-Security-Policy": CSP.format(ws=ws), "Cache-Control": "no-store"})

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        if not web.WebSocketResponse().can_prepare(request).ok:  # `curl .../ws`: textual-serve would log a traceback
            return self.refuse(request, 400, "not a websocket handshake", "Not a page",
                               "this address is the lab's websocket; open the link printed by `linreg serve`")
        full = self.tabs_full(request)
        if full is not None:  # refused before textual-serve starts an app process for it
            return full
        self.tabs += 1  # no await between the check and here: the event loop cannot let a second tab in
        try:
            return await super().handle_websocket(request)
        finally:
            self.tabs -= 1

    async def _process_messages(self, websocket: web.WebSocketResponse, app_service) -> None:
        """A client that breaks the page's protocol (not JSON, not a list, a resize without a width) ends its
        tab with one line; textual-serve would log a traceback with every local variable."""
        try:
            await super()._process_messages(websocket, app_service)
        except (ValueError, TypeError, KeyError, IndexError, AssertionError, AttributeError) as e:
            log.warning("closed a tab: a message outside the page's protocol (%s: %s)", type(e).__name__, e)
