"""
A redis-server of a test's own, on a free port, that the test may stop, freeze and start
again: never the machine's shared Redis.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from tests.live import free_port


class OwnRedis:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = tempfile.mkdtemp(prefix="retro-test-redis-")
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 15) -> OwnRedis:
        import redis

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.folder],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.5).ping():
                    return self
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not answer in {timeout} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def own_redis():
    if shutil.which("redis-server") is None:
        pytest.skip("no redis-server on this machine")
    server = OwnRedis().start()
    yield server
    server.stop()
