"""
Errors the retro command line reports: one line on standard error, a distinct exit status,
never a traceback. Commands raise CLIError; `cli.main.main` prints it and exits.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1  # anything not listed below
    USAGE = 2  # bad command-line usage (Typer/Click's own status)
    UNREACHABLE = 3  # the server could not be reached
    AUTH = 4  # not logged in, wrong password, token revoked or expired
    INVALID = 5  # the server refused the input (validation error)
    NOT_FOUND = 6  # unknown user, week, server name, …
    THROTTLED = 7  # too many requests: wait and retry
    CHECK_FAILED = 8  # `retro check` / `retro doctor` found problems
    DEPLOY_FAILED = 9  # a deploy step failed
    PROJECT = 10  # not a project folder, or the project cannot be read
    CANCELLED = 130  # a confirmation declined, or Ctrl-C: nothing was changed


EXIT_CODES_HELP = "Exit status: " + ", ".join(
    f"{int(code)} {code.name.lower()}" for code in ExitCode
)


class CLIError(Exception):
    """A failure to report to the user in plain words. `server_code` is the API's own code for
    an error the server answered (see `server_code`), for callers that react to one."""

    def __init__(
        self,
        message: str,
        code: ExitCode = ExitCode.ERROR,
        hint: str | None = None,
        server_code: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.hint = hint
        self.server_code = server_code


# The API answers every error in one shape (the server's api/errors.py):
# {"code": "invalid", "detail": "text: This field may not be blank.", "fields": {...}}.
# `code` is one of a small documented set ("invalid", "wrong_credentials", "unauthenticated",
# "not_found", "throttled", …: /api/schema/'s Error); `detail` is a sentence for people.


def server_code(body: object) -> str | None:
    """The code of the API's error answer `body` (decoded JSON), or None for anything else."""
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


def server_detail(body: object) -> str | None:
    """The sentence of the API's error answer `body`: for refused input, each field's messages
    as `field: message; other: message`. None for anything else."""
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail if isinstance(detail, str) and detail else None


def connection_failure(error: BaseException) -> str:
    """Why a connection to the server failed, in a few words: `connection refused`, `the server
    went away`, or the error's own message without its `[Errno N]`."""
    text = str(error)
    if isinstance(error, ConnectionRefusedError) or "refused" in text.lower():
        return "connection refused"
    if isinstance(error, ConnectionResetError) or (
        type(error).__name__ == "WebSocketConnectionClosedException"
    ):
        return "the server went away"
    return text.rsplit("] ", 1)[-1] or type(error).__name__
