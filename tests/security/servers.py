"""
Services of a test's own, to stop and start at will: a PostgreSQL cluster (initdb into a
temporary folder, on a free port) and a redis-server on a free port. The machine's shared
PostgreSQL and Redis are never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.live import free_port


def _as_postgres(command: list[str]) -> list[str]:
    """initdb and pg_ctl refuse to run as root: run them as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class OwnPostgres:
    def __init__(self):
        if not shutil.which("initdb") or not shutil.which("pg_ctl"):
            pytest.skip("no initdb/pg_ctl on this machine")
        self.folder = Path(tempfile.mkdtemp(prefix="retro-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        subprocess.run(
            _as_postgres(["initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                          "--no-sync", "-E", "UTF8"]),
            check=True, capture_output=True, timeout=120,
        )

    def start(self) -> OwnPostgres:
        subprocess.run(
            _as_postgres(["pg_ctl", "-D", str(self.data), "-w", "-t", "60",
                          "-l", str(self.data / "log"),
                          "-o", f"-p {self.port} -k {self.folder} -h 127.0.0.1 -F", "start"]),
            check=True, capture_output=True, timeout=90,
        )
        return self

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(["pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
            capture_output=True, timeout=60,
        )

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class OwnRedis:
    def __init__(self):
        if not shutil.which("redis-server"):
            pytest.skip("no redis-server on this machine")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 20) -> OwnRedis:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        import redis

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_timeout=1).ping()
                return self
            except redis.RedisError:
                time.sleep(0.1)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None
