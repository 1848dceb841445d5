"""
The REST API under load: `GET /api/posts` (the 50 newest) and `POST /api/posts` with 1, 10 and
50 concurrent clients, requests/s and p99 latency, against a bare Django view served by the same
daphne process returning the same rows as JSON (and saving a post through the same service for
POST; bench/baseline_site/urls.py). PostgreSQL with 1,000 posts; Redis pub/sub as the channel
layer when Redis is reachable (each POST goes out on the live feed).

    .venv/bin/python bench/api.py [--clients 1,10,50] [--seconds 5] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baseline_site.harness import Site, median, percentile  # noqa: E402

MAX_REQUESTS = 5_000  # per client level and endpoint, whatever the time


async def load(base_url: str, method: str, path: str, clients: int, seconds: float, token: str):
    """`clients` clients, each sending one request after another for `seconds` (at most
    MAX_REQUESTS in all). Returns (latencies of the answered requests, failures, elapsed)."""
    import httpx

    latencies: list[float] = []
    failures: list[str] = []
    sent = 0
    headers = {"Authorization": f"Token {token}"}
    expected = 201 if method == "POST" else 200
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        start = time.perf_counter()
        end = start + seconds

        async def client(number: int) -> None:
            nonlocal sent
            while time.perf_counter() < end and sent < MAX_REQUESTS:
                sent += 1
                began = time.perf_counter()
                if method == "POST":
                    body = {"text": f"bench {number}-{sent}"}
                    response = await http.post(path, json=body, headers=headers)
                else:
                    response = await http.get(path)
                if response.status_code == expected:
                    latencies.append(time.perf_counter() - began)
                else:
                    failures.append(f"{method} {path}: {response.status_code}")

        await asyncio.gather(*(client(n) for n in range(clients)))
        return latencies, failures, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,10,50", help="concurrent client counts")
    parser.add_argument("--seconds", type=float, default=5.0, help="each measurement's length")
    parser.add_argument("--quick", action="store_true", help="2 s each")
    args = parser.parse_args()
    levels = [int(part) for part in args.clients.split(",")]
    seconds = 2.0 if args.quick else args.seconds

    site = Site(redis=True)
    rows, failures = [], []
    try:
        site.seed_users(100)
        site.seed_posts(1_000)
        from django.db.models import Count
        from rest_framework.authtoken.models import Token

        from posts.models import Post

        token = Token.objects.create(user=site.users[0]).key
        site.start()
        posted = {"site": 0, "bare": 0}
        for method in ("GET", "POST"):
            for clients in levels:
                cells = {}
                # The site and the bare view back to back, the same load, the same process.
                for kind, path in (("site", "/api/posts"), ("bare", "/bench/api/posts")):
                    latencies, failed, elapsed = asyncio.run(
                        load(site.server.url, method, path, clients, seconds, token)
                    )
                    failures += failed
                    if method == "POST":
                        posted[kind] += len(latencies)
                    cells[kind] = (latencies, elapsed)
                rows.append((method, clients, cells))
        saved = Post.objects.filter(author=site.users[0], text__startswith="bench ")
        saved_count = saved.aggregate(n=Count("id"))["n"]
        if saved_count != posted["site"] + posted["bare"]:
            failures.append(
                f"{posted['site'] + posted['bare']} posts answered 201 but {saved_count} saved"
            )
    finally:
        site.close()

    print("### API\n")
    print(
        f"`/api/posts` on daphne (production settings, PostgreSQL with 1,000 posts, {site.layer}),"
        f" each level for {seconds:.0f} s (at most {MAX_REQUESTS:,} requests), clients in one "
        "asyncio process on the same machine, against a bare Django view in the same process "
        "returning the same 50 rows as JSON (POST: saving through the same `post_create`). "
        "GET is anonymous; POST sends a token.\n"
    )
    print(
        "| request | clients | API req/s | API p50 ms | API p99 ms | bare req/s "
        "| bare p99 ms | API ÷ bare (req/s) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for method, clients, cells in rows:
        api, bare = cells["site"], cells["bare"]
        api_rate, bare_rate = len(api[0]) / api[1], len(bare[0]) / bare[1]
        print(
            f"| {method} | {clients} | {api_rate:.0f} | {median(api[0]) * 1000:.0f} "
            f"| {percentile(api[0], 0.99) * 1000:.0f} | {bare_rate:.0f} "
            f"| {percentile(bare[0], 0.99) * 1000:.0f} | {api_rate / bare_rate:.2f} |"
        )
    print()
    if failures:
        print(f"{len(failures)} failed: " + "; ".join(sorted(set(failures))[:5]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
