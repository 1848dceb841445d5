"""
Opening live sockets: how many /ws/feed sockets a second one daphne process accepts —
anonymous (an Origin header), with a session cookie, and with an API token — next to the
ceiling server (anonymous: it checks nothing); then the reconnect storm: N clients on one
daphne, the daphne killed (-9) and started again, and the time until every client is back
and has caught up (it holds a post made after the restart).

Own redis-server, own PostgreSQL database, production settings. Exit status 0 only if every
socket opened and every client came back and caught up.

    .venv/bin/python bench/connects.py [--sockets 500] [--storm 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidHandshake  # noqa: E402

from bench import _load  # noqa: E402
from bench._harness import (  # noqa: E402
    Failure,
    RedisServer,
    api_account,
    bench_database,
    ceiling,
    fmt,
    machine,
    one_line,
    site,
    table,
)
from tests.live import Browser  # noqa: E402


async def open_rate(ws_url: str, count: int, origin: str | None, headers: dict | None) -> dict:
    listeners = await _load.Listeners().open([ws_url], count, [origin],
                                             [headers] if headers else None)
    opened = len(listeners.conns)
    await listeners.close()
    return {"opened": opened, "failed": len(listeners.failures), "seconds": listeners.open_seconds,
            "per_s": opened / listeners.open_seconds if listeners.open_seconds else 0.0,
            "first_failure": listeners.failures[0] if listeners.failures else ""}


class StormClient:
    """Minimal protocol client for the storm: reconnect with backoff and full jitter to
    ?after=ID, catch up through the API when told to resync, done once it holds `target`.
    The cut comes only when every client is connected and current (live, or caught up)."""

    def __init__(self, ws_url: str, origin: str, http: httpx.AsyncClient, target: list[int]):
        self.ws_url, self.origin, self.http, self.target = ws_url, origin, http, target
        self.highest = 0
        self.connected = asyncio.Event()
        self.reconnected_at: float | None = None
        self.caught_up_at: float | None = None
        self.connects = 0
        self.api_catch_ups = 0
        self.errors = 0
        self.last_error = ""

    def see(self, post_id: int) -> None:
        self.highest = max(self.highest, post_id)
        if self.target and self.highest >= self.target[0] and self.caught_up_at is None:
            self.caught_up_at = time.monotonic()

    async def catch_up(self) -> None:
        url = f"/api/posts?after={self.highest}"
        while url:
            body = (await self.http.get(url)).raise_for_status().json()
            for post in body["results"]:
                self.see(post["id"])
            url = body.get("next")

    async def run(self) -> None:
        attempt = 0
        while True:
            try:
                # Coming back, it says what it has: the server replays what came after, then
                # {"type": "live"}, or says resync, and then the client asks the API.
                async with connect(f"{self.ws_url}/ws/feed?after={self.highest}",
                                   origin=self.origin, compression=None, open_timeout=30,
                                   ping_interval=None) as ws:
                    self.connects += 1
                    if self.connects > 1 and self.reconnected_at is None:
                        self.reconnected_at = time.monotonic()
                    attempt = 0
                    async for frame in ws:
                        item = json.loads(frame)
                        if item.get("type") == "live":
                            self.connected.set()  # connected and current: ready for the cut
                        elif "type" in item:
                            self.api_catch_ups += 1
                            await self.catch_up()
                            self.connected.set()
                        elif "id" in item:
                            self.see(item["id"])
            except (ConnectionClosed, OSError, TimeoutError, httpx.HTTPError, InvalidHandshake,
                    ValueError) as exc:  # the server went away or refused: reconnect below
                self.errors += 1
                status = getattr(getattr(exc, "response", None), "status_code", "")
                self.last_error = f"{type(exc).__name__} {status}".strip()
            await asyncio.sleep(random.uniform(0, min(10.0, 0.5 * 2**attempt)))
            attempt += 1


async def storm(database, redis: RedisServer, count: int, cap: float) -> dict:
    server = site(database, redis.url).start(timeout=60)
    target: list[int] = []
    # The clients' catch-ups share 100 connections and queue for them (no pool timeout); the
    # post that proves they caught up goes through a client of its own.
    limits = httpx.Limits(max_connections=100)
    timeout = httpx.Timeout(30, pool=None)
    async with httpx.AsyncClient(base_url=server.url, timeout=timeout, limits=limits) as http, \
            httpx.AsyncClient(base_url=server.url, timeout=60) as poster:
        clients = [StormClient(server.ws_url, server.url, http, target) for _ in range(count)]
        tasks = []
        try:
            gate = asyncio.Semaphore(50)

            async def start(client: StormClient) -> None:
                async with gate:
                    tasks.append(asyncio.create_task(client.run()))
                    await asyncio.wait_for(client.connected.wait(), timeout=120)

            await asyncio.gather(*(start(c) for c in clients))
            killed = time.monotonic()
            server.kill()
            await asyncio.to_thread(server.start, 60)
            healthy = time.monotonic()
            _, token = await asyncio.to_thread(api_account, server.url, "storm")
            response = await poster.post("/api/posts", json={"text": "after the restart"},
                                         headers={"Authorization": f"Token {token}"})
            target.append(response.raise_for_status().json()["id"])
            for client in clients:  # those that caught up before the post existed
                if client.highest >= target[0] and client.caught_up_at is None:
                    client.caught_up_at = time.monotonic()
            deadline = time.monotonic() + cap
            while time.monotonic() < deadline:
                if all(c.caught_up_at for c in clients):
                    break
                await asyncio.sleep(0.1)
            back = [c.reconnected_at - killed for c in clients if c.reconnected_at]
            done = [c.caught_up_at - killed for c in clients if c.caught_up_at]
            return {
                "clients": count, "restart_s": healthy - killed, "back": len(back),
                "caught_up": len(done), "all_back_s": max(back) if len(back) == count else None,
                "all_caught_up_s": max(done) if len(done) == count else None,
                "median_caught_up_s": sorted(done)[len(done) // 2] if done else None,
                "api_catch_ups": sum(c.api_catch_ups for c in clients),
                "stragglers": Counter(
                    c.last_error or "no error" for c in clients if not c.caught_up_at
                ).most_common(3),
            }
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            server.stop()


class _SkipRates(Exception):
    """--storm-only: straight to the storm."""


async def main_async(args) -> int:
    database, db_word = bench_database()
    redis = RedisServer().start()
    rows, ok = [], True
    try:
        server = site(database, redis.url).start(timeout=60)
        try:
            if args.storm_only:
                raise _SkipRates
            _, token = api_account(server.url, "conn")
            browser = Browser(server)
            browser.http.timeout = 30
            browser.signup(f"cookie{random.randrange(10**9)}")
            kinds = [
                ("site, anonymous", server.ws_url, server.url, None),
                ("site, session cookie", server.ws_url, server.url,
                 {"Cookie": browser.session_cookie_header()}),
                ("site, API token", server.ws_url, None, {"Authorization": f"Token {token}"}),
            ]
            for label, ws_url, origin, headers in kinds:
                print(f"  … {label}", file=sys.stderr, flush=True)
                r = await open_rate(ws_url, args.sockets, origin, headers)
                ok &= r["failed"] == 0
                rows.append([label, r["opened"], r["failed"], fmt(r["seconds"], 1),
                             fmt(r["per_s"]), r["first_failure"]])
        except _SkipRates:
            pass
        finally:
            server.stop()
        if not args.storm_only:
            print("  … ceiling server", file=sys.stderr, flush=True)
            top = ceiling(redis.url, "connects")
            try:
                r = await open_rate(top.ws_url, args.sockets, None, None)
                ok &= r["failed"] == 0
                rows.append(["ceiling server, anonymous", r["opened"], r["failed"],
                             fmt(r["seconds"], 1), fmt(r["per_s"]), r["first_failure"]])
            finally:
                top.stop()
        print(f"  … reconnect storm, {args.storm} clients", file=sys.stderr, flush=True)
        s = await storm(database, redis, args.storm, args.cap)
        ok &= s["caught_up"] == s["clients"]
    finally:
        redis.stop()
        database.drop()

    print("### Opening live sockets and the reconnect storm\n")
    print(f"{args.sockets} /ws/feed sockets opened 50 at a time from one asyncio process "
          f"(bench/_load.py's minimal websocket client); one daphne, production settings, "
          f"own redis-server, {db_word}; "
          f"{machine()}.\n")
    if rows:
        print(table(["server, credentials", "opened", "failed", "seconds", "sockets/s",
                     "first error"], rows))
    print(f"\nReconnect storm: {s['clients']} clients on one daphne, daphne killed (-9) and "
          f"started again at once; each client reconnects with exponential backoff and full "
          f"jitter (0.5 s base, 10 s cap) to `/ws/feed?after=ID`, where ID is the last post it "
          f"holds: the server sends what came after (then `live`), or `resync`, and then the "
          f"client asks `GET /api/posts?after=ID`; 'caught up' = holds a post made right after "
          f"the restart.\n")
    print(table(
        ["clients", "daphne back (s)", "clients back", "all back (s)", "caught up",
         "median caught up (s)", "all caught up (s)", "API catch-ups"],
        [[s["clients"], fmt(s["restart_s"], 1), s["back"], fmt(s["all_back_s"], 1),
          s["caught_up"], fmt(s["median_caught_up_s"], 1), fmt(s["all_caught_up_s"], 1),
          s["api_catch_ups"]]],
    ))
    if s["stragglers"]:
        print(f"\nNot caught up after {args.cap:g} s, by their last error: "
              + ", ".join(f"{error} ×{count}" for error, count in s["stragglers"]))
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sockets", type=int, default=500, help="sockets per kind (500)")
    parser.add_argument("--storm", type=int, default=1000, help="clients in the storm (1000)")
    parser.add_argument("--storm-only", action="store_true", help="only the reconnect storm")
    parser.add_argument("--cap", type=float, default=120.0,
                        help="longest wait for the storm to settle, seconds (120)")
    args = parser.parse_args()
    if not 1 <= args.sockets <= 5000 or not 1 <= args.storm <= 5000:
        print("connects: --sockets and --storm take 1 to 5,000", file=sys.stderr)
        return 2
    try:
        return asyncio.run(main_async(args))
    except (Failure, httpx.HTTPError, RuntimeError) as exc:  # one line, no traceback
        print(f"connects: {one_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
