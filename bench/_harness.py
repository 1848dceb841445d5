"""
What the websocket benchmarks share: a redis-server of their own on a free port, a PostgreSQL
database of their own, daphne processes started the way the tests start them (tests/live.py),
the ceiling server, API accounts, and the Markdown table they print. Not a benchmark itself
(bench/run.py skips files whose name starts with "_").
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.live import (  # noqa: E402
    PASSWORD,
    LiveDatabase,
    LiveServer,
    ctrl_c_as_at_a_terminal,
    free_port,
    manage,
    production_env,
    unique,
)
from tests.services import POSTGRES_TEST_URL, postgres_reachable  # noqa: E402

__all__ = [
    "PASSWORD", "LiveDatabase", "LiveServer", "ctrl_c_as_at_a_terminal", "free_port", "unique",
    "RedisServer",
    "bench_database", "site", "ceiling", "api_account", "rss_kib", "pct", "table", "Failure",
    "CpuUse",
]

BASELINE_APP = "bench.baseline.asgi:application"
BASELINE_SETTINGS = "bench.baseline.settings"


class Failure(Exception):
    """Something the benchmark needs did not work: printed as one line, exit status 2."""


class RedisServer:
    """A redis-server of our own on a free port: no persistence, stoppable, freezable."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.folder = tempfile.mkdtemp(prefix="retro-bench-redis-")

    def start(self, timeout: float = 15) -> RedisServer:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.folder, "--maxclients", "10000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        import redis

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise Failure(f"redis-server on port {self.port} exited at once")
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.5).ping():
                    return self
            except redis.RedisError:
                time.sleep(0.05)
        raise Failure(f"redis-server on port {self.port} did not answer in {timeout}s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.resume()
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)


def bench_database() -> tuple[LiveDatabase, str]:
    """A fresh, migrated database: PostgreSQL on the shared server when it answers (created
    here, dropped by the caller), else a SQLite file. Returns it and a word for the output."""
    if postgres_reachable():
        return LiveDatabase(POSTGRES_TEST_URL), "PostgreSQL"
    return LiveDatabase(None), "SQLite (PostgreSQL not reachable)"


_STATIC: list[str] = []


def static_root() -> str:
    """The production static files (hashed names, as on Heroku), collected once per run into
    a temporary folder that every daphne of the run serves. Inside the test suite, the
    folder its session already collected (tests/conftest.py exports STATIC_ROOT)."""
    collected = os.environ.get("STATIC_ROOT", "")
    if collected and (Path(collected) / "staticfiles.json").exists():
        return collected
    if not _STATIC:
        folder = tempfile.mkdtemp(prefix="retro-bench-static-")
        manage("collectstatic", "--noinput", env=production_env("sqlite://", STATIC_ROOT=folder))
        _STATIC.append(folder)
    return _STATIC[0]


def site(database: LiveDatabase, redis_url: str, variant: str = "site", **env: str) -> LiveServer:
    """One daphne process with the production settings.

    variant "site": the site as it is in this tree; "core": the course outline's design (a
    consumer per socket in a group, channels-redis's core RedisChannelLayer); "pubsub": the
    same consumer through RedisPubSubChannelLayer. The last two are bench/baseline/.
    """
    extra = {"CHANNEL_LAYER_PREFIX": f"bench{uuid.uuid4().hex[:8]}",
             "STATIC_ROOT": static_root(), **env}
    if variant == "site":
        return LiveServer(database, redis_url=redis_url, **extra)
    extra.update(DJANGO_SETTINGS_MODULE=BASELINE_SETTINGS, BENCH_LAYER=variant)
    return LiveServer(database, redis_url=redis_url, application=BASELINE_APP, **extra)


class Ceiling:
    """bench/ceiling_server.py in a process of its own."""

    def __init__(self, redis_url: str, channel: str):
        self.port = free_port()
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.channel = channel
        self.log = Path(tempfile.mkstemp(prefix="retro-ceiling-", suffix=".log")[1])
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "ceiling_server.py"), "--port",
                 str(self.port), "--redis", redis_url, "--channel", channel],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise Failure(f"the ceiling server exited:\n{self.log.read_text()}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise Failure("the ceiling server did not start in 30 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def ceiling(redis_url: str, channel: str) -> Ceiling:
    return Ceiling(redis_url, channel)


def api_account(base_url: str, name: str) -> tuple[str, str]:
    """Sign up through the API: (username, token)."""
    username = unique(name)
    response = httpx.post(
        f"{base_url}/api/auth/signup",
        json={"username": username, "password": PASSWORD},
        timeout=30,
    )
    if response.status_code != 201:
        raise Failure(f"signup through the API failed: {response.status_code} {response.text}")
    return username, response.json()["token"]


def rss_kib(pid: int) -> int:
    """Resident memory of a process in KiB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class CpuUse:
    """CPU used while a block runs: the machine's busy share of all its cores (from /proc/stat)
    and each given process's user + system time as a share of one core (from /proc/PID/stat)."""

    def __init__(self, pids: list[int]):
        self.pids = pids

    @staticmethod
    def _machine() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields) - idle, sum(fields)

    def _process(self, pid: int) -> float:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> CpuUse:
        self.started = time.monotonic()
        self.machine_before = self._machine()
        self.before = [self._process(pid) for pid in self.pids]
        return self

    def __exit__(self, *exc) -> None:
        seconds = time.monotonic() - self.started
        busy, total = (a - b for a, b in zip(self._machine(), self.machine_before, strict=True))
        self.machine_busy = 100 * busy / total if total else 0.0
        self.processes = [100 * (self._process(pid) - before) / seconds if seconds else 0.0
                          for pid, before in zip(self.pids, self.before, strict=True)]


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of values; NaN for none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def fmt(value: float, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def table(headers: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    return f"{os.cpu_count()} cores, 1-minute load average {os.getloadavg()[0]:.1f} at the end"


def one_line(exc: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
