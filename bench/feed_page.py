"""
The home page `/` (the feed: 50 newest posts a page, the users, the post form) with 100, 10,000
and 100,000 posts on PostgreSQL, against a baseline view served by the same daphne process that
does what the course outline's code did: every post, in no order, each author looked up per post
(bench/baseline_site/urls.py). Time over HTTP to daphne (production settings), SQL queries
counted in this process on the same database.

    .venv/bin/python bench/feed_page.py [--sizes 100,10000,100000] [--requests 20] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baseline_site.harness import Site, median, percentile  # noqa: E402

BASELINE_TIMEOUT = 300.0
OVER_HTTP = 10_000  # sizes up to this serve the outline's page over HTTP too
OUTLINE_LIMIT = 60.0  # seconds the outline's page may run in-process above that


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,10000,100000", help="post counts, ascending")
    parser.add_argument("--requests", type=int, default=20, help="timed requests of / a size")
    parser.add_argument("--quick", action="store_true", help="100 and 10,000 posts, 5 requests")
    args = parser.parse_args()
    sizes = [100, 10_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    count = 5 if args.quick else max(1, args.requests)

    import httpx

    from retrosocial.cache import renew

    # Redis, so that the site's cached first page can be renewed after posts are seeded with
    # COPY (which bypasses post_create), as post_create renews it.
    site = Site(redis=True)
    rows, lost = [], []
    try:
        site.seed_users(100)
        site.start()
        http = httpx.Client(base_url=site.server.url, timeout=BASELINE_TIMEOUT)
        for size in sorted(sizes):
            seeded = time.perf_counter()
            site.seed_posts(size)
            seed_s = time.perf_counter() - seeded
            newest = f"post number {size - 1}"

            def timed(path: str, times: int, size: int = size, newest: str = newest) -> list[float]:
                took = []
                for _ in range(times):
                    start = time.perf_counter()
                    response = http.get(path)
                    took.append(time.perf_counter() - start)
                    if response.status_code != 200 or newest not in response.text:
                        lost.append(f"{path} at {size} posts: {response.status_code}")
                return took

            timed("/", 1)  # warm-up
            page = timed("/", count)
            renew("feed")  # count what the page costs when its cached copy is renewed
            page_q = site.queries("/")[1]
            if size <= OVER_HTTP:
                # The outline's page: as many requests as fit a few seconds at this size.
                outline = timed("/bench/outline-feed", max(1, min(count, 2000 // size)))
                outline_q = site.queries("/bench/outline-feed")[1]
                outline_note = f"{median(outline) * 1000:,.0f} ({len(outline)} over HTTP)"
                ratio = f"{median(outline) / median(page):,.0f}×"
            else:
                # A query per post: run once in this process, stopped after OUTLINE_LIMIT s.
                outline_run = site.queries("/bench/outline-feed", OUTLINE_LIMIT)
                status, outline_q, took, stopped = outline_run
                if stopped:
                    outline_note = f"> {took * 1000:,.0f} (stopped, in-process)"
                    ratio = f"> {took / median(page):,.0f}×"
                    outline_q = f"> {outline_q:,} (stopped)"
                else:
                    if status != 200:
                        lost.append(f"/bench/outline-feed at {size} posts: {status}")
                    outline_note = f"{took * 1000:,.0f} (1 in-process)"
                    ratio = f"{took / median(page):,.0f}×"
            rows.append((size, seed_s, page, outline_note, page_q, outline_q, ratio))
        http.close()
    finally:
        site.close()

    print("### Feed page\n")
    print(
        f"`GET /` on daphne (production settings, PostgreSQL, {site.layer}) with N posts by 100 "
        f"users, {count} sequential requests a size after a warm-up, against the outline's "
        "page (every post, unordered, its author looked up per post) served by the same "
        f"process (above {OVER_HTTP:,} posts run once in this process instead, and stopped "
        f"after {OUTLINE_LIMIT:.0f} s); posts seeded with COPY; queries counted in this "
        "process on the same database, right after the cached first page was renewed (what "
        "the first visit after a new post costs).\n"
    )
    print(
        "| posts | `/` median ms | `/` p90 ms | `/` queries | outline median ms "
        "| outline queries | outline ÷ `/` | seeded in s |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size, seed_s, page, outline_note, page_q, outline_q, ratio in rows:
        queries = f"{outline_q:,}" if isinstance(outline_q, int) else outline_q
        print(
            f"| {size:,} | {median(page) * 1000:.1f} | {percentile(page, 0.9) * 1000:.1f} "
            f"| {page_q} | {outline_note} | {queries} | {ratio} | {seed_s:.1f} |"
        )
    print()
    if lost:
        print("Not served in full: " + "; ".join(lost[:5]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
