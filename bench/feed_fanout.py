"""
How fast does a post reach every open feed socket? Starts a real daphne (production settings,
Redis pub/sub channel layer when Redis is reachable, else in-memory), opens N websocket clients,
makes M posts through the page, and prints the delivery latency and rate. Asserts nothing.

    .venv/bin/python bench/feed_fanout.py [--clients 200] [--posts 20] [--memory]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.live import Browser, LiveDatabase, LiveServer, feed_socket, unique  # noqa: E402
from tests.services import REDIS_TEST_URL, redis_reachable  # noqa: E402


def listen(ws, arrivals: dict[str, list[float]], expected: int, done: threading.Event) -> None:
    import json

    seen = 0
    while seen < expected:
        post = json.loads(ws.recv())
        arrivals.setdefault(post["text"], []).append(time.perf_counter())
        seen += 1
    done.set()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--memory", action="store_true", help="use the in-memory layer")
    args = parser.parse_args()

    redis_url = "" if args.memory or not redis_reachable() else REDIS_TEST_URL
    layer = f"Redis pub/sub at {redis_url}" if redis_url else "in-memory layer"
    database = LiveDatabase(None)
    server = LiveServer(
        database, redis_url=redis_url, CHANNEL_LAYER_PREFIX=f"bench-{uuid.uuid4().hex[:8]}"
    ).start()
    sockets, events = [], []
    try:
        arrivals: dict[str, list[float]] = {}
        for _ in range(args.clients):
            ws = feed_socket(server, timeout=60)
            done = threading.Event()
            thread = threading.Thread(
                target=listen, args=(ws, arrivals, args.posts, done), daemon=True
            )
            thread.start()
            sockets.append(ws)
            events.append(done)
        author = Browser(server).signup(unique("bench"))
        sent: dict[str, float] = {}
        started = time.perf_counter()
        for n in range(args.posts):
            text = f"bench post {n}"
            sent[text] = time.perf_counter()
            author.post(text)
        for done in events:
            done.wait(timeout=60)
        elapsed = time.perf_counter() - started

        latencies = [
            (arrival - sent[text]) * 1000 for text, times in arrivals.items() for arrival in times
        ]
        delivered = len(latencies)
        expected = args.clients * args.posts
        latencies.sort()
        print(f"daphne, {layer}, {args.clients} sockets, {args.posts} posts through the page")
        print(f"delivered      {delivered} of {expected}")
        print(f"deliveries/s   {delivered / elapsed:,.0f}")
        print(f"latency median {statistics.median(latencies):.1f} ms")
        print(f"latency p95    {latencies[int(len(latencies) * 0.95) - 1]:.1f} ms")
        print(f"latency max    {latencies[-1]:.1f} ms")
        return 0 if delivered == expected else 1
    finally:
        for ws in sockets:
            ws.close()
        server.stop()
        database.drop()


if __name__ == "__main__":
    sys.exit(main())
