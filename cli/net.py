"""
Servers on this machine and elsewhere, the two things everyone starting one needs: a free port
to start it on, and waiting until it answers (its /healthz, usually). `retro deploy local` and
`deploy heroku`, the checks' sessions, the course's pictures and the test suite's live servers
all use these.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import subprocess

    import httpx


def free_port() -> int:
    """A port nothing listens on at 127.0.0.1 now (the system's pick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_taken(port: int) -> str:
    """Why `port` cannot serve on every interface ("" when it can): something binds it on some
    interface, or answers on 127.0.0.1 (where a `runserver` listens)."""
    with socket.socket() as sock:
        try:
            sock.bind(("0.0.0.0", port))
        except OSError as error:
            return error.strerror or str(error)
    with socket.socket() as sock:
        sock.settimeout(0.5)
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            return "something answers on 127.0.0.1"
    return ""


def free_port_after(port: int) -> int | None:
    """The first port after `port` (within a hundred) that is free on every interface."""
    for candidate in range(port + 1, min(port + 100, 65536)):
        if not port_taken(candidate):
            return candidate
    return None


class NotAnswering(Exception):
    """The URL did not answer as wanted in time, or the process serving it stopped (then
    `exit_status` is its status). `last` says what it answered last, or why it did not."""

    def __init__(self, url: str, last: str, exit_status: int | None = None):
        super().__init__(f"{url}: {last}")
        self.url = url
        self.last = last
        self.exit_status = exit_status


def is_ok(response: httpx.Response) -> bool:
    return response.status_code == 200


def wait_until_answering(
    url: str,
    *,
    timeout: float,
    process: subprocess.Popen | None = None,
    ready: Callable[[httpx.Response], bool] = is_ok,
    interval: float = 0.1,
    on_wait: Callable[[str, float], Any] | None = None,
    request_timeout: float = 2,
    **request: Any,
) -> httpx.Response:
    """GET `url` until `ready(response)` (a 200, unless told otherwise) and return that answer.
    Raises NotAnswering after `timeout` seconds, or as soon as `process` (the server, when it is
    ours) stops. Between tries, `on_wait(last, seconds)` hears what it answered last and how
    long it has been waited for. Each GET may take `request_timeout` seconds; `request` holds
    other options for httpx.get (headers, follow_redirects)."""
    import httpx

    started = time.monotonic()
    last = "no answer yet"
    while True:
        if process is not None and process.poll() is not None:
            raise NotAnswering(url, last, exit_status=process.returncode)
        try:
            response = httpx.get(url, timeout=request_timeout, **request)
            if ready(response):
                return response
            last = f"{response.status_code}: {response.text[:200]}"
        except httpx.HTTPError as error:
            last = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        waited = time.monotonic() - started
        if waited >= timeout:
            raise NotAnswering(url, last)
        if on_wait is not None:
            on_wait(last, waited)
        time.sleep(interval)
