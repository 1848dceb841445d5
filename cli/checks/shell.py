"""
The development shell a checking session keeps open: one `python manage.py shell` that runs
each piece of code it is sent in fresh globals, as `manage.py shell -c` would, and answers with
what it printed. Starting Django again for each piece costs a second or more.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from pathlib import Path

from cli.checks.processes import Processes, SessionError
from cli.checks.server import Server


class DjangoShell:
    """`python manage.py shell` running SHELL_WORKER, started on first use (and again if it
    stopped); its errors go to `log`."""

    def __init__(self, processes: Processes, python: str, log: Path):
        self.processes = processes
        self.python = python
        self.log = log
        self.worker: Server | None = None
        self.lines: queue.Queue = queue.Queue()

    def run(self, code: str, env: dict[str, str], timeout: float, limit: float) -> str:
        """What `code` prints (or its traceback); SessionError when it takes more than `limit`
        seconds (`timeout`, the limit asked for, is what the message says)."""
        if self.worker is None or self.worker.process.poll() is not None:
            self._start(env)
        try:
            self.worker.process.stdin.write(json.dumps(code) + "\n")
            self.worker.process.stdin.flush()
        except OSError:
            pass  # it stopped: said below, with what it printed
        deadline = time.monotonic() + limit
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                self.worker.stop()
                raise SessionError(
                    f"`python manage.py shell` did not finish within {timeout:.0f} s"
                ) from None
            if line is None:
                return self.worker.output()  # the shell stopped: its errors say why
            try:
                answer = json.loads(line)
            except ValueError:
                continue  # something the project printed as Django started
            if isinstance(answer, dict) and "printed" in answer:
                return answer["printed"]

    def _start(self, env: dict[str, str]) -> None:
        with open(self.log, "w") as errors:
            process = self.processes.popen(
                [self.python, "manage.py", "shell", "-c", SHELL_WORKER],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            )
        lines: queue.Queue = queue.Queue()

        def read() -> None:
            for line in process.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
        self.worker = Server("shell", process, 0, self.log)
        self.lines = lines

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()


# The session's open development shell: runs each piece of code it is sent (one JSON string a
# line) in fresh globals, as `manage.py shell -c` would, and answers with what it printed.
SHELL_WORKER = r"""
import contextlib as _contextlib, io as _io, json as _json, sys as _sys, traceback as _traceback
from django.db import connections as _connections
_fresh = dict(globals())
_answer = _sys.stdout
for _line in _sys.stdin:
    _printed = _io.StringIO()
    try:
        with _contextlib.redirect_stdout(_printed), _contextlib.redirect_stderr(_printed):
            exec(compile(_json.loads(_line), "<retro check>", "exec"), dict(_fresh))
    except BaseException:
        _printed.write(_traceback.format_exc())
    finally:
        _connections.close_all()
    _answer.write(_json.dumps({"printed": _printed.getvalue()}) + "\n")
    _answer.flush()
"""
