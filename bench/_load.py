"""
The load generator of the websocket benchmarks: many /ws/feed sockets in one asyncio process
(the `websockets` client library, no per-frame work but a timestamp), and the poster
(bench/_poster.py) in a second process. Not a benchmark itself.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bench._harness import Failure, pct

POSTER = Path(__file__).resolve().parent / "_poster.py"


@dataclass
class Listeners:
    """N feed sockets, each recording (arrival time, frame) for everything it receives."""

    conns: list = field(default_factory=list)
    arrivals: list[list[tuple[float, str]]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    closes: list[object] = field(default_factory=list)
    tasks: list[asyncio.Task] = field(default_factory=list)
    open_seconds: float = 0.0

    @property
    def received(self) -> int:
        return sum(len(a) for a in self.arrivals)

    async def open(self, ws_urls: list[str], count: int, origins: list[str | None],
                   headers: list[dict] | None = None, concurrency: int = 50) -> Listeners:
        """Open count sockets, spread round-robin over ws_urls; failures are recorded."""
        gate = asyncio.Semaphore(concurrency)
        slots: list = [None] * count

        async def one(i: int) -> None:
            k = i % len(ws_urls)
            async with gate:
                try:
                    slots[i] = await connect(
                        f"{ws_urls[k]}/ws/feed", origin=origins[k], compression=None,
                        open_timeout=60, ping_interval=None, max_queue=None,
                        additional_headers=(headers[k] if headers else None),
                    )
                except Exception as exc:  # any failure to open is a result: count it
                    self.failures.append(f"{type(exc).__name__}: {exc}"[:200])

        started = time.monotonic()
        await asyncio.gather(*(one(i) for i in range(count)))
        self.open_seconds = time.monotonic() - started
        for conn in slots:
            if conn is not None:
                self.conns.append(conn)
                self.arrivals.append([])
        for index, conn in enumerate(self.conns):
            self.tasks.append(asyncio.create_task(self._listen(conn, self.arrivals[index])))
        return self

    async def _listen(self, conn, arrivals: list) -> None:
        clock = time.monotonic
        try:
            async for frame in conn:
                arrivals.append((clock(), frame))
        except ConnectionClosed:
            pass
        self.closes.append(conn.close_code)

    async def wait_for(self, expected: int, idle: float = 10.0, cap: float = 120.0) -> None:
        """Until expected frames in all, or no new frame for `idle` s, or `cap` s."""
        deadline = time.monotonic() + cap
        last, last_change = self.received, time.monotonic()
        while self.received < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            if self.received != last:
                last, last_change = self.received, time.monotonic()
            elif time.monotonic() - last_change > idle:
                break

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*(c.close() for c in self.conns), return_exceptions=True)
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def post(url: str, tokens: list[str], posts: int, rate: float, label: str,
               publish: tuple[str, str] | None = None) -> list[dict]:
    """Run bench/_poster.py and return its lines (one dict per post)."""
    args = [sys.executable, str(POSTER), "--url", url, "--tokens", ",".join(tokens),
            "--posts", str(posts), "--rate", str(rate), "--label", label]
    if publish:
        args += ["--publish", *publish]
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise Failure(f"the poster failed: {err.decode()[-500:]}")
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


def measure(sent: list[dict], listeners: Listeners, sockets_wanted: int) -> dict:
    """Deliveries/s, latency from the POST's start to each receipt, losses, duplicates."""
    saved = {p["id"]: p for p in sent if p["id"] is not None}
    latencies: list[float] = []
    duplicates = controls = 0
    first_arrival = last_arrival = None
    delivered = 0
    for arrivals in listeners.arrivals:
        seen: set[int] = set()
        for arrived, frame in arrivals:
            item = json.loads(frame)
            if "type" in item:
                controls += 1
                continue
            if item.get("id") not in saved:
                continue
            if item["id"] in seen:
                duplicates += 1
                continue
            seen.add(item["id"])
            delivered += 1
            latencies.append((arrived - saved[item["id"]]["t0"]) * 1000)
            first_arrival = arrived if first_arrival is None else min(first_arrival, arrived)
            last_arrival = arrived if last_arrival is None else max(last_arrival, arrived)
    start = min((p["t0"] for p in sent), default=0.0)
    span = (last_arrival - start) if last_arrival else 0.0
    expected = sockets_wanted * len(saved)
    post_ms = [(p["t1"] - p["t0"]) * 1000 for p in sent]
    return {
        "sockets": len(listeners.conns),
        "failed_sockets": len(listeners.failures),
        "posts": len(sent),
        "saved": len(saved),
        "post_errors": len(sent) - len(saved),
        "expected": expected,
        "delivered": delivered,
        "lost": expected - delivered,
        "duplicates": duplicates,
        "controls": controls,
        "per_s": delivered / span if span > 0 else 0.0,
        "p50": pct(latencies, 50),
        "p99": pct(latencies, 99),
        "post_p50": pct(post_ms, 50),
        "post_p99": pct(post_ms, 99),
        "closed_early": sum(1 for code in listeners.closes if code is not None),
    }


async def fan(ws_urls: list[str], origins: list[str | None], size: int, post_url: str,
              tokens: list[str], posts: int, rate: float, label: str,
              publish: tuple[str, str] | None = None, idle: float = 15.0,
              cap: float = 180.0) -> dict:
    """Open size sockets over ws_urls, make the posts through post_url, measure."""
    listeners = await Listeners().open(ws_urls, size, origins)
    try:
        await asyncio.sleep(1.0)  # let the last subscriptions land
        sent = await post(post_url, tokens, posts, rate, label, publish)
        await listeners.wait_for(size * posts, idle=idle, cap=cap)
    finally:
        await listeners.close()
    result = measure(sent, listeners, size)
    result["first_failure"] = listeners.failures[0] if listeners.failures else ""
    return result
