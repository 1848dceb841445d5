"""
Reading the API's answers for cli/client.py: JSON decoded, list pages checked, and a failed
answer turned into a CLIError with a plain sentence and its exit status:

| what happened | exit status | message |
| --- | --- | --- |
| no connection, timeout | UNREACHABLE | cannot reach the server at <URL> |
| 401 | AUTH | not logged in / token revoked or expired — run `retro login` |
| 400 | INVALID | the server's sentence (each refused field and its message) |
| 403 | AUTH | the server's reason |
| 404 | NOT_FOUND | what was not found |
| 429 | THROTTLED | too many requests, with the wait from Retry-After |
| 5xx, anything else | ERROR | the status and the URL |
"""

from __future__ import annotations

from typing import Any

import httpx

from cli.errors import CLIError, ExitCode, server_code, server_detail

LOGIN_HINT = "run: retro login USERNAME"


def error_for(
    response: httpx.Response, *, server: str, logged_in: bool, not_found: str | None = None
) -> CLIError:
    """What a failed answer from `server` means, as a CLIError (see the table above)."""
    status = response.status_code
    body = decode(response, quiet=True)
    detail, code = server_detail(body), server_code(body)
    where = f"{response.request.method} {response.request.url.path}"
    if status == 401:
        if logged_in:
            return CLIError(
                f"the token saved for {server} was revoked or has expired",
                ExitCode.AUTH,
                hint=LOGIN_HINT,
                server_code=code,
            )
        return CLIError(f"not logged in to {server}", ExitCode.AUTH, LOGIN_HINT, code)
    if status == 400:
        return CLIError(detail or "the server refused the input", ExitCode.INVALID, None, code)
    if status == 403:
        return CLIError(f"not allowed: {detail or where}", ExitCode.AUTH, None, code)
    if status == 404:
        if not isinstance(body, dict):  # an HTML page: no RetroSocial API at this address
            return CLIError(
                f"{server} has no RetroSocial API ({where} answered 404)",
                ExitCode.NOT_FOUND,
                hint="check the --server URL",
            )
        return CLIError(
            not_found or detail or f"not found: {where}", ExitCode.NOT_FOUND, None, code
        )
    if status == 429:
        wait = _retry_after(response)
        text = f"try again in {wait} second{'s' if wait != 1 else ''}" if wait else detail
        return CLIError(
            f"too many requests to {server}: {text or 'try again later'}",
            ExitCode.THROTTLED,
            server_code=code,
        )
    if status >= 500:
        return CLIError(
            f"the server at {server} failed: {where} answered {status}", server_code=code
        )
    return CLIError(
        f"{where} on {server} answered {status}: {detail or response.text}", server_code=code
    )


def _retry_after(response: httpx.Response) -> int | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0, int(float(value)))
    except ValueError:
        return None


def results(answer: Any, server: str, path: str) -> list:
    if not isinstance(answer, dict) or not isinstance(answer.get("results"), list):
        raise CLIError(f"{server} answered {path} with something that is not a list page")
    return answer["results"]


def decode(response: httpx.Response, quiet: bool = False) -> Any:
    try:
        return response.json()
    except ValueError:
        if quiet:
            return None
        raise CLIError(
            f"{response.url} did not answer with JSON (HTTP {response.status_code})",
            hint="is this a RetroSocial server?",
        ) from None
