"""
Mail for end-to-end tests: a real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message
it receives, and the site's task worker (`manage.py db_worker`) that sends the site's mail to it.

    with MailServer() as smtp:
        server = LiveServer(database, ADMINS="ada@example.com", **smtp.env()).start()
        worker = Worker(server.env).start()
        ...
        [mail] = smtp.wait_for(1)
        assert mail.to == ["ada@example.com"] and "Traceback" in mail.text
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from cli.net import free_port
from tests.live import ROOT, stop_process


@dataclass
class Received:
    """One message as the SMTP server received it: the envelope and the parsed message."""

    mail_from: str
    to: list[str]  # the envelope's recipients (RCPT TO), Bcc included
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def text(self) -> str:
        """The plain-text body (the text/plain part of a multipart message)."""
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""


class MailServer:
    """aiosmtpd on a free port of 127.0.0.1, in a thread of this process; `received` fills up
    as messages arrive. Use as a context manager, or `start()` and `stop()`."""

    def __init__(self):
        self.host = "127.0.0.1"
        self.port = free_port()
        self.received: list[Received] = []
        self._arrived = threading.Condition()
        self._controller = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self._arrived:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def start(self) -> MailServer:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()  # returns once the server answers
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """The site's settings for sending here: plain SMTP, no login."""
        return {
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": str(self.port),
            "EMAIL_USE_TLS": "0",
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
        }

    def wait_for(self, count: int = 1, timeout: float = 30) -> list[Received]:
        """The first `count` messages, once that many have arrived; AssertionError after
        `timeout` seconds with fewer."""
        with self._arrived:
            arrived = self._arrived.wait_for(lambda: len(self.received) >= count, timeout)
            got = list(self.received)
        assert arrived, f"{len(got)} message(s) arrived in {timeout}s, not {count}: {got}"
        return got[:count]


@pytest.fixture
def smtp_server():
    """A real SMTP server for one test; its `env()` points the site's settings at it."""
    with MailServer() as server:
        yield server


class Worker:
    """`python manage.py db_worker`, the Procfile's worker, in the environment given (a live
    server's `env`, so it reads the same database and sends through the same SMTP server)."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.log = Path(tempfile.mkstemp(prefix="retro-worker-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--interval",
                 "0.2"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        return self

    def wait_until_running(self, timeout: float = 30) -> Worker:
        """Once the worker has said it started (its first line, before it looks for tasks)."""
        deadline = time.monotonic() + timeout
        while "Starting worker" not in self.output():
            if self.process.poll() is not None:
                status = self.process.returncode
                raise RuntimeError(f"the worker exited with {status}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start in {timeout}s:\n{self.output()}")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def output(self) -> str:
        return self.log.read_text(errors="replace")
