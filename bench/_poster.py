"""
The posting side of the websocket benchmarks, in a process of its own so the listeners'
event loop does not delay (or get delayed by) the POSTs: makes posts through the API
(`POST /api/posts` with a token) at a steady rate, or as fast as each of several clients can,
and prints one JSON line per post: {"id", "text", "t0", "t1", "status"}. t0/t1 are
time.monotonic() before the request and after the response (one clock for every process on
the machine). With --publish, each saved post (the API's JSON) is also PUBLISHed to a Redis
channel: that is how posts reach the ceiling server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

import httpx


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True,
                        help="the site's base URL; several, comma-separated, take turns (as a "
                             "router spreads requests over processes)")
    parser.add_argument("--tokens", required=True, help="API tokens, comma-separated")
    parser.add_argument("--posts", type=int, default=50)
    parser.add_argument("--rate", type=float, default=20.0, help="posts a second (0: no pause)")
    parser.add_argument("--label", default="bench")
    parser.add_argument("--publish", nargs=2, metavar=("REDIS_URL", "CHANNEL"))
    args = parser.parse_args()

    tokens = args.tokens.split(",")
    publisher = None
    if args.publish:
        import redis.asyncio as redis

        publisher = redis.Redis.from_url(args.publish[0])
    limits = httpx.Limits(max_connections=len(tokens) + 50)
    urls = [url.rstrip("/") for url in args.url.split(",")]
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:

        async def one(n: int, token: str) -> None:
            text = f"{args.label} {n}"
            t0 = time.monotonic()
            try:
                response = await http.post(
                    f"{urls[n % len(urls)]}/api/posts", json={"text": text},
                    headers={"Authorization": f"Token {token}"},
                )
                status = response.status_code
            except httpx.HTTPError as exc:
                status, response = f"{type(exc).__name__}", None
            t1 = time.monotonic()
            post_id = response.json().get("id") if status == 201 else None
            if publisher is not None and status == 201:
                await publisher.publish(args.publish[1], response.content)
            print(json.dumps({"id": post_id, "text": text, "t0": t0, "t1": t1, "status": status}),
                  flush=True)

        if args.rate > 0:
            start = time.monotonic()
            tasks = []
            for n in range(args.posts):
                delay = start + n / args.rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(n, tokens[n % len(tokens)])))
            await asyncio.gather(*tasks)
        else:
            async def client(k: int) -> None:
                for n in range(k, args.posts, len(tokens)):
                    await one(n, tokens[k])

            await asyncio.gather(*(client(k) for k in range(len(tokens))))
    if publisher is not None:
        await publisher.aclose()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
