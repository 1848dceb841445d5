"""
Soak: 1,000 /ws/feed sockets held open on one daphne for 60 s while posts keep coming through
the API; sockets dropped, posts lost or duplicated, and the daphne process's resident memory
before the sockets, with them open, and at the end (after they closed).

Own redis-server, own PostgreSQL database, production settings, the site as it is in this
tree. Exit status 0 only if nothing was dropped, lost or duplicated.

    .venv/bin/python bench/soak.py [--sockets 1000] [--seconds 60] [--rate 2]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bench import _load  # noqa: E402
from bench._harness import (  # noqa: E402
    Failure,
    RedisServer,
    api_account,
    bench_database,
    fmt,
    machine,
    one_line,
    rss_kib,
    site,
    table,
)


async def main_async(args) -> int:
    database, db_word = bench_database()
    redis = RedisServer().start()
    posts = max(1, int(args.seconds * args.rate))
    try:
        server = site(database, redis.url).start(timeout=60)
        try:
            _, token = api_account(server.url, "soak")
            pid = server.process.pid
            memory = {"started": rss_kib(pid)}
            listeners = await _load.Listeners().open([server.ws_url], args.sockets, [server.url])
            try:
                await asyncio.sleep(1.0)
                memory["sockets open"] = rss_kib(pid)
                started = time.monotonic()
                sent = await _load.post(server.url, [token], posts, args.rate, "soak")
                await listeners.wait_for(len(listeners.conns) * posts, idle=15, cap=120)
                held = time.monotonic() - started
                memory["end, sockets open"] = rss_kib(pid)
            finally:
                await listeners.close()
            await asyncio.sleep(2.0)
            memory["sockets closed"] = rss_kib(pid)
            r = _load.measure(sent, listeners, args.sockets)
        finally:
            server.stop()
    finally:
        redis.stop()
        database.drop()

    print("### Soak: 1,000 sockets held while posting\n" if args.sockets == 1000 else
          f"### Soak: {args.sockets:,} sockets held while posting\n")
    print(f"{args.sockets} /ws/feed sockets on one daphne for {held:.0f} s, {posts} posts through "
          f"the API at {args.rate:g}/s; own redis-server, {db_word}; {machine()}.\n")
    print(table(
        ["sockets open", "not opened", "dropped by the server", "posts saved", "expected",
         "received", "lost", "dup", "p50 ms", "p99 ms"],
        [[r["sockets"], r["failed_sockets"], r["closed_early"], r["saved"], r["expected"],
          r["delivered"], r["lost"], r["duplicates"], fmt(r["p50"]), fmt(r["p99"])]],
    ))
    print()
    print(table(["daphne RSS", *memory], [["MiB", *(fmt(v / 1024, 1) for v in memory.values())]]))
    bad = r["failed_sockets"] or r["closed_early"] or r["lost"] or r["duplicates"]
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sockets", type=int, default=1000, help="sockets (1000)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to post (60)")
    parser.add_argument("--rate", type=float, default=2.0, help="posts a second (2)")
    args = parser.parse_args()
    if not 1 <= args.sockets <= 5000 or not 1 <= args.seconds <= 3600 or args.rate <= 0:
        print("soak: --sockets 1 to 5,000, --seconds 1 to 3,600, --rate above 0",
              file=sys.stderr)
        return 2
    try:
        return asyncio.run(main_async(args))
    except (Failure, httpx.HTTPError, RuntimeError) as exc:  # one line, no traceback
        print(f"soak: {one_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
