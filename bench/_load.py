"""
The load generator of the websocket benchmarks: many /ws/feed sockets in one asyncio process
(a minimal websocket client of its own: a timestamp and the payload per frame), and the poster
(bench/_poster.py) in a second process. Not a benchmark itself.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bench._harness import CpuUse, Failure, pct

POSTER = Path(__file__).resolve().parent / "_poster.py"


class FeedSocket(asyncio.Protocol):
    """One /ws/feed socket, as lean as a client can be: the handshake, then each frame's
    arrival time and payload, parsed where it arrives (server frames are never masked).
    Pings are answered; nothing else is sent. A Python websocket library costs some tens of
    microseconds a frame, which at 1,000 sockets makes the load generator, not the server,
    the bottleneck; this costs a few."""

    def __init__(self, arrivals: list):
        self.arrivals = arrivals
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.handshake: asyncio.Future = asyncio.get_running_loop().create_future()
        self.upgraded = False
        self.close_code: int | None = None
        self.closing = False
        self.closed = asyncio.Event()

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buffer[:buffer.find(b"\r\n")]).decode("latin-1")
            del buffer[:end + 4]
            if status.split(" ")[1:2] != ["101"]:
                self.handshake.set_exception(ConnectionError(f"handshake: {status}"))
                self.transport.close()
                return
            self.upgraded = True
            self.handshake.set_result(None)
        now = time.monotonic()
        while len(buffer) >= 2:
            opcode, length, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length, start = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length, start = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < start + length:
                return
            payload = bytes(buffer[start:start + length])
            del buffer[:start + length]
            if opcode == 1:
                self.arrivals.append((now, payload))
            elif opcode == 9:  # ping: pong with the same payload, masked with a zero key
                self.transport.write(frame_bytes(0x8A, payload))
            elif opcode == 8:
                self.close_code = int.from_bytes(payload[:2], "big") if payload else 1005
                self.transport.close()
                return

    def connection_lost(self, exc) -> None:
        if self.upgraded and self.close_code is None and not self.closing:
            self.close_code = 1006  # dropped without a close frame
        if not self.handshake.done():
            self.handshake.set_exception(exc or ConnectionError("closed during the handshake"))
        self.closed.set()

    def close(self) -> None:
        self.closing = True
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(frame_bytes(0x88, (1000).to_bytes(2, "big")))
            self.transport.close()


def frame_bytes(first: int, payload: bytes) -> bytes:
    """A short client frame (under 126 bytes) masked with a zero key, as clients must mask."""
    return bytes([first, 0x80 | len(payload)]) + b"\0\0\0\0" + payload


async def open_feed_socket(ws_url: str, origin: str | None, headers: dict | None,
                           arrivals: list, timeout: float = 60) -> FeedSocket:
    url = urlsplit(f"{ws_url}/ws/feed")
    lines = [f"GET {url.path} HTTP/1.1", f"Host: {url.netloc}", "Upgrade: websocket",
             "Connection: Upgrade", "Sec-WebSocket-Version: 13",
             "Sec-WebSocket-Key: " + base64.b64encode(os.urandom(16)).decode()]
    if origin:
        lines.append(f"Origin: {origin}")
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    loop = asyncio.get_running_loop()
    _, protocol = await asyncio.wait_for(
        loop.create_connection(lambda: FeedSocket(arrivals), url.hostname, url.port), timeout
    )
    protocol.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    try:
        await asyncio.wait_for(protocol.handshake, timeout)
    except BaseException:
        protocol.transport.close()
        raise
    return protocol


@dataclass
class Listeners:
    """N feed sockets, each recording (arrival time, frame) for everything it receives."""

    conns: list = field(default_factory=list)
    arrivals: list[list[tuple[float, bytes]]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    open_seconds: float = 0.0

    @property
    def received(self) -> int:
        return sum(len(a) for a in self.arrivals)

    @property
    def closes(self) -> list[int | None]:
        """The close code of each socket the server closed (None: still open, or we closed)."""
        return [conn.close_code for conn in self.conns if conn.close_code is not None]

    async def open(self, ws_urls: list[str], count: int, origins: list[str | None],
                   headers: list[dict] | None = None, concurrency: int = 50) -> Listeners:
        """Open count sockets, spread round-robin over ws_urls; failures are recorded."""
        gate = asyncio.Semaphore(concurrency)
        slots: list = [None] * count

        async def one(i: int) -> None:
            k = i % len(ws_urls)
            async with gate:
                arrivals: list = []
                try:
                    slots[i] = (await open_feed_socket(
                        ws_urls[k], origins[k], headers[k] if headers else None, arrivals
                    ), arrivals)
                except Exception as exc:  # any failure to open is a result: count it
                    self.failures.append(f"{type(exc).__name__}: {exc}"[:200])

        started = time.monotonic()
        await asyncio.gather(*(one(i) for i in range(count)))
        self.open_seconds = time.monotonic() - started
        for slot in slots:
            if slot is not None:
                self.conns.append(slot[0])
                self.arrivals.append(slot[1])
        return self

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
        for conn in self.conns:
            conn.close()
        await asyncio.sleep(0)


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
              cap: float = 180.0, server_pids: list[int] | None = None) -> dict:
    """Open size sockets over ws_urls, make the posts through post_url, measure (with the CPU
    used meanwhile: the machine's, this load generator's and the servers')."""
    listeners = await Listeners().open(ws_urls, size, origins)
    try:
        await asyncio.sleep(1.0)  # let the last subscriptions land
        with CpuUse([os.getpid(), *(server_pids or [])]) as cpu:
            sent = await post(post_url, tokens, posts, rate, label, publish)
            await listeners.wait_for(size * posts, idle=idle, cap=cap)
    finally:
        await listeners.close()
    result = measure(sent, listeners, size)
    result["first_failure"] = listeners.failures[0] if listeners.failures else ""
    result["machine_busy"] = cpu.machine_busy
    result["generator_cpu"], *servers = cpu.processes
    result["server_cpu"] = servers
    return result
