"""
Live feed fan-out: how fast does a post made through the API reach every open /ws/feed socket
on ONE daphne process, and does every socket get every post?

Side by side, each on a fresh daphne with its own redis-server and a PostgreSQL database of
its own: (a) the course outline's design, a consumer per socket in a group through
channels-redis's core RedisChannelLayer; (b) the same consumer through RedisPubSubChannelLayer;
(c) the site as it is in this tree; (d) the ceiling server (bench/ceiling_server.py). Posts go
through the site's API at a steady rate (for (d) the poster PUBLISHes each saved post to the
ceiling's Redis channel, so its latency also starts before the same POST). Exit status 0 only
if (c) and (d) lost and duplicated nothing; (a) and (b) failing is a result, not a crash.

    .venv/bin/python bench/fanout.py [--sizes 100,500,1000] [--posts 50] [--rate 20]
    .venv/bin/python bench/fanout.py --in-memory   # the `make run` layer, 500 sockets, 20 posters
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

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

VARIANTS = {
    "a": "(a) core RedisChannelLayer, consumer per socket",
    "b": "(b) RedisPubSubChannelLayer, consumer per socket",
    "c": "(c) the site as it ships",
    "d": "(d) ceiling server (websockets + one subscription)",
}


async def run_variant(variant: str, size: int, args, database, redis: RedisServer,
                      quiet_post: bool) -> dict:
    """One daphne (and for (d) the ceiling server next to it), size sockets, the posts."""
    kind = {"a": "core", "b": "pubsub", "c": "site", "d": "site"}[variant]
    redis_url = "" if args.in_memory else redis.url
    server = site(database, redis_url, kind).start(timeout=60)
    ceiling_server = None
    try:
        _, token = api_account(server.url, "fan")
        idle = None
        if quiet_post:  # the posting latency with no listener at all
            idle = _load.measure(
                await _load.post(server.url, [token], args.posts, args.rate, f"idle-{variant}"),
                _load.Listeners(), 0,
            )
        if variant == "d":
            channel = f"ceiling-{size}"
            ceiling_server = ceiling(redis.url, channel)
            ws_url, origin, publish = ceiling_server.ws_url, None, (redis.url, channel)
        else:
            ws_url, origin, publish = server.ws_url, server.url, None
        tokens = [token]
        if args.in_memory:
            tokens = [api_account(server.url, "fan")[1] for _ in range(args.posters)]
        listeners = await _load.Listeners().open([ws_url], size, [origin])
        await asyncio.sleep(1.0)  # let the last group_add land
        rate = 0.0 if args.in_memory else args.rate
        sent = await _load.post(server.url, tokens, args.posts, rate, f"{variant}-{size}",
                                publish)
        await listeners.wait_for(size * args.posts, idle=args.idle, cap=args.cap)
        await listeners.close()
        result = _load.measure(sent, listeners, size)
        if listeners.failures:
            result["first_failure"] = listeners.failures[0]
        if idle:
            result["idle_p50"], result["idle_p99"] = idle["post_p50"], idle["post_p99"]
        log = server.output()
        result["max_connections_error"] = "MaxConnectionsError" in log
        return result
    finally:
        if ceiling_server:
            ceiling_server.stop()
        server.stop()


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise SystemExit(
            f"--sizes takes whole numbers separated by commas, not {text!r}"
        ) from None
    if not sizes or any(n < 1 or n > 5000 for n in sizes):
        raise SystemExit("--sizes: between 1 and 5000 sockets each")
    return sizes


async def main_async(args) -> int:
    sizes = [args.clients] if args.in_memory else parse_sizes(args.sizes)
    variants = ["c"] if args.in_memory else [v for v in args.variants if v in VARIANTS]
    database, db_word = bench_database()
    redis = RedisServer().start()
    results: dict[tuple[str, int], dict] = {}
    try:
        for size in sizes:
            for variant in variants:
                print(f"  … {VARIANTS[variant]}, {size} sockets", file=sys.stderr, flush=True)
                try:
                    results[variant, size] = await run_variant(
                        variant, size, args, database, redis, quiet_post=(size == sizes[0])
                    )
                except (Failure, httpx.HTTPError, RuntimeError) as exc:
                    results[variant, size] = {"error": one_line(exc)[:120]}
    finally:
        redis.stop()
        database.drop()

    if args.in_memory:
        r = results["c", sizes[0]]
        print("### Live feed fan-out without Redis (`make run`)\n")
        print(f"One daphne with the production settings but no REDIS_URL (as under `make run`: "
              f"nothing leaves the process), "
              f"{sizes[0]} /ws/feed sockets, {args.posters} API clients posting {args.posts} "
              f"posts as fast as they can; {db_word}; {machine()}.\n")
        if "error" in r:
            print(f"failed: {r['error']}")
            return 1
        print(table(
            ["sockets open", "posts saved", "expected", "received", "lost", "duplicates",
             "p50 ms", "p99 ms"],
            [[r["sockets"], r["saved"], r["expected"], r["delivered"], r["lost"], r["duplicates"],
              fmt(r["p50"]), fmt(r["p99"])]],
        ))
        return 0 if r["lost"] == 0 and r["duplicates"] == 0 and r["post_errors"] == 0 else 1

    print("### Live feed fan-out: one daphne process, Redis\n")
    print(f"{args.posts} posts through `POST /api/posts` at {args.rate:g}/s per run, to "
          f"{'/'.join(f'{n:,}' for n in sizes)} /ws/feed sockets on one process; own "
          f"redis-server, {db_word}; load generator: the sockets in one asyncio process "
          f"(a minimal websocket client of its own, bench/_load.py), the poster in a second; "
          f"{machine()}. "
          f"For (d) the poster PUBLISHes each saved post (the API's JSON) to the ceiling's "
          f"channel; latency is from the start of the POST to each receipt.\n")
    rows = []
    for size in sizes:
        for variant in variants:
            r = results[variant, size]
            if "error" in r:
                rows.append([VARIANTS[variant], size, "–", "–", "–", "–", "–", "–", "–", "–",
                             r["error"]])
                continue
            note = []
            if r["failed_sockets"]:
                note.append(f"{r['failed_sockets']} sockets not opened ({r['first_failure']})")
            if r["max_connections_error"]:
                note.append("MaxConnectionsError in daphne's log")
            if r["closed_early"]:
                note.append(f"{r['closed_early']} closed by the server")
            if r["controls"]:
                note.append(f"{r['controls']} control frames")
            if r["post_errors"]:
                note.append(f"{r['post_errors']} POSTs failed")
            idle = (f"{fmt(r['idle_p50'])} / {fmt(r['idle_p99'])}" if "idle_p50" in r else "")
            rows.append([
                VARIANTS[variant], size, fmt(r["per_s"]), fmt(r["p50"]), fmt(r["p99"]),
                r["lost"], r["duplicates"], f"{fmt(r['post_p50'])} / {fmt(r['post_p99'])}", idle,
                "", "; ".join(note),
            ])
            if variant == "c" and ("d", size) in results and "per_s" in results["d", size]:
                ceiling_rate = results["d", size]["per_s"]
                if ceiling_rate:
                    rows[-1][9] = f"{100 * r['per_s'] / ceiling_rate:.0f}%"
    print(table(
        ["design", "sockets", "deliveries/s", "p50 ms", "p99 ms", "lost", "dup",
         "POST p50/p99 ms", "POST p50/p99 ms, no listeners", "(c)/(d)", "notes"],
        rows,
    ))
    bad = [
        (v, n) for (v, n), r in results.items()
        if v in ("c", "d") and ("error" in r or r["lost"] or r["duplicates"] or r["post_errors"])
    ]
    if bad:
        print(f"\nlost, duplicated or not posted: {', '.join(f'({v}) at {n}' for v, n in bad)}",
              file=sys.stderr)
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100,500,1000",
                        help="socket counts (default: %(default)s)")
    parser.add_argument("--posts", type=int, default=50, help="posts per run (default: 50)")
    parser.add_argument("--rate", type=float, default=20.0, help="posts a second (default: 20)")
    parser.add_argument("--variants", default="abcd", help="which of a, b, c, d (default: abcd)")
    parser.add_argument("--in-memory", action="store_true",
                        help="the in-memory layer instead: 500 sockets, 20 posting clients")
    parser.add_argument("--clients", type=int, default=500, help="sockets for --in-memory")
    parser.add_argument("--posters", type=int, default=20, help="posting clients for --in-memory")
    parser.add_argument("--idle", type=float, default=15.0,
                        help="stop waiting after this many seconds without a frame (default: 15)")
    parser.add_argument("--cap", type=float, default=180.0, help="longest wait per run, seconds")
    args = parser.parse_args()
    if not 1 <= args.posts <= 10000 or args.rate < 0:
        print("--posts takes 1 to 10,000 and --rate 0 or more", file=sys.stderr)
        return 2
    try:
        return asyncio.run(main_async(args))
    except (Failure, httpx.HTTPError, RuntimeError) as exc:  # one line, no traceback
        print(f"fanout: {one_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
