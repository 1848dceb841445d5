"""
The practical ceiling for RetroSocial's live feed: a minimal broadcast server written directly
with the `websockets` library. One Redis pub/sub subscription per process; each message on the
channel is already the post's JSON (encoded once, by whoever published it) and is written as
one text frame to every socket open on /ws/feed. No Django, no auth, no per-socket work beyond
the write. The benchmarks start it on a free port next to the site and compare.

    .venv/bin/python bench/ceiling_server.py --port 9001 --redis redis://127.0.0.1:6390/0 \
        --channel retro-ceiling
"""

from __future__ import annotations

import argparse
import asyncio
import http
import signal
import sys

import redis.asyncio as redis
from websockets.asyncio.server import broadcast, serve

CLIENTS: set = set()


async def handler(connection) -> None:
    CLIENTS.add(connection)
    try:
        await connection.wait_closed()
    finally:
        CLIENTS.discard(connection)


def process_request(connection, request):
    if request.path == "/healthz":
        return connection.respond(http.HTTPStatus.OK, f"ok {len(CLIENTS)}\n")
    if request.path != "/ws/feed":
        return connection.respond(http.HTTPStatus.NOT_FOUND, "not found\n")
    return None


async def relay(redis_url: str, channel: str, ready: asyncio.Event) -> None:
    """The one subscription: every message goes to every local socket as it is."""
    client = redis.Redis.from_url(redis_url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(channel)
    ready.set()
    async for message in pubsub.listen():
        if message["type"] == "message":
            broadcast(CLIENTS, message["data"].decode())


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", required=True, help="redis:// URL to subscribe on")
    parser.add_argument("--channel", default="retro-ceiling", help="Redis channel of the posts")
    args = parser.parse_args(argv)

    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    ready = asyncio.Event()
    relay_task = asyncio.create_task(relay(args.redis, args.channel, ready))
    await asyncio.wait_for(ready.wait(), timeout=10)
    async with serve(
        handler, "127.0.0.1", args.port, process_request=process_request,
        ping_interval=20, max_queue=16, compression=None, backlog=2048,
    ):
        done, _ = await asyncio.wait({relay_task, stop}, return_when=asyncio.FIRST_COMPLETED)
        if relay_task in done:
            print(f"the Redis subscription ended: {relay_task.exception()}", file=sys.stderr)
            return 1
    relay_task.cancel()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
