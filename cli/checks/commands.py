"""
The commands a checking session runs in the project's copy: `python manage.py …` and shell
command lines (a Procfile's), each with a time limit, run now or started ahead (see Ahead) and
taken by the check that needs it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from concurrent.futures import Future, wait

from cli.checks.processes import Ahead, Processes, SessionError


class Commands:
    """`manage.py` and command lines in the copy; a limit asked for is cut to `remaining(cap)`,
    the time the checks have left."""

    def __init__(
        self,
        processes: Processes,
        python: str,
        remaining: Callable[[float], float],
        default_env: Callable[[], dict[str, str]],
    ):
        self.processes = processes
        self.python = python
        self.remaining = remaining
        self.default_env = default_env
        self.work_ahead = Ahead()

    def ahead(self, key: tuple, work: Callable[[], object]) -> Future:
        return self.work_ahead.start(key, work)

    def take(self, key: tuple, work: Callable[[], object]):
        return self.work_ahead.take(key, work)

    def manage(self, *args: str, env=None, timeout: float = 90, stdin: str | None = None):
        env = env or self.default_env()
        key = manage_key(args, env, stdin)
        return self.take(key, lambda: self._manage(args, env, timeout, stdin))

    def manage_ahead(self, *args: str, env=None, timeout: float = 90, after=None) -> Future:
        """Start `python manage.py ARGS` now (once `after` is done, if given: work ahead keeps
        the order the checks have); `manage(ARGS, env=…)` takes its result."""
        env = env or self.default_env()

        def work():
            if after is not None:
                wait([after])
            return self._manage(args, env, timeout, None)

        return self.ahead(manage_key(args, env, None), work)

    def _manage(self, args, env, timeout, stdin) -> subprocess.CompletedProcess:
        argv = [self.python, "manage.py", *args]
        try:
            return self.processes.run(argv, env=env, stdin=stdin, timeout=self.remaining(timeout))
        except subprocess.TimeoutExpired:
            raise SessionError(
                f"`python manage.py {' '.join(args)}` did not finish within {timeout:.0f} s"
            ) from None
        except OSError as error:
            raise SessionError(f"cannot run {self.python}: {error}") from None

    def run_line(self, command: str, env: dict[str, str], timeout: float = 120):
        """Run a shell command line (a Procfile's) in the copy."""
        key = ("line", command, frozen(env))
        return self.take(key, lambda: self._line(command, env, timeout))

    def run_line_ahead(self, command: str, env: dict[str, str], timeout: float = 120):
        """Start a shell command line now; `run_line(command, env)` takes its result."""
        self.ahead(("line", command, frozen(env)), lambda: self._line(command, env, timeout))

    def _line(self, command: str, env: dict[str, str], timeout: float):
        try:
            return self.processes.run(command, shell=True, env=env, timeout=self.remaining(timeout))
        except subprocess.TimeoutExpired:
            raise SessionError(f"`{command}` did not finish within {timeout:.0f} s") from None


def frozen(env: dict[str, str]) -> tuple:
    return tuple(sorted(env.items()))


def manage_key(args, env: dict[str, str], stdin: str | None) -> tuple:
    return ("manage", tuple(args), frozen(env), stdin)
