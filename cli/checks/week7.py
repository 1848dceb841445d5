"""Week 7, growing up: a cache for what every visit reads, renewed by the code that writes, and
a site that still answers when Redis (its cache) is down."""

from __future__ import annotations

import secrets
import time

from cli.checks import CheckFailed, check
from cli.checks.session import Session, free_port, tail
from cli.checks.web import Visitor, describe, login
from cli.checks.week2 import author, post
from cli.checks.week4 import REDIS_EXAMPLE, UNREACHABLE_REDIS

CACHE_BACKEND = """
import json
from django.conf import settings
print("RETRO:" + json.dumps(settings.CACHES.get("default", {}).get("BACKEND", "")))
"""

# GET / twice as a visitor, counting the database queries of each (Django's test client, in the
# project's own shell, with its development settings).
HOME_QUERIES = """
import json
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client = Client(HTTP_HOST="localhost")
seen = []
for _ in range(2):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    seen.append([response.status_code, len(queries.captured_queries)])
print("RETRO:" + json.dumps(seen))
"""


def ahead(session: Session) -> None:
    """What the project's cache is when REDIS_URL is set."""
    session.manage_ahead("shell", "-c", CACHE_BACKEND, env=session.dev_env(REDIS_URL=REDIS_EXAMPLE))


@check(
    7,
    "cache-setting",
    "the cache is Redis when REDIS_URL is set, local memory otherwise",
    (7, "cache you already have"),
    needs=["w1.system-check"],
)
def cache_setting(session: Session):
    with_redis = session.shell(CACHE_BACKEND, env=session.dev_env(REDIS_URL=REDIS_EXAMPLE))
    without = session.shell(CACHE_BACKEND)
    hint = (
        "in settings.py: CACHES with django.core.cache.backends.redis.RedisCache and LOCATION "
        "REDIS_URL when REDIS_URL is set, else django.core.cache.backends.locmem.LocMemCache"
    )
    if "redis" not in with_redis.lower():
        raise CheckFailed(
            "with REDIS_URL set, CACHES['default'] to be a Redis cache",
            f"BACKEND {with_redis or 'not set'!r}",
            hint,
        )
    if "redis" in without.lower() or "dummy" in without.lower():
        raise CheckFailed(
            "without REDIS_URL, a cache of the process's own (LocMemCache)",
            f"BACKEND {without or 'not set'!r}",
            hint,
        )
    return [f"{with_redis} with REDIS_URL, {without} without"]


@check(
    7,
    "feed-cached",
    "the home page's rows come from the cache",
    (7, "first page of the feed"),
    needs=["w1.home"],
)
def feed_cached(session: Session):
    session.migrated()
    (first, first_queries), (second, second_queries) = session.shell(HOME_QUERIES)
    if first != 200 or second != 200:
        raise CheckFailed("GET / to answer 200 twice", f"HTTP {first}, then HTTP {second}")
    if second_queries >= first_queries:
        raise CheckFailed(
            "a second visit to the home page to make fewer database queries than the first "
            "(its posts and people read from the cache)",
            f"{first_queries} queries, then {second_queries} again",
            "read the feed's first page and the people list through the cache (lesson steps 4 "
            "and 6): cache.get, and on a miss the database and cache.set",
        )
    return [f"GET / made {first_queries} queries, then {second_queries}"]


@check(
    7,
    "fresh-post",
    "a new post shows at once on the home page",
    (7, "Renew the copy"),
    needs=["w2.post", "w7.feed-cached"],
)
def fresh_post(session: Session):
    visitor, home, _ = author(session)
    visitor.page("/", "the home page")  # the first page is in the cache now
    text = f"fresh from the oven {secrets.token_hex(4)}"
    response = post(visitor, home, text)
    if response.is_redirect:
        visitor.follow(response)
    page = visitor.page("/", "the home page")
    if text not in page.text:
        raise CheckFailed(
            "the post on the home page the author is sent back to",
            f"the home page does not show it (it says: {page.text[:160]!r})",
            "renew the cached rows in post_create, with transaction.on_commit, so the next "
            "visit reads the database",
        )


@check(
    7,
    "redis-down",
    "with Redis down, pages still answer and show the newest post",
    (7, "Redis goes down"),
    needs=["w2.post"],
)
def pages_without_redis(session: Session):
    session.migrated()
    port = free_port()
    env = session.dev_env(REDIS_URL=UNREACHABLE_REDIS)
    argv = [session.python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    server = session.start("cache-down", argv, env, port)
    try:
        visitor = Visitor(server)
        first = visitor.get("/")
        if first.status_code != 200:
            raise CheckFailed(
                "GET / to answer 200 with Redis unreachable (pages read the database instead)",
                describe(first),
                "catch the cache's errors (they are the redis package's ConnectionError), log a "
                "warning and read the database",
            )
        home = login(session, visitor, session.create_user("user"))
        text = f"while the cache is down {secrets.token_hex(4)}"
        started = time.monotonic()
        response = post(visitor, home, text)
        took = time.monotonic() - started
        page = visitor.get("/")
        if response.status_code >= 500 or page.status_code != 200 or text not in page.text:
            seen = f"posting: HTTP {response.status_code}; then GET /: {describe(page)}"
            if "\nthe server's log says:" not in seen:
                seen += "\n" + tail(server.output(), 6)
            raise CheckFailed(
                "the post saved and shown on the home page, with Redis unreachable",
                seen,
                "every cache call of the site goes through one helper that catches the error",
            )
    finally:
        server.stop()
    return [f"the pages answered with Redis unreachable; posting took {took:.1f} s"]
