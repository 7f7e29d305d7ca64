"""Helpers for the real-browser tests: which chromium, a network that stops at 127.0.0.1, a static server.

Playwright's own browser download does not work here (and is not needed): the tests launch the system
chromium (`/usr/bin/chromium`, or `IRIS_CHROMIUM`), which `scripts/ensure_chromium.sh` installs.
Every browser context routes each request through `LocalOnly`: requests to 127.0.0.1 go through, anything
else is aborted and recorded, so a test can assert that a page asked for nothing outside this machine.
"""
from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("IRIS_CHROMIUM", "/usr/bin/chromium")
# Headless, as root in CI (no sandbox), and none of Chrome's background traffic to Google's services:
# with the network closed, those connections would only fail (many at a time) and slow the start.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 900}
# A bound on waits for events that must come (pages, renders, Voila, a run): CI loads both cores with other
# lanes, so it only turns a hang into a failure, it never decides a result (as HANG_GUARD_SECONDS in tests/).
HANG_GUARD_MS = 600_000
ARTIFACTS = Path(os.environ.get("IRIS_ARTIFACTS", REPO / "artifacts"))
LOCAL_HOSTS = {"127.0.0.1"}
LOCAL_SCHEMES = {"data", "blob", "about"}


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOCAL_HOSTS


@dataclass
class LocalOnly:
    """What a browser context asked for: requests outside 127.0.0.1 (aborted), failures, script errors."""

    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def attach(self, context) -> None:
        context.route("**/*", self._route)
        context.on("requestfailed", self._on_failed)
        context.on("response", self._on_response)

    def watch(self, page) -> None:
        """Per page: uncaught script errors, and websockets (which do not pass through routes)."""
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("websocket", lambda ws: None if is_local(ws.url) else self.blocked.append(ws.url))

    def _route(self, route) -> None:
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("internetdisconnected")

    def _on_failed(self, request) -> None:
        if is_local(request.url):
            self.failed.append(f"{request.url} ({request.failure})")

    def _on_response(self, response) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.url} (HTTP {response.status})")


def new_context(browser):
    """A browser context at the book's viewport whose every action (click, screenshot, wait) waits up to the
    hang guard rather than Playwright's 30 s default: under CI's load a long page's screenshot took longer."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(HANG_GUARD_MS)
    return context


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serves `root` over HTTP on 127.0.0.1 (a free port) from a thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, name="book-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def artifact_path(*parts: str) -> Path:
    """A file under artifacts/ (gitignored; CI uploads it), its folder created."""
    path = ARTIFACTS.joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
