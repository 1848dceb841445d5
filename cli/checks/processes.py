"""
The processes of a checking session: each command run in the project's copy with a time limit,
in a process group of its own so that all it started can be ended; and work started ahead in
the background for a later check to take.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path


class SessionError(Exception):
    """The project could not be run at all (reported against the check that needed it)."""

    def __init__(self, message: str, seen: str = ""):
        super().__init__(message)
        self.seen = seen


class Processes:
    """Commands run in `cwd`; once `close()` is called none starts and the running ones end."""

    def __init__(self, cwd: Path):
        self.cwd = cwd
        self._running: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        self._closing = False

    def popen(self, argv: list[str] | str, **options) -> subprocess.Popen:
        """Start `argv` in its own process group (SessionError once closing)."""
        with self._lock:
            if self._closing:
                raise SessionError("the checks were stopped")
            return subprocess.Popen(argv, cwd=self.cwd, start_new_session=True, **options)

    def run(self, argv, *, env, timeout, stdin=None, shell=False) -> subprocess.CompletedProcess:
        """Run `argv` to its end, with a time limit (subprocess.TimeoutExpired after it, the
        whole group killed); `close()` ends it if it is still running."""
        with self._lock:
            if self._closing:
                raise SessionError("the checks were stopped")
            process = subprocess.Popen(
                argv,
                cwd=self.cwd,
                env=env,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                shell=shell,
                start_new_session=True,
            )
            self._running.add(process)
        try:
            out, err = process.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(process)
            process.communicate()
            raise
        finally:
            with self._lock:
                self._running.discard(process)
        return subprocess.CompletedProcess(argv, process.returncode, out, err)

    def close(self) -> None:
        """Start nothing more, and end what is running."""
        with self._lock:
            self._closing = True
            running = list(self._running)
        for process in running:
            kill_group(process)


class Ahead:
    """Work started in the background (two at a time, in the order asked), each under a key;
    the check that needs it takes its result, or its exception, instead of running it again.
    Only for work that depends on nothing a check does first: commands that read the project,
    or write only files and databases of their own."""

    def __init__(self) -> None:
        self._futures: dict[tuple, Future] = {}
        self._pool: ThreadPoolExecutor | None = None

    def __contains__(self, key: tuple) -> bool:
        return key in self._futures

    def start(self, key: tuple, work: Callable[[], object]) -> Future:
        if key in self._futures:
            return self._futures[key]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="retro-check")
        future = self._pool.submit(work)
        self._futures[key] = future
        return future

    def take(self, key: tuple, work: Callable[[], object]):
        """The result of the work started under `key`, else of `work()` run now."""
        future = self._futures.pop(key, None)
        return work() if future is None else future.result()

    def cancel(self) -> list[tuple]:
        """Cancel what has not started; the keys of the work no one took."""
        untaken = list(self._futures)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        return untaken

    def wait(self) -> None:
        """Wait for the work that was running to end (its processes ended by then)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
