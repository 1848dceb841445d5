"""
The servers a checking session starts (runserver, daphne, a Procfile's web process): started in
a process group of their own, waited for until they answer, stopped with their group; and what
their logs say went wrong, shortly, naming the student's own files.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cli.checks.processes import SessionError
from cli.net import free_port

if TYPE_CHECKING:
    from cli.checks.session import Session


def tail(text: str, lines: int = 12) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


TRACEBACK = "Traceback (most recent call last):"
CHAINED = ("The above exception", "During handling of the above exception")


def _before(lines: list[str], index: int) -> str:
    """The last line with something on it before `index`."""
    return next((line for line in reversed(lines[:index]) if line.strip()), "")


def server_errors(text: str, frames: int = 4, own: str = "") -> str:
    """What a server's log says went wrong, shortly: the line that introduces its last traceback
    (Django's "Internal Server Error: /", daphne's "Exception inside application"), the frames
    nearest the error, and the error; without a traceback, the log's last lines. The last frame
    in the folder `own` (the project's code) is kept even when it is further out."""
    lines = [line.rstrip() for line in text.splitlines()]
    starts = [index for index, line in enumerate(lines) if line.strip() == TRACEBACK]
    if not starts:
        return tail(text, 6)
    start = starts[-1]
    intro = _before(lines, start)
    while intro.startswith(CHAINED) and any(index < start for index in starts):
        # One error raised while handling another: what introduced the first one introduces all.
        start_of_chain = max(index for index in starts if index < start)
        intro, start = _before(lines, start_of_chain), start_of_chain
    if intro.startswith((" ", "\t", *CHAINED)):
        intro = ""  # the end of an earlier traceback, not this one's introduction
    start = starts[-1]
    body, error = [], ""
    for line in lines[start + 1 :]:
        if line.startswith((" ", "\t")) or not line:
            # Not the blank lines, nor the ^^^ lines pointing under the failing expression.
            if line.strip().strip("^~"):
                body.append(line)
        else:
            error = line  # the error itself: the first line back at the margin
            break
    # A frame is a `File "…", line N, in …` line and the code lines below it.
    heads = [index for index, line in enumerate(body) if line.lstrip().startswith("File ")]
    groups = [body[a:b] for a, b in zip(heads, [*heads[1:], len(body)], strict=True)]
    kept = set(range(max(0, len(groups) - frames), len(groups)))
    mine = [n for n, group in enumerate(groups) if own and f'"{own}' in group[0]]
    if mine:
        kept.add(mine[-1])
    shown = [intro] if intro else []
    skipped = 0
    for number, group in enumerate(groups):
        if number not in kept:
            skipped += 1
            continue
        if skipped:
            shown.append(f"  … {skipped} frame{'s' if skipped > 1 else ''} left out")
            skipped = 0
        shown += group
    return "\n".join([*shown, error])


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log: Path
    base_url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    # (the copy's folder, the student's folder): error lines name the student's own files.
    folders: tuple[str, str] = ("", "")

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def mark(self) -> int:
        """Where the server's log ends now: `errors_since(mark)` reads what it writes after."""
        try:
            return self.log.stat().st_size
        except OSError:
            return 0

    def errors_since(self, mark: int, wait: float = 1.5) -> str:
        """The server's own account of a failure since `mark`: the end of the last traceback it
        logged (the frames nearest the error and the error itself), else its last lines. A
        server logs the traceback as it fails; this waits up to `wait` seconds for it."""
        deadline = time.monotonic() + wait
        size = -1
        while True:
            text = self._since(mark)
            settled = len(text) == size
            size = len(text)
            if ("Traceback (most recent call last)" in text and settled) or (
                time.monotonic() > deadline
            ):
                copy, source = self.folders
                errors = server_errors(text, own=copy)
                return errors.replace(copy, source) if copy and source else errors
            time.sleep(0.1)

    def _since(self, mark: int) -> str:
        try:
            with open(self.log, "rb") as log:
                log.seek(mark)
                return log.read().decode(errors="replace")
        except OSError:
            return ""

    @classmethod
    def launch(
        cls,
        name: str,
        argv: list[str] | str,
        *,
        cwd: Path,
        env: dict[str, str],
        port: int,
        log: Path,
        folders: tuple[str, str] = ("", ""),
    ) -> Server:
        """Start `argv` (a command line when a string) in `cwd`, its output going to `log`."""
        with open(log, "w") as out:
            process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                shell=isinstance(argv, str),
                start_new_session=True,
            )
        server = cls(name, process, port, log, f"http://127.0.0.1:{port}", env)
        server.folders = folders
        return server

    def wait_until_answering(
        self, path: str, *, timeout: float, headers: dict[str, str] | None = None
    ) -> None:
        """Wait until the server answers HTTP at `path` (any answer); a SessionError when it
        stops first or does not answer within `timeout` seconds (it is stopped then)."""
        from cli.net import NotAnswering, wait_until_answering

        try:
            wait_until_answering(
                self.base_url + path,
                timeout=timeout,
                process=self.process,
                ready=lambda response: True,
                headers=headers or {},
            )
        except NotAnswering as error:
            if error.exit_status is not None:
                raise SessionError(
                    f"the server stopped as it started (exit status {error.exit_status})",
                    seen=self.errors_since(0, wait=0),
                ) from None
            self.stop()
            raise SessionError(
                f"the server did not answer on port {self.port} within {timeout:.0f} s",
                seen=self.errors_since(0, wait=0),
            ) from None

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(timeout=5)


class Servers(dict):
    """The servers a session started, by name; `dev()` is its `runserver`, started once."""

    def __init__(self, session: Session):
        super().__init__()
        self.session = session
        self.dev_failed: str | None = None  # what the runserver that did not start said

    def start(
        self,
        name: str,
        argv: list[str] | str,
        env: dict[str, str],
        port: int,
        ready_path: str = "/",
        headers: dict[str, str] | None = None,
        timeout: float = 40,
    ) -> Server:
        """Start a server process and wait until it answers HTTP on `port`."""
        session = self.session
        folders = (str(session.dir), str(session.source))
        log = session.tmp / f"{name}.log"
        server = Server.launch(
            name, argv, cwd=session.dir, env=env, port=port, log=log, folders=folders
        )
        self[name] = server
        server.wait_until_answering(ready_path, timeout=session.remaining(timeout), headers=headers)
        return server

    def dev(self) -> Server:
        """`python manage.py runserver` on the session's database, started once."""
        if "dev" in self:
            server = self["dev"]
            if server.process.poll() is None:
                return server
            raise SessionError(
                "the development server stopped", seen=server.errors_since(0, wait=0)
            )
        if self.dev_failed is not None:
            raise SessionError("the development server did not start", seen=self.dev_failed)
        self.session.migrated()
        port = free_port()
        argv = [self.session.python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
        try:
            return self.start("dev", argv, self.session.dev_env(), port)
        except SessionError as error:
            self.dev_failed = error.seen
            raise

    def stop_all(self) -> None:
        for server in self.values():
            server.stop()
