"""
What bench/feed_page.py and bench/api.py share: a PostgreSQL database of their own on the
shared server (created, migrated, dropped), posts seeded fast with COPY, the site (plus the
baselines of urls.py) served by a daphne process of its own with production settings (through
tests/live.py), and Django set up in the benchmark's own process on the same database, to seed
it and to count queries.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.live import LiveDatabase, LiveServer, manage, production_env  # noqa: E402
from tests.services import (  # noqa: E402
    POSTGRES_TEST_URL,
    REDIS_TEST_URL,
    postgres_reachable,
    redis_reachable,
)

SETTINGS = "bench.baseline_site.settings"


class Site:
    """A fresh PostgreSQL database, Django in this process, and daphne serving the site."""

    def __init__(self, redis: bool = False):
        if not postgres_reachable():
            raise SystemExit(f"these figures are taken on PostgreSQL: none at {POSTGRES_TEST_URL}")
        self.database = LiveDatabase(POSTGRES_TEST_URL)
        self.redis_url = REDIS_TEST_URL if redis and redis_reachable() else ""
        self.prefix = f"bench-{uuid.uuid4().hex[:8]}"
        # Production storage (hashed, compressed) needs collectstatic, as on Heroku.
        self.static_root = tempfile.mkdtemp(prefix="retro-bench-static-")
        extra = {
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "CHANNEL_LAYER_PREFIX": self.prefix,
            "CACHE_KEY_PREFIX": self.prefix,
            "STATIC_ROOT": self.static_root,
        }
        env = production_env(self.database.url, self.redis_url, **extra)
        manage("collectstatic", "--noinput", env=env)
        env["ALLOWED_HOSTS"] += ",testserver"
        os.environ.update(env)
        if not self.redis_url:
            os.environ.pop("REDIS_URL", None)
        import logging

        import django

        django.setup()
        logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
        self.server = LiveServer(self.database, self.redis_url, **extra)
        self.posts = 0
        self.users: list = []

    def start(self) -> Site:
        self.server.start(timeout=90)
        return self

    def close(self) -> None:
        from django.db import connections

        connections.close_all()
        self.server.stop()
        self.database.drop()
        shutil.rmtree(self.static_root, ignore_errors=True)

    @property
    def layer(self) -> str:
        return "Redis pub/sub" if self.redis_url else "the in-memory layer"

    def seed_users(self, count: int) -> None:
        from django.contrib.auth import get_user_model

        User = get_user_model()
        made = [User(username=f"bench{n:04d}", password="!") for n in range(count)]
        self.users = User.objects.bulk_create(made)

    def seed_posts(self, total: int) -> None:
        """Add posts with COPY until there are `total`; the newest is the highest id."""
        from django.db import connection

        from posts.models import Post

        table = Post._meta.db_table
        start = datetime(2026, 1, 1, tzinfo=UTC)
        with connection.cursor() as cursor:
            raw = cursor.cursor
            sql = f'COPY "{table}" (author_id, text, created) FROM STDIN'
            with raw.copy(sql) as copy:
                for n in range(self.posts, total):
                    author = self.users[n % len(self.users)].pk
                    copy.write_row((author, f"post number {n}", start + timedelta(seconds=n)))
        self.posts = total
        assert Post.objects.count() == total
        if self.redis_url:  # COPY bypasses post_create: renew the cached first page as it would
            from retrosocial.cache import renew

            renew("feed")

    def queries(self, path: str, limit: float = 0) -> tuple[int, int, float, bool]:
        """One request to `path` in this process: (status, SQL queries, seconds, stopped).
        With `limit`, a request still running after `limit` seconds is stopped at its next
        query (stopped=True, status 0)."""
        import time

        from django.db import connection
        from django.test import Client

        count = 0
        start = time.perf_counter()

        class Stopped(Exception):
            pass

        def counted(execute, sql, params, many, context):
            nonlocal count
            if limit and time.perf_counter() - start > limit:
                raise Stopped
            count += 1
            return execute(sql, params, many, context)

        import logging

        quiet = logging.getLogger("django.request")
        level = quiet.level
        if limit:
            quiet.setLevel(logging.CRITICAL)  # stopping it on purpose is not a server error
        try:
            with connection.execute_wrapper(counted):
                status = Client().get(path).status_code
        except Stopped:
            return 0, count, time.perf_counter() - start, True
        finally:
            quiet.setLevel(level)
        return status, count, time.perf_counter() - start, False


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
