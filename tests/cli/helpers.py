"""Running the real `retro` program in a subprocess, as a user at a terminal would."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tests.live import PASSWORD, ROOT


@dataclass
class Run:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)

    def __str__(self) -> str:
        return (
            f"retro {' '.join(self.args)} → {self.returncode}\n"
            f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}"
        )


class Retro:
    """`retro` for one person: a config folder of their own, talking to one server."""

    def __init__(self, config_dir: Path, server: str | None):
        self.config_dir = config_dir
        self.server = server

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RETRO_")}
        env["RETRO_CONFIG_DIR"] = str(self.config_dir)
        if self.server:
            env["RETRO_SERVER"] = self.server
        env.update(extra)
        return env

    def command(self) -> list[str]:
        return [sys.executable, "-m", "cli.main"]

    def __call__(self, *args: str, input: str | None = None, **extra_env: str) -> Run:
        result = subprocess.run(
            [*self.command(), *args],
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            env=self.env(**extra_env),
            cwd=self.config_dir.parent,
            timeout=60,
        )
        run = Run(args, result.returncode, result.stdout, result.stderr)
        assert "Traceback" not in run.stdout + run.stderr, str(run)
        return run

    def ok(self, *args: str, input: str | None = None) -> Run:
        run = self(*args, input=input)
        assert run.returncode == 0, str(run)
        return run

    def signup(self, username: str, password: str = PASSWORD) -> Run:
        return self.ok("signup", username, "--password-stdin", input=password + "\n")

    def login(self, username: str, password: str = PASSWORD) -> Run:
        return self("login", username, "--password-stdin", input=password + "\n")

    def spawn(self, *args: str) -> Background:
        return Background(self, args)


class Background:
    """A long-running `retro` (e.g. tail) whose output lines are read with timeouts."""

    def __init__(self, retro: Retro, args: tuple[str, ...]):
        self.process = subprocess.Popen(
            [*retro.command(), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=retro.env(),
            cwd=retro.config_dir.parent,
        )
        self.stdout: queue.Queue[str] = queue.Queue()
        self.stderr: queue.Queue[str] = queue.Queue()
        self.stdout_lines: list[str] = []
        self.stderr_lines: list[str] = []
        pipes = ((self.process.stdout, self.stdout), (self.process.stderr, self.stderr))
        for stream, lines in pipes:
            threading.Thread(target=_pump, args=(stream, lines), daemon=True).start()

    def next_line(self, timeout: float = 15) -> str:
        try:
            line = self.stdout.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(
                f"no output line in {timeout}s; stderr so far:\n{''.join(self.all_stderr())}"
            ) from None
        self.stdout_lines.append(line)
        return line

    def next_json(self, timeout: float = 15) -> dict:
        return json.loads(self.next_line(timeout))

    def all_stderr(self) -> list[str]:
        while True:
            try:
                self.stderr_lines.append(self.stderr.get_nowait())
            except queue.Empty:
                return self.stderr_lines

    def wait_stderr(self, text: str, timeout: float = 15) -> str:
        """Wait for a line on standard error containing `text`, and return it."""
        for line in self.all_stderr():
            if text in line:
                return line
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.stderr.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.stderr_lines.append(line)
            if text in line:
                return line
        raise AssertionError(f"no {text!r} on stderr in {timeout}s:\n{''.join(self.stderr_lines)}")

    def interrupt(self, timeout: float = 10) -> int:
        """Ctrl-C, as at a terminal; returns the exit status."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> Background:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _pump(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    stream.close()


__all__ = ["ROOT", "PASSWORD", "Retro", "Run", "Background"]
