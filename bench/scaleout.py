"""
Scale-out: the same live-feed load on two daphne processes sharing one Redis (the sockets split
between them, the posts made through their APIs in turn, as a router spreads requests over
dynos) against one process; the ratio of deliveries a second. The posts should come faster
than one process can take and fan them out (by default 100 a second to 1,000 sockets: 100,000
frames a second offered), so that each figure is what that setup carries, not what was
offered; the table says when a setup carried all of it (then raise --rate). Both runs on the
same machine (2 cores here, shared with the load generator, Redis and PostgreSQL), so the ratio
says how much a second process adds on these cores, not on two machines.

Own redis-server, own PostgreSQL database, production settings, the site as it is in this
tree. Exit status 0 only if both runs lost and duplicated nothing.

    .venv/bin/python bench/scaleout.py [--sockets 1000] [--posts 300] [--rate 100]
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
    fmt,
    machine,
    one_line,
    site,
    table,
)


async def main_async(args) -> int:
    database, db_word = bench_database()
    redis = RedisServer().start()
    results = {}
    try:
        prefix = "scaleout"  # both processes must share the channel layer's prefix
        for processes in (1, 2):
            print(f"  … {processes} daphne process(es), {args.sockets} sockets", file=sys.stderr,
                  flush=True)
            servers = [site(database, redis.url, CHANNEL_LAYER_PREFIX=prefix)
                       for _ in range(processes)]
            try:
                for server in servers:
                    server.start(timeout=60)
                _, token = api_account(servers[0].url, "scale")
                results[processes] = await _load.fan(
                    [s.ws_url for s in servers], [s.url for s in servers], args.sockets,
                    ",".join(s.url for s in servers), [token], args.posts, args.rate,
                    f"scale-{processes}",
                    server_pids=[s.process.pid for s in servers],
                )
            finally:
                for server in servers:
                    server.stop()
    finally:
        redis.stop()
        database.drop()

    print("### Scale-out: two daphne processes sharing Redis\n")
    print(f"{args.sockets} /ws/feed sockets (split evenly over the processes), {args.posts} posts "
          f"through the processes' APIs in turn at {args.rate:g}/s; own redis-server, {db_word}; "
          f"load generator: one asyncio process for the sockets and one for the poster; "
          f"{machine()}.\n")
    offered = args.rate * args.sockets
    rows = []
    for processes, r in results.items():
        rows.append([processes, r["sockets"], fmt(r["per_s"]), fmt(r["p50"]), fmt(r["p99"]),
                     r["lost"], r["duplicates"], r["post_errors"],
                     " + ".join(f"{cpu:.0f}%" for cpu in r["server_cpu"]),
                     f"{r['generator_cpu']:.0f}%", f"{r['machine_busy']:.0f}%",
                     "all of it" if r["per_s"] >= 0.9 * offered else "",
                     r["first_failure"]])
    print(table(["processes", "sockets open", "deliveries/s", "p50 ms", "p99 ms", "lost", "dup",
                 "POSTs failed", "daphne CPU (of a core)", "load generator CPU",
                 "machine busy (all cores)", f"carried the {fmt(offered)}/s offered",
                 "first socket error"], rows))
    one, two = results[1]["per_s"], results[2]["per_s"]
    print(f"\nTwo processes / one: {two / one:.2f}×" if one else "\nOne process delivered nothing")
    if one >= 0.9 * offered:
        print("\nOne process carried all that was offered, so the ratio says nothing of what a "
              "second adds: raise --rate until one process falls behind.")
    elif results[2]["machine_busy"] >= 85:
        print("\nA daphne process runs Python on one core at a time (the GIL): one process can "
              "use at most 100%. The machine was busy on all its cores in the two-process run "
              "(the load generator, Redis and PostgreSQL share them), so the second process had "
              "no core of its own to add.")
    lost = any(r["lost"] or r["duplicates"] or r["post_errors"] for r in results.values())
    return 1 if lost else 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sockets", type=int, default=1000, help="sockets in all (1000)")
    parser.add_argument("--posts", type=int, default=300, help="posts (300)")
    parser.add_argument("--rate", type=float, default=100.0, help="posts a second (100)")
    args = parser.parse_args()
    if not 1 <= args.sockets <= 5000 or not 1 <= args.posts <= 10000 or args.rate <= 0:
        print("scaleout: --sockets 1 to 5,000, --posts 1 to 10,000, --rate above 0",
              file=sys.stderr)
        return 2
    try:
        return asyncio.run(main_async(args))
    except (Failure, httpx.HTTPError, RuntimeError) as exc:  # one line, no traceback
        print(f"scaleout: {one_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
