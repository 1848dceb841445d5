"""
The one HTTP client of the RetroSocial REST API (/api/, see the README): cli/api.py, which
knows the endpoints, sends every request through it.

It sends `Authorization: Token <key>` when logged in, retries a write whose connection broke
(with the same Idempotency-Key), and turns every failure into a CLIError: a connection that
fails is UNREACHABLE, a failed answer is read by cli/responses.py.

httpx is imported here, so import this module inside commands, not at the top of one.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx

from cli import config
from cli.api import PAGE_LIMIT, authorization
from cli.errors import CLIError, ExitCode, connection_failure
from cli.responses import LOGIN_HINT, decode, error_for, results

TIMEOUT = httpx.Timeout(15.0, connect=5.0)
# A post or message whose connection broke after it was sent is sent again this many times,
# with the same Idempotency-Key: the server does it once whatever happens.
WRITE_RETRIES = 2
RETRY_PAUSE = 0.5  # seconds before the first retry, doubled before each next one


class Client:
    """An API client for one server, logged in or not."""

    def __init__(self, server: str, token: str | None = None, username: str | None = None):
        self.server = server
        self.token = token
        self.username = username
        headers = {"Accept": "application/json", "User-Agent": "retro-cli"}
        if token:
            headers["Authorization"] = authorization(token)
        self.http = httpx.Client(base_url=server, headers=headers, timeout=TIMEOUT)

    @classmethod
    def for_server(cls, server_option: str | None, *, login: bool = False) -> Client:
        """A client for the server chosen by --server / `retro server use`, with the token saved
        for it. With `login`, not being logged in there is an AUTH error right away."""
        server = config.resolve_server(server_option)
        saved = config.credentials(server)
        if saved is None:
            if login:
                raise CLIError(f"not logged in to {server}", ExitCode.AUTH, hint=LOGIN_HINT)
            return cls(server)
        username, token = saved
        return cls(server, token, username)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- requests ---------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: dict | None = None,
        params: dict | None = None,
        not_found: str | None = None,
        headers: dict | None = None,
        retries: int = 0,
    ) -> Any:
        """Send a request and return the decoded JSON answer (None for an empty one), or raise
        CLIError. `not_found` is the message for a 404. `retries`: how many times to send it
        again when the connection breaks after it may have reached the server."""
        try:
            for attempt in range(retries + 1):
                try:
                    response = self.http.request(
                        method, path, json=json, params=params, headers=headers
                    )
                    break
                except (httpx.ConnectError, httpx.ConnectTimeout):
                    raise  # never reached the server: nothing to retry
                except httpx.TransportError:
                    if attempt == retries:
                        raise
                    time.sleep(RETRY_PAUSE * 2**attempt)
        except httpx.TimeoutException:
            raise CLIError(
                f"cannot reach the server at {self.server}: no answer in time",
                ExitCode.UNREACHABLE,
            ) from None
        except httpx.TransportError as error:
            raise CLIError(
                f"cannot reach the server at {self.server}: {connection_failure(error)}",
                ExitCode.UNREACHABLE,
                hint="is it running? pick another with --server URL",
            ) from None
        if response.is_success:
            return decode(response) if response.content else None
        raise error_for(
            response, server=self.server, logged_in=bool(self.token), not_found=not_found
        )

    def get(self, path: str, *, not_found: str | None = None, **params: Any) -> Any:
        params = {key: value for key, value in params.items() if value is not None}
        return self.request("GET", path, params=params, not_found=not_found)

    def post(
        self, path: str, body: dict, *, not_found: str | None = None, idempotent: bool = False
    ) -> Any:
        """POST `body`. `idempotent` (posts and messages): with an Idempotency-Key header, a
        fresh UUID for this call and the same for each of its retries, so sending it again
        after a broken connection never posts twice."""
        if not idempotent:
            return self.request("POST", path, json=body, not_found=not_found)
        return self.request(
            "POST",
            path,
            json=body,
            not_found=not_found,
            headers={"Idempotency-Key": str(uuid.uuid4())},
            retries=WRITE_RETRIES,
        )

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def pages(
        self, path: str, *, limit: int | None = None, not_found: str | None = None, **params: Any
    ) -> Iterator[dict]:
        """The `results` of a list endpoint, following `next` links, at most `limit` of them."""
        if limit is not None:
            params.setdefault("page_size", max(1, min(limit, PAGE_LIMIT)))
        answer = self.get(path, not_found=not_found, **params)
        count = 0
        while True:
            for item in results(answer, self.server, path):
                if limit is not None and count >= limit:
                    return
                count += 1
                yield item
            next_url = answer.get("next")
            if not next_url or (limit is not None and count >= limit):
                return
            answer = self.request("GET", next_url)
