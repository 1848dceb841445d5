"""
The one HTTP client of the RetroSocial REST API (/api/, see the README): cli/api.py, which
knows the endpoints, sends every request through it.

It sends `Authorization: Token <key>` when logged in and turns every failure into a CLIError
with a plain sentence and its exit status:

| what happened | exit status | message |
| --- | --- | --- |
| no connection, timeout | UNREACHABLE | cannot reach the server at <URL> |
| 401 | AUTH | not logged in / token revoked or expired — run `retro login` |
| 400 | INVALID | the server's message for each field |
| 403 | AUTH | the server's reason |
| 404 | NOT_FOUND | what was not found |
| 429 | THROTTLED | too many requests, with the wait from Retry-After |
| 5xx, anything else | ERROR | the status and the URL |

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

TIMEOUT = httpx.Timeout(15.0, connect=5.0)
# A post or message whose connection broke after it was sent is sent again this many times,
# with the same Idempotency-Key: the server does it once whatever happens.
WRITE_RETRIES = 2
RETRY_PAUSE = 0.5  # seconds before the first retry, doubled before each next one
LOGIN_HINT = "run: retro login USERNAME"


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
            return _decode(response) if response.content else None
        raise self.error_for(response, not_found=not_found)

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
            "POST", path, json=body, not_found=not_found,
            headers={"Idempotency-Key": str(uuid.uuid4())}, retries=WRITE_RETRIES,
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
            for item in _results(answer, self.server, path):
                if limit is not None and count >= limit:
                    return
                count += 1
                yield item
            next_url = answer.get("next")
            if not next_url or (limit is not None and count >= limit):
                return
            answer = self.request("GET", next_url)

    # --- errors -----------------------------------------------------------------------------

    def error_for(self, response: httpx.Response, *, not_found: str | None = None) -> CLIError:
        status = response.status_code
        body = _decode(response, quiet=True)
        detail = body.get("detail") if isinstance(body, dict) else None
        where = f"{response.request.method} {response.request.url.path}"
        if status == 401:
            if self.token:
                return CLIError(
                    f"the token saved for {self.server} was revoked or has expired",
                    ExitCode.AUTH,
                    hint=LOGIN_HINT,
                )
            return CLIError(f"not logged in to {self.server}", ExitCode.AUTH, hint=LOGIN_HINT)
        if status == 400:
            return CLIError(validation_message(body), ExitCode.INVALID)
        if status == 403:
            return CLIError(f"not allowed: {detail or where}", ExitCode.AUTH)
        if status == 404:
            if not isinstance(body, dict):  # an HTML page: no RetroSocial API at this address
                return CLIError(
                    f"{self.server} has no RetroSocial API ({where} answered 404)",
                    ExitCode.NOT_FOUND,
                    hint="check the --server URL",
                )
            return CLIError(not_found or detail or f"not found: {where}", ExitCode.NOT_FOUND)
        if status == 429:
            wait = _retry_after(response)
            text = f"try again in {wait} second{'s' if wait != 1 else ''}" if wait else detail
            return CLIError(
                f"too many requests to {self.server}: {text or 'try again later'}",
                ExitCode.THROTTLED,
            )
        if status >= 500:
            return CLIError(f"the server at {self.server} failed: {where} answered {status}")
        return CLIError(f"{where} on {self.server} answered {status}: {detail or response.text}")


def validation_message(body: Any) -> str:
    """DRF's 400 body as one line: `field: message; other: message`."""
    if not isinstance(body, dict) or not body:
        return "the server refused the input"
    parts = []
    for field, messages in body.items():
        if isinstance(messages, list):
            text = " ".join(str(message) for message in messages)
        elif isinstance(messages, dict):
            text = validation_message(messages)
        else:
            text = str(messages)
        if field in ("non_field_errors", "detail"):
            parts.append(text)
        else:
            parts.append(f"{field}: {text}")
    return "; ".join(parts)


def _retry_after(response: httpx.Response) -> int | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0, int(float(value)))
    except ValueError:
        return None


def _results(answer: Any, server: str, path: str) -> list:
    if not isinstance(answer, dict) or not isinstance(answer.get("results"), list):
        raise CLIError(f"{server} answered {path} with something that is not a list page")
    return answer["results"]


def _decode(response: httpx.Response, quiet: bool = False) -> Any:
    try:
        return response.json()
    except ValueError:
        if quiet:
            return None
        raise CLIError(
            f"{response.url} did not answer with JSON (HTTP {response.status_code})",
            hint="is this a RetroSocial server?",
        ) from None
